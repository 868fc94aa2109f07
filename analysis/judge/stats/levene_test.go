package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBrownForsytheKnownValues(t *testing.T) {
	// scipy.stats.levene docs (center='median'): statistic
	// 7.584952754501659, p-value 0.002431505967249681.
	a := []float64{8.88, 9.12, 9.04, 8.98, 9.00, 9.08, 9.01, 8.85, 9.06, 8.99}
	b := []float64{8.88, 8.95, 9.29, 9.44, 9.15, 9.58, 8.36, 9.18, 8.67, 9.05}
	c := []float64{8.95, 9.12, 8.95, 8.85, 9.03, 8.84, 9.07, 8.98, 8.86, 8.98}
	r := BrownForsythe(a, b, c)
	near(t, "F", r.F, 7.584952754501659, 1e-9)
	near(t, "P", r.P, 0.002431505967249681, 1e-9)
	if r.DF1 != 2 || r.DF2 != 27 {
		t.Errorf("df = %d, %d", r.DF1, r.DF2)
	}
	// scipy.stats.levene(x, y) on R's wilcox.test data, and on the
	// mannwhitneyu docs' data.
	r = BrownForsythe(rX, rY)
	near(t, "F 2", r.F, 2.8826195987654333, 1e-9)
	near(t, "P 2", r.P, 0.11333354178586885, 1e-9)
	r = BrownForsythe([]float64{19, 22, 16, 29, 24}, []float64{20, 11, 17, 12})
	near(t, "F 3", r.F, 0.003968253968253976, 1e-9)
	near(t, "P 3", r.P, 0.9515322676471112, 1e-9)
}

func TestBrownForsytheEdges(t *testing.T) {
	if r := BrownForsythe([]float64{1, 2}); !math.IsNaN(r.P) {
		t.Errorf("one group: %+v", r)
	}
	if r := BrownForsythe([]float64{1}, []float64{2}); !math.IsNaN(r.P) {
		t.Errorf("N = k: %+v", r)
	}
	if r := BrownForsythe([]float64{1, 2}, nil, []float64{math.NaN()}); !math.IsNaN(r.P) {
		t.Errorf("empty groups dropped: %+v", r)
	}
	if r := BrownForsythe([]float64{3, 3, 3}, []float64{7, 7}); r.F != 0 || r.P != 1 {
		t.Errorf("constant groups: %+v", r)
	}
	if r := BrownForsythe([]float64{0, 2}, []float64{0, 4}); !math.IsInf(r.F, 1) || r.P != 0 {
		t.Errorf("no within-group variation: %+v", r)
	}
	// Scale invariance, down to huge and tiny values.
	a := []float64{1, 2, 3, 5, 8, 13}
	b := []float64{2, 2.5, 3, 3.1, 4, 4.2}
	base := BrownForsythe(a, b)
	for _, s := range []float64{1e-200, 1e-5, 1e7, 1e250} {
		as, bs := make([]float64, len(a)), make([]float64, len(b))
		for i := range a {
			as[i] = a[i] * s
		}
		for i := range b {
			bs[i] = b[i] * s
		}
		r := BrownForsythe(as, bs)
		near(t, "scaled P", r.P, base.P, 1e-9)
	}
}

// The test holds its level on skewed data, and detects a doubled spread.
func TestBrownForsytheCalibrationPower(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const trials, n = 3000, 30
	rejectNull, rejectAlt := 0, 0
	for i := 0; i < trials; i++ {
		x, y, z := make([]float64, n), make([]float64, n), make([]float64, n)
		for j := range x {
			x[j] = math.Exp(r.NormFloat64() * 0.5)
			y[j] = math.Exp(r.NormFloat64() * 0.5)
			z[j] = 2 * r.NormFloat64()
			y[j] += 0
		}
		if BrownForsythe(x, y).P < 0.05 {
			rejectNull++
		}
		w := make([]float64, n)
		for j := range w {
			w[j] = r.NormFloat64()
		}
		if BrownForsythe(z, w).P < 0.05 {
			rejectAlt++
		}
	}
	if rate := float64(rejectNull) / trials; rate > 0.065 {
		t.Errorf("null rejection rate %.3f", rate)
	}
	if rate := float64(rejectAlt) / trials; rate < 0.8 {
		t.Errorf("power %.3f for a doubled spread", rate)
	}
}
