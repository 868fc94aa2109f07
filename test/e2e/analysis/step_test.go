package analysise2e

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestAnalysisStepPasses walks setWeight 50, analysis, setWeight 100 with a
// Prometheus metric that passes (no errors; two measurements at an interval
// of 1s, which TestMeasurementInterval checks): the run <rollout>-<hash>-1 is created for the analysis step,
// controlled by the Rollout, ends Successful with both measurements and
// their values in status, and only then does the rollout move on and end
// Healthy on the new revision.
func TestAnalysisStepPasses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "checkout", 2, framework.SetWeight(50), analysisStep("error-rate", svcPasses), framework.SetWeight(100))
	dumpPrometheusOnFailure(t, shared)
	f.createTemplate(errorRateTemplate(shared.Address(), nil))
	v1 := f.start()
	f.checkStepWaitsForRun(v1, 1)

	v2 := f.setImage("v2")
	runName := f.stepRunName(v2, 1)
	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseSuccessful)
	ro := f.waitHealthyAt(v2)
	f.waitRS(v2, 2)
	f.waitRS(v1, 0)

	if !framework.ControlledBy(run, "Rollout", f.name()) {
		t.Errorf("run %s is not controlled by Rollout %s: owners %+v", runName, f.name(), run.OwnerReferences)
	}
	res := metricResult(run, "error-rate")
	if res == nil {
		t.Fatalf("run %s has no result for metric error-rate: %s", runName, describeRun(run))
	}
	if res.Phase != rampv1alpha1.AnalysisPhaseSuccessful || res.Count != 2 || res.Successful != 2 || len(res.Measurements) != 2 {
		t.Errorf("metric error-rate: want Successful with 2 of 2 measurements successful and kept; run: %s", describeRun(run))
	}
	for i, m := range res.Measurements {
		if m.Phase != rampv1alpha1.AnalysisPhaseSuccessful || m.Value != "[0]" || m.StartedAt == nil || m.FinishedAt == nil {
			t.Errorf("measurement %d: phase %s, value %q, started %v, finished %v; want Successful, value [0] and both times",
				i+1, m.Phase, m.Value, m.StartedAt, m.FinishedAt)
		}
	}
	if run.Status.CompletedAt == nil {
		t.Errorf("run %s has no completedAt: %s", runName, describeRun(run))
	}
	if c := meta.FindStatusCondition(run.Status.Conditions, rampv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("run %s: condition Ready = %+v, want True", runName, c)
	}
	if framework.StepIndex(ro) != 3 {
		t.Errorf("status.currentStepIndex = %d, want 3 (all steps done)", framework.StepIndex(ro))
	}

	f.waitEvent(ro, "StepCompleted", "Step 2 of 3", "analysis")
	f.waitEvent(run, "AnalysisRunSuccessful")
}

// TestFailingAnalysisAborts runs an analysis step whose metric fails (30%
// of the requests fail, the condition wants under 5%, failureLimit 1): the
// run ends Failed after two failed measurements, and the update is aborted
// on its own: phase Degraded, canary ReplicaSet at 0, stable at full size.
// The run's message, status.message, status.abortedBy and the Aborted Event
// all name the metric, the measured value, the condition and the limit.
func TestFailingAnalysisAborts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "payments", 2, framework.SetWeight(50), analysisStep("error-rate", svcFails), framework.SetWeight(100))
	dumpPrometheusOnFailure(t, shared)
	f.createTemplate(errorRateTemplate(shared.Address(), func(m *rampv1alpha1.Metric) {
		m.Count = ptr.To[int32](3)
		m.FailureLimit = ptr.To[int32](1)
	}))
	v1 := f.start()

	v2 := f.setImage("v2")
	runName := f.stepRunName(v2, 1)
	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseFailed)
	res := metricResult(run, "error-rate")
	if res == nil || res.Phase != rampv1alpha1.AnalysisPhaseFailed || res.Failed != 2 || res.Count != 2 {
		t.Errorf("metric error-rate: want Failed after 2 failed measurements (failureLimit 1, not waiting for the third); run: %s", describeRun(run))
	}
	msg := run.Status.Message
	// What a person needs to read the verdict: which metric, what value,
	// which condition, which limit.
	explains := func(what, s string) {
		t.Helper()
		checkContains(t, what, s, "error-rate", passCondition, "failureLimit 1")
		checkValueNear(t, what, s, 0.3)
	}
	explains("the run's status.message", msg)

	ro := f.waitAbortedBack(v2, v1)
	if want := fmt.Sprintf("analysis run %s (Failed): %s", runName, msg); ro.Status.AbortedBy != want {
		t.Errorf("status.abortedBy = %q, want %q", ro.Status.AbortedBy, want)
	}
	explains("status.message", ro.Status.Message)
	checkContains(t, "status.message", ro.Status.Message, runName)
	if c := meta.FindStatusCondition(ro.Status.Conditions, rampv1alpha1.ConditionStalled); c == nil || c.Status != metav1.ConditionTrue ||
		c.Reason != rampv1alpha1.ReasonAnalysisFailed {
		t.Errorf("condition Stalled = %+v, want True with reason AnalysisFailed after the abort", c)
	}
	if c := meta.FindStatusCondition(ro.Status.Conditions, rampv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("condition Ready = %+v, want False after the abort", c)
	}

	note := f.waitEvent(ro, "Aborted", runName)
	explains("the Aborted Event", note)
	f.waitEvent(run, "AnalysisRunFailed", "error-rate", "failureLimit 1")

	// Once its Events are out, the Rollout still holds the abort: v1 stays
	// stable and the update is not retried on its own.
	if got := f.get(); got.Status.StableRS != v1 || got.Status.CurrentPodHash != v2 || !got.Status.Abort {
		t.Errorf("after the abort: %s", framework.DescribeRollout(got))
	}
}

