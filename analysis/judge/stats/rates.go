package stats

import "math"

// MaxCount is the largest number of requests [FisherExact] and
// [RateProbGreater] accept, in total and per rate respectively.
const MaxCount = 1_000_000_000_000

// validCounts reports whether 0 ≤ e ≤ n ≤ MaxCount for both rates.
func validCounts(e1, n1, e2, n2 int64) bool {
	return e1 >= 0 && e2 >= 0 && e1 <= n1 && e2 <= n2 && n1 <= MaxCount && n2 <= MaxCount
}

// Fisher is the result of Fisher's exact test on two rates: e1 errors of n1
// requests against e2 of n2.
type Fisher struct {
	// P is the two-sided p-value: the probability, given the margins, of a
	// table at most as likely as the observed one (with a relative
	// tolerance of 1e-7, as R's fisher.test).
	P float64
	// PGreater is the one-sided p-value for the alternative that the first
	// rate is the higher: P(X ≥ e1) with X hypergeometric.
	PGreater float64
	// PLess is the one-sided p-value for the alternative that the first
	// rate is the lower: P(X ≤ e1).
	PLess float64
}

// FisherExact runs Fisher's exact test on the 2×2 table
//
//	e1   n1−e1
//	e2   n2−e2
//
// Given the margins, the number of errors X in the first row is
// hypergeometric: n1 draws from n1+n2 requests of which e1+e2 are errors.
// Probabilities are computed in log space from log-factorials (math.Lgamma)
// and summed outward from a starting term with the ratio of consecutive
// terms, stopping once the terms no longer matter, so counts of millions of
// requests neither overflow nor take long. The log-factorials of large
// counts limit the accuracy: about 1e-6 relative at 10⁸ requests, 1e-2 at
// [MaxCount].
//
// All fields are NaN unless 0 ≤ e1 ≤ n1, 0 ≤ e2 ≤ n2 and 0 < n1+n2 ≤
// [MaxCount]. With no errors at all (or only errors), every p-value is 1.
func FisherExact(e1, n1, e2, n2 int64) Fisher {
	if !validCounts(e1, n1, e2, n2) || n1+n2 <= 0 || n1+n2 > MaxCount {
		nan := math.NaN()
		return Fisher{nan, nan, nan}
	}
	h := newHyper(n1+n2, e1+e2, n1)
	r := Fisher{PGreater: h.upper(e1), PLess: h.lower(e1)}
	r.P = h.twoSided(e1)
	return r
}

// hyper is a hypergeometric distribution: the number of marked items among
// n drawn without replacement from a population of size pop with k marked.
type hyper struct {
	pop, k, n float64
	lo, hi    int64 // support
	mode      int64
	logNorm   float64 // log C(pop, n)
}

func newHyper(pop, k, n int64) hyper {
	h := hyper{pop: float64(pop), k: float64(k), n: float64(n)}
	h.lo = max(0, n-(pop-k))
	h.hi = min(k, n)
	mode := int64(math.Floor((h.n + 1) * (h.k + 1) / (h.pop + 2)))
	h.mode = min(max(mode, h.lo), h.hi)
	h.logNorm = lchoose(h.pop, h.n)
	return h
}

// logPMF returns log P(X = x) for x in the support.
func (h hyper) logPMF(x int64) float64 {
	fx := float64(x)
	return lchoose(h.k, fx) + lchoose(h.pop-h.k, h.n-fx) - h.logNorm
}

// ratioUp returns P(X = x+1) / P(X = x).
func (h hyper) ratioUp(x int64) float64 {
	fx := float64(x)
	return (h.k - fx) * (h.n - fx) / ((fx + 1) * (h.pop - h.k - h.n + fx + 1))
}

