package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// indexReplicaSetOwner indexes ReplicaSets by the name of the Rollout that
// controls them, and orphans carrying Ramp's hash label under orphanKey.
const (
	indexReplicaSetOwner = "ramp.dev/replicaset-owner"
	orphanKey            = "<orphan>"
)

// replicaSetOwnerIndex is the indexer function of indexReplicaSetOwner.
func replicaSetOwnerIndex(obj client.Object) []string {
	ref := metav1.GetControllerOf(obj)
	if ref == nil {
		return []string{orphanKey}
	}
	if ref.Kind != "Rollout" || ref.APIVersion != rampv1alpha1.GroupVersion.String() {
		return nil
	}
	return []string{ref.Name}
}

// revisionOf reads a ReplicaSet's revision annotation; 0 when missing.
func revisionOf(rs *appsv1.ReplicaSet) int64 {
	n, err := strconv.ParseInt(rs.Annotations[rampv1alpha1.AnnotationRevision], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// hashOf returns a ReplicaSet's pod template hash label.
func hashOf(rs *appsv1.ReplicaSet) string {
	return rs.Labels[rampv1alpha1.LabelPodTemplateHash]
}

// loadReplicaSets finds the rollout's ReplicaSets, adopting orphans that
// match its selector, and picks out the current and stable ones.
func (r *Reconciler) loadReplicaSets(ctx context.Context, s *scope) error {
	ro := s.rollout
	var owned appsv1.ReplicaSetList
	if err := r.Client.List(ctx, &owned, client.InNamespace(ro.Namespace),
		client.MatchingFields{indexReplicaSetOwner: ro.Name}); err != nil {
		return fmt.Errorf("list replica sets: %w", err)
	}
	var orphans appsv1.ReplicaSetList
	if err := r.Client.List(ctx, &orphans, client.InNamespace(ro.Namespace),
		client.MatchingFields{indexReplicaSetOwner: orphanKey}); err != nil {
		return fmt.Errorf("list orphaned replica sets: %w", err)
	}
	s.replicaSets, s.baselines = s.replicaSets[:0], s.baselines[:0]
	for i := range owned.Items {
		rs := &owned.Items[i]
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == ro.UID && rs.DeletionTimestamp.IsZero() {
			if isBaseline(rs) {
				s.baselines = append(s.baselines, rs)
				continue
			}
			s.replicaSets = append(s.replicaSets, rs)
		}
	}
	for i := range orphans.Items {
		rs := &orphans.Items[i]
		if !rs.DeletionTimestamp.IsZero() || hashOf(rs) == "" || isBaseline(rs) || !s.selector.Matches(labels.Set(rs.Spec.Template.Labels)) {
			continue
		}
		adopted, err := r.adopt(ctx, s, rs)
		if err != nil {
			return err
		}
		if adopted != nil {
			s.replicaSets = append(s.replicaSets, adopted)
		}
	}
	sort.SliceStable(s.replicaSets, func(i, j int) bool {
		return revisionOf(s.replicaSets[i]) > revisionOf(s.replicaSets[j])
	})
	s.loaded = true
	s.newRS, s.stableRS = nil, nil
	for _, rs := range s.replicaSets {
		if hashOf(rs) == s.hash {
			s.newRS = rs
		}
		if ro.Status.StableRS != "" && hashOf(rs) == ro.Status.StableRS {
			s.stableRS = rs
		}
	}
	return nil
}

// adopt makes the rollout the controller of an orphaned ReplicaSet, so a
// Rollout deleted with its ReplicaSets orphaned and created again takes
// them back instead of starting duplicates.
func (r *Reconciler) adopt(ctx context.Context, s *scope, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	ro := s.rollout
	patch := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"apiVersion":%q,"kind":"Rollout","name":%q,"uid":%q,"controller":true,"blockOwnerDeletion":true}],"uid":%q}}`,
		rampv1alpha1.GroupVersion.String(), ro.Name, ro.UID, rs.UID)
	adopted := rs.DeepCopy()
	if err := r.Client.Patch(ctx, adopted, client.RawPatch(types.StrategicMergePatchType, []byte(patch))); err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) || apierrors.IsInvalid(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("adopt replica set %s: %w", rs.Name, err)
	}
	s.event(eventNormal, reasonAdopted, "Adopt", "Adopted ReplicaSet %s (revision %s)", rs.Name, rs.Annotations[rampv1alpha1.AnnotationRevision])
	return adopted, nil
}

// newReplicaSet builds the ReplicaSet of the current version.
// templateJSON is the pod template as hashed (see podTemplateHash).
func templateJSON(t *corev1.PodTemplateSpec) string {
	data, err := json.Marshal(t)
	if err != nil {
		return ""
	}
	return string(data)
}

func newReplicaSet(s *scope, revision int64) *appsv1.ReplicaSet {
	ro := s.rollout
	tmpl := s.template.DeepCopy()
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[rampv1alpha1.LabelPodTemplateHash] = s.hash
	selector := metav1.CloneSelectorAndAddLabel(selectorOf(s), rampv1alpha1.LabelPodTemplateHash, s.hash)
	rsLabels := map[string]string{}
	for k, v := range tmpl.Labels {
		rsLabels[k] = v
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ro.Name + "-" + s.hash,
			Namespace: ro.Namespace,
			Labels:    rsLabels,
			Annotations: map[string]string{
				rampv1alpha1.AnnotationRevision:    strconv.FormatInt(revision, 10),
				rampv1alpha1.AnnotationPodTemplate: templateJSON(s.template),
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro,
				rampv1alpha1.GroupVersion.WithKind("Rollout"))},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        ptr.To[int32](0),
			MinReadySeconds: ro.Spec.MinReadySeconds,
			Selector:        selector,
			Template:        *tmpl,
		},
	}
	applyRoleMetadata(rs, roleMetadata(s, rs))
	return rs
}

// selectorOf returns the rollout's label selector (from the spec or the
// referenced workload).
func selectorOf(s *scope) *metav1.LabelSelector {
	if s.rollout.Spec.Selector != nil {
		return s.rollout.Spec.Selector
	}
	return s.workload.Spec.Selector
}

// reconcileNewReplicaSet creates the ReplicaSet of the current version when
// it does not exist yet, handling a hash collision with a ReplicaSet that is
// not ours by bumping status.collisionCount.
func (r *Reconciler) reconcileNewReplicaSet(ctx context.Context, s *scope) error {
	if err := r.ensureNewReplicaSet(ctx, s); err != nil {
		return err
	}
	if s.rollout.Status.StableRS == s.hash {
		s.stableRS = s.newRS
	}
	return nil
}

func (r *Reconciler) ensureNewReplicaSet(ctx context.Context, s *scope) error {
	if s.newRS != nil {
		return r.syncReplicaSetSettings(ctx, s, s.newRS)
	}
	var maxRevision int64
	for _, rs := range s.replicaSets {
		maxRevision = max(maxRevision, revisionOf(rs))
	}
	rs := newReplicaSet(s, maxRevision+1)
	err := r.Client.Create(ctx, rs)
	if apierrors.IsAlreadyExists(err) {
		existing := &appsv1.ReplicaSet{}
		if getErr := r.Client.Get(ctx, client.ObjectKeyFromObject(rs), existing); getErr != nil {
			return fmt.Errorf("get replica set %s: %w", rs.Name, getErr)
		}
		// Ours when this rollout controls it with the same pod template
		// hash: a reconcile that created it before the cache had it. (Its
		// template carries the API server's defaults, so it never equals
		// the one built here; comparing them took our own ReplicaSet for
		// someone else's and started a needless second one.)
		if ref := metav1.GetControllerOf(existing); ref != nil && ref.UID == s.rollout.UID && hashOf(existing) == s.hash {
			s.newRS = existing
			return nil
		}
		// Someone else's ReplicaSet has our name: change the hash.
		s.rollout.Status.CollisionCount = ptr.To(ptr.Deref(s.rollout.Status.CollisionCount, 0) + 1)
		return fmt.Errorf("replica set %s exists and is not this rollout's; collision count now %d",
			rs.Name, *s.rollout.Status.CollisionCount)
	}
	if apierrors.IsInvalid(err) {
		// The API server refuses what the spec makes: trying again would
		// only be refused again, until the spec changes.
		return stall(s, "spec.template: the API server refuses the ReplicaSet made from it: %s; fix spec.template", invalidCauses(err))
	}
	if err != nil {
		return fmt.Errorf("create replica set %s: %w", rs.Name, err)
	}
	s.newRS = rs
	s.replicaSets = append([]*appsv1.ReplicaSet{rs}, s.replicaSets...)
	s.event(eventNormal, reasonReplicaSetCreated, "Create", "Created ReplicaSet %s (revision %d)", rs.Name, maxRevision+1)
	return nil
}

// syncReplicaSetSettings keeps minReadySeconds of the current ReplicaSet in
// line with the spec, and gives a ReplicaSet brought back by an undo the
// next revision number.
func (r *Reconciler) syncReplicaSetSettings(ctx context.Context, s *scope, rs *appsv1.ReplicaSet) error {
	var maxRevision int64
	for _, other := range s.replicaSets {
		maxRevision = max(maxRevision, revisionOf(other))
	}
	want := rs.DeepCopy()
	want.Spec.MinReadySeconds = s.rollout.Spec.MinReadySeconds
	if revisionOf(rs) < maxRevision {
		want.Annotations[rampv1alpha1.AnnotationRevision] = strconv.FormatInt(maxRevision+1, 10)
	}
	if equality.Semantic.DeepEqual(rs, want) {
		return nil
	}
	if err := r.Client.Patch(ctx, want, client.MergeFrom(rs)); err != nil {
		return fmt.Errorf("update replica set %s: %w", rs.Name, err)
	}
	*rs = *want
	return nil
}

// scaleReplicaSet sets spec.replicas of rs, recording an event.
func (r *Reconciler) scaleReplicaSet(ctx context.Context, s *scope, rs *appsv1.ReplicaSet, replicas int32) error {
	old := ptr.Deref(rs.Spec.Replicas, 0)
	if old == replicas {
		return nil
	}
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas))
	if err := r.Client.Patch(ctx, rs, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("scale replica set %s to %d: %w", rs.Name, replicas, err)
	}
	verb := "up"
	if replicas < old {
		verb = "down"
	}
	s.event(eventNormal, reasonScaledReplicaSet, "Scale", "Scaled %s ReplicaSet %s (revision %s) from %d to %d",
		verb, rs.Name, rs.Annotations[rampv1alpha1.AnnotationRevision], old, replicas)
	return nil
}

// cleanupReplicaSets deletes old, empty ReplicaSets beyond
// revisionHistoryLimit, oldest first.
func (r *Reconciler) cleanupReplicaSets(ctx context.Context, s *scope) error {
	limit := int(ptr.Deref(s.rollout.Spec.RevisionHistoryLimit, rampv1alpha1.DefaultRevisionHistoryLimit))
	var old []*appsv1.ReplicaSet
	for _, rs := range s.replicaSets {
		if rs == s.newRS || rs == s.stableRS {
			continue
		}
		old = append(old, rs)
	}
	if len(old) <= limit {
		return nil
	}
	// s.replicaSets is newest first, so the tail of old is the oldest.
	for _, rs := range old[limit:] {
		if ptr.Deref(rs.Spec.Replicas, 0) != 0 || rs.Status.Replicas != 0 {
			continue
		}
		if err := r.Client.Delete(ctx, rs, client.Preconditions{UID: &rs.UID}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete old replica set %s: %w", rs.Name, err)
		}
		s.event(eventNormal, reasonReplicaSetDeleted, "Delete",
			"Deleted ReplicaSet %s (revision %s) beyond revisionHistoryLimit %d", rs.Name, rs.Annotations[rampv1alpha1.AnnotationRevision], limit)
	}
	return nil
}

// invalidCauses sums up the fields an Invalid error from the API server
// names, or its message when it names none.
func invalidCauses(err error) string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil || len(status.Status().Details.Causes) == 0 {
		return err.Error()
	}
	var parts []string
	for _, c := range status.Status().Details.Causes {
		parts = append(parts, fmt.Sprintf("%s: %s", c.Field, c.Message))
	}
	return strings.Join(parts, "; ")
}
