package rollout

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestMetrics(t *testing.T) {
	ro := &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "metrics-test", Name: "web"},
		Spec: rampv1alpha1.RolloutSpec{Replicas: ptr.To[int32](4), Strategy: rampv1alpha1.RolloutStrategy{
			Canary: &rampv1alpha1.CanaryStrategy{Steps: []rampv1alpha1.CanaryStep{setWeight(50), pause("")}}}},
		Status: rampv1alpha1.RolloutStatus{Phase: rampv1alpha1.RolloutPhasePaused, CurrentStepIndex: ptr.To[int32](1),
			Replicas: 5, UpdatedReplicas: 2, ReadyReplicas: 5, AvailableReplicas: 5},
	}
	recordMetrics(ro)
	ro.Status.Phase = rampv1alpha1.RolloutPhaseHealthy
	recordMetrics(ro)

	want := `
# HELP ramp_rollout_info Always 1; the labels give the rollout's strategy and phase.
# TYPE ramp_rollout_info gauge
ramp_rollout_info{name="web",namespace="metrics-test",phase="Healthy",strategy="canary"} 1
`
	if err := testutil.CollectAndCompare(metricInfo, strings.NewReader(want)); err != nil {
		t.Errorf("a phase change left the old series or lacks the new: %v", err)
	}
	if got := testutil.ToFloat64(metricReplicas.WithLabelValues("metrics-test", "web", "available")); got != 5 {
		t.Errorf("available replicas = %v", got)
	}
	if got := testutil.ToFloat64(metricStep.WithLabelValues("metrics-test", "web")); got != 1 {
		t.Errorf("current step = %v", got)
	}
	countError(types.NamespacedName{Namespace: "metrics-test", Name: "web"})

	forgetMetrics(types.NamespacedName{Namespace: "metrics-test", Name: "web"})
	for name, n := range map[string]int{
		"info": testutil.CollectAndCount(metricInfo), "replicas": testutil.CollectAndCount(metricReplicas),
		"step": testutil.CollectAndCount(metricStep), "errors": testutil.CollectAndCount(metricErrors),
	} {
		if n != 0 {
			t.Errorf("%s: %d series left after the rollout was deleted", name, n)
		}
	}
}
