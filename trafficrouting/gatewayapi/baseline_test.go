package gatewayapi

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// baselineRoutes are the fixtures with the baseline Service in every
// weighted rule.
func baselineRoutes(t *testing.T) []client.Object {
	return []client.Object{
		decode(t, baselineYAML(webRouteYAML), &gatewayv1.HTTPRoute{}),
		decode(t, baselineYAML(grpcRouteYAML), &gatewayv1.GRPCRoute{}),
	}
}

// rampPath is a path Ramp may write in SetWeight: a backendRef's weight,
// besides the resourceVersion precondition.
var rampPath = regexp.MustCompile(`^(/metadata/resourceVersion|/spec/rules/\d+/backendRefs/\d+/weight)$`)

// TestSetWeightWithBaseline walks a canary with a baseline Service through
// its weights, the baseline starting and stopping, and checks each rule's
// three weights, one write per route per call and only Ramp's paths in
// it, no write when nothing changes, and the user's fields.
func TestSetWeightWithBaseline(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), baselineRoutes(t)...).withBaseline(false)
	before := e.userViews()

	for _, s := range []struct {
		name   string
		active bool
		weight int32
		want   []string // weights of stable, canary and baseline in every weighted rule
	}{
		{"25, baseline not running", false, 25, []string{"web-stable=75", "web-canary=25", "web-baseline=0"}},
		{"25, baseline running", true, 25, []string{"web-stable=50", "web-canary=25", "web-baseline=25"}},
		{"60, baseline running", true, 60, []string{"web-stable=0", "web-canary=60", "web-baseline=40"}},
		{"60, baseline stopped", false, 60, []string{"web-stable=40", "web-canary=60", "web-baseline=0"}},
	} {
		e.withBaseline(s.active)
		n := len(e.patches)
		mustChange(t, s.name, true, func() (bool, error) { return e.router.SetWeight(ctx, s.weight) })
		written := map[string]int{}
		for _, p := range e.patches[n:] {
			written[p.route]++
			var ops []patchOp
			if err := json.Unmarshal(p.data, &ops); err != nil {
				t.Fatal(err)
			}
			for _, op := range ops {
				if !rampPath.MatchString(op.Path) {
					t.Errorf("%s: patch of %s writes %s, which is not Ramp's", s.name, p.route, op.Path)
				}
			}
		}
		if want := map[string]int{"web": 1, "grpc": 1}; !maps.Equal(written, want) {
			t.Errorf("%s: patches per route = %v, want %v", s.name, written, want)
		}
		web := e.http("web")
		for _, i := range []int{1, 2} {
			if got := weights(httpRefs(web.Spec.Rules[i])); !slices.Equal(got, s.want) {
				t.Errorf("%s: HTTPRoute rule %d weights = %v, want %v", s.name, i, got, s.want)
			}
		}
		if got := weights(grpcRefs(e.grpc().Spec.Rules[0])); !slices.Equal(got, s.want) {
			t.Errorf("%s: GRPCRoute weights = %v, want %v", s.name, got, s.want)
		}
		if got := weights(httpRefs(web.Spec.Rules[0])); !slices.Equal(got, []string{"admin=-"}) {
			t.Errorf("%s: admin rule weights = %v, want untouched", s.name, got)
		}

		n = e.writes()
		mustChange(t, s.name+" again", false, func() (bool, error) { return e.router.SetWeight(ctx, s.weight) })
		if e.writes() != n {
			t.Errorf("%s: a second identical SetWeight wrote %d patches", s.name, e.writes()-n)
		}
	}
	e.checkUserFields(before)
}

// TestMirrorRuleWithBaseline: a mirror rule copies the baseline backendRef
// with the rule, and SetWeight keeps its three weights with the rule's.
func TestMirrorRuleWithBaseline(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), baselineRoutes(t)...).withBaseline(true)
	mustChange(t, "SetWeight(10)", true, func() (bool, error) { return e.router.SetWeight(ctx, 10) })
	mustChange(t, "SetMirrorRoute", true, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mirrorStep()) })
	mustChange(t, "SetWeight(30)", true, func() (bool, error) { return e.router.SetWeight(ctx, 30) })
	web := e.http("web")
	want := []string{"web-stable=40", "web-canary=30", "web-baseline=30"}
	for _, i := range []int{0, 1, 3, 4} { // ramp-mirror-0, ramp-mirror-1, main, /api
		if got := weights(httpRefs(web.Spec.Rules[i])); !slices.Equal(got, want) {
			t.Errorf("rule %d (%s) weights = %v, want %v", i, ptrOr(web.Spec.Rules[i].Name), got, want)
		}
	}
}

