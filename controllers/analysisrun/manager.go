package analysisrun

import (
	batchv1 "k8s.io/api/batch/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// SetupWithManager registers the reconciler and its watches: AnalysisRuns,
// the Jobs they own, so a Job that ends is judged at once, and with Async
// the measurements that return.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	workers := r.MaxConcurrent
	if workers <= 0 {
		workers = 10
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("analysisrun").
		For(&rampv1alpha1.AnalysisRun{}).
		Owns(&batchv1.Job{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers})
	if r.Async {
		// A run is queued again when one of its measurements returns.
		b = b.WatchesRawSource(source.Channel(r.inFlight().Events(), &handler.EnqueueRequestForObject{}))
	}
	return b.Complete(r)
}
