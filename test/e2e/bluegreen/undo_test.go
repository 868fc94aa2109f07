package bluegreen

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// undoDelay is the scaleDownDelaySeconds of TestUndoWithinDelay: time
// enough to undo, short enough to see both deadlines pass.
const undoDelay = 20

// TestUndoWithinDelay promotes v2 (manual promotion, passing pre- and
// post-promotion analyses, named in status.blueGreen) and, while v1 is still up for its
// scaleDownDelaySeconds, sets the template back to v1's image. The active
// Service goes back to v1 at once: no pause although autoPromotionEnabled
// is false, no new AnalysisRun, v1 stable and Healthy, a RolledBack Event.
// v1 is the same ReplicaSet with the same pods, which keep running past
// the deadline v1 had as the old version: the test waits until v2, now
// the old version, has scaled down after its own, later, deadline.
func TestUndoWithinDelay(t *testing.T) {
	f := newFixture(t, "undo", 2)
	bg := f.bg()
	bg.AutoPromotionEnabled = ptr.To(false)
	bg.ScaleDownDelaySeconds = ptr.To[int32](undoDelay)
	bg.PrePromotionAnalysis = errorRateAnalysis(svcHealthy)
	bg.PostPromotionAnalysis = errorRateAnalysis(svcHealthy)
	f.createErrorRateTemplate()
	v1 := f.start()
	rs1 := f.waitRS(v1, 2)
	before := podNames(f.waitPods("the 2 pods of v1 to run", func(byHash map[string][]*corev1.Pod) bool {
		return len(byHash) == 1 && len(byHash[v1]) == 2
	})[v1])
	h := f.follow()

	v2 := f.setImage(image("v2"))
	f.waitPaused(v2)
	f.promote()
	f.waitHealthyAt(v2)
	f.waitKeptUntilDeadline(v1, 2)
	for _, run := range []struct {
		name, field string
		get         func(*rampv1alpha1.BlueGreenStatus) string
	}{
		{f.runName(v2, "pre"), "prePromotionAnalysisRun", func(s *rampv1alpha1.BlueGreenStatus) string { return s.PrePromotionAnalysisRun }},
		{f.runName(v2, "post"), "postPromotionAnalysisRun", func(s *rampv1alpha1.BlueGreenStatus) string { return s.PostPromotionAnalysisRun }},
	} {
		f.waitRunPhase(run.name, rampv1alpha1.AnalysisPhaseSuccessful)
		if _, ok := first(h, f.name(), func(r *rampv1alpha1.Rollout) bool { return run.get(&r.Status.BlueGreen) == run.name }); !ok {
			t.Errorf("status.blueGreen.%s never named the run %s\nhistory:%s", run.field, run.name, h)
		}
	}
	runs := f.runNames()

	if back := f.setImage(image("v1")); back != v1 {
		t.Fatalf("the undo's pod template hash is %q, want v1's %q: %s", back, v1, describeRollout(f.get()))
	}
	undoRV := mustRV(t, f.ro)
	f.waitRollout("the undo to make v1 stable, active and Healthy again", func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.CurrentPodHash == v1 && r.Status.StableRS == v1 &&
			r.Status.BlueGreen.ActiveSelector == v1 && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	f.checkService("after the undo", f.activeService(), v1)
	f.waitEvent("RolledBack")

	// v2, the old version now, goes after its deadline; v1's came earlier.
	f.waitRS(v2, 0)
	f.checkNeverPaused(h, v1, undoRV)
	if after := f.runNames(); !slices.Equal(after, runs) {
		t.Errorf("AnalysisRuns before the undo %q, after %q: want no new run for an undo", runs, after)
	}
	f.checkKeptAt(h, v1, 2, 0, "v1, kept up for the undo and active again")
	rs := f.waitRS(v1, 2)
	if rs.UID != rs1.UID {
		t.Errorf("ReplicaSet %s was replaced (UID %s, then %s)", rs.Name, rs1.UID, rs.UID)
	}
	if after := podNames(f.pods()[v1]); !slices.Equal(after, before) {
		t.Errorf("the pods of v1 were %q before the update and are %q after the undo, want the same pods", before, after)
	}
	f.checkSelections(h, f.activeService(), v1, v2, v1)
	f.checkOnlyAvailableSelected(h, f.activeService())
}
