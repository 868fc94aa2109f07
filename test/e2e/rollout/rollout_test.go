package rollout

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestFirstRevision checks that a new Rollout goes straight to full size
// without walking its steps: one ReplicaSet at 4 pods, phase Healthy with
// Ready and Completed True, status.stableRS equal to currentPodHash, both
// Services selecting that hash, and kubectl wait --for=condition=Ready
// returning once the Rollout is healthy.
func TestFirstRevision(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(25), framework.Pause(), framework.SetWeight(50), framework.Pause())
	h := f.recordHistory()
	f.create()

	// Started before the Rollout is healthy, so it has to wait for Ready.
	type result struct {
		out []byte
		err error
	}
	kubectlDone := make(chan result, 1)
	go func() {
		out, err := f.kubectl(context.Background(), "wait", "--for=condition=Ready", "rollout/"+f.name(), "--timeout=60s").CombinedOutput()
		kubectlDone <- result{out, err}
	}()

	ro := f.waitRollout("phase Healthy", func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	hash := ro.Status.CurrentPodHash
	if hash == "" || ro.Status.StableRS != hash {
		t.Errorf("status.stableRS %q, currentPodHash %q: want both set and equal", ro.Status.StableRS, hash)
	}
	if got := framework.StepIndex(ro); got != f.stepCount() {
		t.Errorf("status.currentStepIndex = %d, want %d (no steps for the first revision)", got, f.stepCount())
	}
	conditionHas(t, ro, rampv1alpha1.ConditionReady, "True", "")
	conditionHas(t, ro, rampv1alpha1.ConditionCompleted, "True", "")
	conditionHas(t, ro, rampv1alpha1.ConditionStalled, "False", "")

	f.waitRS(hash, 4)
	if rss := f.replicaSets(); len(rss) != 1 {
		names := make([]string, 0, len(rss))
		for _, rs := range rss {
			names = append(names, rs.Name)
		}
		t.Errorf("the first revision has %d ReplicaSets %v, want 1", len(rss), names)
	}
	f.waitService(f.stableService(), hash)
	f.waitService(f.canaryService(), hash)

	versions := h.until("the Healthy status", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	for _, v := range versions {
		st := v.Status
		if st.Phase == rampv1alpha1.RolloutPhasePaused || len(st.PauseConditions) > 0 ||
			st.CurrentPodHash != "" && framework.StepIndex(v) != f.stepCount() {
			t.Errorf("the first revision walked its steps; status seen: %s", framework.DescribeRollout(v))
		}
	}

	select {
	case r := <-kubectlDone:
		if r.err != nil {
			t.Errorf("kubectl wait --for=condition=Ready: %v\n%s", r.err, r.out)
		} else if !strings.Contains(string(r.out), "condition met") {
			t.Errorf("kubectl wait printed %q", r.out)
		}
	case <-time.After(waitTimeout + 10*time.Second):
		t.Error("kubectl wait did not return")
	}
}

// TestCanarySteps walks the steps setWeight 25, pause, setWeight 50,
// pause 5s with 4 replicas: at each pause it checks the pod split, the
// step index, the phase and message, the Services, and that the Rollout is
// not Ready; it promotes past the first pause and lets the timed one end on
// its own, then checks the promotion and the Events. A watch on the
// ReplicaSets checks throughout that at most replicas+maxSurge pods are
// asked for and at least replicas-maxUnavailable are available.
func TestCanarySteps(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(25), framework.Pause(), framework.SetWeight(50), framework.PauseFor(5*time.Second))
	v1 := f.start()
	bounds := f.watchBounds(4+1, 4-0)

	v2 := f.setImage("v2")
	if v2 == v1 {
		t.Fatalf("the new image kept the hash %s", v1)
	}
	ro := f.waitPausedAt(v2, 1)
	if !strings.Contains(ro.Status.Message, "step 2/4") {
		t.Errorf("the message does not name step 2/4: %q", ro.Status.Message)
	}
	if len(ro.Status.PauseConditions) != 1 || ro.Status.PauseConditions[0].Reason != rampv1alpha1.PauseReasonCanaryPauseStep {
		t.Errorf("pauseConditions = %+v, want one CanaryPauseStep", ro.Status.PauseConditions)
	}
	if ro.Status.StableRS != v1 {
		t.Errorf("status.stableRS = %q during the update, want %q", ro.Status.StableRS, v1)
	}
	conditionHas(t, ro, rampv1alpha1.ConditionPaused, "True", "")
	conditionHas(t, ro, rampv1alpha1.ConditionReady, "False", "")
	f.waitRS(v2, 1)
	f.waitRS(v1, 3)
	f.waitService(f.stableService(), v1)
	f.waitService(f.canaryService(), v2)

	// While paused the Rollout is not Ready, and kubectl wait says so.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	out, err := f.kubectl(ctx, "wait", "--for=condition=Ready", "rollout/"+f.name(), "--timeout=1s").CombinedOutput()
	cancel()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Errorf("kubectl wait --for=condition=Ready on a paused rollout: err %v, want a non-zero exit\n%s", err, out)
	}

	f.promote()
	ro = f.waitPausedAt(v2, 3)
	if !strings.Contains(ro.Status.Message, "step 4/4") {
		t.Errorf("the message does not name step 4/4: %q", ro.Status.Message)
	}
	f.waitRS(v2, 2)
	f.waitRS(v1, 2)
	f.waitService(f.stableService(), v1)
	f.waitService(f.canaryService(), v2)
	pauseStart := ro.Status.PauseConditions[0].StartTime

	// No action: the 5s pause ends by itself.
	ro = f.waitHealthyAt(v2)
	if waited := time.Since(pauseStart.Time); waited < 5*time.Second {
		t.Errorf("the 5s pause ended after %v", waited)
	}
	if got := framework.StepIndex(ro); got != 4 {
		t.Errorf("status.currentStepIndex = %d after the last step, want 4", got)
	}
	conditionHas(t, ro, rampv1alpha1.ConditionReady, "True", "")
	conditionHas(t, ro, rampv1alpha1.ConditionCompleted, "True", "")
	f.waitRS(v2, 4)
	f.waitRS(v1, 0)
	f.waitService(f.stableService(), v2)
	f.waitService(f.canaryService(), v2)
	f.waitEvents("StepCompleted", "Paused", "Resumed", "Promoted", "RolloutCompleted")

	// With maxUnavailable 0 no pod can be replaced without a surge pod, so
	// a watch that saw the update saw at least 5 pods asked for.
	bounds.await("the update finished", func(rss map[string]*appsv1.ReplicaSet) bool {
		n, o := rss[f.rsName(v2)], rss[f.rsName(v1)]
		return n != nil && o != nil && ptr.Deref(n.Spec.Replicas, 0) == 4 && n.Status.AvailableReplicas == 4 &&
			ptr.Deref(o.Spec.Replicas, 0) == 0 && o.Status.Replicas == 0
	})
	bounds.check()
	if bounds.maxTotal < 5 {
		t.Errorf("the ReplicaSet watch saw at most %d pods asked for; an update with maxUnavailable 0 needs 5, so it missed the update", bounds.maxTotal)
	}
}

