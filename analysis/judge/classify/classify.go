package classify

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/rampdev/ramp/analysis/judge/stats"
)

// Classify compares the canary with the control for one metric with the
// default [Options].
func Classify(m Metric, in Input) Result {
	return Options{}.Classify(m, in)
}

// Classify compares the canary with the control for one metric.
func (o Options) Classify(m Metric, in Input) Result {
	o = o.withDefaults()
	if m.Kind == "" {
		m.Kind = Value
	}
	if m.Direction != Decrease && m.Direction != Either {
		m.Direction = Increase
	}
	if !(m.EffectSize > 0) || math.IsInf(m.EffectSize, 0) {
		m.EffectSize = 0
	}
	nan := math.NaN()
	r := Result{
		Name: m.Name, Group: m.Group, Kind: m.Kind, Direction: m.Direction,
		Critical: m.Critical, Weight: math.Max(0, m.Weight),
		CanaryMedian: nan, ControlMedian: nan, Estimate: nan, Lo: nan, Hi: nan,
		PValue: nan, EffectSize: nan, SpreadRatio: nan, DispersionPValue: nan,
		Probability: nan, CanaryN: nan, ControlN: nan, Autocorrelation: nan,
	}
	if math.IsNaN(r.Weight) {
		r.Weight = 0
	}
	if m.Kind == Ratio {
		o.ratio(m, in.CanaryCounts, in.ControlCounts, &r)
	} else {
		r.Kind = Value
		o.value(m, in.Canary, in.Control, &r)
	}
	return r
}

func badUp(d Direction) bool   { return d != Decrease }
func badDown(d Direction) bool { return d != Increase }

// value classifies a Value metric.
func (o Options) value(m Metric, canary, control []float64, r *Result) {
	canary, control = stats.Finite(canary), stats.Finite(control)
	r.CanaryN, r.ControlN = float64(len(canary)), float64(len(control))
	r.CanaryMedian, r.ControlMedian = stats.Median(canary), stats.Median(control)
	if len(canary) < o.MinSamples || len(control) < o.MinSamples {
		r.Classification = NoData
		r.Reason = fmt.Sprintf("canary has %d %s and control %d (NaN and Inf dropped); at least %d each are needed",
			len(canary), plural(len(canary), "sample", "samples"), len(control), o.MinSamples)
		return
	}
	trim := m.Trim
	switch {
	case trim == 0:
		trim = DefaultTrim
	case trim < 0 || math.IsNaN(trim):
		trim = 0
	}

	// The rank test and the shift use every finite sample: ranks are
	// already insensitive to outliers, and trimming each series on its own
	// would break the test's null distribution.
	inflation, rho := inflationOf(canary, control)
	mw := stats.MannWhitneyU(canary, control).Inflate(inflation)
	hl := stats.HodgesLehmannInflated(canary, control, o.Confidence, inflation)
	r.Autocorrelation = rho
	r.Estimate, r.Lo, r.Hi = hl.Estimate, hl.Lo, hl.Hi
	scale := math.Abs(r.ControlMedian)
	if scale == 0 {
		scale = stats.IQR(control)
	}
	switch {
	case scale > 0:
		r.EffectSize = hl.Estimate / scale
	case hl.Estimate == 0:
		r.EffectSize = 0
	default:
		r.EffectSize = math.Copysign(math.Inf(1), hl.Estimate)
	}

	// The false-alarm budget is shared by the shift test and, for
	// Increase and Either, the spread test; Either splits the shift test's
	// share between its two sides.
	shiftAlpha, spreadAlpha := o.Alpha/2, o.Alpha/2
	if m.Direction == Decrease {
		shiftAlpha, spreadAlpha = o.Alpha, 0
	}
	sideAlpha := shiftAlpha
	if m.Direction == Either {
		sideAlpha = shiftAlpha / 2
	}
	switch m.Direction {
	case Increase:
		r.PValue = mw.PGreater
	case Decrease:
		r.PValue = mw.PLess
	default:
		r.PValue = mw.P
	}
	up := mw.PGreater < sideAlpha && r.EffectSize > m.EffectSize
	down := mw.PLess < sideAlpha && r.EffectSize < -m.EffectSize

	// The spread ratio is taken on trimmed series, so that a lone outlier
	// cannot make the canary look more variable; the Brown-Forsythe test,
	// centered on medians, is robust as it is and runs on every sample.
	spreadC := stats.MeanAbsDev(stats.Trim(canary, trim))
	spreadK := stats.MeanAbsDev(stats.Trim(control, trim))
	switch {
	case spreadK > 0:
		r.SpreadRatio = spreadC / spreadK
	case spreadC == 0:
		r.SpreadRatio = 1
	default:
		r.SpreadRatio = math.Inf(1)
	}
	r.DispersionPValue = stats.BrownForsythe(canary, control).P
	wider := r.DispersionPValue < spreadAlpha && r.SpreadRatio > o.SpreadRatio

	shift := o.describeShift(m, r, mw)
	level := "at the " + levelPct(shiftAlpha) + " level"
	switch {
	case up && badUp(m.Direction):
		r.Classification = High
		r.Reason = shift + "; significant " + level + " and " + exceeds(m.EffectSize, "above")
	case down && badDown(m.Direction):
		r.Classification = Low
		r.Reason = shift + "; significant " + level + " and " + exceeds(m.EffectSize, "below")
	case wider && badUp(m.Direction):
		r.Classification = High
		r.PValue = r.DispersionPValue
		r.Reason = fmt.Sprintf("canary spread is %s times the control's (mean absolute deviation %s vs %s, Brown-Forsythe %s, significant at the %s level), more than the %s times allowed; medians %s vs %s",
			num(r.SpreadRatio), num(spreadC), num(spreadK), pval(r.DispersionPValue), levelPct(spreadAlpha),
			num(o.SpreadRatio), num(r.CanaryMedian), num(r.ControlMedian))
	default:
		r.Classification = Pass
		switch {
		case up || down:
			r.Reason = shift + "; a change in the good direction"
		case (mw.PGreater < sideAlpha && r.EffectSize > 0) || (mw.PLess < sideAlpha && r.EffectSize < 0):
			r.Reason = shift + "; significant " + level + " but " + within(m.EffectSize)
		default:
			r.Reason = shift + "; not significant " + level
		}
	}
}

