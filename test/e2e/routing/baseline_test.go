package routing

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// baselineService is the Service of the baseline in the baseline test.
const baselineService = "web-baseline"

// baselineHTTPRoute splits / between the stable, canary and baseline
// Services.
const baselineHTTPRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs: [{name: shop-gateway}]
  rules:
  - name: main
    backendRefs:
    - {name: web-stable, port: 80, weight: 100}
    - {name: web-canary, port: 80, weight: 0}
    - {name: web-baseline, port: 80, weight: 0}
`

// threeWay reads the stable, canary and baseline weights of rule main.
func threeWay(route *unstructured.Unstructured) string {
	r := named(items(route.Object, "spec", "rules"), "main")
	w := map[string]int64{}
	for _, b := range items(r, "backendRefs") {
		w[fmt.Sprint(b["name"])] = weight(b, 1)
	}
	return fmt.Sprintf("stable %d / canary %d / baseline %d", w[stableService], w[canaryService], w[baselineService])
}

// TestBaselineGetsTheCanarysWeight runs a canary with a baseline and a
// baseline Service: once the baseline's pods are up it gets the canary's
// weight from the stable version's share; at promotion it goes back to 0,
// its ReplicaSet is deleted and its Service selects the stable version.
func TestBaselineGetsTheCanarysWeight(t *testing.T) {
	f := newFixture(t, baselineHTTPRoute, baselineService)
	ro := f.rollout(&rampv1alpha1.RolloutTrafficRouting{
		GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "web"}}},
	}, framework.SetWeight(25), framework.Pause())
	ro.Spec.Strategy.Canary.Baseline = ptr.To(true)
	ro.Spec.Strategy.Canary.BaselineService = baselineService
	f.start(ro)
	stable := framework.Get(t, f.k8s, f.key(), &rampv1alpha1.Rollout{}).Status.StableRS
	baseline := stable + "-baseline"
	framework.WaitServiceSelects(t, f.k8s, f.ns, baselineService, stable, waitTimeout)

	canary := f.update("v2")
	f.waitPausedAt(1)
	framework.WaitReplicaSet(t, f.k8s, f.ns, rolloutName, baseline, waitTimeout, "the baseline at the canary's size", framework.ReplicaSetAt(1))
	framework.WaitServiceSelects(t, f.k8s, f.ns, baselineService, baseline, waitTimeout)
	f.waitSplit("stable 50 / canary 25 / baseline 25")
	r := f.waitRollout("the split in status", func(r *rampv1alpha1.Rollout) bool {
		w := r.Status.Canary.Weights
		return w != nil && w.Baseline != nil && w.Baseline.Weight == 25 && w.Stable.Weight == 50
	})
	if b := r.Status.Canary.Weights.Baseline; b.PodTemplateHash != baseline || b.ServiceName != baselineService {
		t.Errorf("status baseline weight %+v, want hash %s and Service %s", b, baseline, baselineService)
	}

	f.promote()
	f.waitRollout("the update promoted", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS == canary
	})
	f.waitSplit("stable 100 / canary 0 / baseline 0")
	framework.WaitServiceSelects(t, f.k8s, f.ns, baselineService, canary, waitTimeout)
	framework.WaitList(t, f.k8s, f.ns, waitTimeout, "the baseline deleted", func(l *appsv1.ReplicaSetList) (bool, string) {
		for _, rs := range l.Items {
			if rs.Labels[rampv1alpha1.LabelBaseline] == "true" && rs.DeletionTimestamp.IsZero() {
				return false, rs.Name + " still there"
			}
		}
		return true, ""
	})
	svc := framework.Get(t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: baselineService}, &corev1.Service{})
	if svc.Spec.Selector[rampv1alpha1.LabelPodTemplateHash] != canary {
		t.Errorf("baseline Service selects %v after promotion, want the new stable %s", svc.Spec.Selector, canary)
	}
}

// waitSplit waits until rule main of HTTPRoute web reads want.
func (f *fixture) waitSplit(want string) {
	f.t.Helper()
	route := newObject(httpRouteKind)
	framework.WaitFor(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: "web"}, route, waitTimeout, "HTTPRoute web: "+want,
		func(r *unstructured.Unstructured) (bool, string) {
			got := threeWay(r)
			return got == want, got
		})
}