// TestSurgeAndAvailability updates a Rollout with maxSurge 1 and
// maxUnavailable 1 through steps that need no action, while a watch on the
// ReplicaSets checks after every change that their spec.replicas never sum
// above replicas+maxSurge and their available pods never below
// replicas-maxUnavailable.
func TestSurgeAndAvailability(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(25), framework.SetWeight(75))
	f.ro.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromInt32(1))
	v1 := f.start()
	bounds := f.watchBounds(4+1, 4-1)

	v2 := f.setImage("v2")
	f.waitHealthyAt(v2)
	f.waitRS(v2, 4)
	f.waitRS(v1, 0)
	bounds.await("the update finished", func(rss map[string]*appsv1.ReplicaSet) bool {
		n, o := rss[f.rsName(v2)], rss[f.rsName(v1)]
		return n != nil && o != nil && ptr.Deref(n.Spec.Replicas, 0) == 4 && n.Status.AvailableReplicas == 4 &&
			ptr.Deref(o.Spec.Replicas, 0) == 0 && o.Status.Replicas == 0
	})
	bounds.check()
}

// TestAbortAndRetry aborts an update at its first pause: the canary is
// scaled to 0 and the stable version back to 4, the phase is Degraded with
// Stalled=True reason Aborted and a message naming who aborted, and the
// canary Service selects the stable pods again. A retry then walks the
// steps again from the first one, back to the first pause.
func TestAbortAndRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(25), framework.Pause(), framework.SetWeight(50), framework.Pause())
	v1 := f.start()
	v2 := f.setImage("v2")
	f.waitPausedAt(v2, 1)
	f.waitService(f.canaryService(), v2)

	f.patchStatus(`{"status":{"abort":true,"abortedBy":"e2e test"}}`)
	ro := f.waitRollout("phase Degraded after the abort", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Abort && r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded
	})
	conditionHas(t, ro, rampv1alpha1.ConditionStalled, "True", rampv1alpha1.ReasonAborted)
	conditionHas(t, ro, rampv1alpha1.ConditionReady, "False", "")
	if !strings.Contains(ro.Status.Message, "e2e test") {
		t.Errorf("the abort message does not say who aborted: %q", ro.Status.Message)
	}
	if ro.Status.StableRS != v1 || ro.Status.CurrentPodHash != v2 {
		t.Errorf("after the abort stableRS %q, currentPodHash %q; want %q and %q", ro.Status.StableRS, ro.Status.CurrentPodHash, v1, v2)
	}
	f.waitRS(v2, 0)
	f.waitRS(v1, 4)
	f.waitService(f.canaryService(), v1)
	f.waitService(f.stableService(), v1)
	f.waitEvents("Aborted")

	f.patchStatus(`{"status":{"abort":false}}`)
	ro = f.waitPausedAt(v2, 1)
	if ro.Status.Abort || ro.Status.AbortedBy != "" || ro.Status.AbortedAt != nil {
		t.Errorf("the retry left the abort in status: %s", framework.DescribeRollout(ro))
	}
	f.waitRS(v2, 1)
	f.waitRS(v1, 3)
	f.waitService(f.canaryService(), v2)
	f.waitEvents("Retried")
}