// TestBaselineRouteErrors: with a baselineService, a weighted rule without
// the baseline Service (or with it twice) stops every method before any
// write, and the message says which rule and what to add.
func TestBaselineRouteErrors(t *testing.T) {
	withoutBaseline := func(rule int) func(t *testing.T) []client.Object {
		return func(t *testing.T) []client.Object {
			objs := baselineRoutes(t)
			r := objs[0].(*gatewayv1.HTTPRoute)
			r.Spec.Rules[rule].BackendRefs = slices.DeleteFunc(r.Spec.Rules[rule].BackendRefs,
				func(b gatewayv1.HTTPBackendRef) bool { return b.Name == baseline })
			return objs
		}
	}
	tests := []struct {
		name string
		objs func(t *testing.T) []client.Object
		want string
	}{
		{"named rule without the baseline", withoutBaseline(1),
			`rule "main" lists web-stable and web-canary but not the baseline Service web-baseline; add it as a backendRef with weight 0`},
		{"unnamed rule without the baseline", withoutBaseline(2),
			`rule 2 lists web-stable and web-canary but not the baseline Service web-baseline; add it as a backendRef with weight 0`},
		{"no rule has the baseline", func(t *testing.T) []client.Object { return []client.Object{webRoute(t), grpcRoute(t)} },
			`rule "main" lists web-stable and web-canary but not the baseline Service web-baseline`},
		{"baseline twice", func(t *testing.T) []client.Object {
			objs := baselineRoutes(t)
			r := objs[0].(*gatewayv1.HTTPRoute)
			r.Spec.Rules[1].BackendRefs = append(r.Spec.Rules[1].BackendRefs, r.Spec.Rules[1].BackendRefs[2])
			return objs
		}, "rule 1 lists Service web-baseline twice"},
	}
	header := &rampv1alpha1.SetHeaderRoute{Name: "header", Match: []rampv1alpha1.HeaderRoutingMatch{
		{HeaderName: "x-canary", HeaderValue: rampv1alpha1.StringMatch{Exact: ptr.To("yes")}},
	}}
	ops := map[string]func(ctx context.Context, r trafficrouting.Router) (bool, error){
		"Check":          func(ctx context.Context, r trafficrouting.Router) (bool, error) { return false, r.Check(ctx) },
		"SetWeight":      func(ctx context.Context, r trafficrouting.Router) (bool, error) { return r.SetWeight(ctx, 25) },
		"SetHeaderRoute": func(ctx context.Context, r trafficrouting.Router) (bool, error) { return r.SetHeaderRoute(ctx, header) },
	}
	for _, tc := range tests {
		for opName, op := range ops {
			t.Run(tc.name+"/"+opName, func(t *testing.T) {
				e := newEnv(t, routing(), tc.objs(t)...).withBaseline(true)
				changed, err := op(context.Background(), e.router)
				var re *trafficrouting.RouteError
				if !errors.As(err, &re) {
					t.Fatalf("error = %v, want a RouteError", err)
				}
				if re.Kind != "HTTPRoute" || re.Name != "web" {
					t.Errorf("RouteError names %s %s, want HTTPRoute web", re.Kind, re.Name)
				}
				if !strings.Contains(re.Message, tc.want) {
					t.Errorf("message %q does not say %q", re.Message, tc.want)
				}
				if changed || e.writes() != 0 {
					t.Fatalf("changed = %v and %d patches written; want nothing written", changed, e.writes())
				}
			})
		}
	}
}

// TestBaselineBackendWithoutBaselineService: a backendRef that happens to
// be named like a baseline Service is the user's when the Rollout has no
// baselineService: its weight stays as it is.
func TestBaselineBackendWithoutBaselineService(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), baselineRoutes(t)...)
	if err := e.router.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	mustChange(t, "SetWeight(25)", true, func() (bool, error) { return e.router.SetWeight(ctx, 25) })
	if got, want := weights(httpRefs(e.http("web").Spec.Rules[2])), []string{"web-stable=75", "web-canary=25", "web-baseline=-"}; !slices.Equal(got, want) {
		t.Fatalf("/api rule weights = %v, want %v", got, want)
	}
}
