package analysisrun

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// This file holds the measurement engine's decisions: pure functions of a
// run's spec, its status and the time. The reconciler takes the
// measurements they call for and records them.

// settings are a metric's schedule and limits with their defaults.
type settings struct {
	interval, initialDelay time.Duration
	// count is the number of measurements to take; 0 means until the run is
	// terminated.
	count int32
	// limits; -1 means never.
	failureLimit, inconclusiveLimit, consecutiveErrorLimit int32
	retention                                              int
	dryRun                                                 bool
}

// settingsOf resolves a metric's settings within its run.
func settingsOf(run *rampv1alpha1.AnalysisRun, m *rampv1alpha1.Metric) (settings, error) {
	s := settings{
		failureLimit:          ptr.Deref(m.FailureLimit, 0),
		inconclusiveLimit:     ptr.Deref(m.InconclusiveLimit, 0),
		consecutiveErrorLimit: ptr.Deref(m.ConsecutiveErrorLimit, rampv1alpha1.DefaultConsecutiveErrorLimit),
		retention:             int(rampv1alpha1.DefaultMeasurementRetention),
	}
	var err error
	if m.Interval != "" {
		if s.interval, err = time.ParseDuration(string(m.Interval)); err != nil {
			return s, fmt.Errorf("metric %s: interval: %w", m.Name, err)
		}
	}
	if m.InitialDelay != "" {
		if s.initialDelay, err = time.ParseDuration(string(m.InitialDelay)); err != nil {
			return s, fmt.Errorf("metric %s: initialDelay: %w", m.Name, err)
		}
	}
	switch {
	case m.Count != nil:
		s.count = *m.Count
	case s.interval == 0:
		s.count = 1
	}
	for _, r := range run.Spec.MeasurementRetention {
		if r.MetricName == m.Name || (r.MetricName == "*" && s.retention == int(rampv1alpha1.DefaultMeasurementRetention)) {
			s.retention = int(r.Limit)
		}
	}
	for _, d := range run.Spec.DryRun {
		if d.MetricName == m.Name || d.MetricName == "*" {
			s.dryRun = true
		}
	}
	return s, nil
}

// resultFor returns the run's result for metric name, adding it if missing.
func resultFor(st *rampv1alpha1.AnalysisRunStatus, name string, dryRun bool) *rampv1alpha1.MetricResult {
	for i := range st.MetricResults {
		if st.MetricResults[i].Name == name {
			return &st.MetricResults[i]
		}
	}
	st.MetricResults = append(st.MetricResults, rampv1alpha1.MetricResult{
		Name: name, Phase: rampv1alpha1.AnalysisPhasePending, DryRun: dryRun,
	})
	return &st.MetricResults[len(st.MetricResults)-1]
}

// running returns the measurement in progress, or nil.
func running(res *rampv1alpha1.MetricResult) *rampv1alpha1.Measurement {
	if n := len(res.Measurements); n > 0 && res.Measurements[n-1].Phase == rampv1alpha1.AnalysisPhaseRunning {
		return &res.Measurements[n-1]
	}
	return nil
}

// dueAt is when the next measurement of a metric starts; ok is false when
// no more are to be taken.
func dueAt(s settings, res *rampv1alpha1.MetricResult, startedAt time.Time) (time.Time, bool) {
	if res.Phase.Completed() || running(res) != nil {
		return time.Time{}, false
	}
	if s.count > 0 && res.Count >= s.count {
		return time.Time{}, false
	}
	if res.Count == 0 || len(res.Measurements) == 0 {
		return startedAt.Add(s.initialDelay), true
	}
	last := res.Measurements[len(res.Measurements)-1]
	from := startedAt
	if last.FinishedAt != nil {
		from = last.FinishedAt.Time
	}
	return from.Add(s.interval), true
}