// describeShift explains the shift of a Value metric.
func (o Options) describeShift(m Metric, r *Result, mw stats.MannWhitney) string {
	rel := ""
	switch {
	case math.IsInf(r.EffectSize, 0):
		rel = "from a control of 0, "
	case !math.IsNaN(r.EffectSize):
		rel = pct(r.EffectSize) + ", "
	}
	p := pval(r.PValue)
	if m.Direction == Either {
		p = pval(mw.P)
	}
	return fmt.Sprintf("canary median %s vs control %s: shift %s (%s%s interval %s .. %s, %s)",
		num(r.CanaryMedian), num(r.ControlMedian), signed(r.Estimate), rel,
		confidence(o.Confidence), signed(r.Lo), signed(r.Hi), p)
}

func exceeds(effect float64, side string) string {
	if effect == 0 {
		return side + " the control, with no effect size allowed"
	}
	return fmt.Sprintf("more than the %s allowed", pctAbs(effect))
}

func within(effect float64) string {
	if effect == 0 {
		return "in the good direction"
	}
	return fmt.Sprintf("within the %s allowed", pctAbs(effect))
}

// maxCount bounds the counts a Ratio metric accepts (see stats.MaxCount).
const maxCount = stats.MaxCount

// ratio classifies a Ratio metric.
func (o Options) ratio(m Metric, canary, control Counts, r *Result) {
	e1, n1, ok1 := roundCounts(canary)
	e2, n2, ok2 := roundCounts(control)
	if !ok1 || !ok2 {
		r.Classification = NoData
		r.Reason = fmt.Sprintf("invalid counts: canary %s errors of %s requests, control %s of %s (need 0 ≤ errors ≤ requests ≤ %s)",
			num(canary.Errors), num(canary.Total), num(control.Errors), num(control.Total), count(maxCount))
		return
	}
	r.CanaryN, r.ControlN = float64(n1), float64(n2)
	if n1 == 0 || n2 == 0 {
		r.Classification = NoData
		r.Reason = fmt.Sprintf("no requests to compare: canary %s, control %s", count(float64(n1)), count(float64(n2)))
		return
	}
	r1, r2 := float64(e1)/float64(n1), float64(e2)/float64(n2)
	r.CanaryMedian, r.ControlMedian = r1, r2
	r.Estimate = r1 - r2
	r.Lo, r.Hi = stats.RateDiffInterval(e1, n1, e2, n2, o.Confidence)
	switch {
	case r2 > 0:
		r.EffectSize = r1/r2 - 1
	case r1 == 0:
		r.EffectSize = 0
	default:
		r.EffectSize = math.Inf(1)
	}
	fisher := stats.FisherExact(e1, n1, e2, n2)
	factor := 1 + m.EffectSize
	// P(canary worse up) and P(canary worse down), each by more than the
	// effect size.
	probUp := stats.RateProbGreater(e1, n1, e2, n2, factor)
	probDown := stats.RateProbGreater(e2, n2, e1, n1, factor)
	excess := float64(e1) - r2*float64(n1)

	need := 1 - o.RatioAlpha
	if m.Direction == Either {
		need = 1 - o.RatioAlpha/2
	}
	up := badUp(m.Direction) && probUp >= need && excess >= o.MinExcessErrors
	down := badDown(m.Direction) && probDown >= need && -excess >= o.MinExcessErrors
	switch m.Direction {
	case Increase:
		r.PValue, r.Probability = fisher.PGreater, probUp
	case Decrease:
		r.PValue, r.Probability = fisher.PLess, probDown
	default:
		r.PValue, r.Probability = fisher.P, math.Max(probUp, probDown)
	}

	head := fmt.Sprintf("canary %s of %s requests (%s) vs control %s of %s (%s)",
		errorsText(float64(e1)), count(float64(n1)), ratioPct(r1),
		count(float64(e2)), count(float64(n2)), ratioPct(r2))
	word, prob := "higher", probUp
	if down || (!up && m.Direction == Decrease) || (!up && m.Direction == Either && probDown > probUp) {
		word, prob = "lower", probDown
	}
	by := ""
	if m.EffectSize > 0 {
		by = " by more than " + pctAbs(m.EffectSize)
	}
	evidence := fmt.Sprintf("%s probability that the canary's ratio is %s%s (Fisher %s)",
		probPct(prob), word, by, pval(r.PValue))
	diff := fmt.Sprintf("%s more than the control's ratio predicts", errorsText(excess))
	if excess < 0 {
		diff = fmt.Sprintf("%s fewer than the control's ratio predicts", errorsText(-excess))
	}
	switch {
	case up:
		r.Classification = High
		r.Reason = fmt.Sprintf("%s: %s, at least %s needed; %s", head, evidence, probPct(need), diff)
	case down:
		r.Classification = Low
		r.Reason = fmt.Sprintf("%s: %s, at least %s needed; %s", head, evidence, probPct(need), diff)
	default:
		r.Classification = Pass
		switch {
		case prob >= need:
			r.Reason = fmt.Sprintf("%s: %s, but only %s, fewer than the %s needed to fail",
				head, evidence, diff, num(o.MinExcessErrors))
		case (m.Direction == Increase && probDown >= need) || (m.Direction == Decrease && probUp >= need):
			r.Reason = fmt.Sprintf("%s: a change in the good direction", head)
		default:
			r.Reason = fmt.Sprintf("%s: %s, less than the %s needed", head, evidence, probPct(need))
		}
	}
}

