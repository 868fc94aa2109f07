package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	ramp "github.com/rampdev/ramp/api/v1alpha1"
)

// ---------------------------------------------------------------------------
// Builders. Every call returns fresh values, so no two cases (and no input
// and want of one case) share memory.

func canary(c ramp.CanaryStrategy) ramp.RolloutStrategy {
	return ramp.RolloutStrategy{Canary: &c}
}

func blueGreen(b ramp.BlueGreenStrategy) ramp.RolloutStrategy {
	return ramp.RolloutStrategy{BlueGreen: &b}
}

func canaryProfile(c ramp.CanaryStrategy) *ramp.ProfileStrategy {
	return &ramp.ProfileStrategy{Canary: &c}
}

func blueGreenProfile(b ramp.BlueGreenStrategy) *ramp.ProfileStrategy {
	return &ramp.ProfileStrategy{BlueGreen: &b}
}

// asProfile turns a strategy built with canary or blueGreen into a profile
// strategy of the same kind.
func asProfile(s ramp.RolloutStrategy) *ramp.ProfileStrategy {
	return &ramp.ProfileStrategy{Canary: s.Canary, BlueGreen: s.BlueGreen}
}

func setWeight(w int32) ramp.CanaryStep {
	return ramp.CanaryStep{SetWeight: ptr.To(w)}
}

func pause(d string) ramp.CanaryStep {
	return ramp.CanaryStep{Pause: &ramp.RolloutPause{Duration: ptr.To(intstr.FromString(d))}}
}

func analysisStep(names ...string) ramp.CanaryStep {
	return ramp.CanaryStep{Analysis: &ramp.RolloutAnalysis{Templates: templates(names...)}}
}

func steps(s ...ramp.CanaryStep) []ramp.CanaryStep { return s }

func templates(names ...string) []ramp.AnalysisTemplateRef {
	out := make([]ramp.AnalysisTemplateRef, 0, len(names))
	for _, n := range names {
		ref := ramp.AnalysisTemplateRef{TemplateName: n}
		if strings.HasPrefix(n, "cluster-") {
			ref.ClusterScope = true
		}
		out = append(out, ref)
	}
	return out
}

// args builds arguments from name, value pairs.
func args(nameValues ...string) []ramp.AnalysisRunArgument {
	out := make([]ramp.AnalysisRunArgument, 0, len(nameValues)/2)
	for i := 0; i+1 < len(nameValues); i += 2 {
		out = append(out, ramp.AnalysisRunArgument{Name: nameValues[i], Value: ptr.To(nameValues[i+1])})
	}
	return out
}

// hashArg is an argument named hash taking the pod template hash of which
// version (Stable or Latest).
func hashArg(which string) ramp.AnalysisRunArgument {
	return ramp.AnalysisRunArgument{Name: "hash", ValueFrom: &ramp.ArgumentValueFrom{PodTemplateHashValue: ptr.To(which)}}
}

func dryRun(metrics ...string) []ramp.DryRun {
	out := make([]ramp.DryRun, 0, len(metrics))
	for _, m := range metrics {
		out = append(out, ramp.DryRun{MetricName: m})
	}
	return out
}

func retention(metric string, limit int32) []ramp.MeasurementRetention {
	return []ramp.MeasurementRetention{{MetricName: metric, Limit: limit}}
}

func managedRoutes(names ...string) []ramp.ManagedRoute {
	out := make([]ramp.ManagedRoute, 0, len(names))
	for _, n := range names {
		out = append(out, ramp.ManagedRoute{Name: n})
	}
	return out
}

func gatewayRoutes(names ...string) []ramp.GatewayAPIRoute {
	out := make([]ramp.GatewayAPIRoute, 0, len(names))
	for _, n := range names {
		out = append(out, ramp.GatewayAPIRoute{Name: n})
	}
	return out
}

func virtualServices(names ...string) []ramp.IstioVirtualService {
	out := make([]ramp.IstioVirtualService, 0, len(names))
	for _, n := range names {
		out = append(out, ramp.IstioVirtualService{Name: n})
	}
	return out
}

// kv builds a map from key, value pairs.
func kv(pairs ...string) map[string]string {
	out := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

func intOrString(v any) *intstr.IntOrString {
	switch v := v.(type) {
	case int:
		return ptr.To(intstr.FromInt32(int32(v)))
	case string:
		return ptr.To(intstr.FromString(v))
	}
	panic(fmt.Sprintf("intOrString(%T)", v))
}

// show renders a value for a failure message.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// addresses collects the memory (pointers, slice arrays, maps) reachable
// from v, keyed by address, with the path where it was found.
func addresses(v reflect.Value, path string, into map[uintptr]string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		into[v.Pointer()] = path
		addresses(v.Elem(), path, into)
	case reflect.Interface:
		if !v.IsNil() {
			addresses(v.Elem(), path, into)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			return
		}
		into[v.Pointer()] = path
		for i := range v.Len() {
			addresses(v.Index(i), fmt.Sprintf("%s[%d]", path, i), into)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		into[v.Pointer()] = path
		it := v.MapRange()
		for it.Next() {
			addresses(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()), into)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			addresses(v.Field(i), path+"."+v.Type().Field(i).Name, into)
		}
	default:
	}
}

// checkNoSharedMemory fails when got reaches memory that one of inputs
// reaches: a caller changing the result would change its input.
func checkNoSharedMemory(t *testing.T, got any, inputs ...any) {
	t.Helper()
	in := map[uintptr]string{}
	for i, input := range inputs {
		addresses(reflect.ValueOf(input), fmt.Sprintf("input%d", i), in)
	}
	out := map[uintptr]string{}
	addresses(reflect.ValueOf(got), "result", out)
	for addr, path := range out {
		if inPath, ok := in[addr]; ok {
			t.Errorf("%s shares memory with %s", path, inPath)
		}
	}
}

// ---------------------------------------------------------------------------
// The field table of Effective.

// mode is what a case of the field table shows about its field.
type mode string

const (
	// profileKept: the profile sets the field and the Rollout does not;
	// the profile's value is kept.
	profileKept mode = "profile-kept"
	// rolloutWins: both set the field; the Rollout's value wins (objects
	// merged field by field, anything else replaced whole).
	rolloutWins mode = "rollout-wins"
	// zeroWins: the Rollout sets an explicit zero or false; it still wins.
	zeroWins mode = "zero-wins"
	// detail: anything else worth pinning about the field.
	detail mode = "detail"
)

type effectiveCase struct {
	// field is the JSON path under spec.strategy the case is about.
	field   string
	mode    mode
	name    string
	inline  ramp.RolloutStrategy
	profile *ramp.ProfileStrategy
	want    ramp.RolloutStrategy
}

// analysisSlot is a place that holds a RolloutAnalysis.
type analysisSlot struct {
	path string
	// wrap returns a strategy of the slot's kind holding a there (nothing
	// when a is nil).
	wrap func(a *ramp.RolloutAnalysis) ramp.RolloutStrategy
}

var analysisSlots = []analysisSlot{
	{"canary.analysis", func(a *ramp.RolloutAnalysis) ramp.RolloutStrategy {
		var c ramp.CanaryStrategy
		if a != nil {
			c.Analysis = &ramp.RolloutAnalysisBackground{RolloutAnalysis: *a}
		}
		return canary(c)
	}},
	{"blueGreen.prePromotionAnalysis", func(a *ramp.RolloutAnalysis) ramp.RolloutStrategy {
		return blueGreen(ramp.BlueGreenStrategy{PrePromotionAnalysis: a})
	}},
	{"blueGreen.postPromotionAnalysis", func(a *ramp.RolloutAnalysis) ramp.RolloutStrategy {
		return blueGreen(ramp.BlueGreenStrategy{PostPromotionAnalysis: a})
	}},
}

// metadataSlot is a place that holds a PodTemplateMetadata.
type metadataSlot struct {
	path string
	wrap func(m *ramp.PodTemplateMetadata) ramp.RolloutStrategy
}

var metadataSlots = []metadataSlot{
	{"canary.canaryMetadata", func(m *ramp.PodTemplateMetadata) ramp.RolloutStrategy {
		return canary(ramp.CanaryStrategy{CanaryMetadata: m})
	}},
	{"canary.stableMetadata", func(m *ramp.PodTemplateMetadata) ramp.RolloutStrategy {
		return canary(ramp.CanaryStrategy{StableMetadata: m})
	}},
	{"blueGreen.activeMetadata", func(m *ramp.PodTemplateMetadata) ramp.RolloutStrategy {
		return blueGreen(ramp.BlueGreenStrategy{ActiveMetadata: m})
	}},
	{"blueGreen.previewMetadata", func(m *ramp.PodTemplateMetadata) ramp.RolloutStrategy {
		return blueGreen(ramp.BlueGreenStrategy{PreviewMetadata: m})
	}},
}

