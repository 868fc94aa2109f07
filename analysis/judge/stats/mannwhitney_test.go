package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// x and y of the example in R's ?wilcox.test.
var (
	rX = []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	rY = []float64{1.15, 0.88, 0.90, 0.74, 1.21}
)

func TestMannWhitneyKnownValues(t *testing.T) {
	// R: wilcox.test(x, y, alternative = "g") gives W = 35, p-value = 0.1272
	// (exact); scipy.stats.mannwhitneyu agrees to all digits.
	r := MannWhitneyU(rX, rY)
	if !r.Exact || r.Ties {
		t.Fatalf("want the exact distribution: %+v", r)
	}
	near(t, "U", r.U, 35, 0)
	near(t, "PGreater", r.PGreater, 0.1272061272061272, 1e-12)
	near(t, "PLess", r.PLess, 0.8967698967698966, 1e-12)
	near(t, "P", r.P, 0.2544122544122544, 1e-12)

	// scipy.stats.mannwhitneyu docs: males vs females, U1 = 17,
	// p = 0.1111 exact and 0.11134688653314041 asymptotic.
	males := []float64{19, 22, 16, 29, 24}
	females := []float64{20, 11, 17, 12}
	r = MannWhitneyU(males, females)
	near(t, "U males", r.U, 17, 0)
	near(t, "P males", r.P, 0.1111111111111111, 1e-12)
	// Swapping the samples mirrors U and the one-sided p-values.
	s := MannWhitneyU(females, males)
	near(t, "U swapped", s.U, 3, 0)
	near(t, "PLess swapped", s.PLess, r.PGreater, 1e-15)

	// With ties the normal approximation is used (scipy, method=asymptotic).
	a := []float64{1, 2, 2, 3, 3, 3, 4, 5, 7}
	b := []float64{2, 3, 4, 4, 5, 6, 6, 8, 9, 9, 10}
	r = MannWhitneyU(a, b)
	if r.Exact || !r.Ties {
		t.Fatalf("want the normal approximation: %+v", r)
	}
	near(t, "U ties", r.U, 20, 0)
	near(t, "P ties", r.P, 0.02636176477400262, 1e-10)
	near(t, "PGreater ties", r.PGreater, 0.98920262412945, 1e-10)
	near(t, "PLess ties", r.PLess, 0.01318088238700131, 1e-10)
}

func TestMannWhitneyLarge(t *testing.T) {
	// Large samples use the normal approximation (scipy, asymptotic):
	// U = 2137, p = 0.006452051774052708.
	xs, ys := sinSamples()
	r := MannWhitneyU(xs, ys)
	if r.Exact {
		t.Fatal("60 values should use the normal approximation")
	}
	near(t, "U", r.U, 2137, 0)
	near(t, "P", r.P, 0.006452051774052708, 1e-10)
	near(t, "PGreater", r.PGreater, 0.003226025887026354, 1e-10)
	if r.Z <= 0 {
		t.Errorf("Z = %v, want positive", r.Z)
	}
}

// sinSamples returns 60 and 55 deterministic values without ties.
func sinSamples() (xs, ys []float64) {
	for i := 0; i < 60; i++ {
		xs = append(xs, math.Sin(float64(i)*1.7)*10+float64(i)*0.05+3)
	}
	for i := 0; i < 55; i++ {
		ys = append(ys, math.Cos(float64(i)*2.3)*10+float64(i)*0.03)
	}
	return xs, ys
}

func TestMannWhitneyEdges(t *testing.T) {
	r := MannWhitneyU(nil, []float64{1})
	if !math.IsNaN(r.P) || !math.IsNaN(r.U) {
		t.Errorf("empty sample: %+v", r)
	}
	r = MannWhitneyU([]float64{math.NaN()}, []float64{1, 2})
	if !math.IsNaN(r.P) || r.N1 != 0 {
		t.Errorf("all-NaN sample: %+v", r)
	}
	r = MannWhitneyU([]float64{5, 5, 5}, []float64{5, 5})
	if r.P != 1 || r.PGreater != 1 || r.PLess != 1 || r.Z != 0 || r.U != 3 {
		t.Errorf("all equal: %+v", r)
	}
	// Complete separation at the smallest exact sizes.
	r = MannWhitneyU([]float64{4, 5, 6}, []float64{1, 2, 3})
	near(t, "separated PGreater", r.PGreater, 1.0/20, 1e-15)
	near(t, "separated P", r.P, 0.1, 1e-15)
}

