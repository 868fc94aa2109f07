package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestHodgesLehmannKnownValues(t *testing.T) {
	// R: wilcox.test(x, y, conf.int = TRUE) on ?wilcox.test's data:
	// difference in location 0.305, 95 percent confidence interval
	// -0.15 0.76 (exact).
	s := HodgesLehmann(rX, rY, 0.95)
	near(t, "estimate", s.Estimate, 0.305, 1e-12)
	near(t, "lo", s.Lo, -0.15, 1e-12)
	near(t, "hi", s.Hi, 0.76, 1e-12)
	// conf.level = 0.9 and 0.8: [-0.08, 0.72] and [-0.05, 0.70].
	s = HodgesLehmann(rX, rY, 0.9)
	near(t, "lo 90", s.Lo, -0.08, 1e-12)
	near(t, "hi 90", s.Hi, 0.72, 1e-12)
	s = HodgesLehmann(rX, rY, 0.8)
	near(t, "lo 80", s.Lo, -0.05, 1e-12)
	near(t, "hi 80", s.Hi, 0.70, 1e-12)

	// Normal approximation: with 60 and 55 values, k = ⌊n1n2/2 + 0.5 −
	// 1.96σ⌋ = 1300, so the interval is [D(1300), D(2001)].
	xs, ys := sinSamples()
	s = HodgesLehmann(xs, ys, 0.95)
	d := sortedDiffs(xs, ys)
	near(t, "estimate normal", s.Estimate, 3.63430715630094, 1e-12)
	near(t, "lo normal", s.Lo, d[1299], 0)
	near(t, "hi normal", s.Hi, d[len(d)-1300], 0)
	near(t, "lo normal value", s.Lo, 1.2348711262349035, 1e-12)
	near(t, "hi normal value", s.Hi, 5.922865825740132, 1e-12)
}

// The bisection finds exactly the order statistics of the materialized
// differences, ties, zeros and negative values included.
func TestKthDiffMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 200; i++ {
		x := make([]float64, 1+r.IntN(30))
		y := make([]float64, 1+r.IntN(30))
		for j := range x {
			x[j] = math.Round(r.NormFloat64()*4) / 2
		}
		for j := range y {
			y[j] = r.NormFloat64() * math.Pow(10, float64(r.IntN(6)-3))
		}
		d := sortedDiffs(x, y)
		xs, ys := sortedFinite(x), sortedFinite(y)
		for _, k := range []int{1, len(d)/3 + 1, len(d)/2 + 1, len(d)} {
			if got := kthDiff(xs, ys, int64(k)); got != d[k-1] && !(got == 0 && d[k-1] == 0) {
				t.Fatalf("k=%d: got %v, want %v", k, got, d[k-1])
			}
		}
	}
}

func TestHodgesLehmannProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 200; i++ {
		x := make([]float64, 2+r.IntN(80))
		y := make([]float64, 2+r.IntN(80))
		for j := range x {
			x[j] = r.ExpFloat64()
		}
		for j := range y {
			y[j] = r.ExpFloat64()
		}
		s := HodgesLehmann(x, y, 0.95)
		if !(s.Lo <= s.Estimate && s.Estimate <= s.Hi) {
			t.Fatalf("estimate outside interval: %+v", s)
		}
		// Shifting x shifts everything by the same amount.
		shift := 2.5
		xs := make([]float64, len(x))
		for j := range x {
			xs[j] = x[j] + shift
		}
		t2 := HodgesLehmann(xs, y, 0.95)
		near(t, "equivariance", t2.Estimate, s.Estimate+shift, 1e-12)
		// Swapping the samples negates.
		u := HodgesLehmann(y, x, 0.95)
		near(t, "antisymmetry", u.Estimate, -s.Estimate, 1e-12)
		near(t, "antisymmetry lo", u.Lo, -s.Hi, 1e-12)
		// A wider confidence gives a wider interval.
		w := HodgesLehmann(x, y, 0.99)
		if w.Lo > s.Lo || w.Hi < s.Hi {
			t.Fatalf("99%% interval %+v narrower than 95%% %+v", w, s)
		}
	}
}

// The interval covers the true shift about as often as promised.
func TestHodgesLehmannCoverage(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{10, 20, 60} {
		covered := 0
		const trials = 2000
		for i := 0; i < trials; i++ {
			x, y := make([]float64, n), make([]float64, n)
			for j := range x {
				x[j] = r.NormFloat64() + 1
				y[j] = r.NormFloat64()
			}
			s := HodgesLehmann(x, y, 0.95)
			if s.Lo <= 1 && 1 <= s.Hi {
				covered++
			}
		}
		rate := float64(covered) / trials
		if rate < 0.93 || rate > 0.975 {
			t.Errorf("n=%d: coverage %.3f, want about 0.95", n, rate)
		}
	}
}

func TestHodgesLehmannEdges(t *testing.T) {
	s := HodgesLehmann(nil, []float64{1}, 0.95)
	if !math.IsNaN(s.Estimate) || !math.IsNaN(s.Lo) {
		t.Errorf("empty: %+v", s)
	}
	s = HodgesLehmann([]float64{1, 2}, []float64{1}, 1.5)
	if s.Estimate != 0.5 || !math.IsNaN(s.Lo) {
		t.Errorf("bad confidence: %+v", s)
	}
	s = HodgesLehmann([]float64{3}, []float64{1}, 0.95)
	if s.Estimate != 2 || s.Lo != 2 || s.Hi != 2 {
		t.Errorf("one each: %+v", s)
	}
	s = HodgesLehmann([]float64{math.MaxFloat64}, []float64{-math.MaxFloat64}, 0.95)
	if !math.IsInf(s.Estimate, 1) {
		t.Errorf("overflow: %+v", s)
	}
	// 2000 values each (4 million differences) stays fast.
	x, y := make([]float64, 2000), make([]float64, 2000)
	for i := range x {
		x[i] = float64(i) * 1.5
		y[i] = float64(i)
	}
	s = HodgesLehmann(x, y, 0.95)
	if !(s.Lo <= s.Estimate && s.Estimate <= s.Hi) {
		t.Errorf("large: %+v", s)
	}
}

func BenchmarkHodgesLehmann1000(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := make([]float64, 1000), make([]float64, 1000)
	for i := range x {
		x[i] = r.NormFloat64()
		y[i] = r.NormFloat64()
	}
	for b.Loop() {
		HodgesLehmann(x, y, 0.95)
	}
}
