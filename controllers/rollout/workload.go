package rollout

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// indexWorkloadRef indexes Rollouts by the name of the Deployment their
// spec.workloadRef names, so a change to that Deployment reconciles them.
const indexWorkloadRef = "ramp.dev/workload-ref"

// workloadRefIndex is the indexer function of indexWorkloadRef.
func workloadRefIndex(obj client.Object) []string {
	ro, ok := obj.(*rampv1alpha1.Rollout)
	if !ok || ro.Spec.WorkloadRef == nil {
		return nil
	}
	return []string{ro.Spec.WorkloadRef.Name}
}

// workloadTarget is the size the referenced Deployment should have:
// unchanged (-1) with scaleDown never; 0 once the rollout is healthy with
// onsuccess; and with progressively, what the rollout's available pods do
// not yet cover.
func workloadTarget(mode rampv1alpha1.WorkloadScaleDown, current, replicas, available int32, healthy bool) int32 {
	switch mode {
	case rampv1alpha1.ScaleDownOnSuccess:
		if healthy {
			return 0
		}
	case rampv1alpha1.ScaleDownProgressively:
		return min(current, max(0, replicas-available))
	}
	return current
}

// reconcileWorkloadScaleDown scales the Deployment of spec.workloadRef down
// as spec.workloadRef.scaleDown says, never up.
func (r *Reconciler) reconcileWorkloadScaleDown(ctx context.Context, s *scope) error {
	ref := s.rollout.Spec.WorkloadRef
	if ref == nil || s.workload == nil {
		return nil
	}
	var available int32
	for _, rs := range s.replicaSets {
		available += rs.Status.AvailableReplicas
	}
	current := ptr.Deref(s.workload.Spec.Replicas, 1)
	want := workloadTarget(ref.ScaleDown, current, s.replicas, available, isHealthy(s))
	if want >= current {
		return nil
	}
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, want))
	if err := r.Client.Patch(ctx, s.workload, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("scale down deployment %s: %w", s.workload.Name, err)
	}
	s.event(eventNormal, reasonScaledWorkload, "Scale", "Scaled down Deployment %s from %d to %d (workloadRef.scaleDown: %s)",
		s.workload.Name, current, want, ref.ScaleDown)
	return nil
}
