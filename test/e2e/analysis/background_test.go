package analysise2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// backgroundMetric makes the error-rate metric a background one: measured
// every second until the run is stopped.
func backgroundMetric(m *rampv1alpha1.Metric) {
	m.Count = nil
}

// TestBackgroundAnalysisFails runs background analysis from step index 1
// (startingStep 1) of setWeight 25, pause 2s, setWeight 50, pause, with 30%
// of the requests failing: no background run exists while the update is at
// step index 0; once it reaches step index 1 the run <rollout>-<hash>-background
// starts, fails, and the update is aborted with that run named in
// status.abortedBy, its pods back on the stable revision.
func TestBackgroundAnalysisFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "search", 4, framework.SetWeight(25), framework.PauseFor(2*time.Second), framework.SetWeight(50), framework.Pause())
	bg := analysisOf("error-rate", svcBackground)
	f.ro.Spec.Strategy.Canary.Analysis = &rampv1alpha1.RolloutAnalysisBackground{RolloutAnalysis: bg, StartingStep: ptr.To[int32](1)}
	dumpPrometheusOnFailure(t, shared)
	f.createTemplate(errorRateTemplate(shared.Address(), backgroundMetric))
	v1 := f.start()
	h := f.recordHistory()

	v2 := f.setImage("v2")
	runName := f.backgroundRunName(v2)
	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseFailed)
	ro := f.waitAbortedBack(v2, v1)
	if want := fmt.Sprintf("analysis run %s (Failed): %s", runName, run.Status.Message); ro.Status.AbortedBy != want {
		t.Errorf("status.abortedBy = %q, want %q", ro.Status.AbortedBy, want)
	}
	checkContains(t, "the run's status.message", run.Status.Message, "error-rate", passCondition)
	checkValueNear(t, "the run's status.message", run.Status.Message, 0.3)
	checkContains(t, "status.message", ro.Status.Message, runName)
	if !framework.ControlledBy(run, "Rollout", f.name()) {
		t.Errorf("run %s is not controlled by Rollout %s: owners %+v", runName, f.name(), run.OwnerReferences)
	}
	f.waitEvent(ro, "Aborted", runName)

	// The whole history of the update: the run was named only from step
	// index 1 on, and the update was seen at step index 0 without it.
	var sawStep0, sawRun bool
	for _, v := range h.versions(v2) {
		st := v.Status
		idx := framework.StepIndex(v)
		switch {
		case st.Canary.CurrentBackgroundAnalysisRun != "" && idx < 1:
			t.Errorf("background run %q started at step index %d, before startingStep 1: %s", st.Canary.CurrentBackgroundAnalysisRun, idx, framework.DescribeRollout(v))
		case st.Canary.CurrentBackgroundAnalysisRun == runName:
			sawRun = true
		case idx == 0 && !st.Abort:
			sawStep0 = true
		}
	}
	if !sawStep0 {
		t.Errorf("the update to %s was never seen at step index 0, so the check of startingStep proves nothing: %s", v2, h.describe(v2))
	}
	if !sawRun {
		t.Errorf("no status named the background run %s in status.canary.currentBackgroundAnalysisRun: %s", runName, h.describe(v2))
	}
}

