package gatewayapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

func headerStep(match ...rampv1alpha1.HeaderRoutingMatch) *rampv1alpha1.SetHeaderRoute {
	return &rampv1alpha1.SetHeaderRoute{Name: "header", Match: match}
}

func exactHeader(name, value string) rampv1alpha1.HeaderRoutingMatch {
	return rampv1alpha1.HeaderRoutingMatch{HeaderName: name, HeaderValue: rampv1alpha1.StringMatch{Exact: ptr.To(value)}}
}

// wantHeaderRule0 is the header rule made from the main rule of
// webRouteYAML for the step of TestHeaderRoute: its matches with the
// conditions added, its filters and timeouts, the canary alone.
const wantHeaderRule0 = `
name: ramp-header-0
matches:
- path: {type: PathPrefix, value: /}
  headers:
  - {type: Exact, name: x-canary, value: "yes"}
  - {type: RegularExpression, name: x-user, value: '^beta\.1.*'}
  - {type: RegularExpression, name: x-region, value: 'eu-(west|north)'}
- path: {type: PathPrefix, value: /shop}
  headers:
  - {type: Exact, name: x-tenant, value: acme}
  - {type: Exact, name: x-canary, value: "yes"}
  - {type: RegularExpression, name: x-user, value: '^beta\.1.*'}
  - {type: RegularExpression, name: x-region, value: 'eu-(west|north)'}
filters:
- type: RequestHeaderModifier
  requestHeaderModifier:
    set: [{name: x-via, value: gateway}]
backendRefs:
- {group: "", kind: Service, name: web-canary, port: 80, weight: 1}
timeouts: {request: 10s}
`

// wantGRPCHeaderRule0 is the header rule made from the GRPCRoute's rule.
const wantGRPCHeaderRule0 = `
name: ramp-header-0
matches:
- method: {type: Exact, service: shop.Cart}
  headers:
  - {type: Exact, name: x-canary, value: "yes"}
  - {type: RegularExpression, name: x-user, value: '^beta\.1.*'}
  - {type: RegularExpression, name: x-region, value: 'eu-(west|north)'}
backendRefs:
- {group: "", kind: Service, name: web-canary, port: 9090, weight: 1}
`

func TestHeaderRoute(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	before := e.userViews()
	step := headerStep(
		exactHeader("x-canary", "yes"),
		rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-user", HeaderValue: rampv1alpha1.StringMatch{Prefix: ptr.To("beta.1")}},
		rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-region", HeaderValue: rampv1alpha1.StringMatch{Regex: ptr.To("eu-(west|north)")}},
	)

	mustChange(t, "SetHeaderRoute", true, func() (bool, error) { return e.router.SetHeaderRoute(ctx, step) })
	web := e.http("web")
	if got, want := ruleNames(web.Spec.Rules), []string{"ramp-header-0", "ramp-header-1", "admin", "main", ""}; !slices.Equal(got, want) {
		t.Fatalf("HTTPRoute rules = %v, want %v", got, want)
	}
	assertRule(t, web.Spec.Rules[0], wantHeaderRule0)
	if got, want := weights(httpRefs(web.Spec.Rules[1])), []string{"web-canary=1"}; !slices.Equal(got, want) {
		t.Errorf("rule for /api sends to %v, want %v", got, want)
	}
	if got := *web.Spec.Rules[1].BackendRefs[0].Port; got != 8080 {
		t.Errorf("rule for /api sends to port %d, want the weighted rule's 8080", got)
	}
	grpc := e.grpc()
	if got, want := ruleNames(grpc.Spec.Rules), []string{"ramp-header-0", ""}; !slices.Equal(got, want) {
		t.Fatalf("GRPCRoute rules = %v, want %v", got, want)
	}
	assertRule(t, grpc.Spec.Rules[0], wantGRPCHeaderRule0)

	n := e.writes()
	mustChange(t, "SetHeaderRoute again", false, func() (bool, error) { return e.router.SetHeaderRoute(ctx, step) })
	if e.writes() != n {
		t.Fatalf("a second identical SetHeaderRoute wrote %d patches", e.writes()-n)
	}

	// Weights move in the user's rules; the header rules keep the canary
	// alone.
	mustChange(t, "SetWeight(30)", true, func() (bool, error) { return e.router.SetWeight(ctx, 30) })
	web = e.http("web")
	if got, want := weights(httpRefs(web.Spec.Rules[3])), []string{"web-stable=70", "web-canary=30"}; !slices.Equal(got, want) {
		t.Errorf("main rule weights = %v, want %v", got, want)
	}
	assertRule(t, web.Spec.Rules[0], wantHeaderRule0)
	mustChange(t, "SetHeaderRoute after SetWeight", false, func() (bool, error) { return e.router.SetHeaderRoute(ctx, step) })

	// A changed match updates the rules in place.
	mustChange(t, "SetHeaderRoute with another match", true, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, headerStep(exactHeader("x-canary", "always")))
	})
	web = e.http("web")
	if got, want := ruleNames(web.Spec.Rules), []string{"ramp-header-0", "ramp-header-1", "admin", "main", ""}; !slices.Equal(got, want) {
		t.Fatalf("HTTPRoute rules after the change = %v, want %v", got, want)
	}
	if h := web.Spec.Rules[0].Matches[0].Headers; len(h) != 1 || h[0].Value != "always" {
		t.Fatalf("header rule after the change matches %+v, want x-canary: always alone", h)
	}

	// Without a match the rules go.
	mustChange(t, "SetHeaderRoute without match", true, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, &rampv1alpha1.SetHeaderRoute{Name: "header"})
	})
	if got, want := ruleNames(e.http("web").Spec.Rules), []string{"admin", "main", ""}; !slices.Equal(got, want) {
		t.Fatalf("HTTPRoute rules after removal = %v, want %v", got, want)
	}
	if got := ruleNames(e.grpc().Spec.Rules); !slices.Equal(got, []string{""}) {
		t.Fatalf("GRPCRoute rules after removal = %v", got)
	}
	mustChange(t, "SetHeaderRoute without match again", false, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, &rampv1alpha1.SetHeaderRoute{Name: "header"})
	})

	e.checkUserFields(before)
}