func canaryFieldCases() []effectiveCase {
	return []effectiveCase{
		// canaryService / stableService
		{
			field: "canary.canaryService", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{}),
			profile: canaryProfile(ramp.CanaryStrategy{CanaryService: "p-canary"}),
			want:    canary(ramp.CanaryStrategy{CanaryService: "p-canary"}),
		},
		{
			field: "canary.canaryService", mode: rolloutWins, name: "rollout's",
			inline:  canary(ramp.CanaryStrategy{CanaryService: "web-canary"}),
			profile: canaryProfile(ramp.CanaryStrategy{CanaryService: "p-canary"}),
			want:    canary(ramp.CanaryStrategy{CanaryService: "web-canary"}),
		},
		{
			field: "canary.canaryService", mode: detail, name: "empty string is unset",
			inline:  canary(ramp.CanaryStrategy{CanaryService: "", StableService: "web-stable"}),
			profile: canaryProfile(ramp.CanaryStrategy{CanaryService: "p-canary"}),
			want:    canary(ramp.CanaryStrategy{CanaryService: "p-canary", StableService: "web-stable"}),
		},
		{
			field: "canary.baselineService", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{CanaryService: "web-canary"}),
			profile: canaryProfile(ramp.CanaryStrategy{BaselineService: "p-baseline"}),
			want:    canary(ramp.CanaryStrategy{CanaryService: "web-canary", BaselineService: "p-baseline"}),
		},
		{
			field: "canary.baselineService", mode: rolloutWins, name: "rollout's",
			inline:  canary(ramp.CanaryStrategy{BaselineService: "web-baseline"}),
			profile: canaryProfile(ramp.CanaryStrategy{BaselineService: "p-baseline"}),
			want:    canary(ramp.CanaryStrategy{BaselineService: "web-baseline"}),
		},
		{
			field: "canary.stableService", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{CanaryService: "web-canary"}),
			profile: canaryProfile(ramp.CanaryStrategy{StableService: "p-stable"}),
			want:    canary(ramp.CanaryStrategy{CanaryService: "web-canary", StableService: "p-stable"}),
		},
		{
			field: "canary.stableService", mode: rolloutWins, name: "rollout's",
			inline:  canary(ramp.CanaryStrategy{StableService: "web-stable"}),
			profile: canaryProfile(ramp.CanaryStrategy{StableService: "p-stable"}),
			want:    canary(ramp.CanaryStrategy{StableService: "web-stable"}),
		},

		// steps
		{
			field: "canary.steps", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{CanaryService: "web-canary", StableService: "web-stable"}),
			profile: canaryProfile(ramp.CanaryStrategy{Steps: steps(setWeight(10), pause("1m"), analysisStep("smoke"))}),
			want: canary(ramp.CanaryStrategy{
				CanaryService: "web-canary", StableService: "web-stable",
				Steps: steps(setWeight(10), pause("1m"), analysisStep("smoke")),
			}),
		},
		{
			field: "canary.steps", mode: rolloutWins, name: "list replaced whole, not merged by index",
			inline:  canary(ramp.CanaryStrategy{Steps: steps(setWeight(50))}),
			profile: canaryProfile(ramp.CanaryStrategy{Steps: steps(setWeight(10), pause("30s"))}),
			want:    canary(ramp.CanaryStrategy{Steps: steps(setWeight(50))}),
		},
		{
			field: "canary.steps", mode: detail, name: "a longer rollout list is taken whole too",
			inline:  canary(ramp.CanaryStrategy{Steps: steps(pause(""), setWeight(20), setWeight(100))}),
			profile: canaryProfile(ramp.CanaryStrategy{Steps: steps(setWeight(10))}),
			want:    canary(ramp.CanaryStrategy{Steps: steps(pause(""), setWeight(20), setWeight(100))}),
		},

		// trafficRouting and its fields
		{
			field: "canary.trafficRouting", mode: profileKept, name: "whole object from the profile",
			inline: canary(ramp.CanaryStrategy{}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta", "mirror"),
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta", "mirror"),
			}}),
		},
		{
			field: "canary.trafficRouting", mode: rolloutWins, name: "objects merge field by field",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI: &ramp.GatewayAPITrafficRouting{HTTPRoutes: gatewayRoutes("web")},
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta"),
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI:    &ramp.GatewayAPITrafficRouting{HTTPRoutes: gatewayRoutes("web")},
				ManagedRoutes: managedRoutes("beta"),
			}}),
		},
		{
			field: "canary.trafficRouting", mode: detail, name: "empty rollout object keeps the profile's",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta"),
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta"),
			}}),
		},
		{
			field: "canary.trafficRouting.gatewayAPI", mode: profileKept, name: "from the profile",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta"),
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI: &ramp.GatewayAPITrafficRouting{HTTPRoutes: gatewayRoutes("p-route")},
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI:    &ramp.GatewayAPITrafficRouting{HTTPRoutes: gatewayRoutes("p-route")},
				ManagedRoutes: managedRoutes("beta"),
			}}),
		},
		{
			field: "canary.trafficRouting.gatewayAPI", mode: rolloutWins, name: "merged field by field, route lists replaced",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI: &ramp.GatewayAPITrafficRouting{HTTPRoutes: []ramp.GatewayAPIRoute{{Name: "web", UseHeaderRoutes: ptr.To(false)}}},
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI: &ramp.GatewayAPITrafficRouting{
					HTTPRoutes: gatewayRoutes("p-one", "p-two"),
					GRPCRoutes: gatewayRoutes("p-grpc"),
				},
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI: &ramp.GatewayAPITrafficRouting{
					HTTPRoutes: []ramp.GatewayAPIRoute{{Name: "web", UseHeaderRoutes: ptr.To(false)}},
					GRPCRoutes: gatewayRoutes("p-grpc"),
				},
			}}),
		},
		{
			field: "canary.trafficRouting.istio", mode: profileKept, name: "from the profile",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta"),
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				Istio: &ramp.IstioTrafficRouting{VirtualServices: virtualServices("p-vs")},
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				Istio:         &ramp.IstioTrafficRouting{VirtualServices: virtualServices("p-vs")},
				ManagedRoutes: managedRoutes("beta"),
			}}),
		},
		{
			field: "canary.trafficRouting.istio", mode: rolloutWins, name: "merged field by field, virtualServices replaced",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				Istio: &ramp.IstioTrafficRouting{
					VirtualServices: []ramp.IstioVirtualService{{Name: "web", Routes: []string{"primary"}}},
				},
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				Istio: &ramp.IstioTrafficRouting{
					VirtualServices: []ramp.IstioVirtualService{
						{Name: "p-one", TCPRoutes: []ramp.IstioTCPRoute{{Port: 9000}}},
						{Name: "p-two", TLSRoutes: []ramp.IstioTLSRoute{{Port: 443, SNIHosts: []string{"a.example"}}}},
					},
					DestinationRule: &ramp.IstioDestinationRule{Name: "p-dr", CanarySubsetName: "canary", StableSubsetName: "stable"},
				},
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				Istio: &ramp.IstioTrafficRouting{
					VirtualServices: []ramp.IstioVirtualService{{Name: "web", Routes: []string{"primary"}}},
					DestinationRule: &ramp.IstioDestinationRule{Name: "p-dr", CanarySubsetName: "canary", StableSubsetName: "stable"},
				},
			}}),
		},
		{
			field: "canary.trafficRouting.istio", mode: detail, name: "destinationRule of the rollout wins",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				Istio: &ramp.IstioTrafficRouting{
					DestinationRule: &ramp.IstioDestinationRule{Name: "web-dr", CanarySubsetName: "c", StableSubsetName: "s"},
				},
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				Istio: &ramp.IstioTrafficRouting{
					VirtualServices: virtualServices("p-vs"),
					DestinationRule: &ramp.IstioDestinationRule{Name: "p-dr", CanarySubsetName: "canary", StableSubsetName: "stable"},
				},
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				Istio: &ramp.IstioTrafficRouting{
					VirtualServices: virtualServices("p-vs"),
					DestinationRule: &ramp.IstioDestinationRule{Name: "web-dr", CanarySubsetName: "c", StableSubsetName: "s"},
				},
			}}),
		},
		{
			field: "canary.trafficRouting.managedRoutes", mode: profileKept, name: "from the profile",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI: &ramp.GatewayAPITrafficRouting{HTTPRoutes: gatewayRoutes("web")},
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta", "mirror"),
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				GatewayAPI:    &ramp.GatewayAPITrafficRouting{HTTPRoutes: gatewayRoutes("web")},
				ManagedRoutes: managedRoutes("beta", "mirror"),
			}}),
		},
		{
			field: "canary.trafficRouting.managedRoutes", mode: rolloutWins, name: "list replaced whole, not merged by name",
			inline: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("mirror"),
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("beta", "mirror"),
			}}),
			want: canary(ramp.CanaryStrategy{TrafficRouting: &ramp.RolloutTrafficRouting{
				ManagedRoutes: managedRoutes("mirror"),
			}}),
		},

		// maxSurge / maxUnavailable
		{
			field: "canary.maxSurge", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{MaxUnavailable: intOrString(1)}),
			profile: canaryProfile(ramp.CanaryStrategy{MaxSurge: intOrString("50%")}),
			want:    canary(ramp.CanaryStrategy{MaxSurge: intOrString("50%"), MaxUnavailable: intOrString(1)}),
		},
		{
			field: "canary.maxSurge", mode: rolloutWins, name: "count over percentage",
			inline:  canary(ramp.CanaryStrategy{MaxSurge: intOrString(3)}),
			profile: canaryProfile(ramp.CanaryStrategy{MaxSurge: intOrString("50%")}),
			want:    canary(ramp.CanaryStrategy{MaxSurge: intOrString(3)}),
		},
		{
			field: "canary.maxSurge", mode: zeroWins, name: "0 over percentage",
			inline:  canary(ramp.CanaryStrategy{MaxSurge: intOrString(0)}),
			profile: canaryProfile(ramp.CanaryStrategy{MaxSurge: intOrString("50%")}),
			want:    canary(ramp.CanaryStrategy{MaxSurge: intOrString(0)}),
		},
		{
			field: "canary.maxSurge", mode: detail, name: "percentage over count",
			inline:  canary(ramp.CanaryStrategy{MaxSurge: intOrString("0%")}),
			profile: canaryProfile(ramp.CanaryStrategy{MaxSurge: intOrString(2)}),
			want:    canary(ramp.CanaryStrategy{MaxSurge: intOrString("0%")}),
		},
		{
			field: "canary.maxUnavailable", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{MaxSurge: intOrString(1)}),
			profile: canaryProfile(ramp.CanaryStrategy{MaxUnavailable: intOrString(2)}),
			want:    canary(ramp.CanaryStrategy{MaxSurge: intOrString(1), MaxUnavailable: intOrString(2)}),
		},
		{
			field: "canary.maxUnavailable", mode: rolloutWins, name: "percentage over count",
			inline:  canary(ramp.CanaryStrategy{MaxUnavailable: intOrString("10%")}),
			profile: canaryProfile(ramp.CanaryStrategy{MaxUnavailable: intOrString(2)}),
			want:    canary(ramp.CanaryStrategy{MaxUnavailable: intOrString("10%")}),
		},
		{
			field: "canary.maxUnavailable", mode: zeroWins, name: "0 over count",
			inline:  canary(ramp.CanaryStrategy{MaxUnavailable: intOrString(0)}),
			profile: canaryProfile(ramp.CanaryStrategy{MaxUnavailable: intOrString(2)}),
			want:    canary(ramp.CanaryStrategy{MaxUnavailable: intOrString(0)}),
		},

		// analysis.startingStep (the other analysis fields are in analysisCases)
		{
			field: "canary.analysis.startingStep", mode: profileKept, name: "from the profile",
			inline: canary(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				RolloutAnalysis: ramp.RolloutAnalysis{Args: args("service", "web")},
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				RolloutAnalysis: ramp.RolloutAnalysis{Templates: templates("error-rate")},
				StartingStep:    ptr.To[int32](2),
			}}),
			want: canary(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				RolloutAnalysis: ramp.RolloutAnalysis{Templates: templates("error-rate"), Args: args("service", "web")},
				StartingStep:    ptr.To[int32](2),
			}}),
		},
		{
			field: "canary.analysis.startingStep", mode: rolloutWins, name: "rollout's",
			inline: canary(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				StartingStep: ptr.To[int32](3),
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				RolloutAnalysis: ramp.RolloutAnalysis{Templates: templates("error-rate")},
				StartingStep:    ptr.To[int32](2),
			}}),
			want: canary(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				RolloutAnalysis: ramp.RolloutAnalysis{Templates: templates("error-rate")},
				StartingStep:    ptr.To[int32](3),
			}}),
		},
		{
			field: "canary.analysis.startingStep", mode: zeroWins, name: "0 over 2",
			inline: canary(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				StartingStep: ptr.To[int32](0),
			}}),
			profile: canaryProfile(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				RolloutAnalysis: ramp.RolloutAnalysis{Templates: templates("error-rate")},
				StartingStep:    ptr.To[int32](2),
			}}),
			want: canary(ramp.CanaryStrategy{Analysis: &ramp.RolloutAnalysisBackground{
				RolloutAnalysis: ramp.RolloutAnalysis{Templates: templates("error-rate")},
				StartingStep:    ptr.To[int32](0),
			}}),
		},

		// dynamicStableScale
		{
			field: "canary.dynamicStableScale", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{}),
			profile: canaryProfile(ramp.CanaryStrategy{DynamicStableScale: ptr.To(true)}),
			want:    canary(ramp.CanaryStrategy{DynamicStableScale: ptr.To(true)}),
		},
		{
			field: "canary.dynamicStableScale", mode: rolloutWins, name: "true over false",
			inline:  canary(ramp.CanaryStrategy{DynamicStableScale: ptr.To(true)}),
			profile: canaryProfile(ramp.CanaryStrategy{DynamicStableScale: ptr.To(false)}),
			want:    canary(ramp.CanaryStrategy{DynamicStableScale: ptr.To(true)}),
		},
		{
			field: "canary.dynamicStableScale", mode: zeroWins, name: "false over true",
			inline:  canary(ramp.CanaryStrategy{DynamicStableScale: ptr.To(false)}),
			profile: canaryProfile(ramp.CanaryStrategy{DynamicStableScale: ptr.To(true)}),
			want:    canary(ramp.CanaryStrategy{DynamicStableScale: ptr.To(false)}),
		},

		// scaleDownDelaySeconds / abortScaleDownDelaySeconds
		{
			field: "canary.scaleDownDelaySeconds", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{}),
			profile: canaryProfile(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](60)}),
			want:    canary(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](60)}),
		},
		{
			field: "canary.scaleDownDelaySeconds", mode: rolloutWins, name: "rollout's",
			inline:  canary(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](5)}),
			profile: canaryProfile(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](60)}),
			want:    canary(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](5)}),
		},
		{
			field: "canary.scaleDownDelaySeconds", mode: zeroWins, name: "0 over 60",
			inline:  canary(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](0)}),
			profile: canaryProfile(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](60)}),
			want:    canary(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](0)}),
		},
		{
			field: "canary.abortScaleDownDelaySeconds", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](5)}),
			profile: canaryProfile(ramp.CanaryStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](90)}),
			want:    canary(ramp.CanaryStrategy{ScaleDownDelaySeconds: ptr.To[int32](5), AbortScaleDownDelaySeconds: ptr.To[int32](90)}),
		},
		{
			field: "canary.abortScaleDownDelaySeconds", mode: rolloutWins, name: "rollout's",
			inline:  canary(ramp.CanaryStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](10)}),
			profile: canaryProfile(ramp.CanaryStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](90)}),
			want:    canary(ramp.CanaryStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](10)}),
		},
		{
			field: "canary.abortScaleDownDelaySeconds", mode: zeroWins, name: "0 over 90",
			inline:  canary(ramp.CanaryStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](0)}),
			profile: canaryProfile(ramp.CanaryStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](90)}),
			want:    canary(ramp.CanaryStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](0)}),
		},

		// baseline
		{
			field: "canary.baseline", mode: profileKept, name: "from the profile",
			inline:  canary(ramp.CanaryStrategy{}),
			profile: canaryProfile(ramp.CanaryStrategy{Baseline: ptr.To(true)}),
			want:    canary(ramp.CanaryStrategy{Baseline: ptr.To(true)}),
		},
		{
			field: "canary.baseline", mode: rolloutWins, name: "true over false",
			inline:  canary(ramp.CanaryStrategy{Baseline: ptr.To(true)}),
			profile: canaryProfile(ramp.CanaryStrategy{Baseline: ptr.To(false)}),
			want:    canary(ramp.CanaryStrategy{Baseline: ptr.To(true)}),
		},
		{
			field: "canary.baseline", mode: zeroWins, name: "false over true",
			inline:  canary(ramp.CanaryStrategy{Baseline: ptr.To(false)}),
			profile: canaryProfile(ramp.CanaryStrategy{Baseline: ptr.To(true)}),
			want:    canary(ramp.CanaryStrategy{Baseline: ptr.To(false)}),
		},
	}
}

