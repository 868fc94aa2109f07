package rollout

import (
	appsv1 "k8s.io/api/apps/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// SetupWithManager registers the reconciler and its watches: Rollouts, and
// the ReplicaSets and AnalysisRuns they own.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("rollout").
		For(&rampv1alpha1.Rollout{}).
		Owns(&appsv1.ReplicaSet{}).
		Owns(&rampv1alpha1.AnalysisRun{}).
		Complete(r)
}
