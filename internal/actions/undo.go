package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Revision is one ReplicaSet of a Rollout and its revision number.
type Revision struct {
	Number     int64
	ReplicaSet *appsv1.ReplicaSet
}

// Revisions lists the ReplicaSets the Rollout controls, oldest first.
func Revisions(ctx context.Context, c client.Reader, ro *rampv1alpha1.Rollout) ([]Revision, error) {
	var list appsv1.ReplicaSetList
	if err := c.List(ctx, &list, client.InNamespace(ro.Namespace)); err != nil {
		return nil, fmt.Errorf("list replica sets: %w", err)
	}
	var out []Revision
	for i := range list.Items {
		rs := &list.Items[i]
		if ref := metav1.GetControllerOf(rs); ref == nil || ref.UID != ro.UID {
			continue
		}
		n, err := strconv.ParseInt(rs.Annotations[rampv1alpha1.AnnotationRevision], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, Revision{Number: n, ReplicaSet: rs})
	}
	slices.SortFunc(out, func(a, b Revision) int { return int(a.Number - b.Number) })
	return out, nil
}

// resolveUndo picks undo's target revision and its template.
func resolveUndo(ctx context.Context, c client.Client, ns, name string, opts Options) (Options, error) {
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return opts, err
	}
	if ro.Spec.WorkloadRef != nil {
		return opts, &NotApplicableError{Action: Undo, Rollout: name, Reason: fmt.Errorf(
			"its pod template comes from Deployment %q (spec.workloadRef); change the Deployment instead", ro.Spec.WorkloadRef.Name)}
	}
	revs, err := Revisions(ctx, c, ro)
	if err != nil {
		return opts, err
	}
	target, err := undoTarget(revs, ro.Status.CurrentPodHash, opts.Revision)
	if err != nil {
		return opts, &NotApplicableError{Action: Undo, Rollout: name, Reason: err}
	}
	tmpl, err := revisionTemplate(target.ReplicaSet)
	if err != nil {
		return opts, &NotApplicableError{Action: Undo, Rollout: name, Reason: err}
	}
	if opts.undoTemplate, err = json.Marshal(tmpl); err != nil {
		return opts, fmt.Errorf("encode the pod template of revision %d: %w", target.Number, err)
	}
	opts.undoRevision = target.Number
	return opts, nil
}

// undoTarget picks the revision to go back to: to, or the newest one older
// than the current revision.
func undoTarget(revs []Revision, current string, to int64) (Revision, error) {
	numbers := make([]string, 0, len(revs))
	var cur int64
	for _, r := range revs {
		numbers = append(numbers, strconv.FormatInt(r.Number, 10))
		if r.ReplicaSet.Labels[rampv1alpha1.LabelPodTemplateHash] == current {
			cur = r.Number
		}
	}
	if to > 0 {
		for _, r := range revs {
			if r.Number == to {
				if r.Number == cur {
					return Revision{}, fmt.Errorf("revision %d is the current one", to)
				}
				return r, nil
			}
		}
		return Revision{}, fmt.Errorf("revision %d not found; the revisions kept are %s (spec.revisionHistoryLimit)", to, strings.Join(numbers, ", "))
	}
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].Number < cur {
			return revs[i], nil
		}
	}
	return Revision{}, errors.New("there is no revision before the current one")
}

// revisionTemplate is the Rollout pod template of a revision: as the
// controller recorded it (AnnotationPodTemplate), or else the ReplicaSet's
// template without the hash label and role metadata.
func revisionTemplate(rs *appsv1.ReplicaSet) (*corev1.PodTemplateSpec, error) {
	if raw := rs.Annotations[rampv1alpha1.AnnotationPodTemplate]; raw != "" {
		tmpl := &corev1.PodTemplateSpec{}
		if err := json.Unmarshal([]byte(raw), tmpl); err != nil {
			return nil, fmt.Errorf("read annotation %s of replica set %s: %w", rampv1alpha1.AnnotationPodTemplate, rs.Name, err)
		}
		return tmpl, nil
	}
	tmpl := rs.Spec.Template.DeepCopy()
	delete(tmpl.Labels, rampv1alpha1.LabelPodTemplateHash)
	var role rampv1alpha1.PodTemplateMetadata
	if raw := rs.Annotations[rampv1alpha1.AnnotationRoleMetadata]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &role); err != nil {
			return nil, fmt.Errorf("read annotation %s of replica set %s: %w", rampv1alpha1.AnnotationRoleMetadata, rs.Name, err)
		}
	}
	for k := range role.Labels {
		delete(tmpl.Labels, k)
	}
	for k := range role.Annotations {
		delete(tmpl.Annotations, k)
	}
	return tmpl, nil
}