func blueGreenFieldCases() []effectiveCase {
	gate := func(url string, retry ramp.DurationString) *ramp.RolloutGate {
		return &ramp.RolloutGate{Webhook: ramp.GateWebhook{URL: url}, RetryInterval: retry}
	}
	return []effectiveCase{
		// prePromotionGate: an object, merged field by field
		{
			field: "blueGreen.prePromotionGate", mode: profileKept, name: "from the profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{ActiveService: "web"}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{PrePromotionGate: gate("https://approve.example/team", "30s")}),
			want:    blueGreen(ramp.BlueGreenStrategy{ActiveService: "web", PrePromotionGate: gate("https://approve.example/team", "30s")}),
		},
		{
			field: "blueGreen.prePromotionGate", mode: rolloutWins, name: "rollout's URL, profile's retry interval",
			inline:  blueGreen(ramp.BlueGreenStrategy{PrePromotionGate: gate("https://approve.example/web", "")}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{PrePromotionGate: gate("https://approve.example/team", "30s")}),
			want:    blueGreen(ramp.BlueGreenStrategy{PrePromotionGate: gate("https://approve.example/web", "30s")}),
		},

		// activeService / previewService
		{
			field: "blueGreen.activeService", mode: profileKept, name: "from the profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{ActiveService: "p-active"}),
			want:    blueGreen(ramp.BlueGreenStrategy{ActiveService: "p-active"}),
		},
		{
			field: "blueGreen.activeService", mode: rolloutWins, name: "rollout's",
			inline:  blueGreen(ramp.BlueGreenStrategy{ActiveService: "web"}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{ActiveService: "p-active"}),
			want:    blueGreen(ramp.BlueGreenStrategy{ActiveService: "web"}),
		},
		{
			field: "blueGreen.previewService", mode: profileKept, name: "from the profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{ActiveService: "web"}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{PreviewService: "p-preview"}),
			want:    blueGreen(ramp.BlueGreenStrategy{ActiveService: "web", PreviewService: "p-preview"}),
		},
		{
			field: "blueGreen.previewService", mode: rolloutWins, name: "rollout's",
			inline:  blueGreen(ramp.BlueGreenStrategy{PreviewService: "web-preview"}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{PreviewService: "p-preview"}),
			want:    blueGreen(ramp.BlueGreenStrategy{PreviewService: "web-preview"}),
		},

		// autoPromotionEnabled / autoPromotionSeconds
		{
			field: "blueGreen.autoPromotionEnabled", mode: profileKept, name: "false from the profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{ActiveService: "web"}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)}),
			want:    blueGreen(ramp.BlueGreenStrategy{ActiveService: "web", AutoPromotionEnabled: ptr.To(false)}),
		},
		{
			field: "blueGreen.autoPromotionEnabled", mode: rolloutWins, name: "true over false",
			inline:  blueGreen(ramp.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(true)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)}),
			want:    blueGreen(ramp.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(true)}),
		},
		{
			field: "blueGreen.autoPromotionEnabled", mode: zeroWins, name: "false over true",
			inline:  blueGreen(ramp.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(true)}),
			want:    blueGreen(ramp.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)}),
		},
		{
			field: "blueGreen.autoPromotionSeconds", mode: profileKept, name: "from the profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](300)}),
			want:    blueGreen(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](300)}),
		},
		{
			field: "blueGreen.autoPromotionSeconds", mode: rolloutWins, name: "rollout's",
			inline:  blueGreen(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](30)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](300)}),
			want:    blueGreen(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](30)}),
		},
		{
			field: "blueGreen.autoPromotionSeconds", mode: zeroWins, name: "0 over 300",
			inline:  blueGreen(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](0)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](300)}),
			want:    blueGreen(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](0)}),
		},

		// previewReplicaCount
		{
			field: "blueGreen.previewReplicaCount", mode: profileKept, name: "from the profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](1)}),
			want:    blueGreen(ramp.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](1)}),
		},
		{
			field: "blueGreen.previewReplicaCount", mode: rolloutWins, name: "rollout's",
			inline:  blueGreen(ramp.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](3)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](1)}),
			want:    blueGreen(ramp.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](3)}),
		},
		{
			field: "blueGreen.previewReplicaCount", mode: zeroWins, name: "0 over 1",
			inline:  blueGreen(ramp.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](0)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](1)}),
			want:    blueGreen(ramp.BlueGreenStrategy{PreviewReplicaCount: ptr.To[int32](0)}),
		},

		// scaleDownDelaySeconds / abortScaleDownDelaySeconds
		{
			field: "blueGreen.scaleDownDelaySeconds", mode: profileKept, name: "from the profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](120)}),
			want:    blueGreen(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](120)}),
		},
		{
			field: "blueGreen.scaleDownDelaySeconds", mode: rolloutWins, name: "rollout's",
			inline:  blueGreen(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](15)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](120)}),
			want:    blueGreen(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](15)}),
		},
		{
			field: "blueGreen.scaleDownDelaySeconds", mode: zeroWins, name: "0 over 120",
			inline:  blueGreen(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](0)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](120)}),
			want:    blueGreen(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](0)}),
		},
		{
			field: "blueGreen.abortScaleDownDelaySeconds", mode: profileKept, name: "from the profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](45)}),
			want:    blueGreen(ramp.BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](45)}),
		},
		{
			field: "blueGreen.abortScaleDownDelaySeconds", mode: rolloutWins, name: "rollout's",
			inline:  blueGreen(ramp.BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](20)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](45)}),
			want:    blueGreen(ramp.BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](20)}),
		},
		{
			field: "blueGreen.abortScaleDownDelaySeconds", mode: zeroWins, name: "0 over 45",
			inline:  blueGreen(ramp.BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](0)}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](45)}),
			want:    blueGreen(ramp.BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To[int32](0)}),
		},
	}
}

