// Package quality measures how well the canary judge decides: it generates
// synthetic canary and control data for known situations (no change, small
// and large shifts, wider spread, heavy tails, drift, sparse errors) with
// fixed seeds, classifies each trial with Ramp's judge and with plain
// Mann-Whitney scoring as Kayenta describes it, and reports how often each
// fails the canary. `make bench-judge` prints the table; docs/judge.md shows
// it.
package quality

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/rampdev/ramp/analysis/judge/classify"
	"github.com/rampdev/ramp/analysis/judge/stats"
)

// Expect is what a judge should do with a scenario.
type Expect string

// Expectations.
const (
	// ShouldPass scenarios have no regression: a fail is a false alarm.
	ShouldPass Expect = "pass"
	// ShouldFail scenarios have a regression: a fail is a detection.
	ShouldFail Expect = "fail"
	// Either scenarios are below the effect size; failing them is not
	// wrong, passing them is what the effect size asks for.
	Either Expect = "either"
)

// Trial is one generated comparison. Value scenarios fill the samples;
// Ratio scenarios fill the counts and, as per-step error ratios, the
// samples (what plain Mann-Whitney scoring compares).
type Trial struct {
	Canary, Control             []float64
	CanaryCounts, ControlCounts classify.Counts
}

// Scenario is a situation the judge is tested on.
type Scenario struct {
	Name   string
	Kind   classify.Kind
	Expect Expect
	// Target is the goal for the Ramp judge's fail rate, as text, or "".
	Target string
	// Check tells whether a fail rate meets Target; nil when no target.
	Check func(rate float64) bool
	// Gen makes one trial with n samples per series.
	Gen func(r *rand.Rand, n int) Trial
	// Extra lists more numbers of samples to run the scenario with, beyond
	// those every scenario runs with.
	Extra []int
}

const (
	median = 100.0 // ms, the latency scenarios' median
	sigma  = 0.10  // log-scale standard deviation of a latency sample
	// requests per version and window in the Ratio scenarios.
	requests = 10000
)

// lognormal draws a latency sample with the given log-scale spread.
func lognormal(r *rand.Rand, s float64) float64 {
	return median * math.Exp(s*r.NormFloat64())
}

// series draws n values.
func series(n int, draw func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = draw(i)
	}
	return out
}

// latency is a Value scenario whose canary and control samples come from
// draw, with the step index i for time-dependent effects.
func latency(name string, expect Expect, target string, check func(float64) bool,
	canary, control func(r *rand.Rand, i, n int, drift float64) float64, drifts bool) Scenario {
	return Scenario{
		Name: name, Kind: classify.Value, Expect: expect, Target: target, Check: check,
		Gen: func(r *rand.Rand, n int) Trial {
			drift := 0.0
			if drifts {
				// The same trend over the window for both versions:
				// between −40% and +40% from start to end.
				drift = 0.8 * (r.Float64() - 0.5)
			}
			return Trial{
				Canary:  series(n, func(i int) float64 { return canary(r, i, n, drift) }),
				Control: series(n, func(i int) float64 { return control(r, i, n, drift) }),
			}
		},
	}
}

// autocorrelated is an identical-distribution Value scenario whose samples
// are correlated with their neighbors, as when a rate window spans several
// steps: log-scale noise follows an AR(1) process with coefficient rho, of
// the same marginal spread as the other scenarios.
func autocorrelated(name string, rho float64) Scenario {
	ar := func(r *rand.Rand, n int) []float64 {
		e := r.NormFloat64()
		out := make([]float64, n)
		for i := range out {
			out[i] = median * math.Exp(sigma*e)
			e = rho*e + math.Sqrt(1-rho*rho)*r.NormFloat64()
		}
		return out
	}
	return Scenario{
		Name: name, Kind: classify.Value, Expect: ShouldPass,
		Gen: func(r *rand.Rand, n int) Trial {
			return Trial{Canary: ar(r, n), Control: ar(r, n)}
		},
	}
}

// trend is the shared multiplicative drift at step i of n.
func trend(i, n int, drift float64) float64 {
	if n < 2 {
		return 1
	}
	return 1 + drift*(float64(i)/float64(n-1)-0.5)
}

// spike multiplies a sample, with probability 5%, by a Pareto factor of
// shape 1.5 (a heavy tail: its variance is infinite).
func spike(r *rand.Rand, v float64) float64 {
	if r.Float64() < 0.05 {
		return v * math.Pow(1-r.Float64(), -1/1.5)
	}
	return v
}

// widen scales a lognormal sample's deviation from its mean by k: the mean
// is kept and the variance multiplied by k².
func widen(v, s, k float64) float64 {
	mean := median * math.Exp(s*s/2)
	return mean + k*(v-mean)
}

// withExtra runs a scenario with more numbers of samples.
func withExtra(s Scenario, n ...int) Scenario {
	s.Extra = n
	return s
}

func atMost(limit float64) func(float64) bool { return func(x float64) bool { return x <= limit } }

// detects95 is the target of the regressions: at least 95% detected.
func detects95(x float64) bool { return x >= 0.95 }

