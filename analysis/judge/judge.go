// Package judge is the analysis provider for metric.provider.judge: it
// compares the canary with the stable version (or the baseline) metric by
// metric over a window of Prometheus data, and scores the comparison.
//
// For each query it runs the PromQL once for the canary and once for the
// control, with {{version.podHash}} replaced by each version's pod
// template hash (the AnalysisRun carries them: its
// ramp.dev/pod-template-hash label is the canary, and the annotations
// ramp.dev/stable-pod-template-hash and ramp.dev/baseline-pod-template-hash
// the others). A Value query is a range query over the window at the step,
// whose samples are compared as distributions; a Ratio query sums its
// errorQuery and totalQuery at the end of the window and compares the
// proportions. The statistics are in analysis/judge/classify; the
// verdict, with every metric's numbers and reason, goes into the
// AnalysisRun's status.
package judge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/utils/ptr"

	"github.com/rampdev/ramp/analysis"
	"github.com/rampdev/ramp/analysis/judge/classify"
	"github.com/rampdev/ramp/analysis/prometheus"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Defaults of the judge's window and step.
const (
	DefaultWindow = 5 * time.Minute
	DefaultStep   = 15 * time.Second
)

// podHashPlaceholder is replaced by the pod template hash of the version
// queried.
const podHashPlaceholder = "{{version.podHash}}"

// Provider is the judge. It keeps no state between measurements and is
// safe for concurrent use.
type Provider struct {
	now func() time.Time
}

var _ analysis.Provider = (*Provider)(nil)

// New returns the judge provider.
func New() *Provider {
	return &Provider{now: time.Now}
}

// Measure compares the canary with its control and returns the verdict:
// Successful at or above passScore, Inconclusive at or above
// marginalScore, Failed below (or when a critical metric fails).
func (p *Provider) Measure(ctx context.Context, req analysis.Request) (analysis.Result, error) {
	if req.Metric == nil || req.Metric.Provider.Judge == nil {
		return analysis.Result{}, errors.New("metric has no judge provider")
	}
	m := req.Metric.Provider.Judge
	canary, control, compared, err := versions(req.Run, m.Compare)
	if err != nil {
		return analysis.Result{}, err
	}
	window, err := duration(string(m.Window), DefaultWindow, "window")
	if err != nil {
		return analysis.Result{}, err
	}
	step, err := duration(string(m.Step), DefaultStep, "step")
	if err != nil {
		return analysis.Result{}, err
	}
	client, err := prometheus.Connect(ctx, req.Secrets, &m.PrometheusConnection)
	if err != nil {
		return analysis.Result{}, err
	}
	end := p.now()
	start := end.Add(-window)
	results := make([]classify.Result, 0, len(m.Queries))
	for i := range m.Queries {
		q := &m.Queries[i]
		in, err := fetch(ctx, client, q, canary, control, start, end, step)
		if err != nil {
			return analysis.Result{}, fmt.Errorf("query %s: %w", q.Name, err)
		}
		results = append(results, classify.Classify(metricOf(q), in))
	}
	thresholds := classify.Thresholds{
		Pass:     float64(ptr.Deref(m.PassScore, rampv1alpha1.DefaultJudgePassScore)),
		Marginal: float64(ptr.Deref(m.MarginalScore, rampv1alpha1.DefaultJudgeMarginalScore)),
	}
	v := classify.Score(results, thresholds)
	return resultOf(v, results, compared), nil
}

// versions reads the canary's and the control's pod template hashes from
// the run, and says what was compared.
func versions(run *rampv1alpha1.AnalysisRun, compare string) (canary, control, compared string, err error) {
	if run == nil {
		return "", "", "", errors.New("the judge needs the AnalysisRun of a Rollout")
	}
	canary = run.Labels[rampv1alpha1.LabelPodTemplateHash]
	stable := run.Annotations[rampv1alpha1.AnnotationStablePodTemplateHash]
	baseline := run.Annotations[rampv1alpha1.AnnotationBaselinePodTemplateHash]
	switch {
	case canary == "":
		return "", "", "", fmt.Errorf("AnalysisRun %s has no %s label: the judge compares the versions of a Rollout's update",
			run.Name, rampv1alpha1.LabelPodTemplateHash)
	case compare == "Baseline" && baseline == "":
		return "", "", "", errors.New("compare is Baseline but the rollout runs no baseline: set spec.strategy.canary.baseline to true, or compare with Stable")
	case compare != "Stable" && baseline != "":
		control = baseline
		compared = fmt.Sprintf("canary %s with baseline %s", canary, baseline)
	case stable == "":
		return "", "", "", fmt.Errorf("AnalysisRun %s names no stable version to compare the canary with (annotation %s): the judge runs during an update",
			run.Name, rampv1alpha1.AnnotationStablePodTemplateHash)
	default:
		control = stable
		compared = fmt.Sprintf("canary %s with stable %s", canary, stable)
	}
	return canary, control, compared, nil
}