// analysisCases covers every field of a RolloutAnalysis in each place one
// is held.
func analysisCases() []effectiveCase {
	var cases []effectiveCase
	for _, s := range analysisSlots {
		an := func(a ramp.RolloutAnalysis) *ramp.RolloutAnalysis { return &a }
		cases = append(cases,
			effectiveCase{
				field: s.path, mode: profileKept, name: "whole object from the profile",
				inline: s.wrap(nil),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate", "cluster-latency"), Args: args("service", "default"),
					DryRun: dryRun("latency"), MeasurementRetention: retention("latency", 10),
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate", "cluster-latency"), Args: args("service", "default"),
					DryRun: dryRun("latency"), MeasurementRetention: retention("latency", 10),
				})),
			},
			effectiveCase{
				field: s.path, mode: rolloutWins, name: "objects merge field by field",
				inline: s.wrap(an(ramp.RolloutAnalysis{
					Args: args("service", "web"), MeasurementRetention: retention("errors", 20),
				})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), Args: args("service", "default", "window", "5m"),
					DryRun: dryRun("latency"),
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), Args: args("service", "web"),
					DryRun: dryRun("latency"), MeasurementRetention: retention("errors", 20),
				})),
			},
			effectiveCase{
				field: s.path + ".templates", mode: profileKept, name: "kept when the rollout sets only args",
				inline:  s.wrap(an(ramp.RolloutAnalysis{Args: args("service", "web")})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{Templates: templates("error-rate", "latency")}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate", "latency"), Args: args("service", "web"),
				})),
			},
			effectiveCase{
				field: s.path + ".templates", mode: rolloutWins, name: "list replaced whole",
				inline: s.wrap(an(ramp.RolloutAnalysis{Templates: templates("cluster-slo")})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate", "latency"), Args: args("service", "default"),
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("cluster-slo"), Args: args("service", "default"),
				})),
			},
			effectiveCase{
				field: s.path + ".args", mode: profileKept, name: "kept when the rollout sets only templates",
				inline: s.wrap(an(ramp.RolloutAnalysis{Templates: templates("smoke")})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"),
					Args:      []ramp.AnalysisRunArgument{args("service", "default")[0], hashArg("Latest")},
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("smoke"),
					Args:      []ramp.AnalysisRunArgument{args("service", "default")[0], hashArg("Latest")},
				})),
			},
			effectiveCase{
				field: s.path + ".args", mode: rolloutWins, name: "list replaced whole, not merged by name",
				inline: s.wrap(an(ramp.RolloutAnalysis{Args: args("window", "10m")})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), Args: args("service", "default", "window", "5m"),
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), Args: args("window", "10m"),
				})),
			},
			effectiveCase{
				field: s.path + ".dryRun", mode: profileKept, name: "from the profile",
				inline: s.wrap(an(ramp.RolloutAnalysis{Templates: templates("smoke")})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), DryRun: dryRun("latency", "errors"),
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("smoke"), DryRun: dryRun("latency", "errors"),
				})),
			},
			effectiveCase{
				field: s.path + ".dryRun", mode: rolloutWins, name: "list replaced whole",
				inline: s.wrap(an(ramp.RolloutAnalysis{DryRun: dryRun("*")})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), DryRun: dryRun("latency", "errors"),
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), DryRun: dryRun("*"),
				})),
			},
			effectiveCase{
				field: s.path + ".measurementRetention", mode: profileKept, name: "from the profile",
				inline: s.wrap(an(ramp.RolloutAnalysis{Args: args("service", "web")})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), MeasurementRetention: retention("latency", 50),
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), Args: args("service", "web"),
					MeasurementRetention: retention("latency", 50),
				})),
			},
			effectiveCase{
				field: s.path + ".measurementRetention", mode: rolloutWins, name: "list replaced whole",
				inline: s.wrap(an(ramp.RolloutAnalysis{MeasurementRetention: retention("errors", 3)})),
				profile: asProfile(s.wrap(an(ramp.RolloutAnalysis{
					Templates:            templates("error-rate"),
					MeasurementRetention: append(retention("latency", 50), retention("errors", 7)...),
				}))),
				want: s.wrap(an(ramp.RolloutAnalysis{
					Templates: templates("error-rate"), MeasurementRetention: retention("errors", 3),
				})),
			},
		)
	}
	return cases
}

