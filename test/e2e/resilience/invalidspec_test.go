package resilience

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestInvalidSpecNoHotLoop checks a Rollout whose canaryService does not
// exist: it is Stalled (reason InvalidSpec) with a message naming the field
// and the Service; after that status is written the controller neither
// writes again nor keeps reconciling (no retry loop); and creating the
// Service, with no change to the spec, un-stalls it to Healthy.
func TestInvalidSpecNoHotLoop(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	counter := newClientCounter()
	startController(t, ns, counter)

	const missing = "web-canary-missing"
	ro := newRollout(ns, "web", 2, framework.SetWeight(50), framework.Pause())
	ro.Spec.Strategy.Canary.CanaryService = missing
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)

	stalled := waitRollout(t, k8s, key, "Stalled=True with reason InvalidSpec", func(r *rampv1alpha1.Rollout) bool {
		c := condition(r, rampv1alpha1.ConditionStalled)
		return c.Status == metav1.ConditionTrue && c.Reason == rampv1alpha1.ReasonInvalidSpec
	})
	// The status patch that wrote Stalled was counted before it was sent,
	// so it is in these counts.
	writes, reconciles := counter.writeCount(), counter.reconciles(key)
	c := condition(stalled, rampv1alpha1.ConditionStalled)
	for _, want := range []string{"spec.strategy.canary.canaryService", missing} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("the Stalled condition's message does not name %q: %q", want, c.Message)
		}
		if !strings.Contains(stalled.Status.Message, want) {
			t.Errorf("status.message does not name %q: %q", want, stalled.Status.Message)
		}
	}
	if stalled.Status.Phase != rampv1alpha1.RolloutPhaseDegraded {
		t.Errorf("phase %q while stalled, want Degraded", stalled.Status.Phase)
	}

	// Nothing changes for the next 3 s, so nothing can show the controller
	// is idle except letting that time pass.
	const quiet = 3 * time.Second
	time.Sleep(quiet)
	// Bound: after the Stalled status is written, the only event left is
	// that write itself, which comes back as a Rollout update and
	// reconciles once more (with nothing to write). Anything beyond that is
	// a retry: controller-runtime's per-item backoff (5 ms, doubling) would
	// reconcile about 10 times in 3 s, a RequeueAfter of 1 s twice or more.
	const maxReconciles = 1
	if n := counter.reconciles(key) - reconciles; n > maxReconciles {
		t.Errorf("the controller reconciled a stalled rollout %d times in %v with nothing changed (at most %d allowed): a retry loop",
			n, quiet, maxReconciles)
	} else {
		t.Logf("%d reconciles in %v after the Stalled status was written", n, quiet)
	}
	if w := counter.writesSince(writes); len(w) > 0 {
		t.Errorf("the controller wrote %d times in %v after the Stalled status, with nothing changed:\n%s",
			len(w), quiet, strings.Join(w, "\n"))
	}

	// Creating the Service is enough: the spec stays as it is.
	framework.Create(t, k8s, framework.NewService(ns, missing, map[string]string{"app": "web"}))
	healthy := waitHealthy(t, k8s, key)
	if healthy.Generation != stalled.Generation {
		t.Errorf("the spec changed (generation %d, was %d)", healthy.Generation, stalled.Generation)
	}
	if c := condition(healthy, rampv1alpha1.ConditionStalled); c.Status != metav1.ConditionFalse {
		t.Errorf("Stalled is %s/%s once the Service exists, want False", c.Status, c.Reason)
	}
	framework.WaitServiceSelects(t, k8s, ns, missing, healthy.Status.StableRS, waitTimeout)
}
