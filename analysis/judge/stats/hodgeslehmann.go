package stats

import "math"

// Shift is a Hodges-Lehmann estimate of the shift between two samples with
// its confidence interval.
type Shift struct {
	// Estimate is the median of the n1·n2 differences x_i − y_j.
	Estimate float64
	// Lo and Hi bound the distribution-free confidence interval of the
	// shift.
	Lo, Hi float64
	// Confidence is the nominal coverage of [Lo, Hi].
	Confidence float64
	// N1 and N2 are the numbers of finite values in x and y.
	N1, N2 int
}

// HodgesLehmann estimates by how much x is shifted from y: the median of all
// pairwise differences x_i − y_j, with the confidence interval that inverts
// the Mann-Whitney test. With the differences sorted as D(1) ≤ … ≤ D(n1·n2),
// the interval is [D(k), D(n1·n2 − k + 1)], where k is the smallest count
// with P(U ≤ k) ≥ (1 − confidence)/2 under the exact distribution of U
// (both samples under [ExactLimit] values, no ties; as R's wilcox.test), or
// otherwise k = ⌊n1·n2/2 + 0.5 − z·σ⌋ with z the normal quantile and σ the
// tie-corrected standard deviation of U. k is at least 1, so with very small
// samples the interval is [D(1), D(n1·n2)] and covers less than asked.
//
// The differences are never stored: each order statistic is found by
// bisection over float64 values, counting the differences below a value in
// O(n1 + n2) steps on the sorted samples, so large samples (thousands of
// values each) are cheap.
//
// Every field but N1 and N2 is NaN when either sample has no finite value;
// Lo and Hi are NaN when confidence is not in (0, 1). A difference that
// overflows float64 is ±Inf, and the estimate can then be ±Inf or NaN.
func HodgesLehmann(x, y []float64, confidence float64) Shift {
	return HodgesLehmannInflated(x, y, confidence, 1)
}

// HodgesLehmannInflated is [HodgesLehmann] with the variance of U multiplied
// by factor (see [MannWhitney.Inflate]): the interval then always uses the
// normal approximation with standard deviation σ·√factor, and is wider. A
// factor of 1 or less (or NaN) is HodgesLehmann.
func HodgesLehmannInflated(x, y []float64, confidence, factor float64) Shift {
	if !(factor > 1) || math.IsInf(factor, 1) {
		factor = 1
	}
	xs, ys := sortedFinite(x), sortedFinite(y)
	s := Shift{N1: len(xs), N2: len(ys), Confidence: confidence}
	nan := math.NaN()
	if s.N1 == 0 || s.N2 == 0 {
		s.Estimate, s.Lo, s.Hi = nan, nan, nan
		return s
	}
	m := int64(s.N1) * int64(s.N2)
	if m%2 == 1 {
		s.Estimate = kthDiff(xs, ys, (m+1)/2)
	} else {
		s.Estimate = mid(kthDiff(xs, ys, m/2), kthDiff(xs, ys, m/2+1))
	}
	if !(confidence > 0 && confidence < 1) {
		s.Lo, s.Hi = nan, nan
		return s
	}
	k := shiftRank(xs, ys, confidence, factor)
	s.Lo = kthDiff(xs, ys, k)
	s.Hi = kthDiff(xs, ys, m-k+1)
	return s
}

// shiftRank returns the rank k of the lower bound of the interval.
func shiftRank(xs, ys []float64, confidence, factor float64) int64 {
	n1, n2 := len(xs), len(ys)
	m := int64(n1) * int64(n2)
	alpha := 1 - confidence
	var k int64
	if factor == 1 && n1 < ExactLimit && n2 < ExactLimit && !hasTies(xs, ys) {
		cdf := exactCDF(n1, n2)
		k = int64(len(cdf) - 1)
		for q, p := range cdf {
			if p >= alpha/2*(1-1e-12) {
				k = int64(q)
				break
			}
		}
	} else {
		_, tieTerm, _ := rankSumX(xs, ys)
		fn1, fn2 := float64(n1), float64(n2)
		n := fn1 + fn2
		sigma := math.Sqrt(factor * fn1 * fn2 / 12 * ((n + 1) - tieTerm/(n*(n-1))))
		z := NormalQuantile(1 - alpha/2)
		k = int64(math.Floor(fn1*fn2/2 + 0.5 - z*sigma))
	}
	if k < 1 {
		k = 1
	}
	if k > (m+1)/2 {
		k = (m + 1) / 2
	}
	return k
}

// hasTies reports whether the pooled sorted samples share a value.
func hasTies(xs, ys []float64) bool {
	for i := 1; i < len(xs); i++ {
		if xs[i] == xs[i-1] {
			return true
		}
	}
	for i := 1; i < len(ys); i++ {
		if ys[i] == ys[i-1] {
			return true
		}
	}
	i, j := 0, 0
	for i < len(xs) && j < len(ys) {
		switch {
		case xs[i] < ys[j]:
			i++
		case xs[i] > ys[j]:
			j++
		default:
			return true
		}
	}
	return false
}

// countDiffsAtMost returns the number of pairs with xs[i] − ys[j] ≤ t, for
// sorted xs and ys. The computed difference is monotone in each argument
// (rounding is monotone), so for growing i the j that qualify are a suffix
// of ys whose start only moves right.
func countDiffsAtMost(xs, ys []float64, t float64) int64 {
	var count int64
	j := 0
	for _, xv := range xs {
		for j < len(ys) && xv-ys[j] > t {
			j++
		}
		count += int64(len(ys) - j)
	}
	return count
}

// kthDiff returns the k-th smallest (1-based) of the differences
// xs[i] − ys[j]. The count of differences at most t only changes at a
// difference, so the smallest float64 t whose count reaches k is that
// difference; it is found by bisection over the ordered bit patterns of
// float64, 64 steps at most.
func kthDiff(xs, ys []float64, k int64) float64 {
	lo := orderedKey(xs[0] - ys[len(ys)-1])
	hi := orderedKey(xs[len(xs)-1] - ys[0])
	// Invariant: count(fromKey(hi)) ≥ k; the answer is in [lo, hi].
	for lo < hi {
		midKey := lo + (hi-lo)/2
		if countDiffsAtMost(xs, ys, fromOrderedKey(midKey)) >= k {
			hi = midKey
		} else {
			lo = midKey + 1
		}
	}
	v := fromOrderedKey(lo)
	if v == 0 {
		return 0 // never -0
	}
	return v
}

// orderedKey maps a float64 (not NaN) to a uint64 with the same order.
func orderedKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func fromOrderedKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}