// metadataCases covers every field of a PodTemplateMetadata in each place
// one is held. Labels and annotations are JSON objects: they merge key by
// key, the Rollout's value winning for a key both set.
func metadataCases() []effectiveCase {
	var cases []effectiveCase
	for _, s := range metadataSlots {
		cases = append(cases,
			effectiveCase{
				field: s.path, mode: profileKept, name: "whole object from the profile",
				inline:  s.wrap(nil),
				profile: asProfile(s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "a"), Annotations: kv("note", "p")})),
				want:    s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "a"), Annotations: kv("note", "p")}),
			},
			effectiveCase{
				field: s.path, mode: rolloutWins, name: "objects merge field by field",
				inline:  s.wrap(&ramp.PodTemplateMetadata{Annotations: kv("note", "r")}),
				profile: asProfile(s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "a")})),
				want:    s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "a"), Annotations: kv("note", "r")}),
			},
			effectiveCase{
				field: s.path + ".labels", mode: profileKept, name: "from the profile",
				inline:  s.wrap(&ramp.PodTemplateMetadata{Annotations: kv("note", "r")}),
				profile: asProfile(s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "a", "tier", "web")})),
				want:    s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "a", "tier", "web"), Annotations: kv("note", "r")}),
			},
			effectiveCase{
				field: s.path + ".labels", mode: rolloutWins, name: "merged key by key, rollout's value wins",
				inline:  s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "b", "role", "x")}),
				profile: asProfile(s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "a", "tier", "web")})),
				want:    s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "b", "tier", "web", "role", "x")}),
			},
			effectiveCase{
				field: s.path + ".labels", mode: zeroWins, name: "empty value for a key wins",
				inline:  s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "")}),
				profile: asProfile(s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "a")})),
				want:    s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "")}),
			},
			effectiveCase{
				field: s.path + ".annotations", mode: profileKept, name: "from the profile",
				inline:  s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "b")}),
				profile: asProfile(s.wrap(&ramp.PodTemplateMetadata{Annotations: kv("note", "p")})),
				want:    s.wrap(&ramp.PodTemplateMetadata{Labels: kv("team", "b"), Annotations: kv("note", "p")}),
			},
			effectiveCase{
				field: s.path + ".annotations", mode: rolloutWins, name: "merged key by key, rollout's value wins",
				inline:  s.wrap(&ramp.PodTemplateMetadata{Annotations: kv("note", "r", "owner", "me")}),
				profile: asProfile(s.wrap(&ramp.PodTemplateMetadata{Annotations: kv("note", "p", "docs", "url")})),
				want:    s.wrap(&ramp.PodTemplateMetadata{Annotations: kv("note", "r", "owner", "me", "docs", "url")}),
			},
		)
	}
	return cases
}

func effectiveCases() []effectiveCase {
	var cases []effectiveCase
	cases = append(cases, canaryFieldCases()...)
	cases = append(cases, blueGreenFieldCases()...)
	cases = append(cases, analysisCases()...)
	cases = append(cases, metadataCases()...)
	return cases
}

func TestEffectiveFields(t *testing.T) {
	for _, tc := range effectiveCases() {
		t.Run(tc.field+"/"+string(tc.mode)+"/"+tc.name, func(t *testing.T) {
			inline := tc.inline.DeepCopy()
			profile := tc.profile.DeepCopy()

			got, err := Effective(tc.inline, tc.profile)
			if err != nil {
				t.Fatalf("Effective: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Effective:\n got %s\nwant %s", show(got), show(tc.want))
			}
			if !reflect.DeepEqual(&tc.inline, inline) {
				t.Errorf("inline strategy changed:\n now %s\nwas %s", show(tc.inline), show(inline))
			}
			if !reflect.DeepEqual(tc.profile, profile) {
				t.Errorf("profile strategy changed:\n now %s\nwas %s", show(tc.profile), show(profile))
			}
			checkNoSharedMemory(t, got, tc.inline, tc.profile)
		})
	}
}

// walkedTypes are the object types whose fields the coverage test walks
// into; any other field is a value of its own.
var walkedTypes = map[reflect.Type]bool{
	reflect.TypeFor[ramp.RolloutTrafficRouting]():     true,
	reflect.TypeFor[ramp.RolloutAnalysisBackground](): true,
	reflect.TypeFor[ramp.RolloutAnalysis]():           true,
	reflect.TypeFor[ramp.PodTemplateMetadata]():       true,
}

// jsonFields records the JSON path of every field of t, walking into
// walkedTypes and inline embedded structs.
func jsonFields(t *testing.T, typ reflect.Type, prefix string, into map[string]reflect.Type) {
	t.Helper()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			if !f.Anonymous {
				t.Errorf("%s%s has no JSON name", prefix, f.Name)
				continue
			}
			jsonFields(t, f.Type, prefix, into)
			continue
		}
		path := prefix + name
		into[path] = f.Type
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if walkedTypes[ft] {
			jsonFields(t, ft, path+".", into)
		}
	}
}

// needsZeroCase tells whether the field is a pointer to a scalar, whose
// explicit zero must be shown to win.
func needsZeroCase(typ reflect.Type) bool {
	if typ.Kind() != reflect.Pointer {
		return false
	}
	elem := typ.Elem()
	return elem.Kind() != reflect.Struct || elem == reflect.TypeFor[intstr.IntOrString]()
}

