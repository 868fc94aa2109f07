package rollout

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// resolveSpec works out what the spec asks for: the pod template (inline or
// from the referenced workload), the selector, the surge and unavailable
// counts and the pod template hash. It stalls the rollout, naming the field,
// when the spec asks for something that cannot be done.
func (r *Reconciler) resolveSpec(ctx context.Context, s *scope) error {
	ro := s.rollout
	s.replicas = ptr.Deref(ro.Spec.Replicas, rampv1alpha1.DefaultReplicas)

	if err := r.resolveTemplate(ctx, s); err != nil {
		return err
	}
	var err error
	if s.hash, err = podTemplateHash(s.template, ro.Status.CollisionCount); err != nil {
		return err
	}
	if err := r.resolveProfile(ctx, s); err != nil {
		return err
	}
	if err := checkSupported(s); err != nil {
		return err
	}
	if err := r.checkServices(ctx, s); err != nil {
		return err
	}
	if ro.Generation != ro.Status.ObservedGeneration || ro.Status.Phase == rampv1alpha1.RolloutPhaseDegraded {
		if err := r.checkOverlap(ctx, s); err != nil {
			return err
		}
	}

	if canary := ro.Spec.Strategy.Canary; canary != nil {
		s.surge, s.unavailable, err = surgeAndUnavailable(s.replicas, canary.MaxSurge, canary.MaxUnavailable)
		if err != nil {
			return stall(s, "spec.strategy.canary.maxSurge/maxUnavailable: %v", err)
		}
	} else {
		// Blue-green runs the new version beside a full active one and
		// never takes the active one below full size.
		s.surge, s.unavailable = s.replicas, 0
	}
	return nil
}

// checkSupported stalls on strategies this controller does not carry out.
func checkSupported(s *scope) error {
	st := s.rollout.Spec.Strategy
	switch {
	case st.BlueGreen != nil:
		return nil
	case st.Canary == nil:
		return stall(s, "spec.strategy: set canary or blueGreen, or name a profile that holds one in spec.strategy.profileRef")
	}
	if st.Canary.BaselineService != "" && !ptr.Deref(st.Canary.Baseline, false) {
		return stall(s, "spec.strategy.canary.baselineService %q needs spec.strategy.canary.baseline: true", st.Canary.BaselineService)
	}
	if st.Canary.TrafficRouting != nil {
		return nil
	}
	for i, step := range st.Canary.Steps {
		field := fmt.Sprintf("spec.strategy.canary.steps[%d]", i)
		switch {
		case step.SetCanaryScale != nil:
			return stall(s, "%s.setCanaryScale needs spec.strategy.canary.trafficRouting", field)
		case step.SetHeaderRoute != nil:
			return stall(s, "%s.setHeaderRoute needs spec.strategy.canary.trafficRouting", field)
		case step.SetMirrorRoute != nil:
			return stall(s, "%s.setMirrorRoute needs spec.strategy.canary.trafficRouting", field)
		}
	}
	return nil
}

// resolveTemplate sets the template and selector, from spec.template or
// from the Deployment named by spec.workloadRef.
func (r *Reconciler) resolveTemplate(ctx context.Context, s *scope) error {
	ro := s.rollout
	selector := ro.Spec.Selector
	if ref := ro.Spec.WorkloadRef; ref != nil {
		dep := &appsv1.Deployment{}
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: ref.Name}, dep)
		if apierrors.IsNotFound(err) {
			return stall(s, "spec.workloadRef: Deployment %q not found in namespace %q", ref.Name, ro.Namespace)
		}
		if err != nil {
			return fmt.Errorf("get workload %s: %w", ref.Name, err)
		}
		s.workload = dep
		s.template = dep.Spec.Template.DeepCopy()
		if selector == nil {
			selector = dep.Spec.Selector
		}
	} else {
		s.template = ro.Spec.Template.DeepCopy()
	}
	if s.template == nil || len(s.template.Spec.Containers) == 0 {
		return stall(s, "spec.template: set a pod template with at least one container")
	}
	if selector == nil {
		return stall(s, "spec.selector is required")
	}
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return stall(s, "spec.selector: %v", err)
	}
	if sel.Empty() {
		return stall(s, "spec.selector must not be empty")
	}
	if !sel.Matches(labels.Set(s.template.Labels)) {
		field := "spec.template.metadata.labels"
		if ro.Spec.WorkloadRef != nil {
			field = fmt.Sprintf("the template labels of Deployment %q", ro.Spec.WorkloadRef.Name)
		}
		return stall(s, "spec.selector does not match %s", field)
	}
	s.selector = sel
	return nil
}

// serviceFields names the Services a rollout's strategy refers to, by the
// field that names them.
func serviceFields(ro *rampv1alpha1.Rollout) []fieldValue {
	var fields []fieldValue
	if c := ro.Spec.Strategy.Canary; c != nil {
		fields = append(fields,
			fieldValue{"spec.strategy.canary.canaryService", c.CanaryService},
			fieldValue{"spec.strategy.canary.stableService", c.StableService},
			fieldValue{"spec.strategy.canary.baselineService", c.BaselineService})
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		fields = append(fields,
			fieldValue{"spec.strategy.blueGreen.activeService", bg.ActiveService},
			fieldValue{"spec.strategy.blueGreen.previewService", bg.PreviewService})
	}
	out := fields[:0]
	for _, f := range fields {
		if f.value != "" {
			out = append(out, f)
		}
	}
	return out
}

// fieldValue is a field path and the value found there.
type fieldValue struct {
	field, value string
}

// checkServices stalls when a Service the strategy names does not exist.
func (r *Reconciler) checkServices(ctx context.Context, s *scope) error {
	for _, f := range serviceFields(s.rollout) {
		svc := &corev1.Service{}
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: s.rollout.Namespace, Name: f.value}, svc)
		if apierrors.IsNotFound(err) {
			return stall(s, "%s: Service %q not found in namespace %q; create it or correct the name", f.field, f.value, s.rollout.Namespace)
		}
		if err != nil {
			return fmt.Errorf("get service %s: %w", f.value, err)
		}
	}
	return nil
}

// checkOverlap stalls when this rollout's selector selects the pods of an
// older Rollout in the namespace, or an older Rollout's selector selects
// this one's: two controllers of the same pods would fight, so the newer
// one waits.
func (r *Reconciler) checkOverlap(ctx context.Context, s *scope) error {
	var list rampv1alpha1.RolloutList
	if err := r.Client.List(ctx, &list, client.InNamespace(s.rollout.Namespace)); err != nil {
		return fmt.Errorf("list rollouts: %w", err)
	}
	ours := labels.Set(s.template.Labels)
	for i := range list.Items {
		other := &list.Items[i]
		if other.UID == s.rollout.UID || other.Spec.Selector == nil || other.Spec.Template == nil || !olderThan(other, s.rollout) {
			continue
		}
		theirSel, err := metav1.LabelSelectorAsSelector(other.Spec.Selector)
		if err != nil || theirSel.Empty() {
			continue
		}
		if s.selector.Matches(labels.Set(other.Spec.Template.Labels)) || theirSel.Matches(ours) {
			return stall(s, "spec.selector overlaps Rollout %q: each selects the other's pods; give each Rollout labels of its own", other.Name)
		}
	}
	return nil
}

// olderThan orders Rollouts by creation, then by name.
func olderThan(a, b *rampv1alpha1.Rollout) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}
