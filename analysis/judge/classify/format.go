package classify

import (
	"math"
	"strconv"
	"strings"
)

// num formats a number with about three significant digits, without an
// exponent between 0.001 and a million.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	if a < 1e-3 || a >= 1e6 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	decimals := max(0, 2-int(math.Floor(math.Log10(a))))
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// signed formats a number with its sign.
func signed(v float64) string {
	s := num(v)
	if v > 0 && !strings.HasPrefix(s, "+") {
		return "+" + s
	}
	return s
}

// pct formats a relative change as a signed percentage.
func pct(rel float64) string {
	return signedPct(rel * 100)
}

func signedPct(p float64) string {
	s := percentDigits(math.Abs(p))
	switch {
	case s == "0":
		return "0%"
	case p < 0:
		return "-" + s + "%"
	}
	return "+" + s + "%"
}

// pctAbs formats a positive fraction as a percentage: 0.1 is "10%".
func pctAbs(f float64) string {
	return percentDigits(math.Abs(f*100)) + "%"
}

func percentDigits(a float64) string {
	switch {
	case math.IsInf(a, 0):
		return "Inf"
	case a >= 10:
		return strconv.FormatFloat(a, 'f', 0, 64)
	case a >= 0.1:
		return strings.TrimSuffix(strconv.FormatFloat(a, 'f', 1, 64), ".0")
	case a == 0:
		return "0"
	}
	return strconv.FormatFloat(a, 'g', 1, 64)
}

// ratioPct formats an error ratio as a percentage with two significant
// digits: 0.0003 is "0.03%".
func ratioPct(r float64) string {
	if r == 0 {
		return "0%"
	}
	return strconv.FormatFloat(r*100, 'g', 2, 64) + "%"
}

// probPct formats a probability as a percentage: 0.9668 is "96.7%", never
// rounding up to 100% or down to 0%.
func probPct(p float64) string {
	switch {
	case math.IsNaN(p):
		return "NaN"
	case p >= 0.9995 && p < 1:
		return ">99.9%"
	case p > 0 && p < 0.0005:
		return "<0.1%"
	}
	return strings.TrimSuffix(strconv.FormatFloat(p*100, 'f', 1, 64), ".0") + "%"
}

// pval formats a p-value: "p < 0.001" or "p = 0.023".
func pval(p float64) string {
	switch {
	case math.IsNaN(p):
		return "p = NaN"
	case p < 0.001:
		return "p < 0.001"
	}
	return "p = " + strconv.FormatFloat(p, 'g', 2, 64)
}

// levelPct formats a test's level as a percentage: 0.005 is "0.5%".
func levelPct(alpha float64) string {
	return strconv.FormatFloat(alpha*100, 'g', 3, 64) + "%"
}

// confidence formats an interval's coverage: "95%".
func confidence(c float64) string {
	return pctAbs(c)
}

// count formats a whole number with thousands separators: 10,000.
func count(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e15 {
		return num(v)
	}
	s := strconv.FormatFloat(math.Round(math.Abs(v)), 'f', 0, 64)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
