package bluegreen

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// TestPrePromotionAnalysisFails updates a Rollout (automatic promotion)
// whose pre-promotion analysis measures a service failing 30% of its
// requests. The run <rollout>-<hash>-pre starts once the preview is ready
// and fails; the update is aborted (phase Degraded, Stalled with reason
// AnalysisFailed, a message naming the metric), the preview Service goes
// back to v1, and the new ReplicaSet scales to 0 no earlier than
// abortScaleDownDelaySeconds after the run failed. The active Service,
// followed from before the update, never selected the new version, and the
// old version never shrank.
func TestPrePromotionAnalysisFails(t *testing.T) {
	f := newFixture(t, "pre-fails", 2)
	f.bg().PrePromotionAnalysis = errorRateAnalysis(svcFailing)
	f.createErrorRateTemplate()
	v1 := f.start()
	h := f.follow()

	v2 := f.setImage(image("v2"))
	runName := f.runName(v2, "pre")
	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseFailed)
	ro := f.waitAborted(v2, rampv1alpha1.ReasonAnalysisFailed)
	f.checkAnalysisAbort(ro, v1)
	f.waitService(f.previewService(), v1)
	f.waitSelectors("after the abort", v1, v1)
	f.waitRS(v2, 0)
	f.checkService("after the abort", f.activeService(), v1)
	f.checkScaledDownAfterRun(h, v2, run)

	f.checkNeverSelected(h, f.activeService(), v2)
	f.checkSelections(h, f.previewService(), v1, v2, v1)
	f.checkKeptAt(h, v1, 2, 0, "the stable version during the aborted update")
	created, okCreated := first(h, runName, func(*rampv1alpha1.AnalysisRun) bool { return true })
	ready, okReady := first(h, f.rsName(v2), func(rs *appsv1.ReplicaSet) bool { return rs.Status.AvailableReplicas >= 2 })
	if !okCreated || !okReady || created.rv < ready.rv {
		t.Errorf("run %s (created at resourceVersion %d) must start once the preview is ready (%d)\nhistory:%s",
			runName, created.rv, ready.rv, h)
	}
}

// TestPostPromotionAnalysisFails updates a Rollout (automatic promotion)
// whose post-promotion analysis measures a service failing 30% of its
// requests. The active Service switches to the new version, the run
// <rollout>-<hash>-post starts after that and fails, and the active
// Service switches back to the old version, which was never scaled down
// nor replaced as stable. The update is aborted (Degraded, AnalysisFailed,
// the metric named) and the new ReplicaSet scales to 0 no earlier than
// abortScaleDownDelaySeconds after the run failed.
func TestPostPromotionAnalysisFails(t *testing.T) {
	f := newFixture(t, "post-fails", 2)
	f.bg().PostPromotionAnalysis = errorRateAnalysis(svcFailing)
	f.createErrorRateTemplate()
	v1 := f.start()
	h := f.follow()

	v2 := f.setImage(image("v2"))
	runName := f.runName(v2, "post")
	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseFailed)
	ro := f.waitAborted(v2, rampv1alpha1.ReasonAnalysisFailed)
	f.checkAnalysisAbort(ro, v1)
	f.waitService(f.activeService(), v1)
	f.waitRollout("status.blueGreen.activeSelector to be back on "+v1, func(r *rampv1alpha1.Rollout) bool {
		return r.Status.BlueGreen.ActiveSelector == v1
	})
	f.waitRS(v2, 0)
	f.checkScaledDownAfterRun(h, v2, run)

	f.checkSelections(h, f.activeService(), v1, v2, v1)
	f.checkOnlyAvailableSelected(h, f.activeService())
	f.checkKeptAt(h, v1, 2, 0, "the old version, which the active Service went back to")
	if v, ok := first(h, f.name(), func(r *rampv1alpha1.Rollout) bool { return r.Status.StableRS == v2 }); ok {
		t.Errorf("status.stableRS was %s at resourceVersion %d, before its post-promotion analysis succeeded: %s", v2, v.rv, describeRollout(v.obj))
	}
	created, okCreated := first(h, runName, func(*rampv1alpha1.AnalysisRun) bool { return true })
	switched, okSwitched := first(h, f.activeService(), func(svc *corev1.Service) bool { return selected(svc) == v2 })
	if !okCreated || !okSwitched || created.rv < switched.rv {
		t.Errorf("run %s (created at resourceVersion %d) must start after Service %s switched to %s (%d)\nhistory:%s",
			runName, created.rv, f.activeService(), v2, switched.rv, h)
	}
}

// checkAnalysisAbort checks an update aborted by a failed run: the stable
// revision is still stable and the message names the metric. (Whether
// status.blueGreen still names the run after the abort is left open: the
// run can fail before any status write names it. TestUndoWithinDelay
// checks those fields on runs that pass.)
func (f *fixture) checkAnalysisAbort(ro *rampv1alpha1.Rollout, stable string) {
	f.t.Helper()
	if ro.Status.StableRS != stable {
		f.t.Errorf("status.stableRS is %q after the abort, want %q: %s", ro.Status.StableRS, stable, describeRollout(ro))
	}
	if !strings.Contains(ro.Status.Message, "error-rate") {
		f.t.Errorf("status.message does not name the metric error-rate: %s", describeRollout(ro))
	}
}

// checkScaledDownAfterRun checks that the ReplicaSet of hash began to
// scale down no earlier than abortScaleDownDelaySeconds after run
// completed (its completedAt, in whole seconds, is never later than the
// abort it caused).
func (f *fixture) checkScaledDownAfterRun(h *history, hash string, run *rampv1alpha1.AnalysisRun) {
	f.t.Helper()
	if run.Status.CompletedAt == nil {
		f.t.Errorf("run %s has no completedAt: %s", run.Name, describeRun(run))
		return
	}
	f.checkScaledDownAfter(h, hash, run.Status.CompletedAt.Add(shortDelay*time.Second),
		"abortScaleDownDelaySeconds after run "+run.Name+" completed")
}