// TestUndoToStable completes an update from v1 to v2, starts v3, and at
// v3's first pause writes v2's template back: the Rollout returns to v2 at
// once without steps, reusing v2's ReplicaSet, and records a RolledBack
// Event.
func TestUndoToStable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(25), framework.Pause())
	v1 := f.start()
	v2 := f.setImage("v2")
	f.waitPausedAt(v2, 1)
	f.promote()
	f.waitHealthyAt(v2)
	v2Template := f.get().Spec.Template.DeepCopy()
	v2RS := f.waitRS(v2, 4)

	v3 := f.setImage("v3")
	f.waitPausedAt(v3, 1)
	f.waitRS(v3, 1)

	h := f.recordHistory()
	gen := f.update(func(r *rampv1alpha1.Rollout) { r.Spec.Template = v2Template })
	ro := f.waitHealthyAt(v2)
	if ro.Generation != gen {
		t.Errorf("generation %d, want %d", ro.Generation, gen)
	}
	versions := h.until("the Healthy status on v2", func(r *rampv1alpha1.Rollout) bool {
		return r.Generation == gen && observed(r) && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	for _, v := range versions {
		if v.Generation != gen || v.Status.ObservedGeneration != gen {
			continue
		}
		if st := v.Status; st.CurrentPodHash != v2 || st.StableRS != v2 || framework.StepIndex(v) != 2 || len(st.PauseConditions) > 0 {
			t.Errorf("after the undo the Rollout did not go straight back to v2 (%s): %s", v2, framework.DescribeRollout(v))
		}
	}

	f.waitRS(v3, 0)
	f.waitRS(v1, 0)
	got := f.waitRS(v2, 4)
	if got.UID != v2RS.UID {
		t.Errorf("v2's ReplicaSet was replaced (uid %s, was %s)", got.UID, v2RS.UID)
	}
	if rss := f.replicaSets(); len(rss) != 3 {
		t.Errorf("%d ReplicaSets after the undo, want 3 (v1, v2, v3)", len(rss))
	}
	f.waitService(f.stableService(), v2)
	f.waitService(f.canaryService(), v2)
	f.waitEvents("RolledBack")
}

// TestSupersede applies v3 while v2 waits at its first pause: v2's
// ReplicaSet goes to 0, v3 starts the steps from the first one, and once
// promoted v3 runs all 4 pods while v1 and v2 run none.
func TestSupersede(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(25), framework.Pause())
	v1 := f.start()
	v2 := f.setImage("v2")
	f.waitPausedAt(v2, 1)
	f.waitRS(v2, 1)

	h := f.recordHistory()
	v3 := f.setImage("v3")
	if v3 == v2 || v3 == v1 {
		t.Fatalf("v3 has hash %s, like an earlier revision (v1 %s, v2 %s)", v3, v1, v2)
	}
	f.waitPausedAt(v3, 1)
	f.waitRS(v3, 1)
	f.waitRS(v2, 0)
	f.waitRS(v1, 3)
	f.waitService(f.canaryService(), v3)
	f.waitService(f.stableService(), v1)

	// The steps restarted: v3 was first recorded at step 0 without a pause,
	// not at v2's pause.
	versions := h.until("v3 paused at step index 1", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.CurrentPodHash == v3 && framework.StepIndex(r) == 1 && r.Status.Phase == rampv1alpha1.RolloutPhasePaused
	})
	for _, v := range versions {
		if v.Status.CurrentPodHash != v3 {
			continue
		}
		if framework.StepIndex(v) != 0 || len(v.Status.PauseConditions) > 0 {
			t.Errorf("v3 did not start at step 0: its first status was %s", framework.DescribeRollout(v))
		}
		break
	}

	f.promote()
	f.waitHealthyAt(v3)
	f.waitRS(v3, 4)
	f.waitRS(v2, 0)
	f.waitRS(v1, 0)
	f.waitService(f.stableService(), v3)
}

