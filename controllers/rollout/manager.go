package rollout

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	crevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// indexServices indexes Rollouts by the Services their strategy names, so
// that a Service created or edited reconciles the Rollouts that use it.
const indexServices = "ramp.dev/services"

// servicesIndex is the indexer function of indexServices.
func servicesIndex(obj client.Object) []string {
	ro, ok := obj.(*rampv1alpha1.Rollout)
	if !ok {
		return nil
	}
	var names []string
	for _, f := range serviceFields(ro) {
		names = append(names, f.value)
	}
	return names
}

// SetupWithManager registers the reconciler, its indexes and its watches:
// Rollouts; the ReplicaSets and AnalysisRuns they own; and the Services and
// Deployments they refer to.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	ctx := context.Background()
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &appsv1.ReplicaSet{}, indexReplicaSetOwner, replicaSetOwnerIndex); err != nil {
		return fmt.Errorf("index replica sets by owner: %w", err)
	}
	if err := idx.IndexField(ctx, &rampv1alpha1.Rollout{}, indexServices, servicesIndex); err != nil {
		return fmt.Errorf("index rollouts by service: %w", err)
	}
	if err := idx.IndexField(ctx, &rampv1alpha1.Rollout{}, indexWorkloadRef, workloadRefIndex); err != nil {
		return fmt.Errorf("index rollouts by workload: %w", err)
	}
	if err := idx.IndexField(ctx, &rampv1alpha1.Rollout{}, indexTemplates, templatesIndex); err != nil {
		return fmt.Errorf("index rollouts by analysis template: %w", err)
	}
	if err := idx.IndexField(ctx, &rampv1alpha1.AnalysisRun{}, indexRunOwner, runOwnerIndex); err != nil {
		return fmt.Errorf("index analysis runs by owner: %w", err)
	}
	if err := idx.IndexField(ctx, &rampv1alpha1.Rollout{}, indexRoutes, r.routesIndex); err != nil {
		return fmt.Errorf("index rollouts by route: %w", err)
	}
	if err := idx.IndexField(ctx, &rampv1alpha1.Rollout{}, indexProfile, profileIndex); err != nil {
		return fmt.Errorf("index rollouts by profile: %w", err)
	}
	workers := r.MaxConcurrent
	if workers <= 0 {
		workers = 10
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("rollout").
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		For(&rampv1alpha1.Rollout{}).
		Owns(&appsv1.ReplicaSet{}).
		Owns(&rampv1alpha1.AnalysisRun{}).
		Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsIndexedBy(indexServices))).
		Watches(&appsv1.Deployment{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsIndexedBy(indexWorkloadRef))).
		Watches(&rampv1alpha1.AnalysisTemplate{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsIndexedBy(indexTemplates))).
		Watches(&rampv1alpha1.RolloutProfile{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsUsingProfile)).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.rolloutWithRoleMetadata),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc:  func(crevent.CreateEvent) bool { return true },
				UpdateFunc:  func(crevent.UpdateEvent) bool { return false },
				DeleteFunc:  func(crevent.DeleteEvent) bool { return false },
				GenericFunc: func(crevent.GenericEvent) bool { return false },
			}))
	if r.Namespace == "" {
		b = b.Watches(&rampv1alpha1.ClusterAnalysisTemplate{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsUsingClusterTemplate)).
			Watches(&rampv1alpha1.ClusterRolloutProfile{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsUsingClusterProfile))
	}
	// The routers' kinds are watched when their CRDs are installed, so
	// that a route created, fixed or edited by someone reconciles the
	// Rollouts that name it. A CRD installed later is watched from the next
	// start of the controller.
	for _, p := range r.Routers {
		for _, gvk := range p.Kinds {
			if _, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
				ctrl.Log.WithName("rollout").Info("Not watching a router's kind: the API server does not serve it",
					"router", p.Name, "kind", gvk.String())
				continue
			}
			ro, err := mgr.GetScheme().New(gvk)
			if err != nil {
				return fmt.Errorf("watch %s for router %s: %w", gvk, p.Name, err)
			}
			obj, ok := ro.(client.Object)
			if !ok {
				return fmt.Errorf("watch %s for router %s: not an object", gvk, p.Name)
			}
			b = b.Watches(obj, handler.EnqueueRequestsFromMapFunc(r.rolloutsIndexedByKey(indexRoutes, gvk.GroupKind())))
		}
	}
	// A gate's service answered: take the answer.
	b = b.WatchesRawSource(source.Channel(r.gateCalls().Events(), &handler.EnqueueRequestForObject{}))
	return b.Complete(r)
}

// rolloutsIndexedByKey maps an object of kind to the Rollouts in its
// namespace whose router index names it.
func (r *Reconciler) rolloutsIndexedByKey(index string, kind schema.GroupKind) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		key := trafficrouting.ObjectRef{Kind: kind, Name: obj.GetName()}.IndexKey()
		return r.listRollouts(ctx, client.InNamespace(obj.GetNamespace()), client.MatchingFields{index: key})
	}
}

// rolloutsUsingClusterTemplate maps a ClusterAnalysisTemplate to the
// Rollouts, in every namespace, that name it.
func (r *Reconciler) rolloutsUsingClusterTemplate(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.listRollouts(ctx, client.MatchingFields{indexTemplates: "cluster/" + obj.GetName()})
}

// listRollouts lists the Rollouts that opts select from the cache, as
// requests.
func (r *Reconciler) listRollouts(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	var list rampv1alpha1.RolloutList
	if err := r.Client.List(ctx, &list, opts...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "List rollouts for a watched object")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// rolloutWithRoleMetadata maps a new pod to its Rollout when that Rollout
// puts role metadata on pods, so a pod created from an out-of-date template
// gets its labels fixed.
func (r *Reconciler) rolloutWithRoleMetadata(ctx context.Context, obj client.Object) []reconcile.Request {
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return nil
	}
	rs := &appsv1.ReplicaSet{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: obj.GetNamespace(), Name: ref.Name}, rs); err != nil {
		return nil
	}
	owner := metav1.GetControllerOf(rs)
	if owner == nil || owner.Kind != "Rollout" {
		return nil
	}
	ro := &rampv1alpha1.Rollout{}
	key := client.ObjectKey{Namespace: obj.GetNamespace(), Name: owner.Name}
	if err := r.Client.Get(ctx, key, ro); err != nil || !hasRoleMetadata(ro) {
		return nil
	}
	return []reconcile.Request{{NamespacedName: key}}
}

// rolloutsIndexedBy maps an object to the Rollouts in its namespace whose
// index holds its name.
func (r *Reconciler) rolloutsIndexedBy(index string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		return r.listRollouts(ctx, client.InNamespace(obj.GetNamespace()), client.MatchingFields{index: obj.GetName()})
	}
}