// errorSeries spreads requests evenly over n steps and draws each error
// with probability p, or places exactly fixed errors at random steps when
// fixed ≥ 0. It returns the per-step error ratios and the totals.
func errorSeries(r *rand.Rand, n int, p float64, fixed int) ([]float64, classify.Counts) {
	perStep := make([]int, n)
	for i := range perStep {
		perStep[i] = requests / n
		if i < requests%n {
			perStep[i]++
		}
	}
	errs := make([]int, n)
	if fixed >= 0 {
		for k := 0; k < fixed; k++ {
			errs[r.IntN(n)]++
		}
	} else {
		for i, m := range perStep {
			for j := 0; j < m; j++ {
				if r.Float64() < p {
					errs[i]++
				}
			}
		}
	}
	ratios := make([]float64, n)
	total := 0
	for i := range ratios {
		ratios[i] = float64(errs[i]) / float64(perStep[i])
		total += errs[i]
	}
	return ratios, classify.Counts{Errors: float64(total), Total: requests}
}

// errorsScenario is a Ratio scenario: canary and control error
// probabilities, or fixed error counts when ≥ 0.
func errorsScenario(name string, expect Expect, target string, check func(float64) bool,
	pCanary, pControl float64, fixedCanary, fixedControl int) Scenario {
	return Scenario{
		Name: name, Kind: classify.Ratio, Expect: expect, Target: target, Check: check,
		Gen: func(r *rand.Rand, n int) Trial {
			var t Trial
			t.Canary, t.CanaryCounts = errorSeries(r, n, pCanary, fixedCanary)
			t.Control, t.ControlCounts = errorSeries(r, n, pControl, fixedControl)
			return t
		},
	}
}

// Scenarios returns the benchmark's scenarios.
func Scenarios() []Scenario {
	same := func(r *rand.Rand, _, _ int, _ float64) float64 { return lognormal(r, sigma) }
	scaled := func(f float64) func(*rand.Rand, int, int, float64) float64 {
		return func(r *rand.Rand, _, _ int, _ float64) float64 { return f * lognormal(r, sigma) }
	}
	widened := func(k float64) func(*rand.Rand, int, int, float64) float64 {
		return func(r *rand.Rand, _, _ int, _ float64) float64 { return widen(lognormal(r, sigma), sigma, k) }
	}
	spiky := func(f float64) func(*rand.Rand, int, int, float64) float64 {
		return func(r *rand.Rand, _, _ int, _ float64) float64 { return spike(r, f*lognormal(r, sigma)) }
	}
	pareto := func(r *rand.Rand, _, _ int, _ float64) float64 {
		return median * math.Pow(1-r.Float64(), -1/1.5)
	}
	drifting := func(f float64) func(*rand.Rand, int, int, float64) float64 {
		return func(r *rand.Rand, i, n int, d float64) float64 { return f * trend(i, n, d) * lognormal(r, sigma) }
	}
	noisy := func(f float64) func(*rand.Rand, int, int, float64) float64 {
		return func(r *rand.Rand, _, _ int, _ float64) float64 { return f * lognormal(r, 0.25) }
	}
	return []Scenario{
		latency("identical (lognormal)", ShouldPass, "≤ 1%", atMost(0.01), same, same, false),
		latency("+1% shift", Either, "mostly pass", atMost(0.5), scaled(1.01), same, false),
		latency("+5% shift", Either, "", nil, scaled(1.05), same, false),
		latency("+20% shift", ShouldFail, "≥ 95%", detects95, scaled(1.20), same, false),
		withExtra(latency("variance ×2 (sd ×1.41), same mean", ShouldFail, "≥ 95%", detects95, widened(math.Sqrt2), same, false), 240, 480),
		withExtra(latency("spread ×2 (sd ×2), same mean", ShouldFail, "≥ 95%", detects95, widened(2), same, false), 240),
		latency("heavy tails: 5% Pareto spikes, identical", ShouldPass, "≤ 1%", atMost(0.01), spiky(1), spiky(1), false),
		latency("heavy tails: 5% Pareto spikes, +20%", ShouldFail, "", nil, spiky(1.2), spiky(1), false),
		latency("heavy tails: Pareto(1.5), identical", ShouldPass, "≤ 1%", atMost(0.01), pareto, pareto, false),
		latency("drift ±40% shared, identical", ShouldPass, "≤ 1%", atMost(0.01), drifting(1), drifting(1), true),
		latency("drift ±40% shared, +20%", ShouldFail, "", nil, drifting(1.2), drifting(1), true),
		autocorrelated("autocorrelated (ρ 0.75), identical", 0.75),
		latency("noisy (log-sd 0.25), identical", ShouldPass, "", nil, noisy(1), noisy(1), false),
		latency("noisy (log-sd 0.25), +20%", ShouldFail, "", nil, noisy(1.2), noisy(1), false),
		errorsScenario("errors 3 vs 0 in 10,000", ShouldFail, "≥ 95%", detects95, 0, 0, 3, 0),
		errorsScenario("errors 1 vs 0 in 10,000", ShouldPass, "pass", atMost(0), 0, 0, 1, 0),
		errorsScenario("errors, same rate 0.01% (~1 each)", ShouldPass, "", nil, 1e-4, 1e-4, -1, -1),
		errorsScenario("errors, same rate 0.1% (~10 each)", ShouldPass, "", nil, 1e-3, 1e-3, -1, -1),
		errorsScenario("errors, same rate 1% (~100 each)", ShouldPass, "", nil, 1e-2, 1e-2, -1, -1),
		errorsScenario("errors 0.1% → 0.3%", ShouldFail, "", nil, 3e-3, 1e-3, -1, -1),
		errorsScenario("errors 1% → 1.5%", ShouldFail, "", nil, 1.5e-2, 1e-2, -1, -1),
	}
}

