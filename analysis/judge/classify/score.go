package classify

import (
	"fmt"
	"math"
	"strings"
)

// Thresholds of the score, from 0 to 100.
type Thresholds struct {
	// Pass is the lowest score that passes (the API's passScore).
	Pass float64
	// Marginal is the lowest score that is inconclusive rather than a
	// failure (the API's marginalScore); it is capped at Pass.
	Marginal float64
}

// DefaultThresholds are the API's defaults: pass at 95, marginal at 75.
func DefaultThresholds() Thresholds {
	return Thresholds{Pass: 95, Marginal: 75}
}

// Phase is the outcome of a whole judge run.
type Phase string

// Phases of a verdict.
const (
	// PhasePass: the canary is as good as the control.
	PhasePass Phase = "Pass"
	// PhaseMarginal: inconclusive.
	PhaseMarginal Phase = "Marginal"
	// PhaseFail: the canary is worse.
	PhaseFail Phase = "Fail"
)

// Verdict scores a judge run.
type Verdict struct {
	// Score is the weighted share of the judged metrics that pass, from 0
	// to 100, unrounded. Show it rounded down (math.Floor), so that the
	// number shown and the phase agree.
	Score float64
	// Phase is Pass, Marginal or Fail.
	Phase Phase
	// Reason explains the phase in plain words.
	Reason string
}

// Score turns the metrics' classifications into a verdict.
//
// The metrics judged are those with data (not NoData) and a positive
// weight. The score is 100 × (weight of the judged metrics that Pass) /
// (weight of all judged metrics): NoData metrics are left out rather than
// counted as failures, since missing data says nothing about the canary's
// quality; but a verdict never passes on missing data where it matters:
//
//   - A Critical metric that is High or Low fails the verdict, whatever the
//     score.
//   - With no metric judged, the score is 0 and the phase Marginal.
//   - A Critical metric with NoData turns a Pass into Marginal.
//   - Otherwise the phase is Pass at or above t.Pass, Marginal at or above
//     t.Marginal, and Fail below.
func Score(results []Result, t Thresholds) Verdict {
	if t.Marginal > t.Pass {
		t.Marginal = t.Pass
	}
	var total, passed float64
	var failed, critical, missing, criticalMissing []string
	judged, passing := 0, 0
	for _, r := range results {
		w := r.Weight
		if math.IsNaN(w) || w < 0 {
			w = 0
		}
		bad := r.Classification == High || r.Classification == Low
		switch {
		case r.Classification == NoData:
			missing = append(missing, r.Name)
			if r.Critical {
				criticalMissing = append(criticalMissing, r.Name)
			}
			continue
		case bad:
			failed = append(failed, fmt.Sprintf("%s (%s)", r.Name, r.Classification))
			if r.Critical {
				critical = append(critical, r.Name)
			}
		}
		if w == 0 {
			continue
		}
		judged++
		total += w
		if r.Classification == Pass {
			passed += w
			passing++
		}
	}
	v := Verdict{}
	if total > 0 {
		v.Score = 100 * passed / total
	}
	detail := fmt.Sprintf("%d of %d judged metrics pass", passing, judged)
	if len(failed) > 0 {
		detail += "; failing: " + strings.Join(failed, ", ")
	}
	if len(missing) > 0 {
		detail += "; no data: " + strings.Join(missing, ", ")
	}
	switch {
	case len(critical) > 0:
		v.Phase = PhaseFail
		v.Reason = fmt.Sprintf("critical %s %s failed; %s",
			plural(len(critical), "metric", "metrics"), strings.Join(critical, ", "), detail)
		return v
	case total == 0:
		v.Phase = PhaseMarginal
		v.Reason = "no metric could be judged (no data, or zero weights); " + detail
		return v
	case v.Score >= t.Pass:
		v.Phase = PhasePass
	case v.Score >= t.Marginal:
		v.Phase = PhaseMarginal
	default:
		v.Phase = PhaseFail
	}
	v.Reason = fmt.Sprintf("score %s (pass at %s, marginal at %s): %s",
		num(math.Floor(v.Score)), num(t.Pass), num(t.Marginal), detail)
	if v.Phase == PhasePass && len(criticalMissing) > 0 {
		v.Phase = PhaseMarginal
		v.Reason = fmt.Sprintf("critical %s %s had no data; %s",
			plural(len(criticalMissing), "metric", "metrics"), strings.Join(criticalMissing, ", "), v.Reason)
	}
	return v
}

// plural returns one for n = 1 and many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