// record adds a finished measurement to a result (or finishes the running
// one), counts it and keeps the newest retention measurements.
func record(res *rampv1alpha1.MetricResult, m rampv1alpha1.Measurement, retention int) {
	if r := running(res); r != nil {
		m.StartedAt = r.StartedAt
		if m.Metadata == nil {
			m.Metadata = r.Metadata
		}
		*r = m
	} else {
		res.Measurements = append(res.Measurements, m)
	}
	res.Count++
	switch m.Phase {
	case rampv1alpha1.AnalysisPhaseSuccessful:
		res.Successful++
		res.ConsecutiveError = 0
	case rampv1alpha1.AnalysisPhaseFailed:
		res.Failed++
		res.ConsecutiveError = 0
	case rampv1alpha1.AnalysisPhaseInconclusive:
		res.Inconclusive++
		res.ConsecutiveError = 0
	case rampv1alpha1.AnalysisPhaseError:
		res.Error++
		res.ConsecutiveError++
	}
	trim(res, retention)
}

// start adds a running measurement.
func start(res *rampv1alpha1.MetricResult, m rampv1alpha1.Measurement, retention int) {
	res.Measurements = append(res.Measurements, m)
	trim(res, retention+1)
}

func trim(res *rampv1alpha1.MetricResult, keep int) {
	if keep < 1 {
		keep = 1
	}
	if over := len(res.Measurements) - keep; over > 0 {
		res.Measurements = append([]rampv1alpha1.Measurement(nil), res.Measurements[over:]...)
	}
}

// lastWith returns the message and value of the newest measurement in
// phase, for explanations.
func lastWith(res *rampv1alpha1.MetricResult, phase rampv1alpha1.AnalysisPhase) string {
	for i := len(res.Measurements) - 1; i >= 0; i-- {
		m := res.Measurements[i]
		if m.Phase != phase {
			continue
		}
		if m.Message != "" {
			return m.Message
		}
		return "value " + m.Value
	}
	return ""
}

// exceeds reports whether n is more than a limit (-1: never).
func exceeds(n, limit int32) bool {
	return limit >= 0 && n > limit
}

// decide sets a metric's phase and message from its counts and limits.
func decide(name string, s settings, res *rampv1alpha1.MetricResult, terminated bool) {
	if res.Phase.Completed() {
		return
	}
	switch {
	case exceeds(res.Failed, s.failureLimit):
		res.Phase = rampv1alpha1.AnalysisPhaseFailed
		res.Message = fmt.Sprintf("metric %s failed: %d of %d measurements failed, more than failureLimit %d; last: %s",
			name, res.Failed, res.Count, s.failureLimit, lastWith(res, rampv1alpha1.AnalysisPhaseFailed))
	case exceeds(res.ConsecutiveError, s.consecutiveErrorLimit):
		res.Phase = rampv1alpha1.AnalysisPhaseError
		res.Message = fmt.Sprintf("metric %s: %d measurements in a row could not be taken, more than consecutiveErrorLimit %d; last error: %s",
			name, res.ConsecutiveError, s.consecutiveErrorLimit, lastWith(res, rampv1alpha1.AnalysisPhaseError))
	case exceeds(res.Inconclusive, s.inconclusiveLimit):
		res.Phase = rampv1alpha1.AnalysisPhaseInconclusive
		res.Message = fmt.Sprintf("metric %s is inconclusive: %d of %d measurements were, more than inconclusiveLimit %d; last: %s",
			name, res.Inconclusive, res.Count, s.inconclusiveLimit, lastWith(res, rampv1alpha1.AnalysisPhaseInconclusive))
	case !terminated && s.count > 0 && res.Count >= s.count && running(res) == nil && res.Successful == 0 && res.Error > 0:
		// Within the limits, but nothing was measured: no verdict to pass.
		res.Phase = rampv1alpha1.AnalysisPhaseError
		res.Message = fmt.Sprintf("metric %s: none of its %d measurements succeeded, %d could not be taken; last error: %s",
			name, res.Count, res.Error, lastWith(res, rampv1alpha1.AnalysisPhaseError))
	case !terminated && s.count > 0 && res.Count >= s.count && running(res) == nil && res.Successful == 0 && res.Inconclusive > 0:
		res.Phase = rampv1alpha1.AnalysisPhaseInconclusive
		res.Message = fmt.Sprintf("metric %s is inconclusive: none of its %d measurements succeeded, %d were inconclusive; last: %s",
			name, res.Count, res.Inconclusive, lastWith(res, rampv1alpha1.AnalysisPhaseInconclusive))
	case terminated || (s.count > 0 && res.Count >= s.count && running(res) == nil):
		res.Phase = rampv1alpha1.AnalysisPhaseSuccessful
		res.Message = fmt.Sprintf("metric %s passed: %d of %d measurements successful", name, res.Successful, res.Count)
		if terminated {
			res.Message += " (run terminated)"
		}
	case res.Count > 0 || running(res) != nil:
		res.Phase = rampv1alpha1.AnalysisPhaseRunning
	}
}

