package gatewayapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// TestManagedRouteOrder checks that managed rules go before the user's, in
// the order of managedRoutes whatever the order of the steps, and that
// RemoveManagedRoutes removes them all, Ramp's rules of any name included.
func TestManagedRouteOrder(t *testing.T) {
	ctx := context.Background()
	route := webRoute(t)
	// A rule left by a managed route no longer declared.
	stale := *route.Spec.Rules[0].DeepCopy()
	stale.Name = ptr.To(gatewayv1.SectionName("ramp-old-0"))
	route.Spec.Rules = append(route.Spec.Rules, stale)
	e := newEnv(t, routing(), route, grpcRoute(t))
	before := userView(t, e.http("web"))

	mustChange(t, "SetMirrorRoute", true, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mirrorStep()) })
	mustChange(t, "SetHeaderRoute", true, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, headerStep(exactHeader("x-canary", "yes")))
	})
	want := []string{"ramp-header-0", "ramp-header-1", "ramp-mirror-0", "ramp-mirror-1", "ramp-old-0", "admin", "main", ""}
	if got := ruleNames(e.http("web").Spec.Rules); !slices.Equal(got, want) {
		t.Fatalf("rules = %v, want %v", got, want)
	}
	if after := userView(t, e.http("web")); after != before {
		t.Errorf("user's HTTPRoute fields changed by the managed routes:\nbefore %s\nafter  %s", before, after)
	}
	n := e.writes()
	mustChange(t, "SetMirrorRoute again", false, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mirrorStep()) })
	mustChange(t, "SetHeaderRoute again", false, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, headerStep(exactHeader("x-canary", "yes")))
	})
	if e.writes() != n {
		t.Fatalf("repeated steps wrote %d patches", e.writes()-n)
	}

	// A rule of the user's put before Ramp's: Ramp's move back to the front,
	// the user's rule stays as it is.
	web := e.http("web")
	userFirst := *web.Spec.Rules[5].DeepCopy()
	userFirst.Name = ptr.To(gatewayv1.SectionName("first"))
	web.Spec.Rules = append([]gatewayv1.HTTPRouteRule{userFirst}, web.Spec.Rules...)
	if err := e.base.Update(ctx, web); err != nil {
		t.Fatal(err)
	}
	before = userView(t, e.http("web"))
	mustChange(t, "SetHeaderRoute after the user's edit", true, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, headerStep(exactHeader("x-canary", "yes")))
	})
	want = append(want[:5:5], "first", "admin", "main", "")
	if got := ruleNames(e.http("web").Spec.Rules); !slices.Equal(got, want) {
		t.Fatalf("rules = %v, want %v", got, want)
	}

	mustChange(t, "RemoveManagedRoutes", true, func() (bool, error) { return e.router.RemoveManagedRoutes(ctx) })
	if got := ruleNames(e.http("web").Spec.Rules); !slices.Equal(got, []string{"first", "admin", "main", ""}) {
		t.Fatalf("rules after RemoveManagedRoutes = %v", got)
	}
	if got := ruleNames(e.grpc().Spec.Rules); !slices.Equal(got, []string{""}) {
		t.Fatalf("GRPCRoute rules after RemoveManagedRoutes = %v", got)
	}
	mustChange(t, "RemoveManagedRoutes again", false, func() (bool, error) { return e.router.RemoveManagedRoutes(ctx) })
	if after := userView(t, e.http("web")); after != before {
		t.Errorf("user's HTTPRoute fields changed:\nbefore %s\nafter  %s", before, after)
	}
}

// TestRuleLimit checks that managed rules that would take a route past
// Gateway API's 16 rules are a RouteError, and nothing is written.
func TestRuleLimit(t *testing.T) {
	route := webRoute(t)
	for i := len(route.Spec.Rules); i < 15; i++ {
		r := *route.Spec.Rules[0].DeepCopy()
		r.Name = ptr.To(gatewayv1.SectionName(fmt.Sprintf("extra-%d", i)))
		route.Spec.Rules = append(route.Spec.Rules, r)
	}
	e := newEnv(t, routing(), route, grpcRoute(t))
	_, err := e.router.SetHeaderRoute(context.Background(), headerStep(exactHeader("x-canary", "yes")))
	var re *trafficrouting.RouteError
	if !errors.As(err, &re) || re.Kind != "HTTPRoute" || re.Name != "web" ||
		!strings.Contains(re.Message, "17 rules") || !strings.Contains(re.Message, "holds at most 16") {
		t.Fatalf("error = %v, want a RouteError on HTTPRoute web saying 17 rules and at most 16", err)
	}
	if e.writes() != 0 {
		t.Fatalf("wrote %d patches (the GRPCRoute must not be written either)", e.writes())
	}
}

