package stats

import (
	"math"
	"testing"
)

func TestFisherKnownValues(t *testing.T) {
	// R's ?fisher.test: the tea-tasting table, p = 0.4857 two-sided,
	// 0.2429 with alternative = "greater".
	r := FisherExact(3, 4, 1, 4)
	near(t, "tea P", r.P, 0.48571428571428565, 1e-12)
	near(t, "tea PGreater", r.PGreater, 0.24285714285714283, 1e-12)
	near(t, "tea PLess", r.PLess, 1-1.0/70, 1e-12)
	// R's ?fisher.test: Convictions, alternative = "less", p = 0.0004652;
	// scipy gives 0.00046518094336290503, and 0.0005367241191434358
	// two-sided.
	r = FisherExact(2, 17, 10, 13)
	near(t, "convictions PLess", r.PLess, 0.00046518094336290503, 1e-10)
	near(t, "convictions P", r.P, 0.0005367241191434358, 1e-10)
	// scipy.stats.fisher_exact([[7, 12], [2, 25]]).
	r = FisherExact(7, 19, 2, 27)
	near(t, "P", r.P, 0.022243570629474102, 1e-10)
	near(t, "PGreater", r.PGreater, 0.017989458320909157, 1e-10)
	near(t, "PLess", r.PLess, 0.998063846434953, 1e-10)
}

func TestFisherLargeCounts(t *testing.T) {
	// 0 errors against 3 in 10,000 requests each: with only 3 errors the
	// smallest possible one-sided p-value is about (1/2)³.
	r := FisherExact(3, 10000, 0, 10000)
	near(t, "sparse PGreater", r.PGreater, 0.12498124906245311, 1e-10)
	near(t, "sparse P", r.P, 0.24996249812490623, 1e-10)
	near(t, "sparse PLess", r.PLess, 1, 0)
	r = FisherExact(0, 10000, 3, 10000)
	near(t, "sparse mirrored PLess", r.PLess, 0.12498124906245311, 1e-10)
	// A million requests each (scipy.stats.fisher_exact).
	r = FisherExact(120, 1000000, 80, 1000000)
	near(t, "million PGreater", r.PGreater, 0.002841378765907282, 1e-9)
	near(t, "million P", r.P, 0.005682757531814564, 1e-9)
	// Billions of requests, many errors: no overflow, sensible values.
	r = FisherExact(5000000, 1000000000, 5000000, 1000000000)
	if !inUnit(r.P) || r.P < 0.9 || math.Abs(r.PGreater-0.5) > 0.01 {
		t.Errorf("equal huge counts: %+v", r)
	}
	r = FisherExact(6000000, 1000000000, 5000000, 1000000000)
	if r.PGreater > 1e-300 || r.PLess != 1 {
		t.Errorf("very different huge counts: %+v", r)
	}
}

func TestFisherEdges(t *testing.T) {
	for _, c := range [][4]int64{{0, 100, 0, 100}, {100, 100, 50, 50}, {0, 0, 0, 5}} {
		r := FisherExact(c[0], c[1], c[2], c[3])
		if r.P != 1 || r.PGreater != 1 || r.PLess != 1 {
			t.Errorf("%v: %+v", c, r)
		}
	}
	for _, c := range [][4]int64{{-1, 5, 0, 5}, {6, 5, 0, 5}, {0, 0, 0, 0}, {0, math.MaxInt64, 0, 2}} {
		if r := FisherExact(c[0], c[1], c[2], c[3]); !math.IsNaN(r.P) {
			t.Errorf("%v should be invalid: %+v", c, r)
		}
	}
}

// The two one-sided p-values overlap in exactly the observed table.
func TestFisherProperties(t *testing.T) {
	for e1 := int64(0); e1 <= 12; e1++ {
		for e2 := int64(0); e2 <= 9; e2++ {
			r := FisherExact(e1, 12, e2, 15)
			h := newHyper(27, e1+e2, 12)
			pObs := math.Exp(h.logPMF(e1))
			near(t, "PGreater+PLess", r.PGreater+r.PLess, 1+pObs, 1e-12)
			if r.P < math.Min(r.PGreater, r.PLess)-1e-12 || !inUnit(r.P) {
				t.Errorf("two-sided %v below one-sided %+v", r.P, r)
			}
		}
	}
}