// Judge decides whether a trial fails the canary.
type Judge func(m classify.Metric, t Trial) bool

// Ramp is Ramp's judge with its default options.
func Ramp(m classify.Metric, t Trial) bool {
	return RampWith(classify.Options{})(m, t)
}

// RampWith is Ramp's judge with the given options.
func RampWith(o classify.Options) Judge {
	return func(m classify.Metric, t Trial) bool {
		return rampJudge(o, m, t)
	}
}

func rampJudge(o classify.Options, m classify.Metric, t Trial) bool {
	r := o.Classify(m, classify.Input{
		Canary: t.Canary, Control: t.Control,
		CanaryCounts: t.CanaryCounts, ControlCounts: t.ControlCounts,
	})
	return r.Classification == classify.High || r.Classification == classify.Low
}

// PlainMannWhitney is Kayenta-style scoring: a two-sided Mann-Whitney test
// at level 0.05 on the samples (the per-step error ratios of a Ratio
// metric), no effect size, no trimming, no dispersion check; a significant
// change in the metric's bad direction (up, for these scenarios) fails.
func PlainMannWhitney(_ classify.Metric, t Trial) bool {
	r := stats.MannWhitneyU(t.Canary, t.Control)
	return r.P < 0.05 && r.U > float64(r.N1*r.N2)/2
}

// Row is one scenario at one number of samples.
type Row struct {
	Scenario Scenario
	Samples  int
	Trials   int
	// RampFails and PlainFails are the shares of trials failed by Ramp's
	// judge and by plain Mann-Whitney scoring.
	RampFails, PlainFails float64
}

// Met tells whether Ramp's judge meets the row's target; true without one.
func (r Row) Met() bool {
	return r.Scenario.Check == nil || r.Scenario.Check(r.RampFails)
}

// Metric is the metric configuration used for every scenario: direction
// Increase, effect size 10%, weight 1.
func Metric(kind classify.Kind) classify.Metric {
	return classify.Metric{Name: "m", Kind: kind, Direction: classify.Increase, EffectSize: 0.10, Weight: 1}
}

// Run runs every scenario with each number of samples, trials times, with
// seeds derived from seed, in parallel over workers goroutines, judging with
// ramp (normally [Ramp]) and [PlainMannWhitney]. The result does not depend
// on workers.
func Run(scenarios []Scenario, samples []int, trials int, seed uint64, workers int, ramp Judge) []Row {
	type job struct {
		row, scenario, n int
	}
	var jobs []job
	for i, sc := range scenarios {
		for _, n := range append(append([]int(nil), samples...), sc.Extra...) {
			jobs = append(jobs, job{len(jobs), i, n})
		}
	}
	rows := make([]Row, len(jobs))
	queue := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				sc := scenarios[j.scenario]
				r := rand.New(rand.NewPCG(seed, uint64(j.scenario)<<16|uint64(j.n)))
				m := Metric(sc.Kind)
				rampFails, plainFails := 0, 0
				for k := 0; k < trials; k++ {
					t := sc.Gen(r, j.n)
					if ramp(m, t) {
						rampFails++
					}
					if PlainMannWhitney(m, t) {
						plainFails++
					}
				}
				rows[j.row] = Row{
					Scenario: sc, Samples: j.n, Trials: trials,
					RampFails:  float64(rampFails) / float64(trials),
					PlainFails: float64(plainFails) / float64(trials),
				}
			}
		}()
	}
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()
	return rows
}

// Markdown formats rows as a Markdown table.
func Markdown(rows []Row) string {
	var b strings.Builder
	b.WriteString("| Scenario | Should | Samples | Ramp judge fails | Target | Plain Mann-Whitney fails |\n")
	b.WriteString("|---|---|---:|---:|---|---:|\n")
	for _, r := range rows {
		target := r.Scenario.Target
		if target != "" {
			mark := "met"
			if !r.Met() {
				mark = "**not met**"
			}
			target += ", " + mark
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s |\n", r.Scenario.Name, r.Scenario.Expect,
			r.Samples, percent(r.RampFails), target, percent(r.PlainFails))
	}
	return b.String()
}

func percent(f float64) string {
	return fmt.Sprintf("%.1f%%", 100*f)
}
