package gatewayapi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// wantMirrorRule0 is the mirror rule made from the main rule of
// webRouteYAML for mirrorStep: the rule with its first match narrowed by
// each step match, its filters plus the mirror, its backends and weights.
const wantMirrorRule0 = `
name: ramp-mirror-0
matches:
- path: {type: PathPrefix, value: /shop/cart}
  headers:
  - {type: Exact, name: x-debug, value: "1"}
  method: POST
- path: {type: Exact, value: /api/v2/orders}
filters:
- type: RequestHeaderModifier
  requestHeaderModifier:
    set: [{name: x-via, value: gateway}]
- type: RequestMirror
  requestMirror:
    backendRef: {group: "", kind: Service, name: web-canary, port: 80}
    percent: 25
backendRefs:
- {group: "", kind: Service, name: web-stable, port: 80, weight: %s}
- {group: "", kind: Service, name: web-canary, port: 80, weight: %s}
timeouts: {request: 10s}
`

// wantMirrorRule1 is the mirror rule made from the /api rule: only the
// step match within /api.
const wantMirrorRule1 = `
name: ramp-mirror-1
matches:
- path: {type: Exact, value: /api/v2/orders}
filters:
- type: RequestMirror
  requestMirror:
    backendRef: {group: "", kind: Service, name: web-canary, namespace: shop, port: 8080}
    percent: 25
backendRefs:
- {group: "", kind: Service, name: web-stable, port: 8080, weight: %s}
- {group: "", kind: Service, name: web-canary, namespace: shop, port: 8080, weight: %s}
`

func mirrorStep() *rampv1alpha1.SetMirrorRoute {
	return &rampv1alpha1.SetMirrorRoute{
		Name:       "mirror",
		Percentage: ptr.To[int32](25),
		Match: []rampv1alpha1.RouteMatch{
			{
				Method:  &rampv1alpha1.StringMatch{Exact: ptr.To("POST")},
				Path:    &rampv1alpha1.StringMatch{Prefix: ptr.To("/shop/cart")},
				Headers: map[string]rampv1alpha1.StringMatch{"x-debug": {Exact: ptr.To("1")}},
			},
			{Path: &rampv1alpha1.StringMatch{Exact: ptr.To("/api/v2/orders")}},
		},
	}
}

func withWeights(ruleYAML, stableWeight, canaryWeight string) string {
	return strings.Replace(strings.Replace(ruleYAML, "%s", stableWeight, 1), "%s", canaryWeight, 1)
}

func TestMirrorRoute(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	before := e.userViews()
	mustChange(t, "SetWeight(10)", true, func() (bool, error) { return e.router.SetWeight(ctx, 10) })

	mustChange(t, "SetMirrorRoute", true, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mirrorStep()) })
	web := e.http("web")
	if got, want := ruleNames(web.Spec.Rules), []string{"ramp-mirror-0", "ramp-mirror-1", "admin", "main", ""}; !slices.Equal(got, want) {
		t.Fatalf("HTTPRoute rules = %v, want %v", got, want)
	}
	assertRule(t, web.Spec.Rules[0], withWeights(wantMirrorRule0, "90", "10"))
	assertRule(t, web.Spec.Rules[1], withWeights(wantMirrorRule1, "90", "10"))
	if got := ruleNames(e.grpc().Spec.Rules); !slices.Equal(got, []string{""}) {
		t.Fatalf("GRPCRoute got a mirror rule: %v", got)
	}
	n := e.writes()
	mustChange(t, "SetMirrorRoute again", false, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mirrorStep()) })
	if e.writes() != n {
		t.Fatalf("a second identical SetMirrorRoute wrote %d patches", e.writes()-n)
	}

	// The mirror rules carry the split like the rules they copy.
	mustChange(t, "SetWeight(50)", true, func() (bool, error) { return e.router.SetWeight(ctx, 50) })
	web = e.http("web")
	assertRule(t, web.Spec.Rules[0], withWeights(wantMirrorRule0, "50", "50"))
	assertRule(t, web.Spec.Rules[1], withWeights(wantMirrorRule1, "50", "50"))
	mustChange(t, "SetMirrorRoute after SetWeight", false, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mirrorStep()) })

	// Without percentage everything matching is mirrored.
	step := mirrorStep()
	step.Percentage = nil
	mustChange(t, "SetMirrorRoute without percentage", true, func() (bool, error) { return e.router.SetMirrorRoute(ctx, step) })
	for _, f := range e.http("web").Spec.Rules[0].Filters {
		if f.RequestMirror != nil && ptr.Deref(f.RequestMirror.Percent, -1) != 100 {
			t.Fatalf("mirror percent = %v, want 100", f.RequestMirror.Percent)
		}
	}

	mustChange(t, "SetMirrorRoute without match", true, func() (bool, error) {
		return e.router.SetMirrorRoute(ctx, &rampv1alpha1.SetMirrorRoute{Name: "mirror"})
	})
	if got := ruleNames(e.http("web").Spec.Rules); !slices.Equal(got, []string{"admin", "main", ""}) {
		t.Fatalf("HTTPRoute rules after removal = %v", got)
	}
	e.checkUserFields(before)
}

func TestMirrorRouteErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		match rampv1alpha1.RouteMatch
		want  string
	}{
		{"method by prefix", rampv1alpha1.RouteMatch{Method: &rampv1alpha1.StringMatch{Prefix: ptr.To("P")}}, "matches a method exactly"},
		{"unknown method", rampv1alpha1.RouteMatch{Method: &rampv1alpha1.StringMatch{Exact: ptr.To("get")}}, "matches a method exactly"},
		{"path outside every rule", rampv1alpha1.RouteMatch{Path: &rampv1alpha1.StringMatch{Regex: ptr.To("/x.*")}}, "no weighted rule of the routes takes the requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			route := webRoute(t)
			route.Spec.Rules[1].Matches = route.Spec.Rules[1].Matches[1:] // main takes /shop only
			e := newEnv(t, routing(), route, grpcRoute(t))
			_, err := e.router.SetMirrorRoute(ctx, &rampv1alpha1.SetMirrorRoute{Name: "mirror", Match: []rampv1alpha1.RouteMatch{tc.match}})
			if !trafficrouting.IsRouteError(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want a RouteError saying %q", err, tc.want)
			}
			if e.writes() != 0 {
				t.Fatalf("wrote %d patches", e.writes())
			}
		})
	}
}

func TestNarrow(t *testing.T) {
	prefix := func(p string) *gatewayv1.HTTPPathMatch {
		return &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(p)}
	}
	get := gatewayv1.HTTPMethodGet
	for _, tc := range []struct {
		name   string
		base   gatewayv1.HTTPRouteMatch
		match  rampv1alpha1.RouteMatch
		wantOK bool
	}{
		{"no path in rule", gatewayv1.HTTPRouteMatch{}, rampv1alpha1.RouteMatch{Path: &rampv1alpha1.StringMatch{Regex: ptr.To(".*")}}, true},
		{"prefix / takes all", gatewayv1.HTTPRouteMatch{Path: prefix("/")}, rampv1alpha1.RouteMatch{Path: &rampv1alpha1.StringMatch{Exact: ptr.To("/a")}}, true},
		{"sub path", gatewayv1.HTTPRouteMatch{Path: prefix("/api")}, rampv1alpha1.RouteMatch{Path: &rampv1alpha1.StringMatch{Prefix: ptr.To("/api/v2")}}, true},
		{"same prefix with slash", gatewayv1.HTTPRouteMatch{Path: prefix("/api/")}, rampv1alpha1.RouteMatch{Path: &rampv1alpha1.StringMatch{Exact: ptr.To("/api")}}, true},
		{"not a path element", gatewayv1.HTTPRouteMatch{Path: prefix("/api")}, rampv1alpha1.RouteMatch{Path: &rampv1alpha1.StringMatch{Prefix: ptr.To("/apiv2")}}, false},
		{"regex under a prefix", gatewayv1.HTTPRouteMatch{Path: prefix("/api")}, rampv1alpha1.RouteMatch{Path: &rampv1alpha1.StringMatch{Regex: ptr.To("/api/.*")}}, false},
		{"same method", gatewayv1.HTTPRouteMatch{Method: &get}, rampv1alpha1.RouteMatch{Method: &rampv1alpha1.StringMatch{Exact: ptr.To("GET")}}, true},
		{"other method", gatewayv1.HTTPRouteMatch{Method: &get}, rampv1alpha1.RouteMatch{Method: &rampv1alpha1.StringMatch{Exact: ptr.To("POST")}}, false},
		{"other header value", gatewayv1.HTTPRouteMatch{Headers: []gatewayv1.HTTPHeaderMatch{{Name: "x-a", Value: "1"}}},
			rampv1alpha1.RouteMatch{Headers: map[string]rampv1alpha1.StringMatch{"X-A": {Exact: ptr.To("2")}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ok, err := narrow(tc.base, tc.match)
			if err != nil || ok != tc.wantOK {
				t.Fatalf("narrow = ok %v, err %v; want ok %v", ok, err, tc.wantOK)
			}
		})
	}
}