// errorsText is "1 error", "2.5 errors" or "10,000 errors".
func errorsText(n float64) string {
	switch {
	case n == 1:
		return "1 error"
	case n == math.Trunc(n):
		return count(n) + " errors"
	}
	return num(n) + " errors"
}

// inflationOf estimates how much autocorrelation inflates the variance of
// the rank statistic. Each series' ranks are detrended (a trend shared by
// both versions, such as daily traffic, is not what matters here) and
// their lag-1 autocorrelations averaged; the estimate is corrected for its
// bias (Marriott and Pope: E[ρ̂] ≈ ρ − (1+3ρ)/n), less half a standard
// error (1/√(2n)) so independent series are seldom penalized, and capped at
// 0.9. An AR(1) series with correlation ρ inflates the variance by
// (1+ρ)/(1−ρ).
func inflationOf(canary, control []float64) (factor, rho float64) {
	a := stats.Autocorrelation(detrend(ranks(canary)), 1)
	b := stats.Autocorrelation(detrend(ranks(control)), 1)
	switch {
	case math.IsNaN(a) && math.IsNaN(b):
		return 1, math.NaN()
	case math.IsNaN(a):
		rho = b
	case math.IsNaN(b):
		rho = a
	default:
		rho = (a + b) / 2
	}
	n := float64(min(len(canary), len(control)))
	if n > 4 {
		rho = math.Max(-1, math.Min(1, (n*rho+1)/(n-3)))
	}
	eff := math.Min(0.9, rho-0.5/math.Sqrt(2*n))
	if eff <= 0 {
		return 1, rho
	}
	return (1 + eff) / (1 - eff), rho
}

// detrend removes the least-squares line through x against its index.
func detrend(x []float64) []float64 {
	n := float64(len(x))
	if n < 3 {
		return x
	}
	sum := 0.0
	for _, v := range x {
		sum += v
	}
	mt, mx := (n-1)/2, sum/n
	sxy, sxx := 0.0, 0.0
	for i, v := range x {
		dt := float64(i) - mt
		sxy += dt * (v - mx)
		sxx += dt * dt
	}
	slope := sxy / sxx
	out := make([]float64, len(x))
	rss, tss := 0.0, 0.0
	for i, v := range x {
		out[i] = v - mx - slope*(float64(i)-mt)
		rss += out[i] * out[i]
		tss += (v - mx) * (v - mx)
	}
	if rss <= 1e-12*tss {
		// A straight line: what is left is rounding noise.
		clear(out)
	}
	return out
}

// ranks returns the ranks of x's values in x's order (midranks for ties).
func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return cmp.Compare(x[i], x[j]) })
	out := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		for k := i; k < j; k++ {
			out[idx[k]] = float64(i+j+1) / 2
		}
		i = j
	}
	return out
}

// roundCounts rounds a Ratio metric's counts to whole numbers and checks
// them.
func roundCounts(c Counts) (errors, total int64, ok bool) {
	e, n := math.Round(c.Errors), math.Round(c.Total)
	if !(e >= 0 && n >= 0 && e <= n && n <= maxCount) {
		return 0, 0, false
	}
	return int64(e), int64(n), true
}
