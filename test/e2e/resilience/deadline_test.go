package resilience

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// updateToNeverReady starts a new revision whose pods run but never become
// ready.
func updateToNeverReady(t *testing.T, k8s client.Client, ro *rampv1alpha1.Rollout) {
	t.Helper()
	framework.Update(t, k8s, ro, func(r *rampv1alpha1.Rollout) {
		r.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
		if r.Spec.Template.Annotations == nil {
			r.Spec.Template.Annotations = map[string]string{}
		}
		r.Spec.Template.Annotations[cluster.StageAnnotation] = cluster.StageNeverReady
	})
}

func deadlineExceeded(ro *rampv1alpha1.Rollout) bool {
	c := condition(ro, rampv1alpha1.ConditionProgressing)
	return c.Status == metav1.ConditionFalse && c.Reason == rampv1alpha1.ReasonProgressDeadlineExceeded
}

// TestProgressDeadline checks spec.progressDeadlineSeconds: an update whose
// pods never become ready is reported Degraded with Progressing=False
// (reason ProgressDeadlineExceeded) and a message naming the field, not
// before the deadline (to the second); with progressDeadlineAbort the update is also
// aborted back to the stable revision; and time spent at a timed pause
// longer than the deadline does not count.
func TestProgressDeadline(t *testing.T) {
	t.Parallel()

	t.Run("Exceeded", func(t *testing.T) {
		t.Parallel()
		k8s, ns := setup(t)
		ro := newRollout(ns, "stuck", 2, framework.SetWeight(50), framework.Pause())
		ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](5)
		framework.Create(t, k8s, ro)
		key := client.ObjectKeyFromObject(ro)
		waitHealthy(t, k8s, key)

		updated := time.Now()
		updateToNeverReady(t, k8s, ro)
		r := waitRollout(t, k8s, key, "Progressing=False with reason ProgressDeadlineExceeded", deadlineExceeded)
		// lastProgressTime is stored in whole seconds, so the deadline may
		// pass up to a second early.
		if elapsed := time.Since(updated); elapsed < 4*time.Second {
			t.Errorf("the 5s progress deadline was exceeded %v after the update", elapsed.Round(time.Millisecond))
		}
		if r.Status.Phase != rampv1alpha1.RolloutPhaseDegraded {
			t.Errorf("phase %q with the progress deadline exceeded, want Degraded", r.Status.Phase)
		}
		if !strings.Contains(r.Status.Message, "progressDeadlineSeconds") {
			t.Errorf("status.message does not mention progressDeadlineSeconds: %q", r.Status.Message)
		}
		if c := condition(r, rampv1alpha1.ConditionProgressing); !strings.Contains(c.Message, "progressDeadlineSeconds") {
			t.Errorf("the Progressing condition's message does not mention progressDeadlineSeconds: %q", c.Message)
		}
		if r.Status.Abort {
			t.Errorf("the update was aborted without progressDeadlineAbort: %s", framework.DescribeRollout(r))
		}
	})

	t.Run("Abort", func(t *testing.T) {
		t.Parallel()
		k8s, ns := setup(t)
		ro := newRollout(ns, "stuck-abort", 2, framework.SetWeight(50), framework.Pause())
		ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](5)
		ro.Spec.ProgressDeadlineAbort = true
		framework.Create(t, k8s, ro)
		key := client.ObjectKeyFromObject(ro)
		stable := waitHealthy(t, k8s, key).Status.StableRS

		updateToNeverReady(t, k8s, ro)
		r := waitRollout(t, k8s, key, "the update aborted by the progress deadline", func(r *rampv1alpha1.Rollout) bool {
			return r.Status.Abort
		})
		if !strings.Contains(r.Status.AbortedBy, "progress deadline") {
			t.Errorf("status.abortedBy = %q, want it to mention the progress deadline", r.Status.AbortedBy)
		}
		canary := r.Status.CurrentPodHash
		if canary == stable {
			t.Fatalf("currentPodHash is still the stable hash %s after the update", stable)
		}
		waitRS(t, k8s, ns, "stuck-abort", stable, "the stable ReplicaSet back at 2", 2)
		waitRS(t, k8s, ns, "stuck-abort", canary, "the canary ReplicaSet at 0", 0)
		r = waitRollout(t, k8s, key, "phase Degraded with every stable pod available", func(r *rampv1alpha1.Rollout) bool {
			return r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded && r.Status.AvailableReplicas == 2 && r.Status.Replicas == 2
		})
		if !r.Status.Abort || r.Status.StableRS != stable {
			t.Errorf("after the abort: %s", framework.DescribeRollout(r))
		}
	})

	t.Run("NotWhilePaused", func(t *testing.T) {
		t.Parallel()
		k8s, ns := setup(t)
		const pauseSeconds, deadline = 8, 3
		ro := newRollout(ns, "patient", 2, framework.SetWeight(50), framework.PauseFor(pauseSeconds*time.Second))
		ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](deadline)
		framework.Create(t, k8s, ro)
		key := client.ObjectKeyFromObject(ro)
		stable := waitHealthy(t, k8s, key).Status.StableRS

		framework.SetImage(t, k8s, ro, "nginx:1.28")
		var pausedSince, pauseEnded time.Time
		var exceeded []string
		r := waitRollout(t, k8s, key, "Healthy on the new revision after the timed pause", func(r *rampv1alpha1.Rollout) bool {
			if r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded || deadlineExceeded(r) {
				exceeded = append(exceeded, framework.DescribeRollout(r))
			}
			switch paused := r.Status.Phase == rampv1alpha1.RolloutPhasePaused; {
			case paused && pausedSince.IsZero():
				pausedSince = time.Now()
			case !paused && !pausedSince.IsZero() && pauseEnded.IsZero():
				pauseEnded = time.Now()
			}
			return isHealthy(r) && r.Status.StableRS != stable
		})
		for _, s := range exceeded {
			t.Errorf("the progress deadline (%ds) counted the %ds pause: %s", deadline, pauseSeconds, s)
		}
		if pausedSince.IsZero() {
			t.Errorf("the rollout was never seen Paused; last state: %s", framework.DescribeRollout(r))
		} else if d := pauseEnded.Sub(pausedSince); d < (pauseSeconds-2)*time.Second {
			t.Errorf("the rollout was seen Paused for only %v of its %ds pause", d.Round(time.Millisecond), pauseSeconds)
		}
		for _, e := range framework.ListEvents(t, k8s, ro, "") {
			if e.Reason == rampv1alpha1.ReasonProgressDeadlineExceeded {
				t.Errorf("a ProgressDeadlineExceeded event was recorded during a timed pause: %s", e.Note)
			}
		}
	})
}