// TestUnknownFieldsKept replays the patches written to a route onto the
// route as stored with fields the Go types do not know: they stay as they
// were, and the rest ends as the fake API server has it.
func TestUnknownFieldsKept(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	stored := e.http("web")
	raw := mustJSON(t, stored)
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.(map[string]any)
	spec := m["spec"].(map[string]any)
	unknown := map[string]any{
		"spec":                  map[string]any{"vendorPolicy": map[string]any{"mode": "strict", "ids": []any{"a", "b"}}},
		"main rule":             map[string]any{"retryBudget": map[string]any{"percent": "20"}},
		"stable backendRef":     map[string]any{"zone": "eu-1"},
		"main rule's 1st match": map[string]any{"cookies": []any{map[string]any{"name": "c", "value": "v"}}},
	}
	rules := spec["rules"].([]any)
	main := rules[1].(map[string]any)
	spec["x-vendor"] = unknown["spec"]
	main["x-rule"] = unknown["main rule"]
	main["backendRefs"].([]any)[0].(map[string]any)["x-ref"] = unknown["stable backendRef"]
	main["matches"].([]any)[0].(map[string]any)["x-match"] = unknown["main rule's 1st match"]

	steps := []func() (bool, error){
		func() (bool, error) { return e.router.SetWeight(ctx, 20) },
		func() (bool, error) { return e.router.SetHeaderRoute(ctx, headerStep(exactHeader("x-canary", "yes"))) },
		func() (bool, error) { return e.router.SetMirrorRoute(ctx, mirrorStep()) },
		func() (bool, error) { return e.router.SetWeight(ctx, 60) },
		func() (bool, error) {
			return e.router.SetHeaderRoute(ctx, &rampv1alpha1.SetHeaderRoute{Name: "header"})
		},
		func() (bool, error) { return e.router.SetWeight(ctx, 100) },
		func() (bool, error) { return e.router.RemoveManagedRoutes(ctx) },
	}
	for i, step := range steps {
		if _, err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	for _, p := range e.patches {
		if p.route != "web" {
			continue
		}
		var err error
		if doc, err = applyPatch(doc, p.data); err != nil {
			t.Fatalf("apply %s: %v", p.data, err)
		}
		doc.(map[string]any)["metadata"].(map[string]any)["resourceVersion"] = p.rv
	}

	spec = doc.(map[string]any)["spec"].(map[string]any)
	main = spec["rules"].([]any)[1].(map[string]any)
	for what, got := range map[string]any{
		"spec":                  spec["x-vendor"],
		"main rule":             main["x-rule"],
		"stable backendRef":     main["backendRefs"].([]any)[0].(map[string]any)["x-ref"],
		"main rule's 1st match": main["matches"].([]any)[0].(map[string]any)["x-match"],
	} {
		if string(mustJSON(t, got)) != string(mustJSON(t, unknown[what])) {
			t.Errorf("unknown field of the %s = %s, want %s", what, mustJSON(t, got), mustJSON(t, unknown[what]))
		}
	}
	delete(spec, "x-vendor")
	delete(main, "x-rule")
	delete(main["backendRefs"].([]any)[0].(map[string]any), "x-ref")
	delete(main["matches"].([]any)[0].(map[string]any), "x-match")
	var final any
	if err := json.Unmarshal(mustJSON(t, e.http("web")), &final); err != nil {
		t.Fatal(err)
	}
	if got, want := string(mustJSON(t, doc)), string(mustJSON(t, final)); got != want {
		t.Errorf("replayed route differs from the stored one:\nreplayed %s\nstored   %s", got, want)
	}
	if got := weights(httpRefs(e.http("web").Spec.Rules[1])); !slices.Equal(got, []string{"web-stable=0", "web-canary=100"}) {
		t.Errorf("weights = %v", got)
	}
}

func TestOwnerOf(t *testing.T) {
	for _, tc := range []struct {
		rule, owner string
		ok          bool
	}{
		{"ramp-header-0", "header", true},
		{"ramp-a-0-12", "a-0", true},
		{"ramp-header", "", false},
		{"ramp-header-", "", false},
		{"ramp-header-x1", "", false},
		{"ramp--1", "", false},
	} {
		owner, ok := ownerOf(tc.rule)
		if owner != tc.owner || ok != tc.ok {
			t.Errorf("ownerOf(%q) = %q, %v; want %q, %v", tc.rule, owner, ok, tc.owner, tc.ok)
		}
	}
}

func TestSameRuleFillsDefaults(t *testing.T) {
	bare := gatewayv1.HTTPRouteRule{
		BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: canary}}}},
		Matches:     []gatewayv1.HTTPRouteMatch{{Headers: []gatewayv1.HTTPHeaderMatch{{Name: "x", Value: "1"}}}},
	}
	if !sameRule(bare, withDefaults(bare)) {
		t.Fatal("a rule and the same rule with the API server's defaults compare different")
	}
	other := *bare.DeepCopy()
	other.BackendRefs[0].Weight = ptr.To[int32](2)
	if sameRule(bare, other) {
		t.Fatal("rules with different weights compare the same")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
