package rollout

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// servingHash returns rs's pod template hash when it has available pods:
// a Service is only pointed at a ReplicaSet that can serve.
func servingHash(rs *appsv1.ReplicaSet) string {
	if rs == nil || rs.Status.AvailableReplicas == 0 {
		return ""
	}
	return hashOf(rs)
}

// reconcileServices points the stable Service at the stable version and the
// canary Service at the canary while an update is in flight (at the stable
// version otherwise), each only once its target has available pods.
func (r *Reconciler) reconcileServices(ctx context.Context, s *scope) error {
	c := s.rollout.Spec.Strategy.Canary
	if c == nil {
		// Blue-green points its Services itself (reconcileBlueGreen), in
		// step with its ReplicaSets.
		return nil
	}
	st := &s.rollout.Status
	stable := servingHash(s.stableRS)
	canary := stable
	if st.StableRS != s.hash && !st.Abort {
		if h := servingHash(s.newRS); h != "" {
			canary = h
		}
	}
	if c.StableService != "" {
		if err := r.pointService(ctx, s, c.StableService, "stable", stable); err != nil {
			return err
		}
	}
	if c.CanaryService != "" {
		if err := r.pointService(ctx, s, c.CanaryService, "canary", canary); err != nil {
			return err
		}
	}
	if c.BaselineService != "" {
		// The baseline while it runs, else the stable version, so the
		// Service never selects nothing.
		baseline := stable
		if want, hash := baselinePlan(s); want > 0 && runningBaseline(s, hash) != nil {
			baseline = hash
		}
		if err := r.pointService(ctx, s, c.BaselineService, "baseline", baseline); err != nil {
			return err
		}
	}
	return nil
}

// pointService sets the pod template hash in a Service's selector. An empty
// hash leaves the Service as it is.
func (r *Reconciler) pointService(ctx context.Context, s *scope, name, role, hash string) error {
	if hash == "" {
		return nil
	}
	// Read the Service as this controller last wrote it until the cache
	// has that write, so a reconcile right after a switch does not switch
	// it (and report it) again.
	c := newRouteClient(r.Client, &r.routes)
	svc := &corev1.Service{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: s.rollout.Namespace, Name: name}, svc); err != nil {
		return fmt.Errorf("get service %s: %w", name, err)
	}
	if svc.Spec.Selector[rampv1alpha1.LabelPodTemplateHash] == hash {
		return nil
	}
	patch := fmt.Sprintf(`{"spec":{"selector":{%q:%q}}}`, rampv1alpha1.LabelPodTemplateHash, hash)
	if err := c.Patch(ctx, svc, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("point %s service %s at %s: %w", role, name, hash, err)
	}
	s.event(eventNormal, reasonServiceSwitched, "Switch", "Service %s (%s) now selects pods with hash %s", name, role, hash)
	return nil
}
