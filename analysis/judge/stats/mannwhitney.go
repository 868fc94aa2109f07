package stats

import (
	"math"
	"slices"
	"sync"
)

// ExactLimit is the sample size below which [MannWhitneyU] and
// [HodgesLehmann] use the exact null distribution of U: both samples must
// have fewer than ExactLimit values and the pooled sample no ties (the same
// rule as R's wilcox.test).
const ExactLimit = 50

// MannWhitney is the result of a Mann-Whitney U (Wilcoxon rank-sum) test.
type MannWhitney struct {
	// U is the number of pairs (x_i, y_j) with x_i > y_j, ties counting
	// one half.
	U float64
	// Z is the normal score of U with the tie correction and a continuity
	// correction of one half towards the mean; positive when x tends to be
	// larger.
	Z float64
	// P is the two-sided p-value.
	P float64
	// PGreater is the one-sided p-value for the alternative that x tends
	// to be larger than y: P(U ≥ observed U) under the null hypothesis.
	PGreater float64
	// PLess is the one-sided p-value for the alternative that x tends to
	// be smaller than y: P(U ≤ observed U).
	PLess float64
	// N1 and N2 are the numbers of finite values in x and y.
	N1, N2 int
	// Exact says the p-values come from the exact distribution of U rather
	// than the normal approximation.
	Exact bool
	// Ties says the pooled sample has tied values.
	Ties bool
	// Sigma is the standard deviation of U under the null hypothesis, with
	// the tie correction (0 when all values are equal).
	Sigma float64
}

// MannWhitneyU tests whether the values of x tend to be larger or smaller
// than those of y. Values are ranked together with midranks for ties. The
// p-values are exact when both samples have fewer than [ExactLimit] values
// and there are no ties; otherwise they use the normal approximation with
// the tie-corrected variance
//
//	σ² = n1·n2/12 · ((n+1) − Σ(t³−t)/(n(n−1)))
//
// and a continuity correction of 0.5. The two-sided p-value is twice the
// smaller one-sided one, at most 1.
//
// When either sample has no finite value every field but N1 and N2 is NaN.
// When all values are equal, U is n1·n2/2, Z is 0 and every p-value is 1.
func MannWhitneyU(x, y []float64) MannWhitney {
	x, y = Finite(x), Finite(y)
	r := MannWhitney{N1: len(x), N2: len(y)}
	if r.N1 == 0 || r.N2 == 0 {
		nan := math.NaN()
		r.U, r.Z, r.P, r.PGreater, r.PLess = nan, nan, nan, nan, nan
		return r
	}
	rankSum, tieTerm, ties := rankSumX(x, y)
	n1, n2 := float64(r.N1), float64(r.N2)
	n := n1 + n2
	r.U = rankSum - n1*(n1+1)/2
	r.Ties = ties
	mu := n1 * n2 / 2
	variance := n1 * n2 / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	if !(variance > 0) {
		r.Z, r.P, r.PGreater, r.PLess = 0, 1, 1, 1
		return r
	}
	sigma := math.Sqrt(variance)
	r.Sigma = sigma
	d := r.U - mu
	r.Z = math.Copysign(math.Max(math.Abs(d)-0.5, 0), d) / sigma
	if r.Z == 0 {
		r.Z = 0 // never -0
	}
	if !ties && r.N1 < ExactLimit && r.N2 < ExactLimit {
		cdf := exactCDF(r.N1, r.N2)
		u := int(math.Round(r.U))
		r.PLess = cdf[u]
		// By symmetry P(U ≥ u) = P(U ≤ n1n2 − u).
		r.PGreater = cdf[r.N1*r.N2-u]
		r.Exact = true
	} else {
		r.PGreater = NormalCDF(-(d - 0.5) / sigma)
		r.PLess = NormalCDF((d + 0.5) / sigma)
	}
	r.P = math.Min(1, 2*math.Min(r.PGreater, r.PLess))
	return r
}

// rankSumX ranks x and y together and returns the sum of the ranks of x
// (midranks for ties), Σ(t³−t) over the groups of ties, and whether there
// are ties.
func rankSumX(x, y []float64) (rankSum, tieTerm float64, ties bool) {
	type obs struct {
		v     float64
		fromX bool
	}
	all := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		t := float64(j - i)
		rank := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if all[k].fromX {
				rankSum += rank
			}
		}
		if j-i > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		i = j
	}
	return rankSum, tieTerm, ties
}