// TestEffectiveFieldsCovered fails when a JSON field of the strategy types
// has no case in the field table: a field added later needs its cases.
func TestEffectiveFieldsCovered(t *testing.T) {
	fields := map[string]reflect.Type{}
	jsonFields(t, reflect.TypeFor[ramp.CanaryStrategy](), "canary.", fields)
	jsonFields(t, reflect.TypeFor[ramp.BlueGreenStrategy](), "blueGreen.", fields)

	// The walk itself must see the fields named in the profile docs.
	for _, p := range []string{
		"canary.canaryService", "canary.steps", "canary.trafficRouting.gatewayAPI",
		"canary.trafficRouting.managedRoutes", "canary.analysis.templates", "canary.analysis.startingStep",
		"canary.dynamicStableScale", "canary.baseline", "blueGreen.prePromotionAnalysis.args",
		"blueGreen.postPromotionAnalysis.measurementRetention", "blueGreen.previewMetadata.labels",
	} {
		if _, ok := fields[p]; !ok {
			t.Errorf("the walk missed %s; found %v", p, slices.Sorted(maps.Keys(fields)))
		}
	}

	covered := map[string]map[mode]bool{}
	for _, tc := range effectiveCases() {
		if _, ok := fields[tc.field]; !ok {
			t.Errorf("case %q names %s, which is not a field of the strategy types", tc.name, tc.field)
		}
		if covered[tc.field] == nil {
			covered[tc.field] = map[mode]bool{}
		}
		covered[tc.field][tc.mode] = true
	}
	for _, path := range slices.Sorted(maps.Keys(fields)) {
		need := []mode{profileKept, rolloutWins}
		if needsZeroCase(fields[path]) {
			need = append(need, zeroWins)
		}
		for _, m := range need {
			if !covered[path][m] {
				t.Errorf("%s (%s) has no %s case in the Effective field table", path, fields[path], m)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Kinds, profileRef, clashes.

func TestEffectiveKinds(t *testing.T) {
	teamRef := func() *ramp.ProfileReference {
		return &ramp.ProfileReference{Kind: ramp.ProfileKindNamespaced, Name: "team-canary"}
	}
	clusterRef := func() *ramp.ProfileReference {
		return &ramp.ProfileReference{Kind: ramp.ProfileKindCluster, Name: "platform-bluegreen"}
	}
	fullCanaryProfile := func() *ramp.ProfileStrategy {
		return canaryProfile(ramp.CanaryStrategy{
			Steps: steps(setWeight(20), pause("1m"), analysisStep("smoke"), ramp.CanaryStep{
				SetHeaderRoute: &ramp.SetHeaderRoute{Name: "beta", Match: []ramp.HeaderRoutingMatch{{
					HeaderName: "x-beta", HeaderValue: ramp.StringMatch{Exact: ptr.To("1")},
				}}},
			}, setWeight(100)),
			TrafficRouting: &ramp.RolloutTrafficRouting{ManagedRoutes: managedRoutes("beta")},
			MaxSurge:       intOrString("25%"),
			MaxUnavailable: intOrString(0),
			Analysis: &ramp.RolloutAnalysisBackground{
				RolloutAnalysis: ramp.RolloutAnalysis{Templates: templates("error-rate"), Args: args("service", "default")},
				StartingStep:    ptr.To[int32](1),
			},
			DynamicStableScale:         ptr.To(true),
			ScaleDownDelaySeconds:      ptr.To[int32](60),
			AbortScaleDownDelaySeconds: ptr.To[int32](30),
			CanaryMetadata:             &ramp.PodTemplateMetadata{Labels: kv("role", "canary")},
			StableMetadata:             &ramp.PodTemplateMetadata{Labels: kv("role", "stable")},
			Baseline:                   ptr.To(true),
		})
	}
	fullCanaryWant := func(ref *ramp.ProfileReference, c func(*ramp.CanaryStrategy)) ramp.RolloutStrategy {
		want := ramp.RolloutStrategy{ProfileRef: ref, Canary: fullCanaryProfile().Canary}
		c(want.Canary)
		return want
	}

	cases := []struct {
		name    string
		inline  ramp.RolloutStrategy
		profile *ramp.ProfileStrategy
		want    ramp.RolloutStrategy
	}{
		{
			name: "canary profile and canary inline",
			inline: ramp.RolloutStrategy{ProfileRef: teamRef(), Canary: &ramp.CanaryStrategy{
				CanaryService: "web-canary", StableService: "web-stable",
				TrafficRouting: &ramp.RolloutTrafficRouting{
					GatewayAPI: &ramp.GatewayAPITrafficRouting{HTTPRoutes: gatewayRoutes("web")},
				},
				Analysis: &ramp.RolloutAnalysisBackground{
					RolloutAnalysis: ramp.RolloutAnalysis{Args: args("service", "web")},
				},
				ScaleDownDelaySeconds: ptr.To[int32](0),
				DynamicStableScale:    ptr.To(false),
				StableMetadata:        &ramp.PodTemplateMetadata{Annotations: kv("owner", "web-team")},
			}},
			profile: fullCanaryProfile(),
			want: fullCanaryWant(teamRef(), func(c *ramp.CanaryStrategy) {
				c.CanaryService, c.StableService = "web-canary", "web-stable"
				c.TrafficRouting.GatewayAPI = &ramp.GatewayAPITrafficRouting{HTTPRoutes: gatewayRoutes("web")}
				c.Analysis.Args = args("service", "web")
				c.ScaleDownDelaySeconds = ptr.To[int32](0)
				c.DynamicStableScale = ptr.To(false)
				c.StableMetadata.Annotations = kv("owner", "web-team")
			}),
		},
		{
			name: "canary profile, inline sets only the services",
			inline: ramp.RolloutStrategy{ProfileRef: teamRef(), Canary: &ramp.CanaryStrategy{
				CanaryService: "web-canary", StableService: "web-stable",
			}},
			profile: fullCanaryProfile(),
			want: fullCanaryWant(teamRef(), func(c *ramp.CanaryStrategy) {
				c.CanaryService, c.StableService = "web-canary", "web-stable"
			}),
		},
		{
			name:    "canary profile, inline canary: {}",
			inline:  ramp.RolloutStrategy{ProfileRef: teamRef(), Canary: &ramp.CanaryStrategy{}},
			profile: fullCanaryProfile(),
			want:    fullCanaryWant(teamRef(), func(*ramp.CanaryStrategy) {}),
		},
		{
			name:    "canary profile, inline names only the profile",
			inline:  ramp.RolloutStrategy{ProfileRef: teamRef()},
			profile: fullCanaryProfile(),
			want:    fullCanaryWant(teamRef(), func(*ramp.CanaryStrategy) {}),
		},
		{
			name:    "canary profile, no profileRef (namespace default) stays without one",
			inline:  ramp.RolloutStrategy{Canary: &ramp.CanaryStrategy{CanaryService: "c", StableService: "s"}},
			profile: fullCanaryProfile(),
			want: fullCanaryWant(nil, func(c *ramp.CanaryStrategy) {
				c.CanaryService, c.StableService = "c", "s"
			}),
		},
		{
			name: "blue-green profile and blue-green inline",
			inline: ramp.RolloutStrategy{ProfileRef: clusterRef(), BlueGreen: &ramp.BlueGreenStrategy{
				ActiveService: "web", PreviewService: "web-preview",
				AutoPromotionEnabled: ptr.To(true),
				PrePromotionAnalysis: &ramp.RolloutAnalysis{Args: args("env", "prod")},
				PreviewMetadata:      &ramp.PodTemplateMetadata{Labels: kv("role", "preview")},
			}},
			profile: blueGreenProfile(ramp.BlueGreenStrategy{
				AutoPromotionEnabled:       ptr.To(false),
				PreviewReplicaCount:        ptr.To[int32](1),
				ScaleDownDelaySeconds:      ptr.To[int32](120),
				AbortScaleDownDelaySeconds: ptr.To[int32](0),
				PrePromotionAnalysis:       &ramp.RolloutAnalysis{Templates: templates("smoke"), Args: args("env", "staging")},
				PostPromotionAnalysis:      &ramp.RolloutAnalysis{Templates: templates("slo")},
				ActiveMetadata:             &ramp.PodTemplateMetadata{Labels: kv("role", "active")},
			}),
			want: ramp.RolloutStrategy{ProfileRef: clusterRef(), BlueGreen: &ramp.BlueGreenStrategy{
				ActiveService: "web", PreviewService: "web-preview",
				AutoPromotionEnabled:       ptr.To(true),
				PreviewReplicaCount:        ptr.To[int32](1),
				ScaleDownDelaySeconds:      ptr.To[int32](120),
				AbortScaleDownDelaySeconds: ptr.To[int32](0),
				PrePromotionAnalysis:       &ramp.RolloutAnalysis{Templates: templates("smoke"), Args: args("env", "prod")},
				PostPromotionAnalysis:      &ramp.RolloutAnalysis{Templates: templates("slo")},
				ActiveMetadata:             &ramp.PodTemplateMetadata{Labels: kv("role", "active")},
				PreviewMetadata:            &ramp.PodTemplateMetadata{Labels: kv("role", "preview")},
			}},
		},
		{
			name:    "blue-green profile, inline names only the profile",
			inline:  ramp.RolloutStrategy{ProfileRef: clusterRef()},
			profile: blueGreenProfile(ramp.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](120)}),
			want: ramp.RolloutStrategy{ProfileRef: clusterRef(), BlueGreen: &ramp.BlueGreenStrategy{
				ScaleDownDelaySeconds: ptr.To[int32](120),
			}},
		},
		{
			name:    "blue-green profile, inline blueGreen with services only",
			inline:  blueGreen(ramp.BlueGreenStrategy{ActiveService: "web"}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AutoPromotionSeconds: ptr.To[int32](10)}),
			want: blueGreen(ramp.BlueGreenStrategy{
				ActiveService: "web", AutoPromotionSeconds: ptr.To[int32](10),
			}),
		},
		{
			name:    "nil profile returns the canary inline unchanged",
			inline:  ramp.RolloutStrategy{ProfileRef: teamRef(), Canary: fullCanaryProfile().Canary},
			profile: nil,
			want:    ramp.RolloutStrategy{ProfileRef: teamRef(), Canary: fullCanaryProfile().Canary},
		},
		{
			name:    "nil profile returns the blue-green inline unchanged",
			inline:  blueGreen(ramp.BlueGreenStrategy{ActiveService: "web", ScaleDownDelaySeconds: ptr.To[int32](0)}),
			profile: nil,
			want:    blueGreen(ramp.BlueGreenStrategy{ActiveService: "web", ScaleDownDelaySeconds: ptr.To[int32](0)}),
		},
		{
			name:    "nil profile and a profileRef only: nothing to merge",
			inline:  ramp.RolloutStrategy{ProfileRef: teamRef()},
			profile: nil,
			want:    ramp.RolloutStrategy{ProfileRef: teamRef()},
		},
		{
			name:    "nil profile and an empty strategy",
			inline:  ramp.RolloutStrategy{},
			profile: nil,
			want:    ramp.RolloutStrategy{},
		},
		{
			name:    "empty profile strategy keeps the inline",
			inline:  ramp.RolloutStrategy{ProfileRef: teamRef(), Canary: &ramp.CanaryStrategy{Steps: steps(setWeight(5))}},
			profile: &ramp.ProfileStrategy{},
			want:    ramp.RolloutStrategy{ProfileRef: teamRef(), Canary: &ramp.CanaryStrategy{Steps: steps(setWeight(5))}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inline := tc.inline.DeepCopy()
			profile := tc.profile.DeepCopy()

			got, err := Effective(tc.inline, tc.profile)
			if err != nil {
				t.Fatalf("Effective: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Effective:\n got %s\nwant %s", show(got), show(tc.want))
			}
			if !reflect.DeepEqual(&tc.inline, inline) {
				t.Errorf("inline strategy changed:\n now %s\nwas %s", show(tc.inline), show(inline))
			}
			if !reflect.DeepEqual(tc.profile, profile) {
				t.Errorf("profile strategy changed:\n now %s\nwas %s", show(tc.profile), show(profile))
			}
			checkNoSharedMemory(t, got, tc.inline, tc.profile)
		})
	}
}

const (
	canaryOverBlueGreen = "holds a blueGreen strategy, but this Rollout writes spec.strategy.canary; " +
		"write spec.strategy.blueGreen instead, or name a canary profile"
	blueGreenOverCanary = "holds a canary strategy, but this Rollout writes spec.strategy.blueGreen; " +
		"write spec.strategy.canary instead, or name a blueGreen profile"
)

func TestEffectiveClash(t *testing.T) {
	ref := &ramp.ProfileReference{Name: "p"}
	cases := []struct {
		name    string
		inline  ramp.RolloutStrategy
		profile *ramp.ProfileStrategy
		want    string
	}{
		{
			name:    "canary inline, blue-green profile",
			inline:  ramp.RolloutStrategy{ProfileRef: ref, Canary: &ramp.CanaryStrategy{CanaryService: "c", StableService: "s"}},
			profile: blueGreenProfile(ramp.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)}),
			want:    canaryOverBlueGreen,
		},
		{
			name:    "empty canary inline, blue-green profile",
			inline:  canary(ramp.CanaryStrategy{}),
			profile: blueGreenProfile(ramp.BlueGreenStrategy{}),
			want:    canaryOverBlueGreen,
		},
		{
			name:    "blue-green inline, canary profile",
			inline:  ramp.RolloutStrategy{ProfileRef: ref, BlueGreen: &ramp.BlueGreenStrategy{ActiveService: "web"}},
			profile: canaryProfile(ramp.CanaryStrategy{Steps: steps(setWeight(10))}),
			want:    blueGreenOverCanary,
		},
		{
			name:    "empty blue-green inline, canary profile",
			inline:  blueGreen(ramp.BlueGreenStrategy{}),
			profile: canaryProfile(ramp.CanaryStrategy{}),
			want:    blueGreenOverCanary,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inline := tc.inline.DeepCopy()
			profile := tc.profile.DeepCopy()

			got, err := Effective(tc.inline, tc.profile)
			var clash *ClashError
			if !errors.As(err, &clash) {
				t.Fatalf("Effective error = %v (%T), want a *ClashError", err, err)
			}
			if clash.Message != tc.want || err.Error() != tc.want {
				t.Errorf("ClashError:\n got %q\nwant %q", err.Error(), tc.want)
			}
			if !reflect.DeepEqual(got, ramp.RolloutStrategy{}) {
				t.Errorf("strategy with the error = %s, want the zero strategy", show(got))
			}
			if !reflect.DeepEqual(&tc.inline, inline) || !reflect.DeepEqual(tc.profile, profile) {
				t.Errorf("inputs changed")
			}
		})
	}
}

