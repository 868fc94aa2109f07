package routing

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestAnalysisFailureSendsTrafficBack runs an analysis step at 50% over an
// HTTPRoute whose metric fails: the Rollout aborts naming the metric, the
// route sends everything back to web-stable, and only after that does the
// canary ReplicaSet begin to scale down.
func TestAnalysisFailureSendsTrafficBack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"errorRate": 0.3}`))
	}))
	t.Cleanup(srv.Close)

	f := newFixture(t, webHTTPRoute, "admin")
	framework.Create(t, f.k8s, &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "error-rate"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: []rampv1alpha1.Metric{{
			Name:             "error-rate",
			SuccessCondition: "result < 0.05",
			Provider:         rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: srv.URL, JSONPath: "{.errorRate}"}},
		}}},
	})
	routes, sets := f.followHTTPRoute()

	routing := gatewayRouting()
	routing.ManagedRoutes = nil
	f.start(f.rollout(routing,
		framework.SetWeight(50),
		rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{
			Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}},
		}},
		framework.Pause(),
	))
	v2 := f.update("v2")
	ro := f.waitRollout("the failed analysis to abort the update", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Abort && r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded &&
			r.Status.Canary.Weights != nil && r.Status.Canary.Weights.Canary.Weight == 0
	})
	if !strings.Contains(ro.Status.Message, "error-rate") || !strings.Contains(ro.Status.Message, "0.3") {
		t.Errorf("the Rollout's message %q does not name the metric and its value", ro.Status.Message)
	}
	if s := httpRouteSplit(f.object(httpRouteKind, "web"), "main"); s != (split{100, 0}) {
		t.Errorf("after the abort rule main splits %v, want all to web-stable", s)
	}
	framework.WaitReplicaSet(t, f.k8s, f.ns, rolloutName, v2, waitTimeout, "the aborted canary to scale down", framework.ReplicaSetAt(0))
	checkWeightFirst(t, routes, sets, "web", v2)
}

// TestRouteErrors names routes that cannot carry the split: the Rollout
// stalls with reason RouteError and a message naming the route and what it
// lacks, and writes nothing to any route, not even to the ones that are
// fine but need a write (their split was left at 90/10). Once the route is
// fixed, the Rollout goes on by itself (its watch of the route reconciles
// it) and every route sends all traffic to web-stable.
func TestRouteErrors(t *testing.T) {
	// A route that is fine but needs a write: its split was left at 90/10.
	leftover := strings.NewReplacer("weight: 100}", "weight: 90}", "weight: 0}", "weight: 10}")
	withoutCanary := strings.Replace(webIstio, "    - {destination: {host: web, subset: canary}, weight: 0}\n", "", 1)
	tests := []struct {
		name      string
		manifests string
		routing   *rampv1alpha1.RolloutTrafficRouting
		// want are parts of the stall message.
		want []string
		// fix creates or fixes the bad route.
		fix func(t *testing.T, f *fixture)
		// check checks that every route sends everything to the stable
		// version once fixed.
		check func(t *testing.T, f *fixture)
	}{{
		name:      "missing HTTPRoute",
		manifests: leftover.Replace(webHTTPRoute),
		routing: &rampv1alpha1.RolloutTrafficRouting{GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{
			HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "web"}, {Name: "web-internal"}},
		}},
		want: []string{"spec.strategy.canary.trafficRouting.gatewayAPI", `HTTPRoute "web-internal"`, "not found in namespace"},
		fix: func(t *testing.T, f *fixture) {
			f.create(strings.Replace(webHTTPRoute, "name: web\n", "name: web-internal\n", 1))
		},
		check: func(t *testing.T, f *fixture) {
			for _, name := range []string{"web", "web-internal"} {
				if s := httpRouteSplit(f.object(httpRouteKind, name), "main"); s != (split{100, 0}) {
					t.Errorf("HTTPRoute %s splits %v once fixed, want all to web-stable", name, s)
				}
			}
		},
	}, {
		name:      "VirtualService route without the canary, beside an HTTPRoute",
		manifests: withoutCanary + "---\n" + leftover.Replace(strings.Replace(webHTTPRoute, "name: web\n", "name: web-edge\n", 1)),
		routing: &rampv1alpha1.RolloutTrafficRouting{
			GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "web-edge"}}},
			Istio:      istioRouting().Istio,
		},
		want: []string{"spec.strategy.canary.trafficRouting.istio", `VirtualService "web"`, `http route "primary"`, "subset canary"},
		fix: func(t *testing.T, f *fixture) {
			objs, err := framework.DecodeYAML([]byte(webIstio))
			if err != nil {
				t.Fatal(err)
			}
			framework.Update(t, f.k8s, f.object(virtualServiceKind, "web"), func(u *unstructured.Unstructured) {
				u.Object["spec"] = objs[0].Object["spec"]
			})
		},
		check: func(t *testing.T, f *fixture) {
			if s := httpRouteSplit(f.object(httpRouteKind, "web-edge"), "main"); s != (split{100, 0}) {
				t.Errorf("HTTPRoute web-edge splits %v once fixed, want all to web-stable", s)
			}
			if s := virtualServiceSplit(f.object(virtualServiceKind, "web"), "primary"); s != (split{100, 0}) {
				t.Errorf("VirtualService web splits %v once fixed, want all to the stable subset", s)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.manifests, "web", "admin")
			rvs := map[string]string{}
			for _, kind := range []schema.GroupVersionKind{httpRouteKind, virtualServiceKind, destinationRuleKind} {
				for _, o := range framework.List(t, f.k8s, listOf(kind), client.InNamespace(f.ns)).Items {
					rvs[kind.Kind+"/"+o.GetName()] = o.GetResourceVersion()
				}
			}
			f.ro = f.rollout(tc.routing, framework.SetWeight(50), framework.Pause())
			framework.Create(t, f.k8s, f.ro)
			ro := f.waitRollout("the Rollout to stall on the route", func(r *rampv1alpha1.Rollout) bool {
				c := meta.FindStatusCondition(r.Status.Conditions, rampv1alpha1.ConditionStalled)
				return c != nil && c.Status == metav1.ConditionTrue && c.Reason == rampv1alpha1.ReasonRouteError
			})
			msg := meta.FindStatusCondition(ro.Status.Conditions, rampv1alpha1.ConditionStalled).Message
			for _, part := range tc.want {
				if !strings.Contains(msg, part) {
					t.Errorf("the Stalled message %q does not say %q", msg, part)
				}
			}
			for _, kind := range []schema.GroupVersionKind{httpRouteKind, virtualServiceKind, destinationRuleKind} {
				for _, o := range framework.List(t, f.k8s, listOf(kind), client.InNamespace(f.ns)).Items {
					if rv := rvs[kind.Kind+"/"+o.GetName()]; rv != o.GetResourceVersion() {
						t.Errorf("%s %s was written (resourceVersion %s, then %s) while another route was bad",
							kind.Kind, o.GetName(), rv, o.GetResourceVersion())
					}
				}
			}

			tc.fix(t, f)
			f.waitRollout("the Rollout to go on once the route is fixed", func(r *rampv1alpha1.Rollout) bool {
				return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy &&
					!meta.IsStatusConditionTrue(r.Status.Conditions, rampv1alpha1.ConditionStalled)
			})
			tc.check(t, f)
		})
	}
}

// TestDriftIsCorrected edits the weights Ramp set while the Rollout waits
// at a pause: the controller sets them back once, with a TrafficDrift
// event, and the user's own edits in the same write (an annotation) stay.
func TestDriftIsCorrected(t *testing.T) {
	f := newFixture(t, webHTTPRoute, "admin")
	routing := gatewayRouting()
	routing.ManagedRoutes = nil
	f.start(f.rollout(routing, framework.SetWeight(30), framework.Pause()))
	f.update("v2")
	f.waitPausedAt(1)

	route := f.object(httpRouteKind, "web")
	framework.Update(t, f.k8s, route, func(u *unstructured.Unstructured) {
		u.SetAnnotations(map[string]string{"shop.example/owner": "web-team", "edited": "by hand"})
		for _, b := range items(named(items(u.Object, "spec", "rules"), "main"), "backendRefs") {
			b["weight"] = int64(50)
		}
	})
	framework.WaitFor(t, f.k8s, client.ObjectKeyFromObject(route), newObject(httpRouteKind), waitTimeout,
		"the split to be set back to 70/30", func(u *unstructured.Unstructured) (bool, string) {
			s := httpRouteSplit(u, "main")
			return s == split{70, 30}, s.String()
		})
	evs := framework.WaitEvents(t, f.k8s, f.ro, "TrafficDrift", waitTimeout, "a TrafficDrift event",
		func(evs []eventsv1.Event) (bool, string) { return len(evs) > 0, fmt.Sprintf("%d events", len(evs)) })
	if !strings.Contains(evs[0].Note, "30%") {
		t.Errorf("the TrafficDrift event says %q, want the weight set back", evs[0].Note)
	}
	if got := f.object(httpRouteKind, "web").GetAnnotations()["edited"]; got != "by hand" {
		t.Errorf("the user's annotation is %q after the correction, want it kept", got)
	}
	if n := len(framework.ListEvents(t, f.k8s, f.ro, "TrafficDrift")); n != 1 {
		t.Errorf("%d TrafficDrift events for one edit, want 1", n)
	}
}

// TestCanaryScale checks the pod counts of a routed canary that the weight
// does not decide alone: setCanaryScale runs 3 canary pods at 10% of the
// traffic, then matchTrafficWeight gives back ceil(50 × 4 / 100) = 2 at 50%;
// with dynamicStableScale the stable version shrinks by the weight set on
// the route, and on an abort it is back at full size before the route sends
// it all the traffic again.
func TestCanaryScale(t *testing.T) {
	t.Run("setCanaryScale", func(t *testing.T) {
		f := newFixture(t, webHTTPRoute, "admin")
		routing := gatewayRouting()
		routing.ManagedRoutes = nil
		f.start(f.rollout(routing,
			rampv1alpha1.CanaryStep{SetCanaryScale: &rampv1alpha1.SetCanaryScale{Replicas: ptr.To[int32](3)}},
			framework.SetWeight(10), framework.Pause(),
			rampv1alpha1.CanaryStep{SetCanaryScale: &rampv1alpha1.SetCanaryScale{MatchTrafficWeight: true}},
			framework.SetWeight(50), framework.Pause(),
		))
		v1 := framework.Get(t, f.k8s, f.key(), &rampv1alpha1.Rollout{}).Status.StableRS
		v2 := f.update("v2")
		for _, p := range []struct{ index, weight, canary int32 }{{2, 10, 3}, {5, 50, 2}} {
			f.waitPausedAt(p.index)
			if s := httpRouteSplit(f.object(httpRouteKind, "web"), "main"); s != (split{100 - int64(p.weight), int64(p.weight)}) {
				t.Errorf("step %d: rule main splits %v, want canary %d", p.index, s, p.weight)
			}
			if n := f.replicas(v2); n != p.canary {
				t.Errorf("step %d: the canary asks for %d pods, want %d", p.index, n, p.canary)
			}
			if n := f.replicas(v1); n != 4 {
				t.Errorf("step %d: the stable version asks for %d pods, want 4", p.index, n)
			}
			f.promote()
		}
		f.waitRollout("the update to be promoted", func(r *rampv1alpha1.Rollout) bool {
			return r.Status.StableRS == v2 && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
		})
	})
	t.Run("dynamicStableScale", func(t *testing.T) {
		f := newFixture(t, webHTTPRoute, "admin")
		routes, sets := f.followHTTPRoute()
		routing := gatewayRouting()
		routing.ManagedRoutes = nil
		ro := f.rollout(routing, framework.SetWeight(50), framework.Pause(), framework.SetWeight(25), framework.Pause(),
			framework.SetWeight(75), framework.Pause())
		ro.Spec.Strategy.Canary.DynamicStableScale = ptr.To(true)
		ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds = nil
		f.start(ro)
		v1 := framework.Get(t, f.k8s, f.key(), &rampv1alpha1.Rollout{}).Status.StableRS
		v2 := f.update("v2")
		stable, canary := framework.ReplicaSetName(rolloutName, v1), framework.ReplicaSetName(rolloutName, v2)
		for _, p := range []struct{ index, stable, canary int32 }{{1, 2, 2}, {3, 3, 1}, {5, 1, 3}} {
			f.waitPausedAt(p.index)
			framework.WaitReplicaSet(t, f.k8s, f.ns, rolloutName, v1, waitTimeout, "the stable version to follow the weight", framework.ReplicaSetAt(p.stable))
			framework.WaitReplicaSet(t, f.k8s, f.ns, rolloutName, v2, waitTimeout, "the canary to follow the weight", framework.ReplicaSetAt(p.canary))
			if p.index < 5 {
				f.promote()
			}
		}
		// From 50% down to 25%: the stable version grows to 3 pods before
		// the weight drops, and the canary shrinks to 1 after.
		half, _ := routes.first("web", func(s string) bool { return s == split{50, 50}.String() })
		quarter, _ := routes.firstAfter("web", half, func(s string) bool { return s == split{75, 25}.String() })
		grown, _ := sets.firstAfter(stable, half, func(s string) bool { return s == "replicas 3" })
		shrunk, _ := sets.firstAfter(canary, half, func(s string) bool { return s == "replicas 1" })
		if half == 0 || quarter == 0 || grown == 0 || shrunk == 0 || grown > quarter || shrunk < quarter {
			t.Errorf("from 50%% to 25%%, the stable version must grow (revision %d) before the weight drops (%d), and the canary shrink (%d) after;"+
				"\nroutes:%s\nreplica sets:%s", grown, quarter, shrunk, routes, sets)
		}

		framework.MergePatchStatus(t, f.k8s, f.ro, `{"status":{"abort":true,"abortedBy":"e2e test"}}`)
		f.waitRollout("the abort to send the traffic back", func(r *rampv1alpha1.Rollout) bool {
			return r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded && r.Status.Canary.Weights != nil && r.Status.Canary.Weights.Canary.Weight == 0
		})
		most, _ := routes.first("web", func(s string) bool { return s == split{25, 75}.String() })
		reset, _ := routes.firstAfter("web", most, func(s string) bool { return s == split{100, 0}.String() })
		back, _ := sets.firstAfter(stable, most, func(s string) bool { return s == "replicas 4" })
		if most == 0 || reset == 0 || back == 0 || back > reset {
			t.Errorf("on the abort, the stable version must be back at 4 pods (revision %d) before the route sends it everything (%d);"+
				"\nroutes:%s\nreplica sets:%s", back, reset, routes, sets)
		}
		// The aborted canary keeps its pods for abortScaleDownDelaySeconds
		// (30 by default): it has not begun to scale down yet.
		if n := f.replicas(v2); n != 3 {
			t.Errorf("the aborted canary asks for %d pods right after the abort, want 3 until its delay passes", n)
		}
	})
}
