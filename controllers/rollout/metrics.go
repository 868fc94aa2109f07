package rollout

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Controller metrics. Labels name the rollout (namespace and name) and a
// small fixed set of values: never pods, hashes or messages, so the number
// of series grows with the number of rollouts only. A rollout's series are
// removed when it is deleted.
var (
	metricInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ramp_rollout_info",
		Help: "Always 1; the labels give the rollout's strategy and phase.",
	}, []string{"namespace", "name", "strategy", "phase"})

	metricReplicas = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ramp_rollout_replicas",
		Help: "Pods of the rollout by kind: desired (spec.replicas), current, updated, ready, available.",
	}, []string{"namespace", "name", "kind"})

	metricStep = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ramp_rollout_current_step",
		Help: "Index of the current canary step (equal to the number of steps once all are done).",
	}, []string{"namespace", "name"})

	metricSteps = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ramp_rollout_steps",
		Help: "Number of canary steps.",
	}, []string{"namespace", "name"})

	metricErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_rollout_reconcile_errors_total",
		Help: "Reconciles of the rollout that failed with an error (an invalid spec is not an error: see the Stalled condition).",
	}, []string{"namespace", "name"})
)

func init() {
	metrics.Registry.MustRegister(metricInfo, metricReplicas, metricStep, metricSteps, metricErrors)
}

// strategyName is the strategy label of a rollout.
func strategyName(ro *rampv1alpha1.Rollout) string {
	switch {
	case ro.Spec.Strategy.Canary != nil:
		return "canary"
	case ro.Spec.Strategy.BlueGreen != nil:
		return "blueGreen"
	case ro.Spec.Strategy.ProfileRef != nil:
		return "profile"
	}
	return "none"
}

// infoLabels remembers the strategy and phase labels of each rollout's
// ramp_rollout_info series, so that a change deletes the old series by its
// exact labels: a partial-match delete would scan every series, a cost that
// grows with the number of rollouts at every reconcile.
var infoLabels sync.Map // types.NamespacedName -> [2]string

// recordMetrics publishes a rollout's state.
func recordMetrics(ro *rampv1alpha1.Rollout) {
	key := types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name}
	info := [2]string{strategyName(ro), string(ro.Status.Phase)}
	if old, ok := infoLabels.Swap(key, info); !ok || old.([2]string) != info {
		if ok {
			prev := old.([2]string)
			metricInfo.DeleteLabelValues(ro.Namespace, ro.Name, prev[0], prev[1])
		}
		metricInfo.WithLabelValues(ro.Namespace, ro.Name, info[0], info[1]).Set(1)
	}
	st := &ro.Status
	for kind, v := range map[string]int32{
		"desired":   ptr.Deref(ro.Spec.Replicas, rampv1alpha1.DefaultReplicas),
		"current":   st.Replicas,
		"updated":   st.UpdatedReplicas,
		"ready":     st.ReadyReplicas,
		"available": st.AvailableReplicas,
	} {
		metricReplicas.WithLabelValues(ro.Namespace, ro.Name, kind).Set(float64(v))
	}
	metricStep.WithLabelValues(ro.Namespace, ro.Name).Set(float64(ptr.Deref(st.CurrentStepIndex, 0)))
	steps := 0
	if c := ro.Spec.Strategy.Canary; c != nil {
		steps = len(c.Steps)
	}
	metricSteps.WithLabelValues(ro.Namespace, ro.Name).Set(float64(steps))
}

// forgetMetrics removes a deleted rollout's series.
func forgetMetrics(key types.NamespacedName) {
	infoLabels.Delete(key)
	ids := prometheus.Labels{"namespace": key.Namespace, "name": key.Name}
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{metricInfo, metricReplicas, metricStep, metricSteps, metricErrors} {
		v.DeletePartialMatch(ids)
	}
}

// countError counts a failed reconcile of a rollout.
func countError(key types.NamespacedName) {
	metricErrors.WithLabelValues(key.Namespace, key.Name).Inc()
}
