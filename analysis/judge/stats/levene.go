package stats

import "math"

// Levene is the result of a test of equal spread across groups.
type Levene struct {
	// F is the test statistic.
	F float64
	// P is the p-value: P(F(DF1, DF2) > F).
	P float64
	// DF1 and DF2 are the degrees of freedom: groups − 1 and values −
	// groups.
	DF1, DF2 int
}

// BrownForsythe tests whether the groups have the same spread: Levene's test
// with each group centered on its median (the Brown-Forsythe variant, robust
// to skewed and heavy-tailed data; scipy.stats.levene's default). It is the
// one-way ANOVA F test on the absolute deviations z_ij = |x_ij − median_i|:
//
//	F = (N−k)/(k−1) · Σ n_i (z̄_i − z̄)² / Σ Σ (z_ij − z̄_i)²
//
// with N values in k groups, and P(F(k−1, N−k) > F) as the p-value.
//
// Non-finite values are ignored and groups left empty are dropped. F and P
// are NaN unless at least two groups remain and N > k. When the groups'
// mean deviations are all equal F is 0 and P is 1; when they differ but
// every deviation equals its group's mean, F is +Inf and P is 0. The test is
// invariant to the scale of the data, which is normalized first when values
// are so large or small that deviations could overflow or underflow.
func BrownForsythe(groups ...[]float64) Levene {
	var gs [][]float64
	maxAbs := 0.0
	for _, g := range groups {
		s := sortedFinite(g)
		if len(s) == 0 {
			continue
		}
		gs = append(gs, s)
		maxAbs = math.Max(maxAbs, math.Max(math.Abs(s[0]), math.Abs(s[len(s)-1])))
	}
	k := len(gs)
	total := 0
	for _, g := range gs {
		total += len(g)
	}
	r := Levene{DF1: k - 1, DF2: total - k}
	if k < 2 || total <= k {
		r.F, r.P = math.NaN(), math.NaN()
		return r
	}
	scale := 1.0
	if maxAbs > 1e100 || (maxAbs > 0 && maxAbs < 1e-100) {
		scale = maxAbs
	}
	dev := make([][]float64, k)
	means := make([]float64, k)
	grand := 0.0
	for i, g := range gs {
		m := medianSorted(g) / scale
		dev[i] = make([]float64, len(g))
		sum := 0.0
		for j, v := range g {
			dev[i][j] = math.Abs(v/scale - m)
			sum += dev[i][j]
		}
		means[i] = sum / float64(len(g))
		grand += sum
	}
	grand /= float64(total)
	between, within := 0.0, 0.0
	for i, d := range dev {
		e := means[i] - grand
		between += float64(len(d)) * e * e
		for _, v := range d {
			w := v - means[i]
			within += w * w
		}
	}
	// Equal group means up to rounding count as equal.
	if between <= 1e-28*grand*grand*float64(total) || between == 0 {
		r.F, r.P = 0, 1
		return r
	}
	if within == 0 {
		r.F, r.P = math.Inf(1), 0
		return r
	}
	r.F = float64(r.DF2) / float64(r.DF1) * between / within
	r.P = FSurvival(r.F, float64(r.DF1), float64(r.DF2))
	return r
}
