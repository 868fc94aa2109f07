// Package analysis measures a version for an AnalysisRun: a Provider takes
// one measurement of a metric (one package per provider: prometheus, job,
// web, judge), and this package turns it into a verdict by evaluating the
// metric's successCondition and failureCondition.
package analysis

import (
	"context"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Result is what a provider measured.
type Result struct {
	// Value is what the conditions see as result: a float64 for a scalar,
	// []float64 for a vector (empty when the vector is), or decoded JSON
	// (map[string]any, []any, float64, string, bool, nil).
	Value any
	// Text is the value as written into the AnalysisRun's status, such as
	// 0.012 or [0.01,0.02]; it must never hold secrets.
	Text string
	// Phase, when set, decides the measurement without evaluating the
	// conditions: a Job provider reports Successful or Failed, and Running
	// while its Job runs (checked again at ResumeAt).
	Phase rampv1alpha1.AnalysisPhase
	// Message explains the result, such as why a Job failed.
	Message string
	// Metadata is kept with the measurement in status, such as the name of
	// the Job. It must never hold secrets.
	Metadata map[string]string
	// Verdict, from the judge, explains the measurement metric by metric;
	// it is kept in the metric's result.
	Verdict *rampv1alpha1.JudgeVerdict
}

// Request is one measurement to take.
type Request struct {
	// Run is the AnalysisRun the measurement is for.
	Run *rampv1alpha1.AnalysisRun
	// Metric is the metric, with {{args.NAME}} already replaced in its
	// provider's settings.
	Metric *rampv1alpha1.Metric
	// Secrets reads keys of Secrets in the run's namespace, for
	// authentication and headers.
	Secrets SecretReader
	// Measurement is the running measurement being checked (Check, Stop).
	Measurement *rampv1alpha1.Measurement
}

// SecretReader reads one key of a Secret in the run's namespace.
type SecretReader interface {
	SecretValue(ctx context.Context, ref rampv1alpha1.SecretKeyRef) (string, error)
}

// Provider takes measurements of one kind. An error from Measure becomes an
// Error measurement with the error's text as message, so the error must say
// what went wrong in words a person can act on (and never hold secrets).
type Provider interface {
	// Measure takes one measurement.
	Measure(ctx context.Context, req Request) (Result, error)
}

// Resumer is a Provider whose measurements take time, such as a Job. Measure
// starts one and returns Phase Running; the engine calls Check when the
// measurement is due again (or when something it watches changes) until it
// reports another phase, and Stop when the run is terminated.
type Resumer interface {
	Provider
	// Check looks at a running measurement (req.Measurement).
	Check(ctx context.Context, req Request) (Result, error)
	// Stop ends a running measurement and cleans up after it.
	Stop(ctx context.Context, req Request) error
}

// ProviderName is the name of the provider a metric uses: prometheus, job,
// web or judge; empty when none is set.
func ProviderName(m *rampv1alpha1.Metric) string {
	p := &m.Provider
	switch {
	case p.Prometheus != nil:
		return "prometheus"
	case p.Job != nil:
		return "job"
	case p.Web != nil:
		return "web"
	case p.Judge != nil:
		return "judge"
	}
	return ""
}