// TestInconclusiveAnalysisPauses runs an analysis step whose measurement
// meets neither condition (20% errors: not under 5%, not over 50%): the run
// ends Inconclusive, and the rollout waits for a person: phase Paused with
// a pause condition InconclusiveAnalysis, at the analysis step, canary pods
// held at the step's weight, and a message that says why. Promoting (clearing
// the pause conditions) completes the step, and the rollout goes on to
// Healthy without measuring again.
func TestInconclusiveAnalysisPauses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "cart", 2, framework.SetWeight(50), analysisStep("error-rate", svcInconclusive), framework.SetWeight(100))
	dumpPrometheusOnFailure(t, shared)
	failCondition := "len(result) > 0 && result[0] > 0.5"
	f.createTemplate(errorRateTemplate(shared.Address(), func(m *rampv1alpha1.Metric) {
		m.FailureCondition = failCondition
	}))
	v1 := f.start()

	v2 := f.setImage("v2")
	runName := f.stepRunName(v2, 1)
	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseInconclusive)
	checkContains(t, "the run's status.message", run.Status.Message, "error-rate", passCondition, failCondition, "inconclusiveLimit 0")
	checkValueNear(t, "the run's status.message", run.Status.Message, 0.2)

	ro := f.waitPausedAt(v2, 1)
	if len(ro.Status.PauseConditions) != 1 || ro.Status.PauseConditions[0].Reason != rampv1alpha1.PauseReasonInconclusiveAnalysis {
		t.Errorf("pauseConditions = %+v, want one InconclusiveAnalysis", ro.Status.PauseConditions)
	}
	if c := meta.FindStatusCondition(ro.Status.Conditions, rampv1alpha1.ConditionPaused); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("condition Paused = %+v, want True", c)
	}
	// The message tells a person why the rollout waits: an inconclusive
	// analysis, at which step, and of which metric.
	checkContains(t, "status.message while paused", ro.Status.Message, "InconclusiveAnalysis", "step 2/3", "error-rate")
	f.waitRS(v2, 1)
	f.waitRS(v1, 1)

	framework.Promote(t, f.k8s, ro)
	ro = f.waitHealthyAt(v2)
	f.waitRS(v1, 0)
	f.waitEvent(ro, "StepCompleted", "Step 2 of 3", "analysis")
	f.waitEvent(ro, "Resumed", "step 2 of 3")

	// Promoted past the inconclusive run, not measured again.
	for name, r := range f.runs() {
		if name != runName {
			t.Errorf("unexpected run %s after the promotion: %s", name, describeRun(r))
		}
	}
	if r := framework.Get(t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: runName}, &rampv1alpha1.AnalysisRun{}); r.Status.Phase != rampv1alpha1.AnalysisPhaseInconclusive {
		t.Errorf("run %s after the promotion: %s, want it left Inconclusive", runName, describeRun(r))
	}
}

// checkStepWaitsForRun checks, until the test ends, that no revision other
// than stable moves past the analysis step at index before its step run is
// Successful: at every version of the Rollout past that step, the run (read
// afterwards, so at least as new as the controller's view) must be
// Successful.
func (f *fixture) checkStepWaitsForRun(stable string, index int32) {
	f.t.Helper()
	checked := map[string]bool{}
	framework.FollowObjects(f.t, f.k8s, &rampv1alpha1.RolloutList{},
		[]client.ListOption{client.InNamespace(f.ns), client.MatchingFields{"metadata.name": f.name()}}, waitTimeout,
		func(objs map[types.UID]*rampv1alpha1.Rollout, _ int) {
			for _, ro := range objs {
				hash := ro.Status.CurrentPodHash
				past := framework.StepIndex(ro) > index || ro.Status.StableRS == hash
				if hash == "" || hash == stable || checked[hash] || !past {
					continue
				}
				checked[hash] = true
				ctx, cancel := context.WithTimeout(context.Background(), framework.APITimeout)
				run := &rampv1alpha1.AnalysisRun{}
				err := f.k8s.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: f.stepRunName(hash, int(index))}, run)
				cancel()
				switch {
				case err != nil:
					f.t.Errorf("revision %s moved past the analysis step (%s), but its run cannot be read: %v", hash, framework.DescribeRollout(ro), err)
				case run.Status.Phase != rampv1alpha1.AnalysisPhaseSuccessful:
					f.t.Errorf("revision %s moved past the analysis step (%s) while its run was %s", hash, framework.DescribeRollout(ro), describeRun(run))
				}
			}
		})
}
