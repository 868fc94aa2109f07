package analysisrun

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Analysis metrics. Run series are removed when the run succeeds or is
// deleted (runs are pruned by the rollouts' history limits), so their
// number stays bounded by the runs in progress and those that did not
// succeed.
var (
	metricRunPhase = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ramp_analysis_run_phase",
		Help: "1 for the current phase of each AnalysisRun in progress or finished without success.",
	}, []string{"namespace", "name", "phase"})

	metricMetricPhase = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ramp_analysis_metric_phase",
		Help: "1 for the current phase of each metric of each AnalysisRun in progress or finished without success.",
	}, []string{"namespace", "run", "metric", "provider", "phase"})

	metricRunsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_analysis_runs_finished_total",
		Help: "AnalysisRuns that reached a final phase, by phase.",
	}, []string{"phase"})

	metricDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ramp_analysis_measurement_duration_seconds",
		Help:    "Time a provider took to take (or check) a measurement.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"provider"})

	metricErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_analysis_measurement_errors_total",
		Help: "Measurements that could not be taken, by provider.",
	}, []string{"provider"})
)

func init() {
	metrics.Registry.MustRegister(metricRunPhase, metricMetricPhase, metricRunsFinished, metricDuration, metricErrors)
}

func observeMeasurement(provider string, d time.Duration) {
	metricDuration.WithLabelValues(provider).Observe(d.Seconds())
}

func countMeasurementError(provider string) {
	metricErrors.WithLabelValues(provider).Inc()
}

// analysisPhases are the phases a run or metric series may carry.
var analysisPhases = []rampv1alpha1.AnalysisPhase{
	"", rampv1alpha1.AnalysisPhasePending, rampv1alpha1.AnalysisPhaseRunning, rampv1alpha1.AnalysisPhaseSuccessful,
	rampv1alpha1.AnalysisPhaseFailed, rampv1alpha1.AnalysisPhaseError, rampv1alpha1.AnalysisPhaseInconclusive,
}

// countRunFinished counts a run that has just reached a final phase.
func countRunFinished(phase rampv1alpha1.AnalysisPhase) {
	metricRunsFinished.WithLabelValues(string(phase)).Inc()
}

// recordRunMetrics publishes a run's phase and its metrics' phases. The
// series of other phases are deleted by their exact labels: a partial
// match would scan every run's series on each reconcile. A successful run
// keeps no series (nothing to alert on, and they would be most of them:
// a Rollout keeps five finished runs by default); it is counted in
// ramp_analysis_runs_finished_total.
func recordRunMetrics(run *rampv1alpha1.AnalysisRun) {
	succeeded := run.Status.Phase == rampv1alpha1.AnalysisPhaseSuccessful
	providers := map[string]string{}
	for i := range run.Spec.Metrics {
		providers[run.Spec.Metrics[i].Name] = analysis.ProviderName(&run.Spec.Metrics[i])
	}
	metricPhase := map[string]rampv1alpha1.AnalysisPhase{}
	for _, res := range run.Status.MetricResults {
		metricPhase[res.Name] = res.Phase
	}
	for _, phase := range analysisPhases {
		if succeeded || phase != run.Status.Phase {
			metricRunPhase.DeleteLabelValues(run.Namespace, run.Name, string(phase))
		}
		for name, provider := range providers {
			if p, ok := metricPhase[name]; succeeded || !ok || p != phase {
				metricMetricPhase.DeleteLabelValues(run.Namespace, run.Name, name, provider, string(phase))
			}
		}
	}
	if succeeded {
		return
	}
	metricRunPhase.WithLabelValues(run.Namespace, run.Name, string(run.Status.Phase)).Set(1)
	for _, res := range run.Status.MetricResults {
		metricMetricPhase.WithLabelValues(run.Namespace, run.Name, res.Name, providers[res.Name], string(res.Phase)).Set(1)
	}
}

// forgetRunMetrics removes a deleted run's series.
func forgetRunMetrics(key types.NamespacedName) {
	metricRunPhase.DeletePartialMatch(prometheus.Labels{"namespace": key.Namespace, "name": key.Name})
	metricMetricPhase.DeletePartialMatch(prometheus.Labels{"namespace": key.Namespace, "run": key.Name})
}
