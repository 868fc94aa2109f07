package classify

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// wobble returns n values around center varying by ±spread (relative),
// deterministic and without ties.
func wobble(n int, center, spread, phase float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = center * (1 + spread*math.Sin(float64(i)*2.39996+phase))
	}
	return out
}

func scale(x []float64, f float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * f
	}
	return out
}

func latency(effect float64) Metric {
	return Metric{Name: "latency", Group: "latency", EffectSize: effect, Weight: 1}
}

func classifyValue(t *testing.T, m Metric, canary, control []float64, want Classification, reason ...string) Result {
	t.Helper()
	r := Classify(m, Input{Canary: canary, Control: control})
	if r.Classification != want {
		t.Fatalf("classification %s, want %s: %s", r.Classification, want, r.Reason)
	}
	for _, s := range reason {
		if !strings.Contains(r.Reason, s) {
			t.Errorf("reason %q lacks %q", r.Reason, s)
		}
	}
	return r
}

func TestValueHigh(t *testing.T) {
	control := wobble(20, 100, 0.05, 0)
	canary := scale(wobble(20, 100, 0.05, 1), 1.3)
	r := classifyValue(t, latency(0.1), canary, control, High,
		"more than the 10% allowed", "p < 0.001", "95% interval")
	if math.Abs(r.EffectSize-0.3) > 0.03 || !(r.Lo <= r.Estimate && r.Estimate <= r.Hi) || r.Lo <= 0 {
		t.Errorf("estimate %v [%v, %v], effect %v", r.Estimate, r.Lo, r.Hi, r.EffectSize)
	}
	if r.PValue >= 0.001 || r.Name != "latency" || r.Group != "latency" || r.Kind != Value || r.Direction != Increase {
		t.Errorf("result %+v", r)
	}
	if r.CanaryN != 20 || r.ControlN != 20 || math.Abs(r.ControlMedian-100) > 1 {
		t.Errorf("counts or medians: %+v", r)
	}
	t.Log(r.Reason)
}

func TestValueSmallShiftPasses(t *testing.T) {
	control := wobble(60, 100, 0.02, 0)
	canary := scale(wobble(60, 100, 0.02, 1), 1.03)
	classifyValue(t, latency(0.1), canary, control, Pass, "significant at the 0.5% level but within the 10% allowed")
	// With no effect size, any significant shift fails.
	classifyValue(t, latency(0), canary, control, High, "above the control, with no effect size allowed")
	// Noise alone passes.
	classifyValue(t, latency(0.1), wobble(20, 100, 0.05, 1), wobble(20, 100, 0.05, 0), Pass, "not significant at the 0.5% level")
}

func TestValueDirections(t *testing.T) {
	control := wobble(20, 100, 0.05, 0)
	lower := scale(wobble(20, 100, 0.05, 1), 0.7)
	higher := scale(wobble(20, 100, 0.05, 1), 1.3)
	classifyValue(t, latency(0.1), lower, control, Pass, "good direction")
	m := latency(0.1)
	m.Direction = Decrease
	classifyValue(t, m, lower, control, Low, "more than the 10% allowed")
	classifyValue(t, m, higher, control, Pass, "good direction")
	m.Direction = Either
	classifyValue(t, m, lower, control, Low)
	classifyValue(t, m, higher, control, High)
	m.Direction = "" // defaults to Increase
	r := classifyValue(t, m, higher, control, High)
	if r.Direction != Increase {
		t.Errorf("direction %q", r.Direction)
	}
}

func TestValueSpread(t *testing.T) {
	control := wobble(40, 100, 0.05, 0)
	wide := wobble(40, 100, 0.20, 1) // same median, 4× the spread
	r := classifyValue(t, latency(0.1), wide, control, High, "canary spread is", "Brown-Forsythe")
	if r.SpreadRatio < 3 || r.PValue != r.DispersionPValue {
		t.Errorf("spread ratio %v, p %v vs %v", r.SpreadRatio, r.PValue, r.DispersionPValue)
	}
	m := latency(0.1)
	m.Direction = Decrease
	classifyValue(t, m, wide, control, Pass)
	// A narrower canary is fine.
	classifyValue(t, latency(0.1), control, wide, Pass)
	// A lone outlier does not make the canary "wider".
	spiky := wobble(40, 100, 0.05, 1)
	spiky[7] = 1000
	classifyValue(t, latency(0.1), spiky, control, Pass)
}

