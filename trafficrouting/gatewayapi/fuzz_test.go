package gatewayapi

import (
	"errors"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// fuzzRef makes a backendRef from a fuzz byte: one of the Rollout's
// Services (written the short way or in full), or a backend that only
// looks like one (another namespace, kind or group), or another Service.
func fuzzRef(b byte) gatewayv1.BackendRef {
	ref := gatewayv1.BackendRef{}
	names := []string{stable, canary, baseline, "admin"}
	ref.Name = gatewayv1.ObjectName(names[int(b)%len(names)])
	switch b / 4 % 6 {
	case 1:
		ref.Kind = ptr.To(gatewayv1.Kind("Service"))
		ref.Group = ptr.To(gatewayv1.Group(""))
		ref.Namespace = ptr.To(gatewayv1.Namespace(testNS))
	case 2:
		ref.Namespace = ptr.To(gatewayv1.Namespace("other"))
	case 3:
		ref.Kind = ptr.To(gatewayv1.Kind("ServiceImport"))
	case 4:
		ref.Group = ptr.To(gatewayv1.Group("multicluster.x-k8s.io"))
	}
	return ref
}

// fuzzRoute decodes the rules of a route from fuzz bytes, two a
// backendRef (which, and its weight: 255 leaves it unset); a byte of 254
// first starts a new rule, named as one Ramp adds when the next byte is
// odd.
func fuzzRoute(data []byte) *route {
	r := &route{routeRef: routeRef{kind: kindHTTPRoute, name: "web", headerRoutes: true}}
	rule := -1
	for len(data) >= 2 && len(r.rules) <= maxRules {
		if rule < 0 || data[0] == 254 {
			name := ""
			if data[1]%2 == 1 {
				name = managedRuleName("header", len(r.rules))
			}
			r.rules = append(r.rules, ruleView{name: name})
			rule = len(r.rules) - 1
			if data[0] == 254 {
				data = data[2:]
				continue
			}
		}
		ref := fuzzRef(data[0])
		if data[1] != 255 {
			ref.Weight = ptr.To(int32(data[1]))
		}
		r.rules[rule].refs = append(r.rules[rule].refs, ref)
		data = data[2:]
	}
	return r
}

// encodeRules is the inverse of fuzzRoute for the seeds: each rule a list
// of (backendRef byte, weight byte) pairs.
func encodeRules(rules ...[]byte) []byte {
	var out []byte
	for _, r := range rules {
		out = append(out, 254, 0)
		out = append(out, r...)
	}
	return out
}

// FuzzWeightOps splits the traffic of arbitrary routes at any weight and
// checks the JSON patch SetWeight would write: it touches only the
// weights of the Rollout's Services' backendRefs in the rules that hold
// both, never writes a negative weight or one over 100, leaves each such
// rule's Services with 100 in all (unset weights counting as 1), gives
// the canary the weight asked, and once applied needs no further write.
func FuzzWeightOps(f *testing.F) {
	// The routes of TestSetWeightSteps (a rule without the Services, a
	// rule at 100/0, a rule with the weights unset) and of the baseline
	// tests, at the weights they set.
	const (
		refStable, refCanary, refBaseline, refAdmin = 0, 1, 2, 3
		full                                        = 4 // the Services written in full
		unset                                       = 255
	)
	web := encodeRules(
		[]byte{refAdmin, unset},
		[]byte{refStable, 100, refCanary, 0},
		[]byte{refStable + full, unset, refCanary + full, unset},
	)
	for _, w := range []int32{0, 10, 50, 100} {
		f.Add(web, w, false, false)
	}
	withBaseline := encodeRules([]byte{refStable, 80, refCanary, 10, refBaseline, 10})
	f.Add(withBaseline, int32(10), true, true)
	f.Add(withBaseline, int32(60), true, true)
	f.Add(withBaseline, int32(60), true, false)
	f.Add(encodeRules([]byte{refStable, 100, refCanary, 0}), int32(30), true, true)
	f.Add(encodeRules([]byte{refStable, 100, refCanary, 0, refStable + 2*full, 5}), int32(-1), false, false)
	f.Add(encodeRules([]byte{refStable, 100, refCanary, 0, refCanary, 0}), int32(101), false, false)
	f.Add(append(encodeRules([]byte{refStable, 90, refCanary, 10}), 254, 1, refStable, 0, refCanary, 100), int32(20), false, false)

	f.Fuzz(func(t *testing.T, data []byte, weight int32, hasBaseline, baselineActive bool) {
		cfg := trafficrouting.Config{
			Rollout:       &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: testNS}},
			StableService: stable, CanaryService: canary, BaselineActive: baselineActive,
		}
		if hasBaseline {
			cfg.BaselineService = baseline
		}
		rt := &router{cfg: cfg}
		r := fuzzRoute(data)
		ws, err := rt.split(r, true)
		if err != nil {
			var re *trafficrouting.RouteError
			if !errors.As(err, &re) || re.Kind != kindHTTPRoute || re.Name != "web" || re.Message == "" {
				t.Fatalf("a route the weights cannot be split on gave %v, want a RouteError about HTTPRoute web", err)
			}
			return
		}
		wantStable, wantCanary, wantBaseline := cfg.Weights(weight)
		ops := map[string]bool{}
		for _, w := range ws {
			owned := map[int]bool{w.stable: true, w.canary: true}
			if w.baseline >= 0 {
				owned[w.baseline] = true
			}
			if len(owned) != 2+btoi(w.baseline >= 0) {
				t.Fatalf("rule %d: one backendRef taken for two Services: %+v", w.rule, w)
			}
			refs := r.rules[w.rule].refs
			for _, op := range rt.weightOps(r, w, weight) {
				if ops[op.Path] {
					t.Fatalf("weight %s written twice", op.Path)
				}
				ops[op.Path] = true
				j := -1
				for k := range refs {
					if op.Path == weightPath(w.rule, k) {
						j = k
					}
				}
				if op.Op != "add" || j < 0 || !owned[j] {
					t.Fatalf("rule %d: %s %s is not the weight of one of the Rollout's Services", w.rule, op.Op, op.Path)
				}
				v, ok := op.Value.(int32)
				if !ok || v < 0 || v > 100 {
					t.Fatalf("rule %d: writes weight %v (%T) to backendRef %d", w.rule, op.Value, op.Value, j)
				}
				refs[j].Weight = ptr.To(v)
			}
			got := func(j int) int32 { return ptr.Deref(refs[j].Weight, 1) }
			sum := got(w.stable) + got(w.canary)
			stableShare := wantStable
			if w.baseline >= 0 {
				sum += got(w.baseline)
				if got(w.baseline) != wantBaseline {
					t.Fatalf("rule %d: baseline weight %d, want %d", w.rule, got(w.baseline), wantBaseline)
				}
			} else {
				stableShare += wantBaseline
			}
			if sum != 100 || got(w.canary) != wantCanary || got(w.stable) != stableShare {
				t.Fatalf("rule %d at weight %d: stable %d, canary %d (sum with the baseline %d), want stable %d, canary %d, sum 100",
					w.rule, weight, got(w.stable), got(w.canary), sum, stableShare, wantCanary)
			}
			if again := rt.weightOps(r, w, weight); len(again) > 0 {
				t.Fatalf("rule %d: after the patch, the same weight writes again: %v", w.rule, fmt.Sprint(again))
			}
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