// TestBackgroundRunsStoppedAndPruned ships three updates (setWeight 50,
// pause; background analysis with no count, which measures until stopped)
// with analysis.successfulRunHistoryLimit 1. Each update's background run
// measures while the update is paused; once the update is promoted the run
// gets spec.terminate, ends Successful as terminated, and takes no further
// measurement. Finished successful runs beyond the limit are deleted: during
// the third update only the second update's run and the current one are
// left, and after it only the current one.
func TestBackgroundRunsStoppedAndPruned(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "profile", 2, framework.SetWeight(50), framework.Pause())
	f.ro.Spec.Strategy.Canary.Analysis = &rampv1alpha1.RolloutAnalysisBackground{RolloutAnalysis: analysisOf("error-rate", svcPrune)}
	f.ro.Spec.Analysis = &rampv1alpha1.AnalysisRunHistory{SuccessfulRunHistoryLimit: ptr.To[int32](1)}
	dumpPrometheusOnFailure(t, shared)
	f.createTemplate(errorRateTemplate(shared.Address(), backgroundMetric))
	f.start()

	// startUpdate starts revision v and waits until it is paused with its
	// background run measuring successfully.
	var lastCreated metav1.Time
	startUpdate := func(v string) (hash, run string) {
		t.Helper()
		if !lastCreated.IsZero() {
			// Bounded wait (under a second), with nothing to watch: runs
			// created in the same second are not told apart by the pruning
			// (see TestRunHistoryKeepsNewest); this test checks the rest.
			time.Sleep(time.Until(lastCreated.Add(time.Second)))
		}
		hash = f.setImage(v)
		ro := f.waitPausedAt(hash, 1)
		run = f.backgroundRunName(hash)
		if ro.Status.Canary.CurrentBackgroundAnalysisRun != run {
			t.Errorf("status.canary.currentBackgroundAnalysisRun = %q while paused, want %q", ro.Status.Canary.CurrentBackgroundAnalysisRun, run)
		}
		r := f.waitRun(run, "Running with a successful measurement", func(r *rampv1alpha1.AnalysisRun) bool {
			res := metricResult(r, "error-rate")
			return r.Status.Phase == rampv1alpha1.AnalysisPhaseRunning && res != nil && res.Successful >= 1
		})
		lastCreated = r.CreationTimestamp
		return hash, run
	}
	// promote promotes the update of revision hash and waits until its
	// background run is terminated, and returns it.
	promote := func(hash, run string) *rampv1alpha1.AnalysisRun {
		t.Helper()
		framework.Promote(t, f.k8s, f.ro)
		f.waitHealthyAt(hash)
		r := f.waitRun(run, "terminated and Successful", func(r *rampv1alpha1.AnalysisRun) bool {
			return r.Spec.Terminate && r.Status.Phase == rampv1alpha1.AnalysisPhaseSuccessful
		})
		res := metricResult(r, "error-rate")
		if res == nil || res.Phase != rampv1alpha1.AnalysisPhaseSuccessful || res.Successful < 1 || res.Failed+res.Error+res.Inconclusive != 0 ||
			!strings.Contains(res.Message, "terminated") {
			t.Errorf("run %s after the promotion: want metric error-rate Successful as terminated, with successful measurements only: %s", run, describeRun(r))
		}
		if r.Status.CompletedAt == nil {
			t.Errorf("run %s has no completedAt: %s", run, describeRun(r))
		}
		return r
	}

	v2, run2 := startUpdate("v2")
	promote(v2, run2)
	f.waitRuns("only the run of v2", run2)

	v3, run3 := startUpdate("v3")
	done3 := promote(v3, run3)
	f.waitRuns("only the run of v3 (limit 1: v2's deleted)", run3)

	v4, run4 := startUpdate("v4")
	runs := f.waitRuns("the run of v3 and the current one of v4", run3, run4)
	// Time has passed since v3's run was terminated (a whole update started
	// since): it took no measurement after.
	if got, want := metricResult(runs[run3], "error-rate"), metricResult(done3, "error-rate"); got == nil || want == nil || got.Count != want.Count {
		t.Errorf("run %s measured after it was terminated: then %s, now %s", run3, describeRun(done3), describeRun(runs[run3]))
	}
	promote(v4, run4)
	f.waitRuns("only the run of v4 (limit 1: v3's deleted)", run4)
}

// waitRuns waits until the Rollout's AnalysisRuns are exactly names, and
// returns them by name.
func (f *fixture) waitRuns(what string, names ...string) map[string]*rampv1alpha1.AnalysisRun {
	f.t.Helper()
	want := slices.Sorted(slices.Values(names))
	list := framework.WaitList(f.t, f.k8s, f.ns, waitTimeout, "AnalysisRuns: "+what,
		func(l *rampv1alpha1.AnalysisRunList) (bool, string) {
			got := make([]string, 0, len(l.Items))
			var desc []string
			for i := range l.Items {
				got = append(got, l.Items[i].Name)
				desc = append(desc, l.Items[i].Name+": "+describeRun(&l.Items[i]))
			}
			slices.Sort(got)
			return slices.Equal(got, want), fmt.Sprintf("runs %v, want %v; %s", got, want, strings.Join(desc, " | "))
		}, client.MatchingLabels{rampv1alpha1.LabelRollout: f.name()})
	out := map[string]*rampv1alpha1.AnalysisRun{}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

// history records every version of the fixture's Rollout while the test
// runs.
type history struct {
	mu   sync.Mutex
	seen []*rampv1alpha1.Rollout
	rvs  map[string]bool
}

// recordHistory starts recording the Rollout's versions; it returns once
// the current one is recorded.
func (f *fixture) recordHistory() *history {
	f.t.Helper()
	h := &history{rvs: map[string]bool{}}
	framework.FollowObjects(f.t, f.k8s, &rampv1alpha1.RolloutList{},
		[]client.ListOption{client.InNamespace(f.ns), client.MatchingFields{"metadata.name": f.name()}}, waitTimeout,
		func(objs map[types.UID]*rampv1alpha1.Rollout, _ int) {
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, ro := range objs {
				if !h.rvs[ro.ResourceVersion] {
					h.rvs[ro.ResourceVersion] = true
					h.seen = append(h.seen, ro.DeepCopy())
				}
			}
		})
	return h
}

// versions returns the versions recorded so far of the update to hash.
func (h *history) versions(hash string) []*rampv1alpha1.Rollout {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*rampv1alpha1.Rollout
	for _, ro := range h.seen {
		if ro.Status.CurrentPodHash == hash {
			out = append(out, ro)
		}
	}
	return out
}

// describe sums up the recorded versions of the update to hash.
func (h *history) describe(hash string) string {
	var parts []string
	for _, ro := range h.versions(hash) {
		parts = append(parts, fmt.Sprintf("[step index %d, background run %q, phase %s]", framework.StepIndex(ro),
			ro.Status.Canary.CurrentBackgroundAnalysisRun, ro.Status.Phase))
	}
	return strings.Join(parts, " ")
}