func TestValueNoData(t *testing.T) {
	control := wobble(20, 100, 0.05, 0)
	short := []float64{1, 2, 3, math.NaN(), math.Inf(1), 4, 5, 6, 7}
	r := classifyValue(t, latency(0.1), short, control, NoData, "canary has 7 samples", "at least 8")
	if r.CanaryN != 7 || !math.IsNaN(r.PValue) {
		t.Errorf("%+v", r)
	}
	classifyValue(t, latency(0.1), control, nil, NoData)
	r = Options{MinSamples: 3}.Classify(latency(0.1), Input{Canary: short, Control: control})
	if r.Classification == NoData {
		t.Errorf("MinSamples 3: %s", r.Reason)
	}
}

func TestValueZeroControl(t *testing.T) {
	zeros := make([]float64, 20)
	// Both all zero: nothing to see.
	classifyValue(t, latency(0.1), zeros, zeros, Pass)
	// A canary that leaves zero: the relative effect is infinite.
	ones := make([]float64, 20)
	for i := range ones {
		ones[i] = 1 + float64(i)/100
	}
	r := classifyValue(t, latency(0.1), ones, zeros, High, "from a control of 0")
	if !math.IsInf(r.EffectSize, 1) {
		t.Errorf("effect %v", r.EffectSize)
	}
	// A control centered on zero uses its interquartile range as scale.
	control := wobble(20, 1, 1, 0) // from 0 to 2, median near 1
	for i := range control {
		control[i]--
	}
	r = classifyValue(t, latency(0.1), scale(control, 1), control, Pass)
	if math.IsInf(r.EffectSize, 0) || math.IsNaN(r.EffectSize) {
		t.Errorf("effect %v", r.EffectSize)
	}
}

func TestTrimOption(t *testing.T) {
	control := wobble(20, 100, 0.05, 0)
	canary := wobble(20, 100, 0.05, 1)
	canary[3] = 400
	canary[11] = 350
	for _, trim := range []float64{0, -1, 0.2, 0.7, math.NaN()} {
		m := latency(0.1)
		m.Trim = trim
		r := Classify(m, Input{Canary: canary, Control: control})
		if r.Classification == NoData || math.IsNaN(r.SpreadRatio) {
			t.Errorf("trim %v: %+v", trim, r)
		}
	}
}

func ratioMetric() Metric {
	return Metric{Name: "errors", Kind: Ratio, EffectSize: 0.1, Weight: 1, Critical: true}
}

func classifyRatio(t *testing.T, m Metric, canary, control Counts, want Classification, reason ...string) Result {
	t.Helper()
	r := Classify(m, Input{CanaryCounts: canary, ControlCounts: control})
	if r.Classification != want {
		t.Fatalf("%v vs %v: classification %s, want %s: %s", canary, control, r.Classification, want, r.Reason)
	}
	for _, s := range reason {
		if !strings.Contains(r.Reason, s) {
			t.Errorf("reason %q lacks %q", r.Reason, s)
		}
	}
	return r
}

func TestRatioSparse(t *testing.T) {
	none := Counts{0, 10000}
	r := classifyRatio(t, ratioMetric(), Counts{3, 10000}, none, High,
		"canary 3 errors of 10,000 requests (0.03%) vs control 0 of 10,000 (0%)", "96", "Fisher p = 0.12")
	if !math.IsInf(r.EffectSize, 1) || math.Abs(r.PValue-0.12498) > 1e-4 || r.Probability < 0.95 {
		t.Errorf("%+v", r)
	}
	if !(r.Lo < r.Estimate && r.Estimate < r.Hi) || math.Abs(r.Estimate-0.0003) > 1e-12 {
		t.Errorf("interval %v [%v, %v]", r.Estimate, r.Lo, r.Hi)
	}
	t.Log(r.Reason)
	classifyRatio(t, ratioMetric(), Counts{1, 10000}, none, Pass, "less than the 95% needed")
	classifyRatio(t, ratioMetric(), Counts{2, 10000}, none, Pass)
	classifyRatio(t, ratioMetric(), none, Counts{3, 10000}, Pass, "good direction")
	classifyRatio(t, ratioMetric(), none, none, Pass)
	// The same 3 errors out of a hundred times more requests are no worse.
	classifyRatio(t, ratioMetric(), Counts{3, 1000000}, none, Pass)
	// One error in 3 requests is a high ratio, but a single error.
	classifyRatio(t, ratioMetric(), Counts{1, 3}, none, Pass, "fewer than the 2 needed to fail")
}