func TestRateProbGreater(t *testing.T) {
	// References from scipy.integrate.quad over scipy.stats.beta (and a
	// Monte Carlo check of 4 million draws for the first).
	for _, c := range []struct {
		e1, n1, e2, n2 int64
		factor, want   float64
	}{
		{3, 10000, 0, 10000, 1, 0.9668640489134133},
		{1, 10000, 0, 10000, 1, 0.8183178440304092},
		{2, 10000, 0, 10000, 1, 0.9244237920405528},
		{3, 10000, 0, 10000, 1.1, 0.9603521892134766},
		{120, 1000000, 80, 1000000, 1, 0.9977225618292545},
		{12, 1000, 10, 1000, 1.1, 0.5793579376042596},
		{5, 20, 9, 20, 1, 0.09204735559257307},
		{0, 10, 0, 10, 1, 0.5},
		{999, 1000, 990, 1000, 1, 0.9981177215960193},
		{500000, 1000000, 499000, 1000000, 1, 0.9213505089002234},
	} {
		got := RateProbGreater(c.e1, c.n1, c.e2, c.n2, c.factor)
		near(t, "RateProbGreater", got, c.want, 2e-6)
	}
	// Symmetry: P(r1 > r2) + P(r2 > r1) = 1.
	for _, c := range [][4]int64{{0, 50, 3, 70}, {7, 7, 0, 9}, {13, 400, 20, 300}} {
		a := RateProbGreater(c[0], c[1], c[2], c[3], 1)
		b := RateProbGreater(c[2], c[3], c[0], c[1], 1)
		near(t, "complement", a+b, 1, 1e-6)
	}
	if !math.IsNaN(RateProbGreater(0, 0, 0, 5, 1)) || !math.IsNaN(RateProbGreater(1, 5, 0, 5, 0)) {
		t.Error("invalid input should give NaN")
	}
	// Monotone in the first count.
	prev := 0.0
	for e := int64(0); e <= 20; e++ {
		p := RateProbGreater(e, 10000, 5, 10000, 1)
		if p < prev {
			t.Fatalf("not monotone at %d: %v < %v", e, p, prev)
		}
		prev = p
	}
}

// betaProbGreater agrees with the closed form for integer parameters
// (Evan Miller's formula for P(B > A)).
func TestBetaProbGreaterClosedForm(t *testing.T) {
	closed := func(aA, bA, aB, bB int) float64 {
		sum := 0.0
		for i := 0; i < aB; i++ {
			fi := float64(i)
			sum += math.Exp(lbeta(float64(aA)+fi, float64(bA+bB)) - math.Log(float64(bB)+fi) -
				lbeta(1+fi, float64(bB)) - lbeta(float64(aA), float64(bA)))
		}
		return sum
	}
	for _, c := range [][4]int{{1, 1, 1, 1}, {3, 10, 5, 9}, {20, 180, 30, 170}, {1, 50, 4, 47}} {
		// P(R_B > R_A) with R_A ~ Beta(c0, c1), R_B ~ Beta(c2, c3).
		got := betaProbGreater(float64(c[2]), float64(c[3]), float64(c[0]), float64(c[1]), 1)
		near(t, "closed form", got, closed(c[0], c[1], c[2], c[3]), 1e-7)
	}
}

func TestIntervals(t *testing.T) {
	// Newcombe (1998): Wilson interval of 81/263 is 0.2553 to 0.3662, and
	// the hybrid score interval of 56/70 − 48/80 is 0.0524 to 0.3339.
	lo, hi := WilsonInterval(81, 263, 0.95)
	near(t, "wilson lo", lo, 0.2552885198782742, 1e-10)
	near(t, "wilson hi", hi, 0.36620957698280004, 1e-10)
	lo, hi = RateDiffInterval(56, 70, 48, 80, 0.95)
	near(t, "newcombe lo", lo, 0.052431472402365065, 1e-10)
	near(t, "newcombe hi", hi, 0.333872654036906, 1e-10)
	lo, hi = WilsonInterval(0, 10000, 0.95)
	if lo != 0 || math.Abs(hi-0.00038399837067659573) > 1e-12 {
		t.Errorf("wilson 0/10000: %v %v", lo, hi)
	}
	lo, hi = RateDiffInterval(3, 10000, 0, 10000, 0.95)
	if !(lo < 0 && hi > 0.0003) {
		t.Errorf("newcombe 3 vs 0: %v %v", lo, hi)
	}
	if lo, _ := WilsonInterval(1, 0, 0.95); !math.IsNaN(lo) {
		t.Error("n = 0 should be NaN")
	}
}
