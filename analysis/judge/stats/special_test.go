package stats

import (
	"math"
	"testing"
)

func TestNormal(t *testing.T) {
	near(t, "Phi(0)", NormalCDF(0), 0.5, 1e-15)
	near(t, "Phi(1.96)", NormalCDF(1.959963984540054), 0.975, 1e-12)
	near(t, "Phi(-8)", NormalCDF(-8), 6.22096057427178e-16, 1e-9)
	near(t, "z(0.975)", NormalQuantile(0.975), 1.959963984540054, 1e-12)
	near(t, "z(0.01)", NormalQuantile(0.01), -2.326347874040841, 1e-12)
	if !math.IsInf(NormalQuantile(1), 1) || !math.IsNaN(NormalQuantile(2)) {
		t.Error("NormalQuantile at the ends")
	}
}

func TestRegIncBeta(t *testing.T) {
	// scipy.stats.beta.cdf
	near(t, "I(0.3; 2.5, 7.1)", RegIncBeta(2.5, 7.1, 0.3), 0.6490225790210132, 1e-10)
	near(t, "I(0.999; .5, .5)", RegIncBeta(0.5, 0.5, 0.999), 0.9798649583666235, 1e-10)
	near(t, "I(3e-4; 3.5, 9997.5)", RegIncBeta(3.5, 9997.5, 3e-4), 0.4602681666861638, 1e-9)
	near(t, "I(0.5; 5e5, 5e5+1)", RegIncBeta(500000, 500001, 0.5), 0.5003989421806669, 1e-8)
	near(t, "I(0.2; 1e-3, 5)", RegIncBeta(1e-3, 5, 0.2), 0.9997834456464277, 1e-10)
	// I_x(1, 1) = x and I_x(a, 1) = x^a.
	for _, x := range []float64{0, 0.1, 0.5, 0.77, 1} {
		near(t, "uniform", RegIncBeta(1, 1, x), x, 1e-14)
		near(t, "x^a", RegIncBeta(3.3, 1, x), math.Pow(x, 3.3), 1e-13)
	}
	near(t, "bad a", RegIncBeta(0, 1, 0.5), math.NaN(), 0)
	near(t, "clamped x", RegIncBeta(2, 3, 1.5), 1, 0)
}

func TestFSurvival(t *testing.T) {
	// scipy.stats.f.sf
	near(t, "F(2,27) > 3.2", FSurvival(3.2, 2, 27), 0.05660222640850086, 1e-10)
	near(t, "F(10,7) > 0.5", FSurvival(0.5, 10, 7), 0.8454966997285922, 1e-10)
	near(t, "F(200,300) > 1.1", FSurvival(1.1, 200, 300), 0.22712632887709677, 1e-9)
	near(t, "F <= 0", FSurvival(-1, 2, 3), 1, 0)
	near(t, "F = Inf", FSurvival(math.Inf(1), 2, 3), 0, 0)
	near(t, "bad df", FSurvival(1, 0, 3), math.NaN(), 0)
	// A tiny p-value keeps its relative precision.
	if p := FSurvival(50, 3, 40); math.Abs(p/1.344339266641412e-13-1) > 1e-8 {
		t.Errorf("tiny tail %g", p)
	}
}
