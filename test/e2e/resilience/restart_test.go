package resilience

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// canaryPause returns the rollout's CanaryPauseStep pause condition, or nil.
func canaryPause(ro *rampv1alpha1.Rollout) *rampv1alpha1.PauseCondition {
	for i := range ro.Status.PauseConditions {
		if ro.Status.PauseConditions[i].Reason == rampv1alpha1.PauseReasonCanaryPauseStep {
			return &ro.Status.PauseConditions[i]
		}
	}
	return nil
}

// userState is what a person sees of a rollout mid-update: where it is in
// its steps, since when it waits, and how its ReplicaSets are scaled.
func userState(t *testing.T, k8s client.Client, key client.ObjectKey) string {
	t.Helper()
	ro := framework.Get(t, k8s, key, &rampv1alpha1.Rollout{})
	var pauses []string
	for _, p := range ro.Status.PauseConditions {
		pauses = append(pauses, fmt.Sprintf("%s@%s", p.Reason, p.StartTime.UTC().Format(time.RFC3339)))
	}
	var rss []string
	for _, rs := range replicaSets(t, k8s, key.Namespace) {
		rss = append(rss, fmt.Sprintf("%s=%d", rs.Name, ptr.Deref(rs.Spec.Replicas, 0)))
	}
	return fmt.Sprintf("phase %s, step %d, pauses [%s], stableRS %s, currentPodHash %s, abort %v, replica sets [%s]",
		ro.Status.Phase, framework.StepIndex(ro), strings.Join(pauses, " "), ro.Status.StableRS, ro.Status.CurrentPodHash,
		ro.Status.Abort, strings.Join(rss, " "))
}