var exactCache = struct {
	sync.Mutex
	cdf map[[2]int][]float64
}{cdf: map[[2]int][]float64{}}

// exactCDF returns cdf[u] = P(U ≤ u), u = 0..n1·n2, for the Mann-Whitney U
// of samples of sizes n1 and n2 without ties. The counts of arrangements
// follow c(m, n; u) = c(m−1, n; u−n) + c(m, n−1; u) (the largest value is
// from the first sample and beats all n of the second, or it is from the
// second); only additions, so no precision is lost. The results are cached.
func exactCDF(n1, n2 int) []float64 {
	key := [2]int{n1, n2}
	exactCache.Lock()
	cdf, ok := exactCache.cdf[key]
	exactCache.Unlock()
	if ok {
		return cdf
	}
	// prev[m] holds c(m, j−1; ·), cur[m] holds c(m, j; ·).
	prev := make([][]float64, n1+1)
	for j := 0; j <= n2; j++ {
		cur := make([][]float64, n1+1)
		for m := 0; m <= n1; m++ {
			c := make([]float64, m*j+1)
			if m == 0 || j == 0 {
				c[0] = 1
			} else {
				for u, v := range cur[m-1] {
					c[u+j] += v
				}
				for u, v := range prev[m] {
					c[u] += v
				}
			}
			cur[m] = c
		}
		prev = cur
	}
	counts := prev[n1]
	total := 0.0
	for _, v := range counts {
		total += v
	}
	cdf = make([]float64, len(counts))
	acc := 0.0
	for u, v := range counts {
		acc += v
		cdf[u] = math.Min(1, acc/total)
	}
	exactCache.Lock()
	if len(exactCache.cdf) < 256 {
		exactCache.cdf[key] = cdf
	}
	exactCache.Unlock()
	return cdf
}

// Inflate returns the test with the variance of U multiplied by factor, for
// samples that carry less information than their number, such as
// positively autocorrelated series (for an AR(1) series with lag-1
// correlation ρ the factor is about (1+ρ)/(1−ρ)). The p-values then come
// from the normal approximation with standard deviation Sigma·√factor and
// the continuity correction; U is unchanged. A factor of 1 or less, NaN, or
// a test without p-values returns r as it is.
func (r MannWhitney) Inflate(factor float64) MannWhitney {
	if !(factor > 1) || !(r.Sigma > 0) || math.IsInf(factor, 1) {
		return r
	}
	sigma := r.Sigma * math.Sqrt(factor)
	d := r.U - float64(r.N1)*float64(r.N2)/2
	r.Sigma = sigma
	r.Exact = false
	r.Z = math.Copysign(math.Max(math.Abs(d)-0.5, 0), d) / sigma
	if r.Z == 0 {
		r.Z = 0
	}
	r.PGreater = NormalCDF(-(d - 0.5) / sigma)
	r.PLess = NormalCDF((d + 0.5) / sigma)
	r.P = math.Min(1, 2*math.Min(r.PGreater, r.PLess))
	return r
}

// Autocorrelation returns the lag-k autocorrelation of the finite values of
// x taken in order,
//
//	Σ (x_t − x̄)(x_{t+k} − x̄) / Σ (x_t − x̄)²,
//
// or NaN when there are no more than k+1 values or they are all equal.
func Autocorrelation(x []float64, lag int) float64 {
	v := Finite(x)
	n := len(v)
	if lag < 0 || n <= lag+1 {
		return math.NaN()
	}
	sum, sumSq := 0.0, 0.0
	for _, a := range v {
		sum += a
		sumSq += a * a
	}
	mean := sum / float64(n)
	num, den := 0.0, 0.0
	for t, a := range v {
		d := a - mean
		den += d * d
		if t+lag < n {
			num += d * (v[t+lag] - mean)
		}
	}
	// Equal values, up to rounding, have no autocorrelation.
	if !(den > 1e-24*sumSq) || math.IsInf(den, 0) {
		return math.NaN()
	}
	return math.Max(-1, math.Min(1, num/den))
}
