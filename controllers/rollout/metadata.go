package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// annotationRoleMetadata records on a ReplicaSet the role labels and
// annotations last put on its pods, so they can be taken off when the role
// changes.
const annotationRoleMetadata = "ramp.dev/role-metadata"

// role is what a ReplicaSet is to its rollout at the moment.
type role int

const (
	roleNone role = iota
	roleCanary
	roleStable
)

// roleMetadata is the canaryMetadata or stableMetadata that rs's pods should
// carry. A ReplicaSet being created is the canary unless it is stable.
func roleMetadata(s *scope, rs *appsv1.ReplicaSet, creating role) rampv1alpha1.PodTemplateMetadata {
	c := s.rollout.Spec.Strategy.Canary
	st := &s.rollout.Status
	r := roleNone
	switch {
	case hashOf(rs) == st.StableRS:
		r = roleStable
	case hashOf(rs) == s.hash && !st.Abort:
		r = creating
	}
	var md *rampv1alpha1.PodTemplateMetadata
	switch r {
	case roleCanary:
		md = c.CanaryMetadata
	case roleStable:
		md = c.StableMetadata
	}
	if md == nil {
		return rampv1alpha1.PodTemplateMetadata{}
	}
	return *md.DeepCopy()
}

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

// reconcilePodMetadata moves canaryMetadata and stableMetadata to the right
// pods when roles change: onto the ReplicaSet's template for new pods, and
// onto its running pods.
func (r *Reconciler) reconcilePodMetadata(ctx context.Context, s *scope) error {
	for _, rs := range s.replicaSets {
		want := roleMetadata(s, rs, roleCanary)
		old := appliedMetadata(rs)
		if metadataEqual(want, old) {
			continue
		}
		updated := rs.DeepCopy()
		applyRoleMetadata(updated, want)
		if err := r.Client.Patch(ctx, updated, client.MergeFrom(rs)); err != nil {
			return fmt.Errorf("update role metadata of replica set %s: %w", rs.Name, err)
		}
		if err := r.patchPodsMetadata(ctx, rs, old, want); err != nil {
			return err
		}
		*rs = *updated
	}
	return nil
}

// patchPodsMetadata moves role metadata on the running pods of rs.
func (r *Reconciler) patchPodsMetadata(ctx context.Context, rs *appsv1.ReplicaSet, old, want rampv1alpha1.PodTemplateMetadata) error {
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, client.InNamespace(rs.Namespace),
		client.MatchingLabels{rampv1alpha1.LabelPodTemplateHash: hashOf(rs)}); err != nil {
		return fmt.Errorf("list pods of %s: %w", rs.Name, err)
	}
	patch := map[string]any{"metadata": map[string]any{
		"labels":      keyPatch(old.Labels, want.Labels),
		"annotations": keyPatch(old.Annotations, want.Annotations),
	}}
	raw, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !labels.Set(pod.Labels).Has(rampv1alpha1.LabelPodTemplateHash) || !pod.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.Client.Patch(ctx, pod, client.RawPatch(types.MergePatchType, raw)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("update role metadata of pod %s: %w", pod.Name, err)
		}
	}
	return nil
}

// keyPatch is a merge patch of a string map that removes the keys of old
// and sets those of want.
func keyPatch(old, want map[string]string) map[string]any {
	p := map[string]any{}
	for k := range old {
		if k != rampv1alpha1.LabelPodTemplateHash {
			p[k] = nil
		}
	}
	for k, v := range want {
		p[k] = v
	}
	return p
}
