// Package stats holds the statistics behind Ramp's canary judge: robust
// summaries (median, quantiles, trimming), rank tests (Mann-Whitney U with
// the Hodges-Lehmann shift and its interval), a test of equal spread
// (Brown-Forsythe), the lag autocorrelation of a series, and comparisons
// of error counts (Fisher's exact test, a Bayesian probability with
// Jeffreys priors, and an interval of the difference of two rates).
//
// The package depends on the standard library only. Every function that
// takes samples ignores NaN and ±Inf values (see [Finite]) and never
// modifies its arguments. When a result cannot be computed (an empty sample,
// say), it is NaN; each function documents when that happens. Probabilities
// and p-values are otherwise always in [0, 1].
package stats

import (
	"math"
	"slices"
)

// Finite returns a new slice with the values of x that are neither NaN nor
// ±Inf, in their original order.
func Finite(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

// sortedFinite returns the finite values of x, sorted ascending, in a new
// slice.
func sortedFinite(x []float64) []float64 {
	s := Finite(x)
	slices.Sort(s)
	return s
}

// Median returns the median of the finite values of x (the mean of the two
// middle values when their number is even), or NaN when there are none.
func Median(x []float64) float64 {
	return medianSorted(sortedFinite(x))
}

func medianSorted(s []float64) float64 {
	n := len(s)
	switch {
	case n == 0:
		return math.NaN()
	case n%2 == 1:
		return s[n/2]
	default:
		return mid(s[n/2-1], s[n/2])
	}
}

// mid is the midpoint of a ≤ b, within [a, b] and without overflow.
func mid(a, b float64) float64 {
	m := a + (b-a)/2
	if math.IsInf(b-a, 0) {
		m = a/2 + b/2
	}
	m = math.Min(math.Max(m, a), b)
	if m == 0 {
		return 0 // never -0
	}
	return m
}

// Quantile returns the p-quantile of the finite values of x, interpolated
// linearly between order statistics (Hyndman and Fan's type 7, the default
// of R and NumPy): with the values sorted as s[0..n-1] and h = (n-1)p, it is
// s[⌊h⌋] + (h-⌊h⌋)(s[⌊h⌋+1]-s[⌊h⌋]). It is NaN when x has no finite value or
// p is not in [0, 1].
func Quantile(x []float64, p float64) float64 {
	return quantileSorted(sortedFinite(x), p)
}

func quantileSorted(s []float64, p float64) float64 {
	n := len(s)
	if n == 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return s[n-1]
	}
	w := h - float64(lo)
	a, b := s[lo], s[lo+1]
	if w == 0 || a == b {
		return a
	}
	d := b - a
	if math.IsInf(d, 0) { // a and b far apart near the float64 range
		return a*(1-w) + b*w
	}
	return a + w*d
}

// IQR returns the interquartile range (the 0.75 quantile minus the 0.25
// quantile, type 7) of the finite values of x, or NaN when there are none.
func IQR(x []float64) float64 {
	s := sortedFinite(x)
	return quantileSorted(s, 0.75) - quantileSorted(s, 0.25)
}

// MeanAbsDev returns the mean absolute deviation of the finite values of x
// from their median: the spread that the Brown-Forsythe test compares. It is
// NaN when x has no finite value.
func MeanAbsDev(x []float64) float64 {
	s := sortedFinite(x)
	if len(s) == 0 {
		return math.NaN()
	}
	m := medianSorted(s)
	sum := 0.0
	for _, v := range s {
		sum += math.Abs(v - m)
	}
	return sum / float64(len(s))
}

// Trim returns the finite values of x sorted ascending, less ⌊fraction·n⌋
// values from each tail, where n is the number of finite values. The
// fraction is clamped to [0, 0.5); at least one value is always kept when
// there is one, and small samples lose nothing until fraction·n reaches 1
// (with the judge's 5%, 20 values lose one at each end, 19 lose none).
func Trim(x []float64, fraction float64) []float64 {
	s := sortedFinite(x)
	n := len(s)
	if n == 0 || !(fraction > 0) {
		return s
	}
	if fraction >= 0.5 {
		fraction = math.Nextafter(0.5, 0)
	}
	k := int(math.Floor(fraction*float64(n) + 1e-9))
	if 2*k >= n {
		k = (n - 1) / 2
	}
	return s[k : n-k]
}