// The exact distribution sums to one, is symmetric, and matches the normal
// approximation for moderately large samples.
func TestExactDistribution(t *testing.T) {
	for _, c := range [][2]int{{1, 1}, {3, 7}, {10, 5}, {20, 20}, {49, 30}} {
		cdf := exactCDF(c[0], c[1])
		m := c[0] * c[1]
		near(t, "cdf end", cdf[m], 1, 1e-12)
		for u := 0; u < m; u++ {
			// P(U ≤ u) = P(U ≥ m−u) = 1 − P(U ≤ m−u−1)
			near(t, "symmetry", cdf[u], 1-cdf[m-u-1], 1e-12)
		}
	}
	// For 40 and 45 values, exact and normal p-values agree closely.
	r := rand.New(rand.NewPCG(3, 4))
	x, y := make([]float64, 40), make([]float64, 45)
	for i := range x {
		x[i] = r.NormFloat64() + 0.5
	}
	for i := range y {
		y[i] = r.NormFloat64()
	}
	e := MannWhitneyU(x, y)
	if !e.Exact {
		t.Fatal("want exact")
	}
	normal := NormalCDF(-e.Z)
	if math.Abs(e.PGreater-normal) > 0.002 {
		t.Errorf("exact %v vs normal %v", e.PGreater, normal)
	}
}

// Under the null hypothesis the test rejects at about its level.
func TestMannWhitneyCalibration(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{8, 20, 60} {
		rejects := 0
		const trials = 4000
		for i := 0; i < trials; i++ {
			x, y := make([]float64, n), make([]float64, n)
			for j := range x {
				x[j] = math.Exp(r.NormFloat64())
				y[j] = math.Exp(r.NormFloat64())
			}
			if MannWhitneyU(x, y).P < 0.05 {
				rejects++
			}
		}
		rate := float64(rejects) / trials
		if rate < 0.03 || rate > 0.06 {
			t.Errorf("n=%d: rejection rate %.3f at level 0.05", n, rate)
		}
	}
}

// Properties: U + U' = n1·n2, p-values in [0, 1], invariance to monotone
// transformations.
func TestMannWhitneyProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 300; i++ {
		x := make([]float64, 1+r.IntN(70))
		y := make([]float64, 1+r.IntN(70))
		for j := range x {
			x[j] = math.Round(r.NormFloat64() * 3) // ties on purpose
		}
		for j := range y {
			y[j] = math.Round(r.NormFloat64()*3 + 1)
		}
		a, b := MannWhitneyU(x, y), MannWhitneyU(y, x)
		near(t, "U+U'", a.U+b.U, float64(len(x)*len(y)), 1e-9)
		near(t, "P symmetric", a.P, b.P, 1e-12)
		for _, p := range []float64{a.P, a.PGreater, a.PLess} {
			if !inUnit(p) {
				t.Fatalf("p out of range: %+v", a)
			}
		}
		ex, ey := make([]float64, len(x)), make([]float64, len(y))
		for j := range x {
			ex[j] = math.Exp(x[j] / 3)
		}
		for j := range y {
			ey[j] = math.Exp(y[j] / 3)
		}
		near(t, "monotone invariance", MannWhitneyU(ex, ey).P, a.P, 1e-12)
	}
}

func TestAutocorrelation(t *testing.T) {
	// R: acf(1:10)$acf[2] is 0.7.
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	near(t, "acf 1:10", Autocorrelation(x, 1), 0.7, 1e-12)
	y := []float64{2, 7, 1, 8, 2, 8, 1, 8, 2, 8}
	near(t, "acf lag 1", Autocorrelation(y, 1), -0.8867482161060142, 1e-12) // numpy
	near(t, "acf lag 2", Autocorrelation(y, 2), 0.8177370030581042, 1e-12)
	near(t, "acf lag 0", Autocorrelation(y, 0), 1, 1e-12)
	for _, bad := range [][]float64{nil, {1, 2}, {3, 3, 3, 3}, {0.1, 0.1, 0.1, 0.1, 0.1}} {
		if v := Autocorrelation(bad, 1); !math.IsNaN(v) {
			t.Errorf("%v: %v", bad, v)
		}
	}
}

func TestInflate(t *testing.T) {
	xs, ys := sinSamples()
	r := MannWhitneyU(xs, ys)
	if got := r.Inflate(1); got != r {
		t.Errorf("factor 1 changed the test: %+v", got)
	}
	w := r.Inflate(4)
	near(t, "sigma", w.Sigma, 2*r.Sigma, 1e-12)
	near(t, "z", w.Z, r.Z/2, 1e-12)
	if !(w.P > r.P && w.PGreater > r.PGreater && inUnit(w.P)) || w.U != r.U {
		t.Errorf("inflated %+v vs %+v", w, r)
	}
	// An exact test becomes a normal one.
	e := MannWhitneyU(rX, rY).Inflate(2)
	if e.Exact || !(e.PGreater > 0.1272) {
		t.Errorf("%+v", e)
	}
	s := HodgesLehmann(xs, ys, 0.95)
	wide := HodgesLehmannInflated(xs, ys, 0.95, 4)
	if wide.Estimate != s.Estimate || wide.Lo > s.Lo || wide.Hi < s.Hi {
		t.Errorf("inflated interval %+v vs %+v", wide, s)
	}
	if got := HodgesLehmannInflated(rX, rY, 0.95, math.NaN()); got != HodgesLehmann(rX, rY, 0.95) {
		t.Errorf("NaN factor: %+v", got)
	}
}