// TestControllerRestartMidCanary stops the controller while a canary waits
// at a pause and starts a new one: the new controller resumes from status
// alone. At the indefinite pause it keeps the step, the pause's start time
// and the two ReplicaSets (and writes nothing), then continues when
// promoted. Stopped during a timed pause and started again once the pause's
// end time has passed, it completes that pause at once (not a full duration
// later) and finishes the update.
func TestControllerRestartMidCanary(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	stop := startController(t, ns, nil)

	const timedPause = 4 * time.Second
	ro := newRollout(ns, "web", 4, framework.SetWeight(25), framework.Pause(), framework.SetWeight(50), framework.PauseFor(timedPause))
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)
	stableHash := waitHealthy(t, k8s, key).Status.StableRS

	framework.SetImage(t, k8s, ro, "nginx:1.28")
	atPause := waitRollout(t, k8s, key, "the pause at step 2 with 1 canary and 3 stable pods available",
		func(r *rampv1alpha1.Rollout) bool {
			return r.Status.CurrentPodHash != stableHash && framework.StepIndex(r) == 1 && canaryPause(r) != nil &&
				r.Status.Phase == rampv1alpha1.RolloutPhasePaused &&
				r.Status.Replicas == 4 && r.Status.UpdatedReplicas == 1 && r.Status.AvailableReplicas == 4
		})
	newHash := atPause.Status.CurrentPodHash
	waitRS(t, k8s, ns, "web", newHash, "the canary ReplicaSet at 1", 1)
	waitRS(t, k8s, ns, "web", stableHash, "the stable ReplicaSet at 3", 3)
	pauseStart := canaryPause(atPause).StartTime

	// Stopping the controller changes nothing.
	before := userState(t, k8s, key)
	stop()
	if got := userState(t, k8s, key); got != before {
		t.Errorf("stopping the controller changed the rollout:\nbefore: %s\nafter:  %s", before, got)
	}

	// A new controller, same instance ID, picks up where the old one was.
	// Start it at least a second after the pause began: startTime is stored
	// in whole seconds, so only then would a controller that started the
	// pause again store a different one.
	time.Sleep(time.Until(pauseStart.Add(1100 * time.Millisecond)))
	counter := newClientCounter()
	stop = startController(t, ns, counter)
	counter.waitReconciles(t, key, 1, "the new controller to reconcile the rollout")
	// A second reconcile, asked for with an annotation, starts only once the
	// first has ended: after it, the first reconcile's effects are visible.
	framework.MergePatch(t, k8s, ro, `{"metadata":{"annotations":{"test.ramp.dev/poke":"after-restart"}}}`)
	counter.waitReconciles(t, key, 2, "a reconcile after the annotation change")
	if got := userState(t, k8s, key); got != before {
		t.Errorf("the new controller changed a rollout waiting at a pause:\nbefore restart: %s\nafter restart:  %s", before, got)
	}
	r := framework.Get(t, k8s, key, &rampv1alpha1.Rollout{})
	if framework.StepIndex(r) != 1 {
		t.Errorf("after the restart status.currentStepIndex = %d, want 1 (the pause)", framework.StepIndex(r))
	}
	if p := canaryPause(r); p == nil || !p.StartTime.Equal(&pauseStart) {
		t.Errorf("after the restart the pause condition is %+v, want startTime %s kept", p, pauseStart.UTC().Format(time.RFC3339))
	}
	if rss := replicaSets(t, k8s, ns); len(rss) != 2 {
		t.Errorf("after the restart there are %d ReplicaSets, want 2: %s", len(rss), describeRSs(rss))
	}
	if w := counter.writesSince(0); len(w) > 0 {
		t.Errorf("the new controller wrote to a rollout that had nothing to do:\n%s", strings.Join(w, "\n"))
	}

	// Promote: it continues to the timed pause.
	framework.Promote(t, k8s, ro)
	atTimed := waitRollout(t, k8s, key, "the timed pause at step 4 after the promotion",
		func(r *rampv1alpha1.Rollout) bool { return framework.StepIndex(r) == 3 && canaryPause(r) != nil })

	// Stop the controller during the timed pause, and wait for the pause's
	// end time to pass with no controller running.
	stop()
	timedStart := canaryPause(atTimed).StartTime
	end := timedStart.Add(timedPause)
	during := userState(t, k8s, key)
	for _, rs := range replicaSets(t, k8s, ns) {
		if got := ptr.Deref(rs.Spec.Replicas, 0); got != 2 {
			t.Errorf("at the timed pause (after setWeight 50) ReplicaSet %s has %d replicas, want 2", rs.Name, got)
		}
	}
	// Nothing in the cluster changes while no controller runs, so only the
	// clock can tell the pause is over: sleep past its end (startTime is
	// stored in whole seconds; a margin covers the rounding).
	time.Sleep(time.Until(end) + 1500*time.Millisecond)
	if got := userState(t, k8s, key); got != during {
		t.Errorf("the rollout changed while no controller ran:\nat stop: %s\nlater:   %s", during, got)
	}

	// The new controller completes the pause at once: a controller that
	// started the pause again would take another 4s.
	startController(t, ns, nil)
	framework.WaitRollout(t, k8s, key, 3*time.Second,
		fmt.Sprintf("the timed pause, over since %s, to complete at once", end.UTC().Format(time.RFC3339)),
		func(r *rampv1alpha1.Rollout) bool {
			if p := canaryPause(r); p != nil && !p.StartTime.Equal(&timedStart) {
				t.Errorf("the new controller restarted the timed pause: startTime %s, was %s",
					p.StartTime.UTC().Format(time.RFC3339), timedStart.UTC().Format(time.RFC3339))
			}
			return framework.StepIndex(r) >= 4 || r.Status.StableRS == newHash
		})
	done := waitHealthy(t, k8s, key)
	if done.Status.StableRS != newHash {
		t.Errorf("healthy on %s, want the new revision %s", done.Status.StableRS, newHash)
	}
	waitRS(t, k8s, ns, "web", newHash, "the new ReplicaSet at 4", 4)
	waitRS(t, k8s, ns, "web", stableHash, "the old ReplicaSet at 0", 0)
	if rss := replicaSets(t, k8s, ns); len(rss) != 2 {
		t.Errorf("at the end there are %d ReplicaSets, want 2: %s", len(rss), describeRSs(rss))
	}
}
