package classify

import (
	"strings"
	"testing"
)

func res(name string, c Classification, weight float64, critical bool) Result {
	return Result{Name: name, Classification: c, Weight: weight, Critical: critical}
}

func TestScore(t *testing.T) {
	th := DefaultThresholds()
	for _, c := range []struct {
		name    string
		results []Result
		score   float64
		phase   Phase
		reason  string
	}{
		{"all pass", []Result{res("a", Pass, 1, false), res("b", Pass, 2, false)}, 100, PhasePass, "2 of 2"},
		{"one of ten fails", append(repeat(res("p", Pass, 1, false), 9), res("f", High, 1, false)), 90, PhaseMarginal, "failing: f (High)"},
		{"weights", []Result{res("a", Pass, 3, false), res("b", Low, 1, false)}, 75, PhaseMarginal, ""},
		{"fail", []Result{res("a", Pass, 1, false), res("b", High, 1, false)}, 50, PhaseFail, "score 50"},
		{"no data left out", []Result{res("a", Pass, 1, false), res("b", NoData, 1, false)}, 100, PhasePass, "no data: b"},
		{"zero weight left out", []Result{res("a", Pass, 1, false), res("b", High, 0, false)}, 100, PhasePass, "failing: b (High)"},
		{"critical fails", append(repeat(res("p", Pass, 1, false), 30), res("errors", High, 1, true)), 100 * 30.0 / 31, PhaseFail, "critical metric errors failed"},
		{"critical zero weight still fails", []Result{res("a", Pass, 1, false), res("c", Low, 0, true)}, 100, PhaseFail, "critical"},
		{"critical no data", []Result{res("a", Pass, 1, false), res("c", NoData, 1, true)}, 100, PhaseMarginal, "critical metric c had no data"},
		{"nothing judged", []Result{res("a", NoData, 1, false)}, 0, PhaseMarginal, "no metric could be judged"},
		{"empty", nil, 0, PhaseMarginal, "no metric"},
	} {
		v := Score(c.results, th)
		if v.Phase != c.phase || v.Score != c.score || !strings.Contains(v.Reason, c.reason) {
			t.Errorf("%s: got %v %v %q, want %v %v %q", c.name, v.Score, v.Phase, v.Reason, c.score, c.phase, c.reason)
		}
	}
	// Thresholds: marginal is capped at pass.
	v := Score([]Result{res("a", Pass, 4, false), res("b", High, 1, false)}, Thresholds{Pass: 70, Marginal: 90})
	if v.Phase != PhasePass {
		t.Errorf("%+v", v)
	}
	v = Score([]Result{res("a", Pass, 4, false), res("b", High, 1, false)}, Thresholds{Pass: 90, Marginal: 90})
	if v.Phase != PhaseFail {
		t.Errorf("%+v", v)
	}
}

func repeat(r Result, n int) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = r
		out[i].Name = r.Name + string(rune('a'+i%26))
	}
	return out
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{num(130.4), "130"}, {num(0.012345), "0.0123"}, {num(1.5), "1.5"}, {num(2), "2"},
		{num(1234567), "1.23e+06"}, {num(0.00001234), "1.23e-05"}, {num(-0.0001), "-0.0001"},
		{signed(30), "+30"}, {signed(-2.5), "-2.5"}, {signed(0), "0"},
		{pct(0.3), "+30%"}, {pct(-0.052), "-5.2%"}, {pct(0.0004), "+0.04%"}, {pct(0), "0%"},
		{pctAbs(0.1), "10%"}, {ratioPct(0.0003), "0.03%"}, {ratioPct(0.012), "1.2%"},
		{probPct(0.96686), "96.7%"}, {probPct(0.99999), ">99.9%"}, {probPct(0.95), "95%"},
		{pval(0.0004), "p < 0.001"}, {pval(0.0234), "p = 0.023"}, {pval(1), "p = 1"},
		{count(10000), "10,000"}, {count(999), "999"}, {count(1234567), "1,234,567"}, {count(-1000), "-1,000"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
