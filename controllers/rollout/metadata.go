package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// annotationRoleMetadata records on a ReplicaSet the role metadata put on
// its pod template.
const annotationRoleMetadata = rampv1alpha1.AnnotationRoleMetadata

// roleSpecs returns the metadata of the serving role (stableMetadata, or
// activeMetadata for blue-green) and of the update's role (canaryMetadata,
// or previewMetadata).
func roleSpecs(ro *rampv1alpha1.Rollout) (serving, update *rampv1alpha1.PodTemplateMetadata) {
	if c := ro.Spec.Strategy.Canary; c != nil {
		return c.StableMetadata, c.CanaryMetadata
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		return bg.ActiveMetadata, bg.PreviewMetadata
	}
	return nil, nil
}

// roleMetadata is the role metadata that rs's pods should carry: the
// serving role's (stableMetadata; activeMetadata on the ReplicaSet the
// active Service selects) on the serving ReplicaSet, the update's
// (canaryMetadata; previewMetadata) on the current one while an update is
// in flight (a ReplicaSet being created is the current one), nothing on
// the others.
func roleMetadata(s *scope, rs *appsv1.ReplicaSet) rampv1alpha1.PodTemplateMetadata {
	st := &s.rollout.Status
	servingMD, updateMD := roleSpecs(s.rollout)
	serving := st.StableRS
	if s.rollout.Spec.Strategy.BlueGreen != nil && st.BlueGreen.ActiveSelector != "" {
		serving = st.BlueGreen.ActiveSelector
	}
	var md *rampv1alpha1.PodTemplateMetadata
	switch {
	case hashOf(rs) == serving:
		md = servingMD
	case hashOf(rs) == s.hash && !st.Abort:
		md = updateMD
	}
	if md == nil {
		return rampv1alpha1.PodTemplateMetadata{}
	}
	return *md.DeepCopy()
}

// roleKeys are every label and annotation key a role may put on pods: those
// of canaryMetadata and stableMetadata, and those recorded on rs.
func roleKeys(s *scope, rs *appsv1.ReplicaSet) (labelKeys, annotationKeys map[string]bool) {
	labelKeys, annotationKeys = map[string]bool{}, map[string]bool{}
	serving, update := roleSpecs(s.rollout)
	for _, md := range []*rampv1alpha1.PodTemplateMetadata{update, serving, ptrTo(appliedMetadata(rs))} {
		if md == nil {
			continue
		}
		for k := range md.Labels {
			labelKeys[k] = true
		}
		for k := range md.Annotations {
			annotationKeys[k] = true
		}
	}
	delete(labelKeys, rampv1alpha1.LabelPodTemplateHash)
	return labelKeys, annotationKeys
}

func ptrTo[T any](v T) *T { return &v }

// appliedMetadata reads what annotationRoleMetadata recorded on rs.
func appliedMetadata(rs *appsv1.ReplicaSet) rampv1alpha1.PodTemplateMetadata {
	var md rampv1alpha1.PodTemplateMetadata
	if raw := rs.Annotations[annotationRoleMetadata]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &md)
	}
	return md
}

// applyRoleMetadata puts md on rs's pod template, takes off what was applied
// before, and records md.
func applyRoleMetadata(rs *appsv1.ReplicaSet, md rampv1alpha1.PodTemplateMetadata) {
	old := appliedMetadata(rs)
	tmpl := &rs.Spec.Template
	tmpl.Labels = swapKeys(tmpl.Labels, old.Labels, md.Labels)
	tmpl.Annotations = swapKeys(tmpl.Annotations, old.Annotations, md.Annotations)
	if len(md.Labels) == 0 && len(md.Annotations) == 0 {
		delete(rs.Annotations, annotationRoleMetadata)
		return
	}
	raw, _ := json.Marshal(md)
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[annotationRoleMetadata] = string(raw)
}

// swapKeys removes the keys of old from m (keeping the selector's hash
// label) and adds those of add.
func swapKeys(m, old, add map[string]string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	for k := range old {
		if k != rampv1alpha1.LabelPodTemplateHash {
			delete(out, k)
		}
	}
	maps.Copy(out, add)
	if len(out) == 0 {
		return nil
	}
	return out
}

// metadataEqual compares two role metadata values, nil and empty alike.
func metadataEqual(a, b rampv1alpha1.PodTemplateMetadata) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Annotations, b.Annotations)
}

