package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFinite(t *testing.T) {
	in := []float64{1, math.NaN(), math.Inf(1), -2, math.Inf(-1), 0}
	got := Finite(in)
	if !slices.Equal(got, []float64{1, -2, 0}) {
		t.Fatalf("Finite = %v", got)
	}
	if len(in) != 6 || !math.IsNaN(in[1]) {
		t.Fatal("Finite modified its argument")
	}
}

func TestMedianQuantile(t *testing.T) {
	x := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	near(t, "median even", Median(x), 3.5, 0)
	near(t, "median odd", Median([]float64{7, 1, 3}), 3, 0)
	near(t, "median NaN dropped", Median([]float64{math.NaN(), 2, 4, math.Inf(1)}), 3, 0)
	near(t, "median empty", Median(nil), math.NaN(), 0)
	// R: quantile(c(3,1,4,1,5,9,2,6), c(0, .1, .25, .5, .75, .9, 1))
	//    1.00 1.00 1.75 3.50 5.25 6.90 9.00
	for _, c := range []struct{ p, want float64 }{
		{0, 1}, {0.1, 1}, {0.25, 1.75}, {0.5, 3.5}, {0.75, 5.25}, {0.9, 6.9}, {1, 9},
	} {
		near(t, "quantile", Quantile(x, c.p), c.want, 1e-12)
	}
	near(t, "quantile p>1", Quantile(x, 1.5), math.NaN(), 0)
	near(t, "quantile p NaN", Quantile(x, math.NaN()), math.NaN(), 0)
	near(t, "quantile single", Quantile([]float64{4}, 0.3), 4, 0)
	// Interpolation across the whole float64 range must not overflow.
	q := Quantile([]float64{-math.MaxFloat64, math.MaxFloat64}, 0.5)
	if math.IsInf(q, 0) || math.IsNaN(q) {
		t.Errorf("quantile overflowed: %v", q)
	}
	near(t, "median huge", Median([]float64{math.MaxFloat64, math.MaxFloat64}), math.MaxFloat64, 0)
	near(t, "IQR", IQR(x), 3.5, 1e-12)
	near(t, "MeanAbsDev", MeanAbsDev([]float64{1, 2, 3, 4, 10}), (2+1+0+1+7)/5.0, 1e-12)
}

func TestTrim(t *testing.T) {
	x := make([]float64, 20)
	for i := range x {
		x[i] = float64(20 - i)
	}
	got := Trim(x, 0.05)
	if len(got) != 18 || got[0] != 2 || got[17] != 19 {
		t.Fatalf("Trim 5%% of 20 = %v", got)
	}
	if got := Trim(x[:19], 0.05); len(got) != 19 {
		t.Fatalf("Trim 5%% of 19 kept %d", len(got))
	}
	if got := Trim(x, 0); len(got) != 20 || got[0] != 1 {
		t.Fatalf("Trim 0 = %v", got)
	}
	if got := Trim(x, 0.25); len(got) != 10 || got[0] != 6 {
		t.Fatalf("Trim 25%% = %v", got)
	}
	for n := 1; n < 8; n++ {
		for _, f := range []float64{0.1, 0.3, 0.49, 0.5, 0.9, 10} {
			if got := Trim(x[:n], f); len(got) < 1 {
				t.Fatalf("Trim(%d values, %v) kept nothing", n, f)
			}
		}
	}
	if got := Trim([]float64{math.NaN()}, 0.1); len(got) != 0 {
		t.Fatalf("Trim of NaN = %v", got)
	}
}

// Trimming both tails equally keeps the median.
func TestTrimKeepsMedian(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		x := make([]float64, 1+r.IntN(40))
		for j := range x {
			x[j] = r.NormFloat64()
		}
		if Median(Trim(x, r.Float64()/2)) != Median(x) {
			t.Fatalf("trim changed the median of %v", x)
		}
	}
}
