package routing

import (
	"fmt"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// webIstio is the user's VirtualService web, which splits its route
// primary between the subsets stable and canary of the DestinationRule web
// (and has a route admin of its own), and that DestinationRule, whose
// subsets select app=web until Ramp adds the pod template hash. Their
// hosts, gateways, retries, timeouts, traffic policy and metadata are the
// user's.
const webIstio = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  labels: {team: shop}
  annotations: {shop.example/owner: web-team}
spec:
  hosts: [shop.example]
  gateways: [shop-gateway]
  http:
  - name: admin
    match: [{uri: {prefix: /admin}}]
    route: [{destination: {host: admin}}]
  - name: primary
    match: [{uri: {prefix: /}}]
    retries: {attempts: 3, perTryTimeout: 2s}
    timeout: 10s
    route:
    - {destination: {host: web, subset: stable}, weight: 100}
    - {destination: {host: web, subset: canary}, weight: 0}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: web
  annotations: {shop.example/owner: web-team}
spec:
  host: web
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
  subsets:
  - name: stable
    labels: {app: web}
  - name: canary
    labels: {app: web}
    trafficPolicy: {connectionPool: {http: {http1MaxPendingRequests: 10}}}
`

// istioRouting splits by subset through the VirtualService web's route
// primary and the DestinationRule web, with the managed routes beta and
// shadow.
func istioRouting() *rampv1alpha1.RolloutTrafficRouting {
	return &rampv1alpha1.RolloutTrafficRouting{
		Istio: &rampv1alpha1.IstioTrafficRouting{
			VirtualServices: []rampv1alpha1.IstioVirtualService{{Name: "web", Routes: []string{"primary"}}},
			DestinationRule: &rampv1alpha1.IstioDestinationRule{Name: "web", StableSubsetName: "stable", CanarySubsetName: "canary"},
		},
		ManagedRoutes: []rampv1alpha1.ManagedRoute{{Name: "beta"}, {Name: "shadow"}},
	}
}

// TestIstioCanary walks a canary over a VirtualService and a
// DestinationRule: at every pause the route primary splits as the step
// says between the subsets, the subsets select the stable and the canary
// pod template hash, Ramp's header and mirror routes come first, and every
// field of the user's is as it was. After promotion both subsets select
// the new version, which gets all the traffic, and Ramp's routes are gone;
// after an abort the weight is back to 0 and Ramp's routes are gone.
func TestIstioCanary(t *testing.T) {
	f := newFixture(t, webIstio, "web", "admin")
	routes, sets := f.follow(virtualServiceKind, func(u *unstructured.Unstructured) split { return virtualServiceSplit(u, "primary") })
	subsets := &history{}
	subsets.follow(t, f.k8s, f.ns, listOf(destinationRuleKind), func(o client.Object) string {
		stable, _, _ := unstructured.NestedString(named(items(o.(*unstructured.Unstructured).Object, "spec", "subsets"), "stable"),
			"labels", rampv1alpha1.LabelPodTemplateHash)
		return "stable subset " + stable
	})
	vsLists := [][]string{{"spec", "http"}}
	beforeVS := userView(t, f.object(virtualServiceKind, "web"), isSubsetDestination, vsLists...)
	beforeDR := userView(t, f.object(destinationRuleKind, "web"), isSubsetDestination)

	f.start(f.rollout(istioRouting(), routedSteps()...))
	v1 := framework.Get(t, f.k8s, f.key(), &rampv1alpha1.Rollout{}).Status.StableRS
	checkSubsets(t, "the first revision", f.object(destinationRuleKind, "web"), v1, v1)

	v2 := f.update("v2")
	for i, p := range routedPauses {
		f.waitPausedAt(p.index)
		what := fmt.Sprintf("pause %d", i+1)
		vs := f.object(virtualServiceKind, "web")
		if s := virtualServiceSplit(vs, "primary"); s != (split{100 - int64(p.weight), int64(p.weight)}) {
			t.Errorf("%s: route primary splits %v, want canary %d", what, s, p.weight)
		}
		if m := managed(t, "VirtualService web", items(vs.Object, "spec", "http")); !slices.Equal(m, []string{"ramp-beta", "ramp-shadow"}) {
			t.Errorf("%s: Ramp's routes are %v, want [ramp-beta ramp-shadow]", what, m)
		}
		checkManagedRoutes(t, what, vs, p.weight)
		checkSubsets(t, what, f.object(destinationRuleKind, "web"), v1, v2)
		if after := userView(t, vs, isSubsetDestination, vsLists...); after != beforeVS {
			t.Errorf("%s: the user's fields of the VirtualService changed:\nbefore %s\nafter  %s", what, beforeVS, after)
		}
		if after := userView(t, f.object(destinationRuleKind, "web"), isSubsetDestination); after != beforeDR {
			t.Errorf("%s: the user's fields of the DestinationRule changed:\nbefore %s\nafter  %s", what, beforeDR, after)
		}
		if n := f.replicas(v2); n != p.canaryPods {
			t.Errorf("%s: the canary ReplicaSet asks for %d pods, want %d", what, n, p.canaryPods)
		}
		f.promote()
	}

	f.waitRollout("the update to be promoted and Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.StableRS == v2 && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	checkIstioReset(t, f, "after promotion", beforeVS, beforeDR, v2, v2)
	// At promotion the stable subset selects the new version before the
	// route sends it all the traffic again: no request goes back to v1.
	all, _ := routes.first("web", func(s string) bool { return s == split{0, 100}.String() })
	back, _ := routes.firstAfter("web", all, func(s string) bool { return s == split{100, 0}.String() })
	relabeled, _ := subsets.first("web", func(s string) bool { return s == "stable subset "+v2 })
	if all == 0 || back == 0 || relabeled == 0 || relabeled > back {
		t.Errorf("at promotion the route sent the traffic back to the stable subset (revision %d) before it selected %s (revision %d);\nroutes:%s\nsubsets:%s",
			back, v2, relabeled, routes, subsets)
	}
	framework.WaitReplicaSet(t, f.k8s, f.ns, rolloutName, v1, waitTimeout, "the old stable ReplicaSet to scale down after the delay", framework.ReplicaSetAt(0))

	v3 := f.update("v3")
	f.waitPausedAt(3)
	checkSubsets(t, "the third revision's first pause", f.object(destinationRuleKind, "web"), v2, v3)
	framework.MergePatchStatus(t, f.k8s, f.ro, `{"status":{"abort":true,"abortedBy":"e2e test"}}`)
	f.waitRollout("the abort to be Degraded", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded && r.Status.Canary.Weights != nil && r.Status.Canary.Weights.Canary.Weight == 0
	})
	checkIstioReset(t, f, "after the abort", beforeVS, beforeDR, v2, v3)
	framework.WaitReplicaSet(t, f.k8s, f.ns, rolloutName, v3, waitTimeout, "the aborted canary to scale down after the delay", framework.ReplicaSetAt(0))
	checkWeightFirst(t, routes, sets, "web", v3)
}

// checkIstioReset checks the Istio objects once all traffic is back on the
// stable subset: the route primary sends it all there, Ramp's routes are
// gone, the subsets select stable and canary, and the user's fields are as
// they were.
func checkIstioReset(t *testing.T, f *fixture, what, beforeVS, beforeDR, stable, canary string) {
	t.Helper()
	vs := f.object(virtualServiceKind, "web")
	if s := virtualServiceSplit(vs, "primary"); s != (split{100, 0}) {
		t.Errorf("%s: route primary splits %v, want all to the stable subset", what, s)
	}
	if m := managed(t, "VirtualService web", items(vs.Object, "spec", "http")); len(m) > 0 {
		t.Errorf("%s: Ramp's routes %v are still there", what, m)
	}
	dr := f.object(destinationRuleKind, "web")
	checkSubsets(t, what, dr, stable, canary)
	if after := userView(t, vs, isSubsetDestination, []string{"spec", "http"}); after != beforeVS {
		t.Errorf("%s: the user's fields of the VirtualService changed:\nbefore %s\nafter  %s", what, beforeVS, after)
	}
	if after := userView(t, dr, isSubsetDestination); after != beforeDR {
		t.Errorf("%s: the user's fields of the DestinationRule changed:\nbefore %s\nafter  %s", what, beforeDR, after)
	}
}

// checkSubsets checks the pod template hash the stable and canary subsets
// of a DestinationRule select.
func checkSubsets(t *testing.T, what string, dr *unstructured.Unstructured, stable, canary string) {
	t.Helper()
	subsets := items(dr.Object, "spec", "subsets")
	for _, want := range []struct{ subset, hash string }{{"stable", stable}, {"canary", canary}} {
		got, _, _ := unstructured.NestedString(named(subsets, want.subset), "labels", rampv1alpha1.LabelPodTemplateHash)
		if got != want.hash {
			t.Errorf("%s: subset %s selects %s=%q, want %q", what, want.subset, rampv1alpha1.LabelPodTemplateHash, got, want.hash)
		}
	}
}

// checkManagedRoutes checks Ramp's routes at a pause of weight: ramp-beta
// sends x-beta: yes to the canary subset; ramp-shadow splits /api as
// primary does and mirrors half of it to the canary subset.
func checkManagedRoutes(t *testing.T, what string, vs *unstructured.Unstructured, w int32) {
	t.Helper()
	http := items(vs.Object, "spec", "http")
	beta := named(http, "ramp-beta")
	dests := items(beta, "route")
	subset, _, _ := unstructured.NestedString(firstOf(dests), "destination", "subset")
	if len(dests) != 1 || subset != "canary" {
		t.Errorf("%s: route ramp-beta sends to %v, want the canary subset alone", what, dests)
	}
	header, _, _ := unstructured.NestedString(firstOf(items(beta, "match")), "headers", "x-beta", "exact")
	if header != "yes" {
		t.Errorf("%s: route ramp-beta matches %v, want the header x-beta: yes", what, beta["match"])
	}
	if s := virtualServiceSplit(vs, "ramp-shadow"); s != (split{100 - int64(w), int64(w)}) {
		t.Errorf("%s: route ramp-shadow splits %v, want as primary", what, s)
	}
	shadow := named(http, "ramp-shadow")
	mirror, _, _ := unstructured.NestedString(shadow, "mirror", "subset")
	// A JSON number: int64 when whole, float64 otherwise.
	percent, _, _ := unstructured.NestedFieldNoCopy(shadow, "mirrorPercentage", "value")
	uri, _, _ := unstructured.NestedString(firstOf(items(shadow, "match")), "uri", "prefix")
	if mirror != "canary" || fmt.Sprint(percent) != "50" || uri != "/api" {
		t.Errorf("%s: route ramp-shadow mirrors %q to subset %q at %v%%, want /api to canary at 50%%", what, uri, mirror, percent)
	}
}
