package dashboard

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// lookupTimeout bounds the read of a ReplicaSet a pod event names but the
// informer has not shown yet.
const lookupTimeout = time.Second

// ownerIndex maps the ReplicaSets the informer has shown to the Rollouts
// that control them, so a pod event finds its Rollout without a read.
type ownerIndex struct {
	// mu guards rollouts.
	mu sync.RWMutex
	// rollouts are Rollout names by ReplicaSet.
	rollouts map[types.NamespacedName]string
}

// newOwnerIndex returns an empty index.
func newOwnerIndex() *ownerIndex {
	return &ownerIndex{rollouts: map[types.NamespacedName]string{}}
}

// set records that rollout controls the ReplicaSet rs.
func (o *ownerIndex) set(rs types.NamespacedName, rollout string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rollouts[rs] = rollout
}

// forget drops the ReplicaSet rs.
func (o *ownerIndex) forget(rs types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.rollouts, rs)
}

// get returns the Rollout that controls the ReplicaSet rs.
func (o *ownerIndex) get(rs types.NamespacedName) (string, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	name, ok := o.rollouts[rs]
	return name, ok
}

// watchInformers adds the stream's event handlers to the informers of
// Rollouts, ReplicaSets, Pods and AnalysisRuns. It does not wait for them
// to sync.
func (s *Server) watchInformers(ctx context.Context) error {
	watches := []struct {
		obj    client.Object
		what   string
		change func(obj metav1.Object, deleted bool)
	}{
		{&rampv1alpha1.Rollout{}, "rollouts", s.rolloutChanged},
		{&appsv1.ReplicaSet{}, "replica sets", s.replicaSetChanged},
		{&corev1.Pod{}, "pods", s.podChanged},
		{&rampv1alpha1.AnalysisRun{}, "analysis runs", s.runChanged},
	}
	for _, w := range watches {
		informer, err := s.opts.Informers.GetInformer(ctx, w.obj, cache.BlockUntilSynced(false))
		if err != nil {
			return fmt.Errorf("get the informer of %s: %w", w.what, err)
		}
		if _, err := informer.AddEventHandler(eventHandler(w.change)); err != nil {
			return fmt.Errorf("watch %s: %w", w.what, err)
		}
		if _, ok := w.obj.(*appsv1.ReplicaSet); ok {
			s.replicaSets = informer
		}
	}
	return nil
}

// eventHandler calls change with the object of every add, update and
// delete (unwrapping the tombstone of a delete the informer missed).
func eventHandler(change func(obj metav1.Object, deleted bool)) toolscache.ResourceEventHandler {
	call := func(obj any, deleted bool) {
		if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if m, ok := obj.(metav1.Object); ok {
			change(m, deleted)
		}
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { call(obj, false) },
		UpdateFunc: func(_, obj any) { call(obj, false) },
		DeleteFunc: func(obj any) { call(obj, true) },
	}
}

// rolloutChanged publishes a change to a Rollout.
func (s *Server) rolloutChanged(ro metav1.Object, _ bool) {
	s.hub.publish(rolloutKey{Namespace: ro.GetNamespace(), Name: ro.GetName()})
}

// replicaSetChanged publishes a change to a ReplicaSet Ramp manages as a
// change to its Rollout, and keeps the owner index up to date.
func (s *Server) replicaSetChanged(rs metav1.Object, deleted bool) {
	if !managed(rs) {
		return
	}
	key := types.NamespacedName{Namespace: rs.GetNamespace(), Name: rs.GetName()}
	ref := metav1.GetControllerOf(rs)
	if !isRolloutRef(ref) {
		s.owners.forget(key)
		return
	}
	if deleted {
		s.owners.forget(key)
	} else {
		s.owners.set(key, ref.Name)
	}
	s.hub.publish(rolloutKey{Namespace: key.Namespace, Name: ref.Name})
}

// podChanged publishes a change to a pod Ramp manages as a change to the
// Rollout of its ReplicaSet.
func (s *Server) podChanged(pod metav1.Object, _ bool) {
	if !managed(pod) {
		return
	}
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != "ReplicaSet" || groupOf(ref.APIVersion) != appsv1.GroupName {
		return
	}
	rs := types.NamespacedName{Namespace: pod.GetNamespace(), Name: ref.Name}
	rollout, ok := s.owners.get(rs)
	if !ok {
		rollout, ok = s.readOwner(rs)
	}
	if ok {
		s.hub.publish(rolloutKey{Namespace: rs.Namespace, Name: rollout})
	}
}

// readOwner finds the Rollout of a ReplicaSet the index does not know
// yet, from the cache; only once the ReplicaSet informer has synced, so
// that an informer handler never waits for a sync.
func (s *Server) readOwner(key types.NamespacedName) (string, bool) {
	if s.replicaSets == nil || !s.replicaSets.HasSynced() {
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	rs := &appsv1.ReplicaSet{}
	if err := s.opts.Reader.Get(ctx, key, rs); err != nil {
		return "", false
	}
	ref := metav1.GetControllerOf(rs)
	if !isRolloutRef(ref) {
		return "", false
	}
	s.owners.set(key, ref.Name)
	return ref.Name, true
}

// runChanged publishes a change to an AnalysisRun as a change to its
// Rollout: the one that controls it, else the one its label names.
func (s *Server) runChanged(run metav1.Object, _ bool) {
	name := run.GetLabels()[rampv1alpha1.LabelRollout]
	if ref := metav1.GetControllerOf(run); isRolloutRef(ref) {
		name = ref.Name
	}
	if name != "" {
		s.hub.publish(rolloutKey{Namespace: run.GetNamespace(), Name: name})
	}
}

// managed reports whether obj carries Ramp's pod template hash label.
func managed(obj metav1.Object) bool {
	_, ok := obj.GetLabels()[rampv1alpha1.LabelPodTemplateHash]
	return ok
}

// isRolloutRef reports whether ref points at a Ramp Rollout.
func isRolloutRef(ref *metav1.OwnerReference) bool {
	return ref != nil && ref.Kind == "Rollout" && groupOf(ref.APIVersion) == rampv1alpha1.GroupVersion.Group
}

// groupOf is the API group of apiVersion; "" for the core group or an
// apiVersion that does not parse.
func groupOf(apiVersion string) string {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return ""
	}
	return gv.Group
}
