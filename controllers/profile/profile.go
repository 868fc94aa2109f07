// Package profile holds the reconciler of RolloutProfiles and
// ClusterRolloutProfiles: it reports in each profile's status which
// strategy kind it holds, so that `kubectl get rolloutprofiles` shows it,
// and marks it Ready. Rollouts read profiles themselves (see the rollout
// reconciler); nothing here changes a Rollout.
package profile

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// +kubebuilder:rbac:groups=ramp.dev,resources=rolloutprofiles/status;clusterrolloutprofiles/status,verbs=get;update;patch

// Reconciler reports the status of profiles of one kind.
type Reconciler struct {
	// Client reads from the informer cache and writes to the API server.
	Client client.Client
	// Cluster selects ClusterRolloutProfiles rather than RolloutProfiles.
	Cluster bool
}

// SetupWithManager registers the reconciler for its kind.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	var obj client.Object = &rampv1alpha1.RolloutProfile{}
	name := "rolloutprofile"
	if r.Cluster {
		obj, name = &rampv1alpha1.ClusterRolloutProfile{}, "clusterrolloutprofile"
	}
	return ctrl.NewControllerManagedBy(mgr).Named(name).For(obj).Complete(r)
}

// Reconcile writes the profile's status when it changed.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var (
		obj    client.Object
		spec   *rampv1alpha1.RolloutProfileSpec
		status *rampv1alpha1.RolloutProfileStatus
	)
	if r.Cluster {
		p := &rampv1alpha1.ClusterRolloutProfile{}
		obj, spec, status = p, &p.Spec.RolloutProfileSpec, &p.Status
	} else {
		p := &rampv1alpha1.RolloutProfile{}
		obj, spec, status = p, &p.Spec, &p.Status
	}
	if err := r.Client.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := status.DeepCopy()
	Describe(spec, status, obj.GetGeneration())
	if equality.Semantic.DeepEqual(before, status) {
		return ctrl.Result{}, nil
	}
	if err := r.Client.Status().Update(ctx, obj); err != nil {
		if apierrors.IsConflict(err) {
			// A newer version is in the cache's way; its event reconciles.
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("update profile status: %w", err)
	}
	return ctrl.Result{}, nil
}

// Describe sets status from spec at generation: the strategy kind, and
// Ready with a summary of what the profile supplies.
func Describe(spec *rampv1alpha1.RolloutProfileSpec, status *rampv1alpha1.RolloutProfileStatus, generation int64) {
	status.ObservedGeneration = generation
	var msg string
	switch st := spec.Strategy; {
	case st.Canary != nil:
		status.Strategy = "Canary"
		msg = fmt.Sprintf("canary strategy with %d steps", len(st.Canary.Steps))
	case st.BlueGreen != nil:
		status.Strategy = "BlueGreen"
		msg = "blue-green strategy"
	default:
		status.Strategy = ""
		msg = "no strategy"
	}
	if n := len(spec.Args); n > 0 {
		msg += fmt.Sprintf(" and %d default analysis args", n)
	}
	msg += "; a Rollout reads it when a revision starts, and fields the Rollout sets win"
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{
		Type: rampv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Accepted", Message: msg, ObservedGeneration: generation,
	})
}