// hasRoleMetadata reports whether the rollout puts role metadata on pods.
func hasRoleMetadata(ro *rampv1alpha1.Rollout) bool {
	serving, update := roleSpecs(ro)
	return serving != nil || update != nil
}

// syncTemplateMetadata puts each ReplicaSet's role metadata on its pod
// template. applyPlan calls it before scaling, so pods created by a
// scale-up already carry the role the ReplicaSet has after this reconcile.
func (r *Reconciler) syncTemplateMetadata(ctx context.Context, s *scope) error {
	for _, rs := range s.replicaSets {
		want := roleMetadata(s, rs)
		if metadataEqual(want, appliedMetadata(rs)) {
			continue
		}
		updated := rs.DeepCopy()
		applyRoleMetadata(updated, want)
		if err := r.Client.Patch(ctx, updated, client.MergeFrom(rs)); err != nil {
			return fmt.Errorf("update role metadata of replica set %s: %w", rs.Name, err)
		}
		*rs = *updated
	}
	return nil
}

// reconcilePodMetadata makes the running pods of every ReplicaSet carry
// their role's labels and annotations and none of the other role's. It looks
// at each pod, so pods created from an older template, or not yet in the
// cache when the role changed, are caught on a later reconcile (a new pod
// reconciles its rollout).
func (r *Reconciler) reconcilePodMetadata(ctx context.Context, s *scope) error {
	need := hasRoleMetadata(s.rollout)
	type keys struct{ labels, annotations map[string]bool }
	all := make([]keys, len(s.replicaSets))
	for i, rs := range s.replicaSets {
		need = need || rs.Annotations[annotationRoleMetadata] != ""
		all[i].labels, all[i].annotations = roleKeys(s, rs)
	}
	if !need {
		return nil
	}
	if err := r.syncTemplateMetadata(ctx, s); err != nil {
		return err
	}
	for i, rs := range s.replicaSets {
		if err := r.syncRoleOnPods(ctx, s, rs, all[i].labels, all[i].annotations); err != nil {
			return err
		}
	}
	return nil
}

// syncRoleOnPods patches the pods of rs whose role metadata is off.
func (r *Reconciler) syncRoleOnPods(ctx context.Context, s *scope, rs *appsv1.ReplicaSet, labelKeys, annotationKeys map[string]bool) error {
	want := roleMetadata(s, rs)
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, client.InNamespace(rs.Namespace),
		client.MatchingLabels{rampv1alpha1.LabelPodTemplateHash: hashOf(rs)}); err != nil {
		return fmt.Errorf("list pods of %s: %w", rs.Name, err)
	}
	own := rs.Spec.Template
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !pod.DeletionTimestamp.IsZero() || !controlledBy(pod, rs) {
			continue
		}
		patch := map[string]any{}
		if p := keyPatch(pod.Labels, want.Labels, labelKeys, own.Labels); len(p) > 0 {
			patch["labels"] = p
		}
		if p := keyPatch(pod.Annotations, want.Annotations, annotationKeys, own.Annotations); len(p) > 0 {
			patch["annotations"] = p
		}
		if len(patch) == 0 {
			continue
		}
		raw, err := json.Marshal(map[string]any{"metadata": patch})
		if err != nil {
			return err
		}
		if err := r.Client.Patch(ctx, pod, client.RawPatch(types.MergePatchType, raw)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("update role metadata of pod %s: %w", pod.Name, err)
		}
	}
	return nil
}

// controlledBy reports whether rs is the controller of pod.
func controlledBy(pod *corev1.Pod, rs *appsv1.ReplicaSet) bool {
	ref := metav1.GetControllerOf(pod)
	return ref != nil && ref.UID == rs.UID
}

// keyPatch is the merge patch that gives a pod's string map (labels or
// annotations) the role's values in want and removes the other role keys
// (keys), except those the ReplicaSet's own template sets. It is empty when
// the pod is right already.
func keyPatch(have, want map[string]string, keys map[string]bool, template map[string]string) map[string]any {
	p := map[string]any{}
	for k := range keys {
		if _, wanted := want[k]; wanted {
			continue
		}
		if _, ok := have[k]; ok && template[k] != have[k] {
			p[k] = nil
		}
	}
	for k, v := range want {
		if have[k] != v {
			p[k] = v
		}
	}
	return p
}
