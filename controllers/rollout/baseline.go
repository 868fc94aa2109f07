package rollout

import (
	"context"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// baselineHash is the pod template hash of the baseline of the stable
// revision stable: the stable template under a hash of its own, so that the
// stable Service, which selects the stable hash, sends it no traffic.
func baselineHash(stable string) string {
	return stable + "-baseline"
}

// wantsBaseline tells whether the rollout's canary asks for a baseline.
func wantsBaseline(ro *rampv1alpha1.Rollout) bool {
	c := ro.Spec.Strategy.Canary
	return c != nil && ro.Spec.Strategy.BlueGreen == nil && ptr.Deref(c.Baseline, false)
}

// isBaseline tells whether rs is a baseline ReplicaSet.
func isBaseline(rs *appsv1.ReplicaSet) bool {
	return rs.Labels[rampv1alpha1.LabelBaseline] == "true"
}

// reconcileBaseline runs the baseline of a canary with
// strategy.canary.baseline: while an update is in flight, a ReplicaSet of
// the stable template at the canary's size, so the judge compares the
// canary with fresh pods of the old version. It is deleted at promotion,
// at an abort, and when the baseline is turned off.
func (r *Reconciler) reconcileBaseline(ctx context.Context, s *scope) error {
	st := &s.rollout.Status
	want, hash := baselinePlan(s)
	var current *appsv1.ReplicaSet
	for _, rs := range s.baselines {
		if want > 0 && hashOf(rs) == hash && current == nil {
			current = rs
			continue
		}
		if err := r.Client.Delete(ctx, rs, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete baseline replica set %s: %w", rs.Name, err)
		}
		s.event(eventNormal, reasonReplicaSetDeleted, "Delete", "Deleted baseline ReplicaSet %s", rs.Name)
	}
	if want == 0 {
		st.Canary.BaselinePodHash = ""
		return nil
	}
	st.Canary.BaselinePodHash = hash
	if current != nil {
		return r.scaleReplicaSet(ctx, s, current, want)
	}
	rs := newBaseline(s, hash, want)
	if err := r.Client.Create(ctx, rs); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create baseline replica set %s: %w", rs.Name, err)
	}
	s.event(eventNormal, reasonReplicaSetCreated, "Create", "Created baseline ReplicaSet %s of revision %s with %d pods",
		rs.Name, revisionLabel(s.stableRS), want)
	return nil
}

// baselinePlan is the size the baseline should have now (0 for none) and
// its pod template hash: while an update is in flight, and not aborted or
// being promoted at once, the canary's size.
func baselinePlan(s *scope) (want int32, hash string) {
	ro := s.rollout
	st := &ro.Status
	if s.stableRS == nil {
		return 0, ""
	}
	hash = baselineHash(hashOf(s.stableRS))
	if wantsBaseline(ro) && s.newRS != nil && st.StableRS != s.hash && !st.Abort && st.AbortedAt == nil && !st.PromoteFull {
		want = ptr.Deref(s.newRS.Spec.Replicas, 0)
	}
	return want, hash
}

// runningBaseline is the baseline ReplicaSet of hash, if it exists.
func runningBaseline(s *scope, hash string) *appsv1.ReplicaSet {
	for _, rs := range s.baselines {
		if hashOf(rs) == hash {
			return rs
		}
	}
	return nil
}

// baselineServes tells whether the baseline may take its share of the
// traffic: it is wanted, and all its pods are available.
func baselineServes(s *scope) bool {
	want, hash := baselinePlan(s)
	rs := runningBaseline(s, hash)
	return want > 0 && rs != nil && ptr.Deref(rs.Spec.Replicas, 0) == want && rs.Status.AvailableReplicas >= want
}

// newBaseline is the baseline ReplicaSet of hash: the stable ReplicaSet's
// template without its role metadata, labeled as a baseline.
func newBaseline(s *scope, hash string, replicas int32) *appsv1.ReplicaSet {
	ro := s.rollout
	stable := s.stableRS
	rs := &appsv1.ReplicaSet{Spec: *stable.Spec.DeepCopy()}
	rs.Annotations = map[string]string{}
	if md, ok := stable.Annotations[annotationRoleMetadata]; ok {
		rs.Annotations[annotationRoleMetadata] = md
	}
	applyRoleMetadata(rs, rampv1alpha1.PodTemplateMetadata{})
	rs.Annotations[rampv1alpha1.AnnotationRevision] = strconv.FormatInt(revisionOf(stable), 10)
	rs.Name = ro.Name + "-" + hash
	rs.Namespace = ro.Namespace
	rs.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(ro, rampv1alpha1.GroupVersion.WithKind("Rollout"))}
	tmpl := &rs.Spec.Template
	tmpl.Labels[rampv1alpha1.LabelPodTemplateHash] = hash
	tmpl.Labels[rampv1alpha1.LabelBaseline] = "true"
	rs.Labels = map[string]string{}
	for k, v := range tmpl.Labels {
		rs.Labels[k] = v
	}
	rs.Spec.Selector = metav1.CloneSelectorAndAddLabel(selectorOf(s), rampv1alpha1.LabelPodTemplateHash, hash)
	rs.Spec.Replicas = ptr.To(replicas)
	return rs
}
