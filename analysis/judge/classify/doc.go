// Package classify is Ramp's canary judge: it classifies each metric of a
// canary against its control (the stable or baseline version) as Pass,
// High, Low or NoData, and scores the run from 0 to 100. It uses
// [github.com/rampdev/ramp/analysis/judge/stats] and the standard library
// only; its configuration types mirror the judge's API with plain types.
//
// # Value metrics
//
// A Value metric compares two series of samples, such as the latency of
// each 15-second step over the window.
//
//  1. NaN and ±Inf samples are dropped. Each series needs at least
//     Options.MinSamples (8) samples, otherwise the metric is NoData.
//  2. Shift: the Mann-Whitney U test compares the series, and the
//     Hodges-Lehmann estimate (the median of all canary − control
//     differences) with its 95% distribution-free interval measures the
//     shift. The relative effect is the estimate over the control's median
//     (over the control's interquartile range when the median is 0; when
//     both are 0, any shift is infinitely large).
//  3. The metric is High when the canary is significantly higher (the
//     one-sided p-value is below the test's level) and the estimated shift
//     exceeds the effect size; Low likewise downwards. Requiring the point
//     estimate, not the whole interval, beyond the effect size gives a
//     detection rate that grows quickly past the effect size while keeping
//     changes below it passing: with a 10% effect size, 20 samples of a
//     latency varying ±10% fail a 20% regression 99.5% of the time and a
//     1% one 0.5% of the time. Requiring the interval's lower bound beyond
//     the effect size would miss a good share of 20% regressions, and
//     significance alone fails the small shifts the effect size declares
//     acceptable.
//  4. Spread (beyond Kayenta): for Increase and Either metrics, the metric
//     is also High when the Brown-Forsythe test (Levene's test on
//     deviations from the medians) finds the spreads different and the
//     canary's spread — the mean absolute deviation from its median, on
//     series trimmed by Metric.Trim (5%) at each end so a lone outlier does
//     not count — exceeds Options.SpreadRatio (1.2) times the control's. A
//     canary whose median is fine but whose latency swings twice as wide is
//     a regression that rank tests cannot see.
//  5. Autocorrelation (beyond Kayenta): rank tests assume independent
//     samples, but neighboring points of a Prometheus series often share
//     data (a rate over 1m sampled every 15s). The lag-1 autocorrelation of
//     each series' ranks, after removing a straight-line trend (a drift
//     shared by both versions is harmless), is averaged and corrected for
//     its small-sample bias; when it is clearly positive, the variance of
//     the rank statistic is multiplied by (1+ρ)/(1−ρ), as for an AR(1)
//     series, and the test and the interval use that variance. On
//     strongly autocorrelated series of 20 points (ρ = 0.75) this cuts
//     false alarms from 13% to 7%, but it cannot remove them: prefer a
//     step no shorter than the rate window.
//  6. Levels: each Value metric has a false-alarm budget Options.Alpha of
//     1%, split evenly (Bonferroni) between the shift test and the spread
//     test: 0.5% each, the shift test one-sided in the bad direction, and
//     for Either halved again between its two sides. A Decrease metric has
//     no spread test, so its shift test gets the whole 1%. The effect size
//     already keeps small shifts from failing, so a strict level costs
//     little power on well-behaved data and bounds false alarms on noisy or
//     heavy-tailed data, where the effect size cannot.
//
// Trimming applies to the spread ratio only. The rank test and the shift
// use every sample: ranks are already insensitive to outliers, and trimming
// each series on its own breaks the test's null distribution (a one-sided
// 1% test rejects 1.8% of identical pairs of 20 after trimming 5% of each
// series, and 3.0% after 10%).
//
// # Ratio metrics
//
// A Ratio metric compares errors over requests summed over the window,
// e1 of n1 for the canary and e2 of n2 for the control, rounded to whole
// numbers; no requests on either side is NoData.
//
//  1. The estimate is the difference of the error ratios with Newcombe's
//     hybrid score interval; the effect is the ratio of the error ratios
//     minus 1 (+Inf when the control had no errors and the canary had some).
//  2. The metric is High when the posterior probability that the canary's
//     error ratio exceeds the control's by more than the effect size,
//     P(r1 > (1 + effect)·r2) with Jeffreys priors Beta(½, ½), is at least
//     1 − Options.RatioAlpha (95%) and the canary has at least
//     Options.MinExcessErrors (2) more errors than the control's ratio
//     predicts (e1 − r2·n1). Low likewise for Decrease metrics (such as a
//     success ratio). Either needs 97.5% on one side.
//  3. Fisher's exact one-sided p-value is reported as PValue but does not
//     decide: it conditions on the total number of errors, and with few
//     errors it can never be small. Three errors against none in 10,000
//     requests each gives p = 0.125, the smallest possible with 3 errors,
//     so a Fisher rule could never fail a canary that throws errors the
//     control does not. The posterior probability for that case is 96%
//     (97% without the 10% margin): High. One error against none (80%) and
//     two against none (91%) pass. The price, measured by the benchmark: 3
//     to 4% false alarms when both versions have the same small error
//     ratio of 1 to 10 errors per window, about 1% at 100 errors.
//     The minimum excess of 2 errors keeps a single error from failing a
//     canary that served very few requests.
//
// # Score
//
// [Score] gives the weighted share of the judged metrics (not NoData,
// positive weight) that pass, from 0 to 100, and a phase: Pass at or above
// the pass threshold (95), Marginal (inconclusive) at or above the marginal
// threshold (75), Fail below. A Critical metric that is High or Low fails
// the run whatever the score. NoData metrics are left out of the score —
// missing data says nothing about the canary — but a run never passes on
// missing data where it matters: with no judged metric the phase is
// Marginal with score 0, and a Critical metric with NoData turns a Pass
// into Marginal.
//
// High and Low are only given in a metric's bad direction: a latency that
// drops is a Pass, with the improvement in the reason.
package classify