func TestRatioLarge(t *testing.T) {
	classifyRatio(t, ratioMetric(), Counts{1300, 1e6}, Counts{1000, 1e6}, High)
	// +5% is significant with this much traffic, but within the 10%.
	classifyRatio(t, ratioMetric(), Counts{105000, 1e7}, Counts{100000, 1e7}, Pass)
	m := ratioMetric()
	m.EffectSize = 0
	classifyRatio(t, m, Counts{105000, 1e7}, Counts{100000, 1e7}, High)
	// Fractional counts from increase() are rounded.
	r := classifyRatio(t, ratioMetric(), Counts{12.4, 999.6}, Counts{11.6, 1000.2}, Pass)
	if r.CanaryN != 1000 || r.CanaryMedian != 0.012 {
		t.Errorf("%+v", r)
	}
}

func TestRatioDirections(t *testing.T) {
	good, bad := Counts{9990, 10000}, Counts{9700, 10000}
	m := ratioMetric()
	m.Direction = Decrease
	m.EffectSize = 0.01 // a success ratio: 1% lower is bad
	classifyRatio(t, m, bad, good, Low)
	classifyRatio(t, m, good, bad, Pass)
	m.Direction = Either
	classifyRatio(t, m, bad, good, Low)
	classifyRatio(t, m, good, bad, High)
}

func TestRatioNoData(t *testing.T) {
	ok := Counts{1, 100}
	for _, c := range []Counts{{0, 0}, {-1, 5}, {6, 5}, {math.NaN(), 5}, {1, math.Inf(1)}, {1, 1e13}} {
		r := classifyRatio(t, ratioMetric(), c, ok, NoData)
		if !math.IsNaN(r.PValue) {
			t.Errorf("%v: %+v", c, r)
		}
		classifyRatio(t, ratioMetric(), ok, c, NoData)
	}
}

func TestDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Alpha != DefaultAlpha || o.RatioAlpha != DefaultRatioAlpha || o.SpreadRatio != DefaultSpreadRatio ||
		o.Confidence != DefaultConfidence || o.MinSamples != DefaultMinSamples || o.MinExcessErrors != DefaultMinExcessErrors {
		t.Errorf("%+v", o)
	}
	r := Classify(Metric{Name: "x", Weight: math.NaN(), EffectSize: math.Inf(1)}, Input{})
	if r.Kind != Value || r.Weight != 0 || r.Classification != NoData {
		t.Errorf("%+v", r)
	}
}

// Series whose neighbors move together carry less information than their
// length: the same values in a smooth order get a wider interval and a
// larger p-value than in a scrambled order.
func TestAutocorrelatedSeries(t *testing.T) {
	smooth := func(n int, phase, level float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = level * (1 + 0.1*math.Sin(float64(i)/4+phase))
		}
		return out
	}
	scramble := func(x []float64) []float64 {
		out := append([]float64(nil), x...)
		r := rand.New(rand.NewPCG(1, 2))
		r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	canary, control := smooth(20, 1, 106), smooth(20, 0, 100)
	a := Classify(latency(0.1), Input{Canary: canary, Control: control})
	b := Classify(latency(0.1), Input{Canary: scramble(canary), Control: scramble(control)})
	if !(a.Autocorrelation > 0.5) || !(b.Autocorrelation < 0.3) {
		t.Errorf("autocorrelation %v and %v", a.Autocorrelation, b.Autocorrelation)
	}
	if !(a.Hi-a.Lo > b.Hi-b.Lo) || !(a.PValue > b.PValue) || a.Estimate != b.Estimate {
		t.Errorf("smooth %v [%v, %v] p %v; scrambled %v [%v, %v] p %v",
			a.Estimate, a.Lo, a.Hi, a.PValue, b.Estimate, b.Lo, b.Hi, b.PValue)
	}
}