func TestEffectiveProfileRefIsCopied(t *testing.T) {
	for _, profile := range []*ramp.ProfileStrategy{nil, canaryProfile(ramp.CanaryStrategy{})} {
		inline := ramp.RolloutStrategy{
			ProfileRef: &ramp.ProfileReference{Kind: ramp.ProfileKindCluster, Name: "shared"},
			Canary:     &ramp.CanaryStrategy{Steps: steps(setWeight(10))},
		}
		got, err := Effective(inline, profile)
		if err != nil {
			t.Fatalf("Effective: %v", err)
		}
		got.ProfileRef.Name = "changed"
		*got.Canary.Steps[0].SetWeight = 99
		if inline.ProfileRef.Name != "shared" || *inline.Canary.Steps[0].SetWeight != 10 {
			t.Errorf("profile %v: changing the result changed the inline strategy: %s", profile != nil, show(inline))
		}
	}
}

// ---------------------------------------------------------------------------
// MergeValues and KindClash on decoded JSON.

func TestMergeValues(t *testing.T) {
	cases := []struct {
		name       string
		base, over any
		want       any
	}{
		{"nil over keeps base", map[string]any{"a": int64(1)}, nil, map[string]any{"a": int64(1)}},
		{"nil base takes over", nil, map[string]any{"a": int64(1)}, map[string]any{"a": int64(1)}},
		{"both nil", nil, nil, nil},
		{"scalar replaces scalar", "25%", int64(1), int64(1)},
		{"false replaces true", true, false, false},
		{"zero replaces", int64(30), int64(0), int64(0)},
		{"list replaces list whole", []any{"a", "b"}, []any{"c"}, []any{"c"}},
		{"empty list replaces list", []any{"a"}, []any{}, []any{}},
		{"object replaces scalar", "x", map[string]any{"a": "b"}, map[string]any{"a": "b"}},
		{"scalar replaces object", map[string]any{"a": "b"}, "x", "x"},
		{"list replaces object", map[string]any{"a": "b"}, []any{"x"}, []any{"x"}},
		{
			"objects merge field by field, recursively",
			map[string]any{"keep": "p", "both": "p", "nested": map[string]any{"x": "p", "y": "p"}, "list": []any{"p1", "p2"}},
			map[string]any{"both": "r", "nested": map[string]any{"y": "r", "z": "r"}, "list": []any{"r1"}, "new": "r"},
			map[string]any{"keep": "p", "both": "r", "nested": map[string]any{"x": "p", "y": "r", "z": "r"}, "list": []any{"r1"}, "new": "r"},
		},
		{
			"null field in over keeps base's",
			map[string]any{"a": "p", "b": map[string]any{"c": "p"}},
			map[string]any{"a": nil, "b": nil},
			map[string]any{"a": "p", "b": map[string]any{"c": "p"}},
		},
		{
			"empty object keeps base's fields",
			map[string]any{"a": "p"},
			map[string]any{},
			map[string]any{"a": "p"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, over := deepCopyJSON(tc.base), deepCopyJSON(tc.over)
			got := MergeValues(tc.base, tc.over)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("MergeValues = %#v, want %#v", got, tc.want)
			}
			if !reflect.DeepEqual(tc.base, base) || !reflect.DeepEqual(tc.over, over) {
				t.Errorf("inputs changed: base %#v, over %#v", tc.base, tc.over)
			}
		})
	}
}

func deepCopyJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopyJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopyJSON(e)
		}
		return out
	default:
		return v
	}
}

