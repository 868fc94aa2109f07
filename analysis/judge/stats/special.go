package stats

import "math"

// NormalCDF returns P(Z ≤ z) for a standard normal Z.
func NormalCDF(z float64) float64 {
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// NormalQuantile returns the z such that P(Z ≤ z) = p for a standard normal
// Z: -Inf for p = 0, +Inf for p = 1 and NaN outside [0, 1].
func NormalQuantile(p float64) float64 {
	if !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	return -math.Sqrt2 * math.Erfcinv(2*p)
}

// lbeta returns log B(a, b) for a, b > 0.
func lbeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// lchoose returns log C(n, k) for 0 ≤ k ≤ n.
func lchoose(n, k float64) float64 {
	a, _ := math.Lgamma(n + 1)
	b, _ := math.Lgamma(k + 1)
	c, _ := math.Lgamma(n - k + 1)
	return a - b - c
}

// RegIncBeta returns the regularized incomplete beta function
// I_x(a, b) = B(x; a, b) / B(a, b), the CDF at x of a Beta(a, b) variable.
// It is NaN unless a > 0, b > 0 and x is in [0, 1] (x outside is clamped).
func RegIncBeta(a, b, x float64) float64 {
	lower, _ := regIncBeta2(a, b, x)
	return lower
}

// regIncBeta2 returns I_x(a, b) and 1 - I_x(a, b), each computed without
// cancellation when it is the small one.
func regIncBeta2(a, b, x float64) (lower, upper float64) {
	if !(a > 0 && b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) || math.IsNaN(x) {
		return math.NaN(), math.NaN()
	}
	if x <= 0 {
		return 0, 1
	}
	if x >= 1 {
		return 1, 0
	}
	// The continued fraction converges quickly for x < (a+1)/(a+b+2); on
	// the other side use I_x(a, b) = 1 - I_{1-x}(b, a).
	if x < (a+1)/(a+b+2) {
		lower = betaCF(a, b, x)
		return lower, 1 - lower
	}
	upper = betaCF(b, a, 1-x)
	return 1 - upper, upper
}

// betaCF evaluates I_x(a, b) through its continued fraction (Abramowitz and
// Stegun 26.5.8):
//
//	I_x(a,b) = x^a (1-x)^b / (a B(a,b)) · 1/(1+ d1/(1+ d2/(1+ ...)))
//	d(2m+1) = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1))
//	d(2m)   = m(b-m) x / ((a+2m-1)(a+2m))
//
// evaluated from the front with the modified Lentz method.
func betaCF(a, b, x float64) float64 {
	const (
		tiny    = 1e-300
		eps     = 1e-15
		maxIter = 100000
	)
	logFront := a*math.Log(x) + b*math.Log1p(-x) - lbeta(a, b) - math.Log(a)
	// Lentz's method for b0 + a1/(b1 + a2/(b2 + ...)) with b0 = 0, every
	// b_j = 1, a1 = 1 and a(j+1) = d(j).
	f, c, d := tiny, tiny, 0.0
	step := func(num float64) float64 {
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := c * d
		f *= delta
		return delta
	}
	step(1)
	for m := 0; m < maxIter; m++ {
		fm := float64(m)
		var num float64
		// d(2m+1)
		num = -(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1))
		delta1 := step(num)
		// d(2m+2)
		fm1 := fm + 1
		num = fm1 * (b - fm1) * x / ((a + 2*fm1 - 1) * (a + 2*fm1))
		delta2 := step(num)
		if math.Abs(delta1-1) < eps && math.Abs(delta2-1) < eps {
			break
		}
	}
	r := math.Exp(logFront) * f
	if r > 1 {
		r = 1
	}
	if r < 0 || math.IsNaN(r) {
		r = 0
	}
	return r
}

// FSurvival returns P(F > f) for F with an F(d1, d2) distribution. It is 1
// for f ≤ 0 and NaN unless d1 > 0 and d2 > 0.
func FSurvival(f, d1, d2 float64) float64 {
	if !(d1 > 0 && d2 > 0) || math.IsNaN(f) {
		return math.NaN()
	}
	if f <= 0 {
		return 1
	}
	if math.IsInf(f, 1) {
		return 0
	}
	// P(F > f) = I_y(d2/2, d1/2) with y = d2/(d2 + d1 f).
	y := d2 / (d2 + d1*f)
	lower, _ := regIncBeta2(d2/2, d1/2, y)
	return lower
}
