package bluegreen

import (
	"testing"
	"time"

	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// TestAbortWithPreviewUp aborts an update paused for promotion, the
// preview up: the active Service stays on v1 (it never selected v2), the
// preview Service goes back to v1, the Rollout is Degraded with Stalled
// reason Aborted and v1 still stable, and the new ReplicaSet scales to 0
// no earlier than abortScaleDownDelaySeconds after the abort, while v1
// keeps its size throughout.
func TestAbortWithPreviewUp(t *testing.T) {
	f := newFixture(t, "abort", 2)
	f.bg().AutoPromotionEnabled = ptr.To(false)
	v1 := f.start()
	h := f.follow()

	v2 := f.setImage(image("v2"))
	f.waitPaused(v2)
	f.waitService(f.previewService(), v2)
	f.waitRS(v2, 2)
	abortedAt := time.Now()
	f.abort()
	ro := f.waitAborted(v2, rampv1alpha1.ReasonAborted)
	if ro.Status.StableRS != v1 {
		t.Errorf("status.stableRS is %q after the abort, want %q: %s", ro.Status.StableRS, v1, describeRollout(ro))
	}
	f.waitService(f.previewService(), v1)
	f.waitSelectors("after the abort", v1, v1)
	f.checkService("after the abort", f.activeService(), v1)
	f.waitRS(v2, 0)
	f.checkScaledDownAfter(h, v2, abortedAt.Add(shortDelay*time.Second), "abortScaleDownDelaySeconds after the abort")

	f.checkNeverSelected(h, f.activeService(), v2)
	f.checkSelections(h, f.previewService(), v1, v2, v1)
	f.checkKeptAt(h, v1, 2, 0, "the stable version during the aborted update")
}
