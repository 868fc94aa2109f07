package routing

import (
	"fmt"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// webHTTPRoute is the user's HTTPRoute web: a rule of its own for /admin,
// and the rule main that splits / between web-stable and web-canary, with
// a filter, a timeout, hostnames, a parent, labels and annotations that
// Ramp must leave as they are.
const webHTTPRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  labels: {team: shop}
  annotations: {shop.example/owner: web-team}
spec:
  parentRefs: [{name: shop-gateway, sectionName: https}]
  hostnames: [shop.example]
  rules:
  - name: admin
    matches: [{path: {type: PathPrefix, value: /admin}}]
    backendRefs: [{name: admin, port: 80}]
  - name: main
    matches: [{path: {type: PathPrefix, value: /}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: x-shop, value: web}]}
    timeouts: {request: 10s}
    backendRefs:
    - {name: web-stable, port: 80, weight: 100}
    - {name: web-canary, port: 80, weight: 0}
`

// gatewayRouting routes through the HTTPRoute web, with the managed routes
// beta (header) and shadow (mirror).
func gatewayRouting() *rampv1alpha1.RolloutTrafficRouting {
	return &rampv1alpha1.RolloutTrafficRouting{
		GatewayAPI:    &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "web"}}},
		ManagedRoutes: []rampv1alpha1.ManagedRoute{{Name: "beta"}, {Name: "shadow"}},
	}
}

// routedSteps are three weights, each held by a pause, with a header route
// and a mirror route from the first on.
func routedSteps() []rampv1alpha1.CanaryStep {
	return []rampv1alpha1.CanaryStep{
		framework.SetWeight(25),
		{SetHeaderRoute: &rampv1alpha1.SetHeaderRoute{Name: "beta", Match: []rampv1alpha1.HeaderRoutingMatch{
			{HeaderName: "x-beta", HeaderValue: rampv1alpha1.StringMatch{Exact: ptr.To("yes")}},
		}}},
		{SetMirrorRoute: &rampv1alpha1.SetMirrorRoute{Name: "shadow", Percentage: ptr.To[int32](50), Match: []rampv1alpha1.RouteMatch{
			{Path: &rampv1alpha1.StringMatch{Prefix: ptr.To("/api")}},
		}}},
		framework.Pause(),
		framework.SetWeight(50),
		framework.Pause(),
		framework.SetWeight(75),
		framework.Pause(),
	}
}

// The pause steps of routedSteps and the weight each holds.
var routedPauses = []struct{ index, weight, canaryPods int32 }{
	{3, 25, 1},
	{5, 50, 2},
	{7, 75, 3},
}

// TestGatewayAPICanary walks a canary over an HTTPRoute: at every pause the
// rule main splits as the step says, the canary ReplicaSet runs
// ceil(weight × 4 / 100) pods beside a full stable one, Ramp's header and
// mirror rules come first, and every field of the user's is as it was.
// At promotion the traffic goes all to the new version before the old
// ReplicaSet scales down, and Ramp's rules go. An abort sends the weight
// back to 0 at once and removes Ramp's rules; the canary scales down after
// abortScaleDownDelaySeconds.
func TestGatewayAPICanary(t *testing.T) {
	f := newFixture(t, webHTTPRoute, "admin")
	routes, sets := f.followHTTPRoute()

	route := f.object(httpRouteKind, "web")
	before := userView(t, route, isServiceBackend, []string{"spec", "rules"})
	f.start(f.rollout(gatewayRouting(), routedSteps()...))
	if got := f.object(httpRouteKind, "web"); got.GetResourceVersion() != route.GetResourceVersion() {
		t.Errorf("the first revision wrote to the HTTPRoute that already sent everything to web-stable:\nbefore %v\nafter  %v",
			route.Object["spec"], got.Object["spec"])
	}
	v1 := f.ro.Status.StableRS
	if v1 == "" {
		v1 = framework.Get(t, f.k8s, f.key(), &rampv1alpha1.Rollout{}).Status.StableRS
	}

	v2 := f.update("v2")
	for i, p := range routedPauses {
		ro := f.waitPausedAt(p.index)
		got := f.object(httpRouteKind, "web")
		if s := httpRouteSplit(got, "main"); s != (split{100 - int64(p.weight), int64(p.weight)}) {
			t.Errorf("pause %d: rule main splits %v, want canary %d", i+1, s, p.weight)
		}
		if m := managed(t, "HTTPRoute web", items(got.Object, "spec", "rules")); !slices.Equal(m, []string{"ramp-beta-0", "ramp-shadow-0"}) {
			t.Errorf("pause %d: Ramp's rules are %v, want [ramp-beta-0 ramp-shadow-0]", i+1, m)
		}
		checkManagedRules(t, got, p.weight)
		if after := userView(t, got, isServiceBackend, []string{"spec", "rules"}); after != before {
			t.Errorf("pause %d: the user's fields of the HTTPRoute changed:\nbefore %s\nafter  %s", i+1, before, after)
		}
		if n := f.replicas(v2); n != p.canaryPods {
			t.Errorf("pause %d: the canary ReplicaSet asks for %d pods, want %d", i+1, n, p.canaryPods)
		}
		if n := f.replicas(v1); n != 4 {
			t.Errorf("pause %d: the stable ReplicaSet asks for %d pods, want 4", i+1, n)
		}
		w := ro.Status.Canary.Weights
		if w == nil || w.Canary.Weight != p.weight || w.Stable.Weight != 100-p.weight || w.Canary.PodTemplateHash != v2 || w.Stable.PodTemplateHash != v1 {
			t.Errorf("pause %d: status.canary.weights = %+v, want canary %d (%s) and stable %d (%s)", i+1, w, p.weight, v2, 100-p.weight, v1)
		}
		if !slices.Equal(ro.Status.Canary.HeaderRoutes, []string{"beta"}) || !slices.Equal(ro.Status.Canary.MirrorRoutes, []string{"shadow"}) {
			t.Errorf("pause %d: status.canary header routes %v, mirror routes %v; want [beta] and [shadow]",
				i+1, ro.Status.Canary.HeaderRoutes, ro.Status.Canary.MirrorRoutes)
		}
		f.promote()
	}

	f.waitRollout("the update to be promoted and Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.StableRS == v2 && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	framework.WaitServiceSelects(t, f.k8s, f.ns, stableService, v2, waitTimeout)
	checkGatewayReset(t, f, "after promotion", before)
	framework.WaitReplicaSet(t, f.k8s, f.ns, rolloutName, v1, waitTimeout, "the old stable ReplicaSet to scale down after the delay", framework.ReplicaSetAt(0))
	all, _ := routes.first("web", func(s string) bool { return s == split{0, 100}.String() })
	old := framework.ReplicaSetName(rolloutName, v1)
	up, _ := sets.first(old, func(s string) bool { return s == "replicas 4" })
	down, _ := sets.firstAfter(old, up, func(s string) bool { return s != "replicas 4" })
	if all == 0 || down == 0 || all > down {
		t.Errorf("the old version scaled down (revision %d) before all traffic went to the new one (revision %d);\nroutes:%s\nreplica sets:%s",
			down, all, routes.String(), sets.String())
	}
	want := []string{"stable 100 / canary 0", "stable 75 / canary 25", "stable 50 / canary 50", "stable 25 / canary 75",
		"stable 0 / canary 100", "stable 100 / canary 0"}
	if got := routes.states("web"); !slices.Equal(got, want) {
		t.Errorf("the split of rule main went through %q, want %q", got, want)
	}

	// An abort at the first pause.
	v3 := f.update("v3")
	f.waitPausedAt(3)
	framework.MergePatchStatus(t, f.k8s, f.ro, `{"status":{"abort":true,"abortedBy":"e2e test"}}`)
	f.waitRollout("the abort to be Degraded", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded && r.Status.Canary.Weights != nil && r.Status.Canary.Weights.Canary.Weight == 0
	})
	checkGatewayReset(t, f, "after the abort", before)
	framework.WaitReplicaSet(t, f.k8s, f.ns, rolloutName, v3, waitTimeout, "the aborted canary to scale down after the delay", framework.ReplicaSetAt(0))
	checkWeightFirst(t, routes, sets, "web", v3)
}

// checkGatewayReset checks the HTTPRoute web once all traffic is back on
// web-stable: rule main sends it all there, Ramp's rules are gone, and the
// user's fields are as they were (before).
func checkGatewayReset(t *testing.T, f *fixture, what, before string) {
	t.Helper()
	got := f.object(httpRouteKind, "web")
	if s := httpRouteSplit(got, "main"); s != (split{100, 0}) {
		t.Errorf("%s: rule main splits %v, want all to web-stable", what, s)
	}
	if m := managed(t, "HTTPRoute web", items(got.Object, "spec", "rules")); len(m) > 0 {
		t.Errorf("%s: Ramp's rules %v are still there", what, m)
	}
	if after := userView(t, got, isServiceBackend, []string{"spec", "rules"}); after != before {
		t.Errorf("%s: the user's fields of the HTTPRoute changed:\nbefore %s\nafter  %s", what, before, after)
	}
}

// checkWeightFirst checks that the canary ReplicaSet of hash began to
// scale down only after the route, which had sent it traffic, sent it none.
func checkWeightFirst(t *testing.T, routes, sets *history, route, hash string) {
	t.Helper()
	rs := framework.ReplicaSetName(rolloutName, hash)
	var size int64
	up, _ := sets.first(rs, func(s string) bool {
		_, err := fmt.Sscanf(s, "replicas %d", &size)
		return err == nil && size > 0
	})
	down, _ := sets.firstAfter(rs, up, func(s string) bool {
		var n int64
		_, err := fmt.Sscanf(s, "replicas %d", &n)
		return err == nil && n < size
	})
	none := split{100, 0}.String()
	sent, _ := routes.firstAfter(route, up, func(s string) bool { return s != none })
	zero, _ := routes.firstAfter(route, sent, func(s string) bool { return s == none })
	if up == 0 || sent == 0 || down == 0 || zero == 0 || zero > down {
		t.Errorf("the canary %s began to scale down (revision %d) before the route sent it no traffic (revision %d);\nroutes:%s\nreplica sets:%s",
			rs, down, zero, routes.String(), sets.String())
	}
}

// checkManagedRules checks Ramp's rules at a pause of weight: the header
// rule sends x-beta: yes under / to web-canary alone, keeping the rule's
// filter; the mirror rule copies /api to web-canary for half the requests
// and splits them as rule main does.
func checkManagedRules(t *testing.T, route *unstructured.Unstructured, w int32) {
	t.Helper()
	rules := items(route.Object, "spec", "rules")
	beta := named(rules, "ramp-beta-0")
	backends := items(beta, "backendRefs")
	if len(backends) != 1 || backends[0]["name"] != canaryService {
		t.Errorf("rule ramp-beta-0 sends to %v, want web-canary alone", names(backends))
	}
	matches := items(beta, "matches")
	if len(matches) != 1 || fmt.Sprint(matches[0]["headers"]) != "[map[name:x-beta type:Exact value:yes]]" {
		t.Errorf("rule ramp-beta-0 matches %v, want the header x-beta: yes", matches)
	}
	if filters := items(beta, "filters"); len(filters) != 1 || filters[0]["type"] != "RequestHeaderModifier" {
		t.Errorf("rule ramp-beta-0 has filters %v, want main's RequestHeaderModifier", filters)
	}
	shadow := named(rules, "ramp-shadow-0")
	if s := httpRouteSplit(route, "ramp-shadow-0"); s != (split{100 - int64(w), int64(w)}) {
		t.Errorf("rule ramp-shadow-0 splits %v, want as main", s)
	}
	var mirror map[string]any
	for _, fl := range items(shadow, "filters") {
		if fl["type"] == "RequestMirror" {
			mirror, _ = fl["requestMirror"].(map[string]any)
		}
	}
	name, _, _ := unstructured.NestedString(mirror, "backendRef", "name")
	percent, _, _ := unstructured.NestedInt64(mirror, "percent")
	if name != canaryService || percent != 50 {
		t.Errorf("rule ramp-shadow-0 mirrors to %q %d%%, want web-canary 50%% (filters %v)", name, percent, items(shadow, "filters"))
	}
	if matches := items(shadow, "matches"); len(matches) != 1 {
		t.Errorf("rule ramp-shadow-0 has matches %v, want one for /api", matches)
	} else if path, _, _ := unstructured.NestedString(matches[0], "path", "value"); path != "/api" {
		t.Errorf("rule ramp-shadow-0 matches path %q, want /api", path)
	}
}
