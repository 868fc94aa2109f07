package view

import (
	"fmt"
	"strings"
	"time"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// lastValues is how many of the deciding metric's values a run shows.
const lastValues = 3

// runState is the state of an AnalysisRun's phase.
func runState(p rampv1alpha1.AnalysisPhase) state {
	switch p {
	case rampv1alpha1.AnalysisPhaseSuccessful:
		return state{iconHealthy, string(p), good}
	case rampv1alpha1.AnalysisPhaseRunning:
		return state{iconBusy, string(p), busy}
	case rampv1alpha1.AnalysisPhaseFailed, rampv1alpha1.AnalysisPhaseError:
		return state{iconBad, string(p), bad}
	case rampv1alpha1.AnalysisPhaseInconclusive:
		return state{iconWarning, string(p), waiting}
	}
	return state{iconBusy, string(rampv1alpha1.AnalysisPhasePending), busy}
}

// runSummary says what decided an AnalysisRun, from its deciding metric:
// its last values, newest first, and the condition they are held to, such
// as "error-rate: 0.31, 0.29 (successCondition result[0] < 0.05)". A run
// with no measurement yet shows its message.
func runSummary(run *rampv1alpha1.AnalysisRun) string {
	res := decidingMetric(run)
	if res == nil || len(res.Measurements) == 0 {
		return clean(run.Status.Message)
	}
	var values []string
	for i := len(res.Measurements) - 1; i >= 0 && len(values) < lastValues; i-- {
		m := res.Measurements[i]
		switch {
		case m.Phase == rampv1alpha1.AnalysisPhaseError:
			values = append(values, "error")
		case m.Value == "":
			values = append(values, strings.ToLower(string(m.Phase)))
		default:
			values = append(values, clean(m.Value))
		}
	}
	text := clean(res.Name) + ": " + strings.Join(values, ", ")
	if c := heldTo(run, res); c != "" {
		text += " (" + c + ")"
	}
	if res.DryRun {
		text += " [dry run]"
	}
	return text
}

// heldTo names the condition that judges a metric: failureCondition for
// a failed metric that has one, else successCondition, else
// failureCondition; for a metric that errored, the last error instead.
func heldTo(run *rampv1alpha1.AnalysisRun, res *rampv1alpha1.MetricResult) string {
	if last := res.Measurements[len(res.Measurements)-1]; last.Phase == rampv1alpha1.AnalysisPhaseError {
		return "last error: " + clean(last.Message)
	}
	var spec *rampv1alpha1.Metric
	for i := range run.Spec.Metrics {
		if run.Spec.Metrics[i].Name == res.Name {
			spec = &run.Spec.Metrics[i]
		}
	}
	switch {
	case spec == nil:
		return ""
	case res.Phase == rampv1alpha1.AnalysisPhaseFailed && spec.FailureCondition != "":
		return "failureCondition " + clean(spec.FailureCondition)
	case spec.SuccessCondition != "":
		return "successCondition " + clean(spec.SuccessCondition)
	case spec.FailureCondition != "":
		return "failureCondition " + clean(spec.FailureCondition)
	}
	return ""
}

// decidingMetric is the metric that decided a finished run that did not
// pass (the first whose phase is the run's), or else the one measured
// last. Dry-run metrics never decide a run, but one may be the last
// measured of a run still going.
func decidingMetric(run *rampv1alpha1.AnalysisRun) *rampv1alpha1.MetricResult {
	results := run.Status.MetricResults
	if p := run.Status.Phase; p.Completed() && p != rampv1alpha1.AnalysisPhaseSuccessful {
		for i := range results {
			if !results[i].DryRun && results[i].Phase == p {
				return &results[i]
			}
		}
	}
	var last *rampv1alpha1.MetricResult
	var lastAt time.Time
	for i := range results {
		res := &results[i]
		if at := measuredAt(res); last == nil || at.After(lastAt) {
			last, lastAt = res, at
		}
	}
	return last
}

// measuredAt is when a metric's latest measurement finished, or started
// if it is still running; zero without measurements.
func measuredAt(res *rampv1alpha1.MetricResult) time.Time {
	if len(res.Measurements) == 0 {
		return time.Time{}
	}
	m := res.Measurements[len(res.Measurements)-1]
	switch {
	case m.FinishedAt != nil:
		return m.FinishedAt.Time
	case m.StartedAt != nil:
		return m.StartedAt.Time
	}
	return time.Time{}
}

// runsInfo sums up the runs of a collapsed revision, such as
// "2 analysis runs".
func runsInfo(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "1 analysis run"
	}
	return fmt.Sprintf("%d analysis runs", n)
}