// duration parses a window or step, with its default when empty.
func duration(s string, def time.Duration, field string) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q is not a positive duration such as 5m or 15s", field, s)
	}
	return d, nil
}

// fetch reads one query's data for both versions.
func fetch(ctx context.Context, c *prometheus.Client, q *rampv1alpha1.JudgeQuery, canary, control string,
	start, end time.Time, step time.Duration) (classify.Input, error) {
	with := func(query, hash string) string { return strings.ReplaceAll(query, podHashPlaceholder, hash) }
	if q.Kind == string(classify.Ratio) {
		var counts [4]float64
		for i, query := range []string{with(q.ErrorQuery, canary), with(q.TotalQuery, canary), with(q.ErrorQuery, control), with(q.TotalQuery, control)} {
			v, _, err := c.Sum(ctx, query, end)
			if err != nil {
				return classify.Input{}, err
			}
			counts[i] = v
		}
		return classify.Input{
			CanaryCounts:  classify.Counts{Errors: counts[0], Total: counts[1]},
			ControlCounts: classify.Counts{Errors: counts[2], Total: counts[3]},
		}, nil
	}
	cs, err := c.Range(ctx, with(q.Query, canary), start, end, step)
	if err != nil {
		return classify.Input{}, err
	}
	ks, err := c.Range(ctx, with(q.Query, control), start, end, step)
	if err != nil {
		return classify.Input{}, err
	}
	return classify.Input{Canary: cs, Control: ks}, nil
}

// metricOf maps a query to the classifier's settings, with the API's
// defaults.
func metricOf(q *rampv1alpha1.JudgeQuery) classify.Metric {
	kind := classify.Value
	if q.Kind == string(classify.Ratio) {
		kind = classify.Ratio
	}
	direction := classify.Increase
	switch q.Direction {
	case string(classify.Decrease):
		direction = classify.Decrease
	case string(classify.Either):
		direction = classify.Either
	}
	return classify.Metric{
		Name: q.Name, Group: q.Group, Kind: kind, Direction: direction,
		EffectSize: float64(ptr.Deref(q.EffectSize, rampv1alpha1.DefaultJudgeEffectSizePercent)) / 100,
		Weight:     float64(ptr.Deref(q.Weight, 1)),
		Critical:   q.Critical,
	}
}

// resultOf turns the verdict into a measurement.
func resultOf(v classify.Verdict, results []classify.Result, compared string) analysis.Result {
	score := int32(math.Floor(v.Score))
	verdict := &rampv1alpha1.JudgeVerdict{Score: score, Compared: compared}
	var bad []string
	for _, r := range results {
		verdict.Metrics = append(verdict.Metrics, rampv1alpha1.JudgeMetricVerdict{
			Name: r.Name, Group: r.Group, Classification: string(r.Classification), Critical: r.Critical,
			CanaryMedian: num(r.CanaryMedian), ControlMedian: num(r.ControlMedian), Estimate: num(r.Estimate),
			Interval: interval(r.Lo, r.Hi), PValue: num(r.PValue), EffectSize: percent(r.EffectSize), Reason: r.Reason,
		})
		if r.Classification == classify.High || r.Classification == classify.Low {
			bad = append(bad, fmt.Sprintf("%s %s: %s", r.Name, r.Classification, r.Reason))
		}
	}
	phase := rampv1alpha1.AnalysisPhaseSuccessful
	switch v.Phase {
	case classify.PhaseFail:
		phase = rampv1alpha1.AnalysisPhaseFailed
	case classify.PhaseMarginal:
		phase = rampv1alpha1.AnalysisPhaseInconclusive
	}
	msg := fmt.Sprintf("judge score %d (%s): %s", score, compared, v.Reason)
	if len(bad) > 0 {
		msg += "; " + strings.Join(bad, "; ")
	}
	return analysis.Result{
		Value: float64(score), Text: strconv.Itoa(int(score)), Phase: phase, Message: msg, Verdict: verdict,
	}
}

// num writes a number for the verdict; empty when it does not apply.
func num(f float64) string {
	if math.IsNaN(f) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// interval writes [lo, hi]; empty when it does not apply.
func interval(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return ""
	}
	return "[" + num(lo) + ", " + num(hi) + "]"
}

// percent writes a relative change as a percentage, such as +30%.
func percent(f float64) string {
	if math.IsNaN(f) {
		return ""
	}
	if math.IsInf(f, 0) {
		return num(f)
	}
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}
