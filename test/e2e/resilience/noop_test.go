package resilience

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// trigger is a change that matters to nothing the rollout does but makes
// the controller reconcile it.
type trigger struct {
	what string
	do   func()
}

// waitQuiet asks for reconciles of the rollout until one runs from start to
// end without a write, so the writes of work that was still under way are
// done before counting starts.
func waitQuiet(t *testing.T, k8s client.Client, counter *clientCounter, ro *rampv1alpha1.Rollout) {
	t.Helper()
	key := client.ObjectKeyFromObject(ro)
	for i := range 5 {
		writes := counter.writeCount()
		for j := range 2 {
			n := counter.reconciles(key)
			framework.MergePatch(t, k8s, ro, fmt.Sprintf(`{"metadata":{"annotations":{"test.ramp.dev/settle":"%d-%d"}}}`, i, j))
			counter.waitReconciles(t, key, n+1, "a reconcile after an annotation change")
		}
		// The second reconcile has started, so the first has ended.
		if counter.writeCount() == writes {
			return
		}
	}
	t.Fatalf("the controller kept writing while the rollout had nothing to do:\n%s", strings.Join(counter.writesSince(0), "\n"))
}

// assertNoWrites runs each trigger, checks that it made the controller
// reconcile the rollout, and that none of those reconciles wrote anything.
func assertNoWrites(t *testing.T, k8s client.Client, counter *clientCounter, ro *rampv1alpha1.Rollout, state string, triggers []trigger) {
	t.Helper()
	key := client.ObjectKeyFromObject(ro)
	waitQuiet(t, k8s, counter, ro)
	start := counter.writeCount()
	first := counter.reconciles(key)
	for _, tr := range triggers {
		n := counter.reconciles(key)
		tr.do()
		counter.waitReconciles(t, key, n+1, "a reconcile after "+tr.what)
	}
	// One more reconcile, so the one of the last trigger has ended.
	n := counter.reconciles(key)
	framework.MergePatch(t, k8s, ro, `{"metadata":{"annotations":{"test.ramp.dev/settle":"done"}}}`)
	counter.waitReconciles(t, key, n+1, "a last reconcile")
	if w := counter.writesSince(start); len(w) > 0 {
		t.Errorf("%s, %d reconciles that had nothing to do made %d writes:\n%s",
			state, counter.reconciles(key)-first, len(w), strings.Join(w, "\n"))
	} else {
		t.Logf("%s: %d reconciles, no writes", state, counter.reconciles(key)-first)
	}
}

// noopTriggers are changes that reconcile the rollout without changing
// anything it does: annotations and labels on the Rollout, on one of its
// ReplicaSets and on its stable Service.
func noopTriggers(t *testing.T, k8s client.Client, ro *rampv1alpha1.Rollout, rsName, svcName, tag string) []trigger {
	ns := ro.Namespace
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rsName}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svcName}}
	annotate := func(obj client.Object, field, value string) func() {
		return func() {
			framework.MergePatch(t, k8s, obj, fmt.Sprintf(`{"metadata":{%q:{"test.ramp.dev/noop":%q}}}`, field, value))
		}
	}
	return []trigger{
		{"an annotation added to the Rollout", annotate(ro, "annotations", tag+"-1")},
		{"the Rollout's annotation changed", annotate(ro, "annotations", tag+"-2")},
		{"a label added to the Rollout", annotate(ro, "labels", tag)},
		{"a label added to ReplicaSet " + rsName, annotate(rs, "labels", tag)},
		{"an annotation added to Service " + svcName, annotate(svc, "annotations", tag)},
		{"the Rollout's annotation changed again", annotate(ro, "annotations", tag+"-3")},
	}
}

// TestNoWritesOnNoOpReconcile checks that a reconcile with nothing to do
// writes nothing (no status patch, no ReplicaSet, Service or pod write),
// both for a Healthy rollout and for one waiting at an indefinite pause.
// Reconciles are caused by changes to annotations and labels of the
// Rollout, its ReplicaSet and its Service, and counted through the
// controller's client.
func TestNoWritesOnNoOpReconcile(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	framework.Create(t, k8s, framework.NewService(ns, "web-stable", map[string]string{"app": "web"}))
	framework.Create(t, k8s, framework.NewService(ns, "web-canary", map[string]string{"app": "web"}))
	counter := newClientCounter()
	startController(t, ns, counter)

	ro := newRollout(ns, "web", 2, framework.SetWeight(50), framework.Pause())
	c := ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = "web-stable", "web-canary"
	c.StableMetadata = &rampv1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}}
	c.CanaryMetadata = &rampv1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary"}}
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)

	stable := waitRollout(t, k8s, key, "Healthy with every pod ready", func(r *rampv1alpha1.Rollout) bool {
		return isHealthy(r) && r.Status.ReadyReplicas == 2
	}).Status.StableRS
	waitRS(t, k8s, ns, "web", stable, "the ReplicaSet at 2", 2)
	framework.WaitServiceSelects(t, k8s, ns, "web-stable", stable, waitTimeout)
	framework.WaitServiceSelects(t, k8s, ns, "web-canary", stable, waitTimeout)
	assertNoWrites(t, k8s, counter, ro, "While Healthy", noopTriggers(t, k8s, ro, "web-"+stable, "web-stable", "healthy"))

	framework.SetImage(t, k8s, ro, "nginx:1.28")
	canary := waitRollout(t, k8s, key, "the pause at step 2 with 1 canary and 1 stable pod ready", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.CurrentPodHash != stable && framework.StepIndex(r) == 1 && canaryPause(r) != nil &&
			r.Status.Phase == rampv1alpha1.RolloutPhasePaused && r.Status.ObservedGeneration == r.Generation &&
			r.Status.Replicas == 2 && r.Status.UpdatedReplicas == 1 && r.Status.ReadyReplicas == 2 && r.Status.AvailableReplicas == 2
	}).Status.CurrentPodHash
	waitRS(t, k8s, ns, "web", canary, "the canary ReplicaSet at 1", 1)
	waitRS(t, k8s, ns, "web", stable, "the stable ReplicaSet at 1", 1)
	framework.WaitServiceSelects(t, k8s, ns, "web-stable", stable, waitTimeout)
	framework.WaitServiceSelects(t, k8s, ns, "web-canary", canary, waitTimeout)
	assertNoWrites(t, k8s, counter, ro, "While paused at step 2 (pause)", noopTriggers(t, k8s, ro, "web-"+canary, "web-stable", "paused"))
}