// TestSpecPaused sets spec.paused right after an update starts: the
// Rollout holds (phase Paused, Paused condition reason SpecPaused) at the
// setWeight 50 split and does not move on, even after its 3s pause step
// would have ended; once resumed it completes.
func TestSpecPaused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(50), framework.PauseFor(3*time.Second), framework.SetWeight(75))
	// The clock measures time with a pause of 4s in another namespace.
	clock := newFixture(t, "clock", 1, framework.PauseFor(4*time.Second))
	clock.create()
	v1 := f.start()
	clock.waitFirstHealthy()

	v2 := f.setImage("v2")
	gen := f.update(func(r *rampv1alpha1.Rollout) { r.Spec.Paused = true })
	ro := f.waitRollout("phase Paused by spec.paused", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration >= gen && r.Status.Phase == rampv1alpha1.RolloutPhasePaused
	})
	conditionHas(t, ro, rampv1alpha1.ConditionPaused, "True", rampv1alpha1.ReasonSpecPaused)
	// The Rollout holds the split of its step, setWeight 50.
	f.waitRS(v2, 2)
	f.waitRS(v1, 2)

	// From here a Rollout that ignored spec.paused would end its 3s pause
	// and go on to setWeight 75 before the clock's 4s pause ends.
	clockV2 := clock.setImage("v2")
	clockPause := clock.waitPausedAt(clockV2, 0).Status.PauseConditions[0].StartTime
	clock.waitHealthyAt(clockV2)
	if waited := time.Since(clockPause.Time); waited < 4*time.Second {
		t.Fatalf("the clock's 4s pause ended after %v: it cannot tell that time passed", waited)
	}

	ro = f.get()
	if ro.Status.Phase != rampv1alpha1.RolloutPhasePaused || framework.StepIndex(ro) > 1 || ro.Status.StableRS != v1 {
		t.Errorf("the Rollout moved on while spec.paused was true: %s", framework.DescribeRollout(ro))
	}
	conditionHas(t, ro, rampv1alpha1.ConditionPaused, "True", rampv1alpha1.ReasonSpecPaused)
	for _, rs := range f.replicaSets() {
		if ptr.Deref(rs.Spec.Replicas, 0) != 2 {
			t.Errorf("while paused at setWeight 50, %s", framework.DescribeReplicaSet(&rs))
		}
	}

	f.update(func(r *rampv1alpha1.Rollout) { r.Spec.Paused = false })
	f.waitHealthyAt(v2)
	f.waitRS(v2, 4)
	f.waitRS(v1, 0)
}

