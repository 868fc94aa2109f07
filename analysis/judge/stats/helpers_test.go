package stats

import (
	"math"
	"slices"
	"testing"
)

// near fails the test unless got is within tol of want, relatively for
// large values and absolutely for small ones.
func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("%s = %v, want NaN", name, got)
		}
		return
	}
	if got == want {
		return
	}
	if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) || math.IsNaN(got) {
		t.Errorf("%s = %.12g, want %.12g (±%g)", name, got, want, tol)
	}
}

// inUnit reports whether p is a probability.
func inUnit(p float64) bool { return p >= 0 && p <= 1 }

// sortedDiffs materializes and sorts all differences x_i − y_j.
func sortedDiffs(x, y []float64) []float64 {
	d := make([]float64, 0, len(x)*len(y))
	for _, a := range x {
		for _, b := range y {
			d = append(d, a-b)
		}
	}
	slices.Sort(d)
	return d
}
