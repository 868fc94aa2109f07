package convert

import (
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// rolloutAnalysis converts an analysis of a Rollout (a step, the
// background analysis, or a blue-green pre- or post-promotion analysis).
// It returns nil, after an error, when the analysis names no template.
func (c *converter) rolloutAnalysis(o *object) *rampv1alpha1.RolloutAnalysis {
	a := &rampv1alpha1.RolloutAnalysis{}
	o.decode("templates", &a.Templates)
	for _, arg := range o.items("args") {
		if v := c.analysisArg(arg); v != nil {
			a.Args = append(a.Args, *v)
		}
	}
	o.decode("dryRun", &a.DryRun)
	o.decode("measurementRetention", &a.MeasurementRetention)
	o.drop("analysisRunMetadata", "Ramp labels AnalysisRuns with ramp.dev/rollout and ramp.dev/pod-template-hash only; dropped")
	o.done()
	if len(a.Templates) == 0 {
		c.fail(o.at.key("templates"), "an analysis needs at least one template")
		return nil
	}
	return a
}

// analysisArg converts an argument passed by a Rollout to its templates.
// An argument with neither value nor valueFrom passes the empty string,
// as in Argo Rollouts.
func (c *converter) analysisArg(o *object) *rampv1alpha1.AnalysisRunArgument {
	arg := &rampv1alpha1.AnalysisRunArgument{}
	if !c.decodeValue(o.at, o.m, arg) {
		return nil
	}
	for k := range o.m {
		o.used[k] = true
	}
	if arg.Value == nil && arg.ValueFrom == nil {
		empty := ""
		arg.Value = &empty
	}
	if arg.Value != nil && arg.ValueFrom != nil {
		c.fail(o.at.key("valueFrom"), "set value or valueFrom, not both")
	}
	if vf := arg.ValueFrom; vf != nil {
		if (vf.PodTemplateHashValue == nil) == (vf.FieldRef == nil) {
			c.fail(o.at.key("valueFrom"), "set exactly one of podTemplateHashValue or fieldRef")
		}
		if h := vf.PodTemplateHashValue; h != nil && *h != "Stable" && *h != "Latest" {
			c.fail(o.at.key("valueFrom").key("podTemplateHashValue"), "must be Stable or Latest, not %q", *h)
		}
	}
	return arg
}

// backgroundAnalysis converts strategy.canary.analysis; stepIndex maps
// Argo step indexes to the indexes of the converted steps.
func (c *converter) backgroundAnalysis(o *object, stepIndex func(int32) int32) *rampv1alpha1.RolloutAnalysisBackground {
	var start *int32
	if o.decode("startingStep", &start) && start != nil {
		s := stepIndex(*start)
		start = &s
	}
	a := c.rolloutAnalysis(o)
	if a == nil {
		return nil
	}
	return &rampv1alpha1.RolloutAnalysisBackground{RolloutAnalysis: *a, StartingStep: start}
}
