package bluegreen

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestManualPromotion walks the example bluegreen-demo
// (examples/bluegreen/rollout.yaml: 3 pods, autoPromotionEnabled false)
// through an update. The new version comes up at full size behind the
// preview Service while the active Service stays on the old one, and the
// Rollout pauses (BlueGreenPause) with a message naming the ready preview.
// Promoting switches the active Service and makes the new version stable.
// The old ReplicaSet keeps its pods, annotated with its scale-down
// deadline (no earlier than scaleDownDelaySeconds after the promotion),
// while the Rollout is Healthy, and scales to 0 no earlier than that
// deadline nor than scaleDownDelaySeconds after the promotion. The old
// ReplicaSet kept its size until the switch, neither Service ever selected
// a version with no available pods, and the active Service selected v1 and
// then v2, nothing else.
func TestManualPromotion(t *testing.T) {
	f := newExampleFixture(t, "bluegreen/rollout.yaml")
	// The example keeps the old version up for 30s: shorten it.
	f.bg().ScaleDownDelaySeconds = ptr.To[int32](shortDelay)
	n := f.replicas()
	v1 := f.start()
	h := f.follow()

	v2 := f.setImage("nginx:1.28")
	if v2 == "" || v2 == v1 {
		t.Fatalf("the update's pod template hash is %q, the first revision's %q: %s", v2, v1, describeRollout(f.get()))
	}
	ro := f.waitPaused(v2)
	if want := fmt.Sprintf("waiting for promotion: preview %s ready %d/%d", f.rsName(v2), n, n); !containsFold(ro.Status.Message, want) {
		t.Errorf("the paused Rollout's message does not say %q: %s", want, describeRollout(ro))
	}
	f.waitService(f.previewService(), v2)
	f.checkService("while paused", f.activeService(), v1)
	f.waitSelectors("while paused", v1, v2)
	f.waitRS(v2, n)
	f.waitRS(v1, n)

	promotedAt := time.Now()
	f.promote()
	f.waitService(f.activeService(), v2)
	f.waitHealthyAt(v2)
	deadline := f.waitKeptUntilDeadline(v1, n)
	// The switch came after the promotion: the old version must stay up
	// for scaleDownDelaySeconds after promotedAt at least.
	earliest := promotedAt.Add(shortDelay * time.Second)
	if deadline.Before(earliest) {
		t.Errorf("the old ReplicaSet's scale-down deadline %s is less than scaleDownDelaySeconds (%ds) after the promotion (%s)",
			deadline.Format(time.RFC3339Nano), shortDelay, promotedAt.Format(time.RFC3339Nano))
	}
	f.waitRS(v1, 0)
	if deadline.After(earliest) {
		earliest = deadline
	}
	f.checkScaledDownAfter(h, v1, earliest, "its scale-down deadline, and scaleDownDelaySeconds after the promotion")

	// The Rollout is Healthy while the old ReplicaSet is kept up.
	healthy, okHealthy := first(h, f.name(), func(r *rampv1alpha1.Rollout) bool {
		return r.Status.StableRS == v2 && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	down, okDown := first(h, f.rsName(v1), func(rs *appsv1.ReplicaSet) bool { return ptr.Deref(rs.Spec.Replicas, 0) < n })
	if !okHealthy || !okDown || healthy.rv > down.rv {
		t.Errorf("the Rollout must be Healthy on %s (resourceVersion %d) before the old ReplicaSet scales down (%d)\nhistory:%s",
			v2, healthy.rv, down.rv, h)
	} else {
		for _, v := range versions[*rampv1alpha1.Rollout](h, f.name()) {
			if v.rv > healthy.rv && v.rv < down.rv && v.obj.Status.Phase != rampv1alpha1.RolloutPhaseHealthy {
				t.Errorf("the Rollout was not Healthy at resourceVersion %d, while the old ReplicaSet waited for its deadline: %s",
					v.rv, describeRollout(v.obj))
			}
		}
	}

	switched, _ := first(h, f.activeService(), func(svc *corev1.Service) bool { return selected(svc) == v2 })
	f.checkKeptAt(h, v1, n, switched.rv, "before the switch")
	f.checkSelections(h, f.activeService(), v1, v2)
	f.checkOnlyAvailableSelected(h, f.activeService())
	f.checkOnlyAvailableSelected(h, f.previewService())
}

// autoPromotionSeconds is the wait of TestAutoPromotion.
const autoPromotionSeconds = 2

// TestAutoPromotion updates a Rollout with autoPromotionSeconds 2 and
// automatic promotion left to its default: once the preview is ready the
// Rollout waits in a BlueGreenPause whose message says when it promotes by
// itself, and the active Service switches to the new version no earlier
// than 2 seconds after the preview became ready, with no one promoting.
// Only that lower bound is checked: the preview is taken as ready at the
// latest Ready transition of its pods (stored in whole seconds, so never
// later than the truth), and the switch at the time its watch event
// reached the test (never earlier).
func TestAutoPromotion(t *testing.T) {
	f := newFixture(t, "auto", 2)
	f.bg().AutoPromotionSeconds = ptr.To[int32](autoPromotionSeconds)
	v1 := f.start()
	h := f.follow()

	updatedAt := time.Now()
	v2 := f.setImage(image("v2"))
	f.waitHealthyAt(v2)
	f.waitService(f.activeService(), v2)

	readyAt := updatedAt
	pods := f.pods()[v2]
	if len(pods) != int(f.replicas()) {
		t.Errorf("revision %s runs %s, want %d", v2, describePods(pods), f.replicas())
	}
	for _, p := range pods {
		c := podReady(p)
		if c == nil {
			t.Errorf("pod %s of the promoted revision is not ready: %s", p.Name, describePods(pods))
			continue
		}
		if c.LastTransitionTime.After(readyAt) {
			readyAt = c.LastTransitionTime.Time
		}
	}
	switched, ok := first(h, f.activeService(), func(svc *corev1.Service) bool { return selected(svc) == v2 })
	if !ok {
		t.Fatalf("the switch of Service %s to %s was not seen\nhistory:%s", f.activeService(), v2, h)
	}
	if waited := switched.seen.Sub(readyAt); waited < autoPromotionSeconds*time.Second {
		t.Errorf("Service %s switched to %s at %s, %v after the preview was ready (%s), want at least autoPromotionSeconds (%ds)\nhistory:%s",
			f.activeService(), v2, switched.seen.Format(time.RFC3339Nano), waited, readyAt.Format(time.RFC3339Nano), autoPromotionSeconds, h)
	}
	f.checkTimedPause(h, v2)
	f.checkSelections(h, f.activeService(), v1, v2)
	f.checkOnlyAvailableSelected(h, f.activeService())
}

// TestPreviewReplicaCount updates a Rollout of 3 pods with
// previewReplicaCount 1 and manual promotion: while paused, the preview
// runs 1 pod (and never asked for more) beside the 3 of the old version.
// On promotion the new ReplicaSet runs 3 available pods
// (status.blueGreen.scaleUpPreviewCheckPoint set) before the active
// Service switches to it.
func TestPreviewReplicaCount(t *testing.T) {
	f := newFixture(t, "preview-count", 3)
	f.bg().AutoPromotionEnabled = ptr.To(false)
	f.bg().PreviewReplicaCount = ptr.To[int32](1)
	v1 := f.start()
	h := f.follow()

	v2 := f.setImage(image("v2"))
	ro := f.waitPaused(v2)
	if want := fmt.Sprintf("waiting for promotion: preview %s ready 1/1", f.rsName(v2)); !containsFold(ro.Status.Message, want) {
		t.Errorf("the paused Rollout's message does not say %q: %s", want, describeRollout(ro))
	}
	f.waitRS(v2, 1)
	f.waitRS(v1, 3)
	f.waitService(f.previewService(), v2)
	f.checkService("while paused", f.activeService(), v1)
	if pods := f.pods(); len(pods[v2]) != 1 || len(pods[v1]) != 3 {
		t.Errorf("while paused, want 1 pod of %s and 3 of %s; %s, %s", v2, v1, describePods(pods[v2]), describePods(pods[v1]))
	}
	paused := mustRV(t, f.get())
	for _, v := range versions[*appsv1.ReplicaSet](h, f.rsName(v2)) {
		if v.rv <= paused && ptr.Deref(v.obj.Spec.Replicas, 0) > 1 {
			t.Errorf("the preview asked for more than previewReplicaCount before the promotion: %s", describeReplicaSet(v.obj))
		}
	}

	f.promote()
	f.waitHealthyAt(v2)
	f.waitService(f.activeService(), v2)
	full, okFull := first(h, f.rsName(v2), framework.ReplicaSetAt(3))
	switched, okSwitched := first(h, f.activeService(), func(svc *corev1.Service) bool { return selected(svc) == v2 })
	if !okFull || !okSwitched || full.rv > switched.rv {
		t.Errorf("ReplicaSet %s must run 3 available pods (first at resourceVersion %d) before Service %s selects it (%d)\nhistory:%s",
			f.rsName(v2), full.rv, f.activeService(), switched.rv, h)
	}
	if _, ok := first(h, f.name(), func(r *rampv1alpha1.Rollout) bool { return r.Status.BlueGreen.ScaleUpPreviewCheckPoint }); !ok {
		t.Errorf("status.blueGreen.scaleUpPreviewCheckPoint was never seen true\nhistory:%s", h)
	}
	f.checkOnlyAvailableSelected(h, f.activeService())
}