// sumAway sums P(X = x) from x0 away from the mode (upwards when up is set)
// to the end of the support. The terms shrink at a growing rate there (the
// distribution is log-concave), so the sum stops once a term is below 1e-18
// of the total.
func (h hyper) sumAway(x0 int64, up bool) float64 {
	term, sum := 1.0, 1.0
	x := x0
	for {
		if up {
			if x >= h.hi {
				break
			}
			term *= h.ratioUp(x)
			x++
		} else {
			if x <= h.lo {
				break
			}
			term /= h.ratioUp(x - 1)
			x--
		}
		sum += term
		if term < 1e-18*sum || term == 0 {
			break
		}
	}
	p := math.Exp(h.logPMF(x0)) * sum
	return math.Min(1, p)
}

// upper returns P(X ≥ x).
func (h hyper) upper(x int64) float64 {
	switch {
	case x <= h.lo:
		return 1
	case x > h.hi:
		return 0
	case x > h.mode:
		return h.sumAway(x, true)
	}
	return math.Max(0, 1-h.sumAway(x-1, false))
}

// lower returns P(X ≤ x).
func (h hyper) lower(x int64) float64 {
	switch {
	case x >= h.hi:
		return 1
	case x < h.lo:
		return 0
	case x < h.mode:
		return h.sumAway(x, false)
	}
	return math.Max(0, 1-h.sumAway(x+1, true))
}

// twoSided returns the sum of P(X = y) over the y with P(X = y) ≤
// P(X = x)·(1 + 1e-7). The distribution is unimodal, so those y form the two
// tails beyond bounds found by bisection on each side of the mode.
func (h hyper) twoSided(x int64) float64 {
	if h.lo == h.hi {
		return 1
	}
	limit := h.logPMF(x) + 1e-7
	p := 0.0
	// Upper side: smallest y ≥ mode with logPMF(y) ≤ limit.
	if h.logPMF(h.hi) <= limit {
		a, b := h.mode, h.hi
		for a < b {
			m := a + (b-a)/2
			if h.logPMF(m) <= limit {
				b = m
			} else {
				a = m + 1
			}
		}
		p += h.upper(a)
	}
	// Lower side: largest y < mode with logPMF(y) ≤ limit.
	if h.mode > h.lo && h.logPMF(h.lo) <= limit {
		a, b := h.lo, h.mode-1
		for a < b {
			m := b - (b-a)/2
			if h.logPMF(m) <= limit {
				a = m
			} else {
				b = m - 1
			}
		}
		p += h.lower(a)
	}
	return math.Min(1, p)
}

// RateProbGreater returns the posterior probability that the first rate
// exceeds factor times the second, P(r1 > factor·r2), when e1 errors were
// seen in n1 requests and e2 in n2, each rate with the Jeffreys prior
// Beta(½, ½) and so the posterior Beta(e + ½, n − e + ½). With factor 1 it
// is the probability that the first rate is the higher. The integral
// ∫ f2(t) · P(r1 > factor·t) dt over the second posterior is computed with
// Gauss-Legendre quadrature on the region holding its mass, after a change of variable
// that removes the density's singularities at 0 and 1.
//
// It is NaN unless 0 ≤ e1 ≤ n1, 0 ≤ e2 ≤ n2, 0 < n1, n2 ≤ [MaxCount] and
// factor is positive and finite.
func RateProbGreater(e1, n1, e2, n2 int64, factor float64) float64 {
	if !validCounts(e1, n1, e2, n2) || n1 <= 0 || n2 <= 0 ||
		!(factor > 0) || math.IsInf(factor, 1) {
		return math.NaN()
	}
	a1, b1 := float64(e1)+0.5, float64(n1-e1)+0.5
	a2, b2 := float64(e2)+0.5, float64(n2-e2)+0.5
	return betaProbGreater(a1, b1, a2, b2, factor)
}

