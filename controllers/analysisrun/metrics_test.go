package analysisrun

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestRunMetrics(t *testing.T) {
	run := &rampv1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: "metrics-test", Name: "web-abc-1"},
		Spec:       rampv1alpha1.AnalysisRunSpec{Metrics: []rampv1alpha1.Metric{webMetric("error-rate")}},
		Status: rampv1alpha1.AnalysisRunStatus{Phase: rampv1alpha1.AnalysisPhaseRunning,
			MetricResults: []rampv1alpha1.MetricResult{{Name: "error-rate", Phase: rampv1alpha1.AnalysisPhaseRunning}}},
	}
	recordRunMetrics(run)
	run.Status.Phase = rampv1alpha1.AnalysisPhaseFailed
	run.Status.MetricResults[0].Phase = rampv1alpha1.AnalysisPhaseFailed
	recordRunMetrics(run)
	if n := metricMetricPhase.DeletePartialMatch(prometheus.Labels{"namespace": "metrics-test", "phase": "Running"}); n != 0 {
		t.Errorf("%d series of the old metric phase left", n)
	}
	if got := testutil.ToFloat64(metricMetricPhase.WithLabelValues("metrics-test", "web-abc-1", "error-rate", "web", "Failed")); got != 1 {
		t.Errorf("metric phase gauge %v", got)
	}
	if got := testutil.ToFloat64(metricRunPhase.WithLabelValues("metrics-test", "web-abc-1", "Failed")); got != 1 {
		t.Errorf("run phase gauge %v", got)
	}
	observeMeasurement("web", 20*time.Millisecond)
	countMeasurementError("web")
	if got := testutil.ToFloat64(metricErrors.WithLabelValues("web")); got < 1 {
		t.Errorf("errors %v", got)
	}
	forgetRunMetrics(types.NamespacedName{Namespace: "metrics-test", Name: "web-abc-1"})
	ours := prometheus.Labels{"namespace": "metrics-test"}
	if n := metricRunPhase.DeletePartialMatch(ours) + metricMetricPhase.DeletePartialMatch(ours); n != 0 {
		t.Errorf("%d series left after the run was deleted", n)
	}
}

// TestSuccessfulRunKeepsNoSeries: a run's series go when it succeeds.
func TestSuccessfulRunKeepsNoSeries(t *testing.T) {
	run := &rampv1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: "metrics-ok", Name: "web-abc-2"},
		Spec:       rampv1alpha1.AnalysisRunSpec{Metrics: []rampv1alpha1.Metric{webMetric("error-rate")}},
		Status: rampv1alpha1.AnalysisRunStatus{Phase: rampv1alpha1.AnalysisPhaseRunning,
			MetricResults: []rampv1alpha1.MetricResult{{Name: "error-rate", Phase: rampv1alpha1.AnalysisPhaseRunning}}},
	}
	recordRunMetrics(run)
	ours := prometheus.Labels{"namespace": "metrics-ok"}
	if got := testutil.ToFloat64(metricRunPhase.WithLabelValues("metrics-ok", "web-abc-2", "Running")); got != 1 {
		t.Fatalf("run phase gauge of the running run %v", got)
	}
	run.Status.Phase = rampv1alpha1.AnalysisPhaseSuccessful
	run.Status.MetricResults[0].Phase = rampv1alpha1.AnalysisPhaseSuccessful
	recordRunMetrics(run)
	if n := metricRunPhase.DeletePartialMatch(ours) + metricMetricPhase.DeletePartialMatch(ours); n != 0 {
		t.Errorf("%d series left after the run succeeded", n)
	}
}
