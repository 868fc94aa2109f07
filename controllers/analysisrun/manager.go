package analysisrun

import (
	batchv1 "k8s.io/api/batch/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// SetupWithManager registers the reconciler and its watches: AnalysisRuns,
// and the Jobs they own, so a Job that ends is judged at once.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	workers := r.MaxConcurrent
	if workers <= 0 {
		workers = 10
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("analysisrun").
		For(&rampv1alpha1.AnalysisRun{}).
		Owns(&batchv1.Job{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}
