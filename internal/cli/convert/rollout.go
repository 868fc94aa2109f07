package convert

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// rollout converts an Argo Rollouts Rollout. Its status is left behind:
// Ramp's controller writes its own.
func (c *converter) rollout(root *object) *rampv1alpha1.Rollout {
	ro := &rampv1alpha1.Rollout{TypeMeta: typeMeta("Rollout")}
	root.take("apiVersion")
	root.take("kind")
	root.take("status")
	ro.ObjectMeta = c.metadata(root)
	spec := root.child("spec")
	root.done()
	if spec == nil {
		c.fail(root.at.key("spec"), "a Rollout needs a spec")
		return ro
	}
	c.rolloutSpec(spec, &ro.Spec, ro.Namespace)
	return ro
}

// typeMeta is the apiVersion and kind of a Ramp object.
func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: rampv1alpha1.GroupVersion.String(), Kind: kind}
}

// rolloutSpec converts spec. The top-level fields have the same names and
// meanings in Ramp.
func (c *converter) rolloutSpec(o *object, s *rampv1alpha1.RolloutSpec, namespace string) {
	o.decode("replicas", &s.Replicas)
	o.decode("selector", &s.Selector)
	o.decode("template", &s.Template)
	hasWorkloadRef := o.has("workloadRef")
	c.workloadRef(o, s)
	o.decode("minReadySeconds", &s.MinReadySeconds)
	o.decode("revisionHistoryLimit", &s.RevisionHistoryLimit)
	o.decode("paused", &s.Paused)
	o.decode("progressDeadlineSeconds", &s.ProgressDeadlineSeconds)
	o.decode("progressDeadlineAbort", &s.ProgressDeadlineAbort)
	o.decode("restartAt", &s.RestartAt)
	o.decode("rollbackWindow", &s.RollbackWindow)
	o.decode("analysis", &s.Analysis)
	c.strategy(o, &s.Strategy, namespace)
	o.done()
	if s.Template == nil && !hasWorkloadRef {
		c.fail(o.at.key("template"), "a Rollout needs spec.template or spec.workloadRef")
	}
	if s.Template != nil && s.Selector == nil {
		c.fail(o.at.key("selector"), "Ramp needs a selector that matches spec.template.metadata.labels")
	}
}

// workloadRef converts spec.workloadRef. Ramp references Deployments only.
func (c *converter) workloadRef(spec *object, s *rampv1alpha1.RolloutSpec) {
	o := spec.child("workloadRef")
	if o == nil {
		return
	}
	ref := &rampv1alpha1.WorkloadRef{}
	if !c.decodeValue(o.at, o.m, ref) {
		return
	}
	if ref.APIVersion != "" && ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" {
		c.fail(o.at.key("kind"), "Ramp takes the pod template from a Deployment (apps/v1) only, not %s %s; copy the pod template into spec.template", ref.APIVersion, ref.Kind)
		return
	}
	if ref.ScaleDown != "" && ref.ScaleDown != rampv1alpha1.ScaleDownNever &&
		ref.ScaleDown != rampv1alpha1.ScaleDownOnSuccess && ref.ScaleDown != rampv1alpha1.ScaleDownProgressively {
		c.fail(o.at.key("scaleDown"), "must be never, onsuccess or progressively, not %q", ref.ScaleDown)
		return
	}
	s.WorkloadRef = ref
	if s.Template != nil && len(s.Template.Spec.Containers) == 0 {
		// Argo Rollouts ignores an empty template next to workloadRef.
		s.Template = nil
		return
	}
	if s.Template != nil {
		c.fail(spec.at.key("template"), "set spec.template or spec.workloadRef, not both")
	}
}

// strategy converts spec.strategy: exactly one of canary or blueGreen.
func (c *converter) strategy(spec *object, st *rampv1alpha1.RolloutStrategy, namespace string) {
	o := spec.child("strategy")
	if o == nil {
		c.fail(spec.at.key("strategy"), "Ramp needs a strategy: set canary or blueGreen")
		return
	}
	canary, blueGreen := o.child("canary"), o.child("blueGreen")
	o.done()
	switch {
	case canary != nil && blueGreen != nil:
		c.fail(o.at, "set canary or blueGreen, not both")
	case canary != nil:
		st.Canary = c.canary(canary, namespace)
	case blueGreen != nil:
		st.BlueGreen = c.blueGreen(blueGreen)
	default:
		c.fail(o.at, "Ramp needs a strategy: set canary or blueGreen")
	}
}
