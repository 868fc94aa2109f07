package dashboard

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Step is one canary step on the detail page's timeline.
type Step struct {
	// Index is the step's index in spec.strategy.canary.steps, from 0.
	Index int `json:"index"`
	// Description says what the step does, such as "setWeight 20".
	Description string `json:"description"`
	// State is done, current or next.
	State string `json:"state"`
	// PauseReason says why the current step waits (a pause condition's
	// reason, or SpecPaused); empty when it does not wait.
	PauseReason string `json:"pauseReason"`
	// Since is when the current step began to wait; null when it does
	// not wait.
	Since *metav1.Time `json:"since"`
}

// States of a step.
const (
	stepDone    = "done"
	stepCurrent = "current"
	stepNext    = "next"
)

// stepsOf is ro's canary steps as a timeline. With no update in flight
// every step is done; after an abort none is (a retry starts again from
// the first).
func stepsOf(ro *rampv1alpha1.Rollout) []Step {
	steps := canarySteps(ro)
	out := make([]Step, 0, len(steps))
	current := stepIndex(ro)
	switch {
	case ro.Status.Abort:
		current = -1
	case !inFlight(ro):
		current = len(steps)
	}
	for i, s := range steps {
		st := Step{Index: i, Description: describeStep(s), State: stepNext}
		switch {
		case current < 0:
		case i < current:
			st.State = stepDone
		case i == current:
			st.State = stepCurrent
			st.PauseReason, st.Since = pauseOf(ro)
		}
		out = append(out, st)
	}
	return out
}

// pauseOf says why ro waits and since when: its first pause condition,
// else spec.paused (with the time the Paused condition turned True).
func pauseOf(ro *rampv1alpha1.Rollout) (string, *metav1.Time) {
	if pcs := ro.Status.PauseConditions; len(pcs) > 0 {
		since := pcs[0].StartTime
		return string(pcs[0].Reason), &since
	}
	if !ro.Spec.Paused {
		return "", nil
	}
	for _, c := range ro.Status.Conditions {
		if c.Type == rampv1alpha1.ConditionPaused && c.Status == metav1.ConditionTrue {
			since := c.LastTransitionTime
			return rampv1alpha1.ReasonSpecPaused, &since
		}
	}
	return rampv1alpha1.ReasonSpecPaused, nil
}

// describeStep says what a step does, in the words of its field:
// "setWeight 20", "pause 30s", "pause", "analysis error-rate, latency",
// "setCanaryScale replicas 2", "setHeaderRoute beta".
func describeStep(s rampv1alpha1.CanaryStep) string {
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight %d", *s.SetWeight)
	case s.Pause != nil && s.Pause.Duration != nil:
		return "pause " + durationText(*s.Pause.Duration)
	case s.Pause != nil:
		return "pause"
	case s.Analysis != nil:
		names := make([]string, 0, len(s.Analysis.Templates))
		for _, t := range s.Analysis.Templates {
			names = append(names, t.TemplateName)
		}
		return strings.TrimSpace("analysis " + strings.Join(names, ", "))
	case s.SetCanaryScale != nil:
		return "setCanaryScale " + canaryScaleText(s.SetCanaryScale)
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute " + s.SetHeaderRoute.Name
	case s.SetMirrorRoute != nil:
		return "setMirrorRoute " + s.SetMirrorRoute.Name
	}
	return "unknown step"
}

// durationText is a pause duration: a number of seconds as "30s", a
// string as written.
func durationText(d intstr.IntOrString) string {
	if d.Type == intstr.Int {
		return fmt.Sprintf("%ds", d.IntVal)
	}
	return d.StrVal
}

// canaryScaleText says how a setCanaryScale step sizes the canary.
func canaryScaleText(c *rampv1alpha1.SetCanaryScale) string {
	switch {
	case c.Replicas != nil:
		return fmt.Sprintf("replicas %d", *c.Replicas)
	case c.Weight != nil:
		return fmt.Sprintf("weight %d", *c.Weight)
	}
	return "matchTrafficWeight"
}