func TestHeaderRouteSkipsRoutesWithoutHeaderRoutes(t *testing.T) {
	ctx := context.Background()
	rt := routing()
	rt.GatewayAPI.HTTPRoutes[0].UseHeaderRoutes = ptr.To(false)
	e := newEnv(t, rt, webRoute(t), grpcRoute(t))
	mustChange(t, "SetHeaderRoute", true, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, headerStep(exactHeader("x-canary", "yes")))
	})
	if got := ruleNames(e.http("web").Spec.Rules); !slices.Equal(got, []string{"admin", "main", ""}) {
		t.Fatalf("HTTPRoute with useHeaderRoutes: false got rules %v", got)
	}
	if got := ruleNames(e.grpc().Spec.Rules); !slices.Equal(got, []string{"ramp-header-0", ""}) {
		t.Fatalf("GRPCRoute rules = %v", got)
	}
}

func TestHeaderRouteErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		step *rampv1alpha1.SetHeaderRoute
		want string
	}{
		{"same header twice", headerStep(exactHeader("x-a", "1"), exactHeader("X-A", "2")), `header "X-A" is already matched`},
		{"no string match", headerStep(rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-a"}), "set one of exact, prefix or regex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
			_, err := e.router.SetHeaderRoute(ctx, tc.step)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one saying %q", err, tc.want)
			}
			if e.writes() != 0 {
				t.Fatalf("wrote %d patches", e.writes())
			}
		})
	}
}

// TestHeaderRouteHeaderTheRuleMatches checks a step on a header that a
// match of the user's rule requires: the same condition is kept once, and
// another condition leaves that match out (the rule does not carry those
// requests), or is a RouteError when nothing is left anywhere.
func TestHeaderRouteHeaderTheRuleMatches(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	mustChange(t, "SetHeaderRoute on the rule's own header", true, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, headerStep(exactHeader("x-tenant", "acme")))
	})
	if h := e.http("web").Spec.Rules[0].Matches[1].Headers; len(h) != 1 {
		t.Fatalf("headers = %+v, want x-tenant once", h)
	}

	mustChange(t, "SetHeaderRoute on the rule's header with another value", true, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, headerStep(exactHeader("X-Tenant", "other")))
	})
	if m := e.http("web").Spec.Rules[0].Matches; len(m) != 1 || *m[0].Path.Value != "/" {
		t.Fatalf("matches = %+v, want the / match alone", m)
	}

	grpc := grpcRoute(t)
	grpc.Spec.Rules[0].Matches[0].Headers = []gatewayv1.GRPCHeaderMatch{{Name: "x-tenant", Value: "acme"}}
	rt := routing()
	rt.GatewayAPI.HTTPRoutes = nil
	e = newEnv(t, rt, grpc)
	_, err := e.router.SetHeaderRoute(ctx, headerStep(exactHeader("x-tenant", "other")))
	if !trafficrouting.IsRouteError(err) || !strings.Contains(err.Error(), "no weighted rule of the routes takes the requests") {
		t.Fatalf("error = %v, want a RouteError saying no rule takes the requests", err)
	}
	if e.writes() != 0 {
		t.Fatalf("wrote %d patches", e.writes())
	}
}

// assertRule compares a rule read back with the YAML of the rule wanted.
func assertRule(t *testing.T, got any, wantYAML string) {
	t.Helper()
	var want any
	switch got.(type) {
	case gatewayv1.HTTPRouteRule:
		var r gatewayv1.HTTPRouteRule
		if err := yaml.UnmarshalStrict([]byte(wantYAML), &r); err != nil {
			t.Fatalf("wanted rule: %v", err)
		}
		want = r
	case gatewayv1.GRPCRouteRule:
		var r gatewayv1.GRPCRouteRule
		if err := yaml.UnmarshalStrict([]byte(wantYAML), &r); err != nil {
			t.Fatalf("wanted rule: %v", err)
		}
		want = r
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("rule =\n%s\nwant\n%s", gotJSON, wantJSON)
	}
}