// TestScaleDuringCanary writes spec.replicas 8 through the scale
// subresource while an update waits after setWeight 50: the canary and the
// stable version each grow to 4 pods, then the promotion runs all 8 on the
// new version.
func TestScaleDuringCanary(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(50), framework.Pause())
	v1 := f.start()
	v2 := f.setImage("v2")
	f.waitPausedAt(v2, 1)
	f.waitRS(v2, 2)
	f.waitRS(v1, 2)

	// As an autoscaler does: read /scale, write it back with 8 replicas,
	// again if the controller wrote status in between.
	scale := &autoscalingv1.Scale{}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ro := f.get()
		if err := f.k8s.SubResource("scale").Get(t.Context(), ro, scale); err != nil {
			return err
		}
		scale.Spec.Replicas = 8
		return f.k8s.SubResource("scale").Update(t.Context(), ro, client.WithSubResourceBody(scale))
	})
	if err != nil {
		t.Fatalf("write 8 replicas to /scale: %v", err)
	}
	f.waitRS(v2, 4)
	f.waitRS(v1, 4)
	ro := f.waitRollout("status.replicas 8, still paused", func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && ptr.Deref(r.Spec.Replicas, 0) == 8 && r.Status.Replicas == 8 && r.Status.AvailableReplicas == 8
	})
	if ro.Status.Phase != rampv1alpha1.RolloutPhasePaused || framework.StepIndex(ro) != 1 {
		t.Errorf("scaling moved the update off its pause: %s", framework.DescribeRollout(ro))
	}
	if err := f.k8s.SubResource("scale").Get(t.Context(), f.get(), scale); err != nil {
		t.Fatalf("get /scale: %v", err)
	}
	if scale.Status.Replicas != 8 || scale.Status.Selector == "" {
		t.Errorf("/scale status = %+v, want 8 replicas and a selector", scale.Status)
	}

	f.promote()
	f.waitHealthyAt(v2)
	f.waitRS(v2, 8)
	f.waitRS(v1, 0)
	f.waitRollout("status.replicas 8 on the new version", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Replicas == 8 && r.Status.UpdatedReplicas == 8 && r.Status.AvailableReplicas == 8
	})
}

// TestPromoteFull sets status.promoteFull at the first of two pauses: the
// new version goes to full size at once, without the remaining steps, and
// status.promoteFull is cleared.
func TestPromoteFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "web", 4, framework.SetWeight(25), framework.Pause(), framework.SetWeight(50), framework.Pause())
	v1 := f.start()
	v2 := f.setImage("v2")
	f.waitPausedAt(v2, 1)

	h := f.recordHistory()
	f.patchStatus(`{"status":{"promoteFull":true}}`)
	ro := f.waitHealthyAt(v2)
	if ro.Status.PromoteFull {
		t.Errorf("status.promoteFull is still true: %s", framework.DescribeRollout(ro))
	}
	if got := framework.StepIndex(ro); got != 4 {
		t.Errorf("status.currentStepIndex = %d, want 4", got)
	}
	f.waitRS(v2, 4)
	f.waitRS(v1, 0)
	f.waitService(f.stableService(), v2)

	versions := h.until("the Healthy status", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	for _, v := range versions {
		if i := framework.StepIndex(v); i == 2 || i == 3 {
			t.Errorf("promoteFull walked the remaining steps: %s", framework.DescribeRollout(v))
		}
	}
	f.waitEvents("Promoted")
}
