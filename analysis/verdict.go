package analysis

import (
	"fmt"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Conditions are a metric's parsed successCondition and failureCondition;
// either may be nil.
type Conditions struct {
	Success, Failure *Condition
}

// CompileConditions parses a metric's conditions. The error names the
// metric and the expression.
func CompileConditions(m *rampv1alpha1.Metric) (Conditions, error) {
	var c Conditions
	var err error
	if m.SuccessCondition != "" {
		if c.Success, err = CompileCondition(m.SuccessCondition); err != nil {
			return c, fmt.Errorf("metric %s: successCondition: %w", m.Name, err)
		}
	}
	if m.FailureCondition != "" {
		if c.Failure, err = CompileCondition(m.FailureCondition); err != nil {
			return c, fmt.Errorf("metric %s: failureCondition: %w", m.Name, err)
		}
	}
	return c, nil
}

// Assess decides the phase of a measurement from what the provider
// measured, and explains it: which condition held or did not, for which
// value.
//
//   - a provider that decided (a Job) is followed;
//   - failureCondition true → Failed;
//   - successCondition true → Successful;
//   - successCondition false → Failed when there is no failureCondition,
//     Inconclusive when there is one (neither held);
//   - failureCondition false and no successCondition → Successful;
//   - no conditions → Successful.
//
// A condition that cannot be evaluated on the value makes an Error
// measurement.
func Assess(c Conditions, res Result) (rampv1alpha1.AnalysisPhase, string) {
	if res.Phase != "" {
		return res.Phase, res.Message
	}
	value := Prepare(res.Value)
	if c.Failure != nil {
		failed, err := c.Failure.Evaluate(value)
		if err != nil {
			return rampv1alpha1.AnalysisPhaseError, fmt.Sprintf("failureCondition cannot be evaluated on %s: %v", res.Text, err)
		}
		if failed {
			return rampv1alpha1.AnalysisPhaseFailed, fmt.Sprintf("failureCondition %q is true for %s", c.Failure.Source, res.Text)
		}
	}
	if c.Success == nil {
		return rampv1alpha1.AnalysisPhaseSuccessful, ""
	}
	ok, err := c.Success.Evaluate(value)
	if err != nil {
		return rampv1alpha1.AnalysisPhaseError, fmt.Sprintf("successCondition cannot be evaluated on %s: %v", res.Text, err)
	}
	switch {
	case ok:
		return rampv1alpha1.AnalysisPhaseSuccessful, ""
	case c.Failure != nil:
		return rampv1alpha1.AnalysisPhaseInconclusive, fmt.Sprintf("neither successCondition %q nor failureCondition %q holds for %s",
			c.Success.Source, c.Failure.Source, res.Text)
	default:
		return rampv1alpha1.AnalysisPhaseFailed, fmt.Sprintf("successCondition %q is false for %s", c.Success.Source, res.Text)
	}
}