func TestKindClash(t *testing.T) {
	obj := map[string]any{}
	cases := []struct {
		name         string
		own, profile map[string]any
		want         string
	}{
		{"both canary", map[string]any{"canary": obj}, map[string]any{"canary": obj}, ""},
		{"both blueGreen", map[string]any{"blueGreen": obj}, map[string]any{"blueGreen": obj}, ""},
		{"own sets no kind", map[string]any{"profileRef": obj}, map[string]any{"blueGreen": obj}, ""},
		{"profile sets no kind", map[string]any{"canary": obj}, map[string]any{}, ""},
		{"both empty", nil, nil, ""},
		{"canary over blueGreen", map[string]any{"canary": obj}, map[string]any{"blueGreen": obj}, canaryOverBlueGreen},
		{"blueGreen over canary", map[string]any{"blueGreen": obj}, map[string]any{"canary": obj}, blueGreenOverCanary},
		{"a null value still counts as set", map[string]any{"canary": nil}, map[string]any{"blueGreen": nil}, canaryOverBlueGreen},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := KindClash(tc.own, tc.profile); got != tc.want {
				t.Errorf("KindClash:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Recorded and Of.

func rollout(strategy ramp.RolloutStrategy, currentHash string, rec *ramp.ProfileStatus) *ramp.Rollout {
	ro := &ramp.Rollout{}
	ro.Name = "web"
	ro.Namespace = "shop"
	ro.Spec.Strategy = strategy
	ro.Status.CurrentPodHash = currentHash
	ro.Status.Profile = rec
	return ro
}

func record(hash string, strategy *ramp.ProfileStrategy) *ramp.ProfileStatus {
	return &ramp.ProfileStatus{
		Kind: ramp.ProfileKindNamespaced, Name: "team", Generation: 3,
		PodTemplateHash: hash, Strategy: strategy, Args: args("service", "default"),
	}
}

func TestRecorded(t *testing.T) {
	strategy := func() *ramp.ProfileStrategy { return canaryProfile(ramp.CanaryStrategy{Steps: steps(setWeight(10))}) }
	spec := func() ramp.RolloutStrategy {
		return ramp.RolloutStrategy{ProfileRef: &ramp.ProfileReference{Name: "team"}}
	}
	cases := []struct {
		name string
		ro   *ramp.Rollout
		want bool
	}{
		{"no status.profile", rollout(spec(), "abc", nil), false},
		{"record for the current hash", rollout(spec(), "abc", record("abc", strategy())), true},
		{"record for another hash", rollout(spec(), "abc", record("old", strategy())), false},
		{"record without a strategy", rollout(spec(), "abc", record("abc", nil)), false},
		{"record without a hash, no current hash", rollout(spec(), "", record("", strategy())), false},
		{"record without a hash", rollout(spec(), "abc", record("", strategy())), false},
		{"record with a hash, no current hash yet", rollout(spec(), "", record("abc", strategy())), false},
		{"empty profile strategy counts as a record", rollout(spec(), "abc", record("abc", &ramp.ProfileStrategy{})), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.ro.DeepCopy()
			if got := Recorded(tc.ro); got != tc.want {
				t.Errorf("Recorded = %v, want %v", got, tc.want)
			}
			if !reflect.DeepEqual(tc.ro, before) {
				t.Errorf("Recorded changed the Rollout")
			}
		})
	}
}

func TestOf(t *testing.T) {
	ref := func() *ramp.ProfileReference { return &ramp.ProfileReference{Name: "team"} }
	spec := func() ramp.RolloutStrategy {
		return ramp.RolloutStrategy{ProfileRef: ref(), Canary: &ramp.CanaryStrategy{
			CanaryService: "web-canary", StableService: "web-stable", ScaleDownDelaySeconds: ptr.To[int32](0),
		}}
	}
	recorded := func() *ramp.ProfileStrategy {
		return canaryProfile(ramp.CanaryStrategy{
			Steps:                 steps(setWeight(10), pause("")),
			ScaleDownDelaySeconds: ptr.To[int32](60),
		})
	}
	merged := func() ramp.RolloutStrategy {
		return ramp.RolloutStrategy{ProfileRef: ref(), Canary: &ramp.CanaryStrategy{
			CanaryService: "web-canary", StableService: "web-stable", ScaleDownDelaySeconds: ptr.To[int32](0),
			Steps: steps(setWeight(10), pause("")),
		}}
	}
	cases := []struct {
		name string
		ro   *ramp.Rollout
		want ramp.RolloutStrategy
	}{
		{
			name: "record for the current hash: spec over the record",
			ro:   rollout(spec(), "abc", record("abc", recorded())),
			want: merged(),
		},
		{
			name: "no status.profile: spec alone",
			ro:   rollout(spec(), "abc", nil),
			want: spec(),
		},
		{
			name: "record without a strategy: spec alone",
			ro:   rollout(spec(), "abc", record("abc", nil)),
			want: spec(),
		},
		{
			// Of does not check the hash (Recorded does): a record of an
			// older revision is still laid under spec.strategy.
			name: "record for another hash is still merged",
			ro:   rollout(spec(), "abc", record("old", recorded())),
			want: merged(),
		},
		{
			name: "record without a hash is still merged",
			ro:   rollout(spec(), "", record("", recorded())),
			want: merged(),
		},
		{
			name: "spec names only the profile: the record's strategy",
			ro:   rollout(ramp.RolloutStrategy{ProfileRef: ref()}, "abc", record("abc", recorded())),
			want: ramp.RolloutStrategy{ProfileRef: ref(), Canary: recorded().Canary},
		},
		{
			name: "record of the other kind: spec alone",
			ro: rollout(spec(), "abc", record("abc", blueGreenProfile(ramp.BlueGreenStrategy{
				ScaleDownDelaySeconds: ptr.To[int32](60),
			}))),
			want: spec(),
		},
		{
			name: "blue-green spec over a blue-green record",
			ro: rollout(blueGreen(ramp.BlueGreenStrategy{ActiveService: "web"}), "abc", record("abc", blueGreenProfile(ramp.BlueGreenStrategy{
				AutoPromotionEnabled: ptr.To(false),
			}))),
			want: blueGreen(ramp.BlueGreenStrategy{ActiveService: "web", AutoPromotionEnabled: ptr.To(false)}),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.ro.DeepCopy()
			got := Of(tc.ro)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Of:\n got %s\nwant %s", show(got), show(tc.want))
			}
			if !reflect.DeepEqual(tc.ro, before) {
				t.Errorf("Of changed the Rollout:\n now %s\nwas %s", show(tc.ro), show(before))
			}
			checkNoSharedMemory(t, got, tc.ro)
		})
	}
}

// ---------------------------------------------------------------------------
// Args.

func TestArgs(t *testing.T) {
	cases := []struct {
		name           string
		defaults, own  []ramp.AnalysisRunArgument
		want           []ramp.AnalysisRunArgument
		mayReturnOwn   bool // with no defaults, own itself may come back
		wantNilOrEmpty bool
	}{
		{name: "both nil", wantNilOrEmpty: true, mayReturnOwn: true},
		{name: "both empty", defaults: []ramp.AnalysisRunArgument{}, own: []ramp.AnalysisRunArgument{}, wantNilOrEmpty: true, mayReturnOwn: true},
		{name: "no defaults: own", own: args("a", "1", "b", "2"), want: args("a", "1", "b", "2"), mayReturnOwn: true},
		{name: "empty defaults: own", defaults: []ramp.AnalysisRunArgument{}, own: args("a", "1"), want: args("a", "1"), mayReturnOwn: true},
		{name: "no own: defaults", defaults: args("a", "1", "b", "2"), want: args("a", "1", "b", "2")},
		{name: "empty own: defaults", defaults: args("a", "1"), own: []ramp.AnalysisRunArgument{}, want: args("a", "1")},
		{
			name:     "same name replaced by own",
			defaults: args("service", "default"),
			own:      args("service", "web"),
			want:     args("service", "web"),
		},
		{
			name:     "defaults not overridden first, in their order, then own in its order",
			defaults: args("a", "d1", "b", "d2", "c", "d3", "d", "d4"),
			own:      args("z", "o1", "c", "o2", "a", "o3"),
			want:     args("b", "d2", "d", "d4", "z", "o1", "c", "o2", "a", "o3"),
		},
		{
			name:     "own valueFrom replaces a default value",
			defaults: args("hash", "fixed", "window", "5m"),
			own:      []ramp.AnalysisRunArgument{hashArg("Stable")},
			want:     append(args("window", "5m"), hashArg("Stable")),
		},
		{
			name:     "default valueFrom kept",
			defaults: []ramp.AnalysisRunArgument{hashArg("Latest")},
			own:      args("service", "web"),
			want:     append([]ramp.AnalysisRunArgument{hashArg("Latest")}, args("service", "web")...),
		},
		{
			name:     "all defaults overridden",
			defaults: args("a", "1", "b", "2"),
			own:      args("b", "3", "a", "4"),
			want:     args("b", "3", "a", "4"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defaults := deepCopyArgs(tc.defaults)
			own := deepCopyArgs(tc.own)
			got := Args(tc.defaults, tc.own)
			switch {
			case tc.wantNilOrEmpty:
				if len(got) != 0 {
					t.Errorf("Args = %s, want none", show(got))
				}
			case !reflect.DeepEqual(got, tc.want):
				t.Errorf("Args:\n got %s\nwant %s", show(got), show(tc.want))
			}
			if !reflect.DeepEqual(tc.defaults, defaults) || !reflect.DeepEqual(tc.own, own) {
				t.Errorf("inputs changed: defaults %s, own %s", show(tc.defaults), show(tc.own))
			}
			if !tc.mayReturnOwn {
				checkNoSharedMemory(t, got, tc.defaults, tc.own)
			}
		})
	}
}

func deepCopyArgs(in []ramp.AnalysisRunArgument) []ramp.AnalysisRunArgument {
	if in == nil {
		return nil
	}
	out := make([]ramp.AnalysisRunArgument, len(in))
	for i := range in {
		in[i].DeepCopyInto(&out[i])
	}
	return out
}

// TestEffectiveEmptyListsReplace checks that a list the Rollout writes
// empty replaces the profile's, as lint's merge of the manifests does.
func TestEffectiveEmptyListsReplace(t *testing.T) {
	inline := ramp.RolloutStrategy{Canary: &ramp.CanaryStrategy{
		Steps:    []ramp.CanaryStep{},
		Analysis: &ramp.RolloutAnalysisBackground{RolloutAnalysis: ramp.RolloutAnalysis{Args: []ramp.AnalysisRunArgument{}}},
	}}
	p := &ramp.ProfileStrategy{Canary: &ramp.CanaryStrategy{
		Steps: []ramp.CanaryStep{{SetWeight: ptr.To[int32](10)}},
		Analysis: &ramp.RolloutAnalysisBackground{RolloutAnalysis: ramp.RolloutAnalysis{
			Templates: []ramp.AnalysisTemplateRef{{TemplateName: "error-rate"}},
			Args:      []ramp.AnalysisRunArgument{{Name: "service"}},
		}},
	}}
	got, err := Effective(inline, p)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Canary
	if len(c.Steps) != 0 || len(c.Analysis.Args) != 0 || len(c.Analysis.Templates) != 1 {
		t.Errorf("effective canary %+v: want no steps, no args, the profile's template", c)
	}
}
