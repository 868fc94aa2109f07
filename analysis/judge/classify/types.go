package classify

// Kind is how a metric's data is compared.
type Kind string

// Kinds of metrics.
const (
	// Value metrics compare two series of samples, such as latency.
	Value Kind = "Value"
	// Ratio metrics compare errors over requests, summed over the window.
	Ratio Kind = "Ratio"
)

// Direction says which change of a metric is bad.
type Direction string

// Directions.
const (
	// Increase: a higher canary is bad (latency, errors). The default.
	Increase Direction = "Increase"
	// Decrease: a lower canary is bad (throughput, success ratio).
	Decrease Direction = "Decrease"
	// Either: any change is bad.
	Either Direction = "Either"
)

// Classification is the judge's verdict on one metric.
type Classification string

// Classifications. High and Low are only given in a direction that is bad
// for the metric; a change in the good direction is a Pass.
const (
	Pass   Classification = "Pass"
	High   Classification = "High"
	Low    Classification = "Low"
	NoData Classification = "NoData"
)

// Defaults of [Metric] and [Options] fields left zero.
const (
	// DefaultTrim is the fraction of values trimmed from each tail of a
	// Value metric's samples.
	DefaultTrim = 0.05
	// DefaultAlpha is a Value metric's false-alarm budget.
	DefaultAlpha = 0.01
	// DefaultRatioAlpha is the level of the rate comparison of Ratio
	// metrics.
	DefaultRatioAlpha = 0.05
	// DefaultSpreadRatio is how many times the control's spread the
	// canary's may reach before a significant difference fails it.
	DefaultSpreadRatio = 1.2
	// DefaultConfidence is the coverage of the reported intervals.
	DefaultConfidence = 0.95
	// DefaultMinSamples is the fewest finite samples a Value metric needs
	// in each series.
	DefaultMinSamples = 8
	// DefaultMinExcessErrors is the fewest errors a Ratio metric's canary
	// must have beyond what the control's rate predicts to fail.
	DefaultMinExcessErrors = 2
)

// Metric configures the comparison of one metric. It mirrors the judge's
// API (JudgeQuery) with plain types; see the package documentation for the
// rules.
type Metric struct {
	// Name and Group are copied to the result.
	Name, Group string
	// Kind is Value (the default when empty) or Ratio.
	Kind Kind
	// Direction is Increase (the default when empty), Decrease or Either.
	Direction Direction
	// EffectSize is the smallest relative change that is a regression:
	// 0.10 for 10%. Zero (or less) makes every significant change count.
	EffectSize float64
	// Weight of the metric in the score; zero or less leaves it out.
	Weight float64
	// Critical metrics fail the whole verdict when they are High or Low.
	Critical bool
	// Trim is the fraction of each Value series trimmed from each tail
	// before comparing the spreads (not before the rank test, see the
	// package documentation): 0 means DefaultTrim (5%), a negative value
	// turns trimming off, and values are capped below 0.5.
	Trim float64
}

// Counts are a Ratio metric's errors and requests over the window. They are
// rounded to whole numbers.
type Counts struct {
	Errors, Total float64
}

// Input is the data of one metric: the Value samples or the Ratio counts of
// the canary and of the control (the stable or baseline version).
type Input struct {
	Canary, Control             []float64
	CanaryCounts, ControlCounts Counts
}

// Options are the judge's statistical settings. The zero value of a field
// means its default.
type Options struct {
	// Alpha is a Value metric's false-alarm budget (default 0.01), shared
	// evenly (Bonferroni) by the tests that can fail it: the shift test,
	// one-sided in the bad direction (Either splits its share between the
	// two sides), and the spread test, which applies to Increase and
	// Either. So by default each test runs at 0.005, or the shift test at
	// 0.01 for a Decrease metric.
	Alpha float64
	// RatioAlpha is the level of a Ratio metric's rate comparison (default
	// 0.05): the canary fails when the posterior probability that its
	// rate is worse by more than the effect size is at least 1 −
	// RatioAlpha (1 − RatioAlpha/2 on each side for Either).
	RatioAlpha float64
	// SpreadRatio is the factor by which the canary's spread must exceed
	// the control's, besides a significant Brown-Forsythe test, for a
	// Value metric to fail on its variability (default 1.2).
	SpreadRatio float64
	// Confidence is the coverage of the reported intervals (default 0.95).
	Confidence float64
	// MinSamples is the fewest finite samples needed in each Value series
	// (default 8); below it the metric is NoData.
	MinSamples int
	// MinExcessErrors is the fewest errors the canary must have beyond the
	// number the control's rate predicts (or below it, for a Decrease) to
	// fail a Ratio metric (default 2).
	MinExcessErrors float64
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if !(o.Alpha > 0 && o.Alpha < 1) {
		o.Alpha = DefaultAlpha
	}
	if !(o.RatioAlpha > 0 && o.RatioAlpha < 1) {
		o.RatioAlpha = DefaultRatioAlpha
	}
	if !(o.SpreadRatio > 0) {
		o.SpreadRatio = DefaultSpreadRatio
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		o.Confidence = DefaultConfidence
	}
	if o.MinSamples <= 0 {
		o.MinSamples = DefaultMinSamples
	}
	if !(o.MinExcessErrors > 0) {
		o.MinExcessErrors = DefaultMinExcessErrors
	}
	return o
}

// Result is the classification of one metric with the numbers behind it.
// Numbers that do not apply are NaN.
type Result struct {
	Name, Group    string
	Kind           Kind
	Direction      Direction
	Classification Classification
	Critical       bool
	Weight         float64

	// CanaryMedian and ControlMedian are the medians of the samples
	// (Value) or the error ratios (Ratio).
	CanaryMedian, ControlMedian float64
	// Estimate is the shift of the canary from the control: the
	// Hodges-Lehmann estimate from the samples (Value) or the
	// difference of the error ratios (Ratio).
	Estimate float64
	// Lo and Hi bound the confidence interval of Estimate (Options.Confidence,
	// 95% by default): the Hodges-Lehmann interval (Value) or Newcombe's
	// hybrid score interval (Ratio).
	Lo, Hi float64
	// PValue is the p-value of the test that decided: the one-sided
	// Mann-Whitney test in the bad direction (two-sided for Either), or the
	// Brown-Forsythe test when the spread failed the metric (Value); the
	// one-sided Fisher exact test in the bad direction, two-sided for
	// Either (Ratio).
	PValue float64
	// EffectSize is the relative change, 0.3 for +30%: Estimate over the
	// control's median (or, when that is 0, its interquartile range) for
	// a Value metric; the ratio of the error ratios minus 1 for a Ratio
	// metric. It is ±Inf when the control's scale is 0.
	EffectSize float64
	// SpreadRatio is the canary's spread over the control's (mean absolute
	// deviation from the median of the trimmed samples), and
	// DispersionPValue the Brown-Forsythe p-value (Value only).
	SpreadRatio, DispersionPValue float64
	// Autocorrelation is the lag-1 autocorrelation of the series' ranks,
	// averaged over the two series and corrected for its bias (Value
	// only); when it is clearly positive the test and the interval allow
	// for the series carrying less information than their length.
	Autocorrelation float64
	// Probability is the posterior probability that the canary's error
	// ratio is worse than the control's by more than the effect size
	// (Ratio only).
	Probability float64
	// CanaryN and ControlN are the numbers of finite samples (Value) or
	// of requests (Ratio).
	CanaryN, ControlN float64
	// Reason explains the classification in plain words.
	Reason string
}