// betaProbGreater returns P(R1 > c·R2) for independent R1 ~ Beta(a1, b1)
// and R2 ~ Beta(a2, b2).
func betaProbGreater(a1, b1, a2, b2, c float64) float64 {
	// Region of R2's mass: mean ± 40 standard deviations within [0, 1].
	mean := a2 / (a2 + b2)
	sd := math.Sqrt(a2 * b2 / ((a2 + b2) * (a2 + b2) * (a2 + b2 + 1)))
	lo := math.Max(0, mean-40*sd)
	hi := math.Min(1, mean+40*sd)
	if c > 1 {
		// R1 ≤ 1 < c·t beyond 1/c: nothing to add there.
		hi = math.Min(hi, 1/c)
	}
	if !(hi > lo) {
		return 0
	}
	lb := lbeta(a2, b2)
	// t = lo + (hi−lo)(1−cos πv)/2 for v in [0, 1]: dt/dv ∝ sin πv, which
	// cancels the t^(−½) and (1−t)^(−½) singularities of a Beta density
	// with a or b equal to ½ at an end of [0, 1].
	integrand := func(v float64) float64 {
		t := lo + (hi-lo)*(1-math.Cos(math.Pi*v))/2
		if t <= 0 || t >= 1 {
			return 0
		}
		dt := (hi - lo) * math.Pi / 2 * math.Sin(math.Pi*v)
		dens := math.Exp((a2-1)*math.Log(t) + (b2-1)*math.Log1p(-t) - lb)
		_, tail := regIncBeta2(a1, b1, math.Min(1, c*t))
		return dens * tail * dt
	}
	// Composite five-point Gauss-Legendre: never evaluated at the ends,
	// where the transformed integrand is finite but 0/0 in floating point.
	const panels = 512
	h := 1.0 / panels
	sum := 0.0
	for i := 0; i < panels; i++ {
		center := (float64(i) + 0.5) * h
		for j, node := range glNodes {
			sum += glWeights[j] * integrand(center+node*h/2)
		}
	}
	p := sum * h / 2
	return math.Min(1, math.Max(0, p))
}

// Nodes and weights of the five-point Gauss-Legendre rule on [-1, 1].
var (
	glNodes   = [5]float64{-0.9061798459386640, -0.5384693101056831, 0, 0.5384693101056831, 0.9061798459386640}
	glWeights = [5]float64{0.2369268850561891, 0.4786286704993665, 0.5688888888888889, 0.4786286704993665, 0.2369268850561891}
)

// WilsonInterval returns the Wilson score interval of a rate from e events in
// n trials at the given confidence, or NaNs unless 0 ≤ e ≤ n, n > 0 and
// confidence is in (0, 1).
func WilsonInterval(e, n int64, confidence float64) (lo, hi float64) {
	if e < 0 || e > n || n <= 0 || !(confidence > 0 && confidence < 1) {
		return math.NaN(), math.NaN()
	}
	z := NormalQuantile(1 - (1-confidence)/2)
	fn := float64(n)
	p := float64(e) / fn
	z2 := z * z
	den := 1 + z2/fn
	center := (p + z2/(2*fn)) / den
	half := z / den * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn))
	lo, hi = math.Max(0, center-half), math.Min(1, center+half)
	if e == 0 {
		lo = 0
	}
	if e == n {
		hi = 1
	}
	return lo, hi
}

// RateDiffInterval returns Newcombe's hybrid score interval (his method 10)
// of the difference of two rates, e1/n1 − e2/n2, built from the two Wilson
// intervals; it behaves well with zero counts. It is NaNs under the same
// conditions as [WilsonInterval].
func RateDiffInterval(e1, n1, e2, n2 int64, confidence float64) (lo, hi float64) {
	l1, u1 := WilsonInterval(e1, n1, confidence)
	l2, u2 := WilsonInterval(e2, n2, confidence)
	if math.IsNaN(l1) || math.IsNaN(l2) {
		return math.NaN(), math.NaN()
	}
	p1, p2 := float64(e1)/float64(n1), float64(e2)/float64(n2)
	d := p1 - p2
	lo = d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	hi = d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return lo, hi
}