// severity orders final phases from best to worst.
func severity(p rampv1alpha1.AnalysisPhase) int {
	switch p {
	case rampv1alpha1.AnalysisPhaseSuccessful:
		return 1
	case rampv1alpha1.AnalysisPhaseInconclusive:
		return 2
	case rampv1alpha1.AnalysisPhaseError:
		return 3
	case rampv1alpha1.AnalysisPhaseFailed:
		return 4
	}
	return 0
}

// verdict sets the run's phase, message and summaries from its metrics: a
// Failed or Error metric ends the run at once; otherwise the run ends when
// every metric has, with the worst phase among them. Dry-run metrics are
// counted apart and never decide.
func verdict(st *rampv1alpha1.AnalysisRunStatus) {
	var sum, dry rampv1alpha1.RunSummary
	var worst *rampv1alpha1.MetricResult
	allDone := true
	for i := range st.MetricResults {
		res := &st.MetricResults[i]
		target := &sum
		if res.DryRun {
			target = &dry
		}
		target.Count++
		switch res.Phase {
		case rampv1alpha1.AnalysisPhaseSuccessful:
			target.Successful++
		case rampv1alpha1.AnalysisPhaseFailed:
			target.Failed++
		case rampv1alpha1.AnalysisPhaseInconclusive:
			target.Inconclusive++
		case rampv1alpha1.AnalysisPhaseError:
			target.Error++
		}
		if res.DryRun {
			continue
		}
		if !res.Phase.Completed() {
			allDone = false
			continue
		}
		if worst == nil || severity(res.Phase) > severity(worst.Phase) {
			worst = res
		}
	}
	st.RunSummary = sum
	st.DryRunSummary = nil
	if dry.Count > 0 {
		st.DryRunSummary = &dry
	}
	switch {
	case worst != nil && (worst.Phase == rampv1alpha1.AnalysisPhaseFailed || worst.Phase == rampv1alpha1.AnalysisPhaseError):
		st.Phase, st.Message = worst.Phase, worst.Message
	case !allDone:
		st.Phase = rampv1alpha1.AnalysisPhaseRunning
		st.Message = runningMessage(st)
	case worst == nil || worst.Phase == rampv1alpha1.AnalysisPhaseSuccessful:
		st.Phase = rampv1alpha1.AnalysisPhaseSuccessful
		st.Message = fmt.Sprintf("All %d metrics passed", sum.Count)
		if sum.Count == 0 {
			st.Message = "No metric to measure"
		}
	default:
		st.Phase, st.Message = worst.Phase, worst.Message
	}
}

// runningMessage says what a run is measuring.
func runningMessage(st *rampv1alpha1.AnalysisRunStatus) string {
	var parts []string
	for _, res := range st.MetricResults {
		if res.Phase.Completed() || res.DryRun {
			continue
		}
		part := fmt.Sprintf("%s %d measured", res.Name, res.Count)
		if n := len(res.Measurements); n > 0 && res.Measurements[n-1].Value != "" {
			part += ", last " + res.Measurements[n-1].Value
		}
		parts = append(parts, part)
	}
	return "Measuring: " + strings.Join(parts, "; ")
}

// metaTime is a time for status, to the second.
func metaTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}

// microTime is a time for status, to the microsecond: measurement times,
// which schedules below a second rely on.
func microTime(t time.Time) *metav1.MicroTime {
	mt := metav1.NewMicroTime(t)
	return &mt
}
