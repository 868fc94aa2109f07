package view

import (
	"strconv"
	"strings"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// A judge metric compares the canary with the stable (or baseline)
// version metric by metric and records its latest verdict in the metric's
// result. get rollout explains each verdict under its run:
//
//	Judge: score 60/100 (canary 7565b9cb75 with stable 558c66478b)
//	NAME          GROUP    CLASS   CANARY  CONTROL  SHIFT [INTERVAL]          P       EFFECT
//	latency-p99*  latency  ✖ High  0.031   0.024    0.0071 [0.0052, 0.0093]   0.0004  +29.4%
//	  the canary is 29.4% slower than stable, more than the 10% allowed
//	error-ratio   errors   ✔ Pass  0.004   0.0041   -1e-04 [-0.0009, 0.0007]  0.81    -2.4%
//	* critical

// Judge classifications, as the API names them.
const (
	classPass   = "Pass"
	classHigh   = "High"
	classLow    = "Low"
	classNoData = "NoData"
)

// reasonIndent is how far a metric's reason is indented under its row.
const reasonIndent = "  "

// classState is the state of a judge classification: Pass is good, High
// and Low are bad (the canary differs from the control), NoData is busy
// (nothing to compare yet).
func classState(class string) state {
	switch class {
	case classPass:
		return state{iconHealthy, class, good}
	case classHigh, classLow:
		return state{iconBad, class, bad}
	case classNoData:
		return state{iconWarning, class, busy}
	case "":
		return state{iconUnknown, notAvailable, plain}
	}
	return state{iconUnknown, class, plain}
}

// verdictLines explains the judge verdicts of a run's metrics, one block
// per metric with a verdict: a header with the score and what was
// compared, a table of the compared metrics each followed by its reason,
// and a legend when a metric is critical. Blocks of a run with more than
// one judge metric name the metric. None without verdicts.
func verdictLines(run *rampv1alpha1.AnalysisRun, o Options) []string {
	var judged []*rampv1alpha1.MetricResult
	for i := range run.Status.MetricResults {
		if run.Status.MetricResults[i].Verdict != nil {
			judged = append(judged, &run.Status.MetricResults[i])
		}
	}
	if len(judged) == 0 {
		return nil
	}
	var b strings.Builder
	for _, res := range judged {
		writeVerdict(&b, res, len(judged) > 1, o)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// writeVerdict renders the verdict of res; named adds the metric's name to
// the header.
func writeVerdict(b *strings.Builder, res *rampv1alpha1.MetricResult, named bool, o Options) {
	v := res.Verdict
	b.WriteString("Judge")
	if named {
		b.WriteString(" " + clean(res.Name))
	}
	b.WriteString(": " + o.paint(runState(res.Phase).tone, "score "+strconv.Itoa(int(v.Score))+"/100"))
	if v.Compared != "" {
		b.WriteString(" (" + clean(v.Compared) + ")")
	}
	b.WriteByte('\n')
	if len(v.Metrics) == 0 {
		return
	}
	t := &table{}
	t.add(plainCell("NAME"), plainCell("GROUP"), plainCell("CLASS"), plainCell("CANARY"), plainCell("CONTROL"),
		plainCell("SHIFT [INTERVAL]"), plainCell("P"), plainCell("EFFECT"))
	critical := false
	for _, m := range v.Metrics {
		name := m.Name
		if m.Critical {
			name += "*"
			critical = true
		}
		t.add(plainCell(name), plainCell(orNotAvailable(m.Group)), stateCell(classState(m.Classification)),
			plainCell(orNotAvailable(m.CanaryMedian)), plainCell(orNotAvailable(m.ControlMedian)),
			plainCell(shift(m)), plainCell(orNotAvailable(m.PValue)), plainCell(orNotAvailable(m.EffectSize)))
		if m.Reason != "" {
			t.addLines(reasonIndent + clean(m.Reason))
		}
	}
	t.write(b, t.widths(nil), o)
	if critical {
		b.WriteString("* critical\n")
	}
}

// shift is a metric's estimated shift with its confidence interval, such
// as "0.0071 [0.0052, 0.0093]"; "-" when neither applies.
func shift(m rampv1alpha1.JudgeMetricVerdict) string {
	parts := make([]string, 0, 2)
	for _, p := range []string{m.Estimate, m.Interval} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return orNotAvailable(strings.Join(parts, " "))
}

// orNotAvailable is text, or "-" when it is empty.
func orNotAvailable(text string) string {
	if text == "" {
		return notAvailable
	}
	return text
}
