package analysis

import (
	"math"
	"strings"
	"testing"
)

func TestRewriteAccess(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"result < 0.05", "result < 0.05"},
		{"result[0] < 0.05", "get(result, 0) < 0.05"},
		{"result[0][1] > 2", "get(result, 0, 1) > 2"},
		{"result.data.ok == true", `get(result, "data", "ok") == true`},
		{`result["a b"].c`, `get(result, "a b", "c")`},
		{"len(result) == 0 || result[0] < 0.05", "len(result) == 0 || get(result, 0) < 0.05"},
		{"max(result)[0]", "get(max(result), 0)"},
		{"result[len(result) - 1] > 1", "get(result, len(result) - 1) > 1"},
		{"[escaped name] > 1", "[escaped name] > 1"},
		{"'a[0]' == result", "'a[0]' == result"},
		{"result in (1, 2)", "result in (1, 2)"},
		{"(result)[0]", "get((result), 0)"},
	} {
		got, err := rewriteAccess(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"result[0", "result)", "(result", "'open"} {
		if _, err := rewriteAccess(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestConditions(t *testing.T) {
	obj := map[string]any{"data": map[string]any{"ok": true, "items": []any{map[string]any{"value": 3.0}}}, "status": "green"}
	for _, tc := range []struct {
		cond  string
		value any
		want  bool
		err   string
	}{
		{"result < 0.05", 0.01, true, ""},
		{"result < 0.05", 0.2, false, ""},
		{"result[0] >= 0.95", []float64{0.97, 0.5}, true, ""},
		{"len(result) == 0 || result[0] < 0.05", []float64{}, true, ""},
		{"len(result) > 0 && result[0] < 0.05", []float64{}, false, ""},
		{"all(result, '<', 0.5)", []float64{0.1, 0.2}, true, ""},
		{"all(result, '<', 0.5)", []float64{0.1, 0.9}, false, ""},
		{"all(result, '<', 0.5)", []float64{}, true, ""},
		{"any(result, '>', 0.5)", []float64{0.1, 0.9}, true, ""},
		{"any(result, '>', 0.5)", []float64{}, false, ""},
		{"isNaN(result)", math.NaN(), true, ""},
		{"!isNaN(result) && result < 1", math.NaN(), false, ""},
		{"isInf(result)", math.Inf(1), true, ""},
		{"default(result, 0) < 0.05", []float64{}, true, ""},
		{"default(result, 0) < 0.05", math.NaN(), true, ""},
		{"default(result, 0) < 0.05", []float64{0.2}, false, ""},
		{"max(result) < 1 && min(result) > 0", []float64{0.2, 0.9}, true, ""},
		{"avg(result) == 2 && sum(result) == 6", []float64{1, 2, 3}, true, ""},
		{"result.data.ok", obj, true, ""},
		{"result.data.items[0].value > 2", obj, true, ""},
		{"result.status == 'green'", obj, true, ""},
		{"result == true", true, true, ""},
		{"result > 5", 7, true, ""},
		// Errors a person can act on.
		{"result[2] < 1", []float64{0.1}, false, "index 2 is out of range: the list has 1 values"},
		{"result.missing", obj, false, `no field "missing"`},
		{"result + 1", 1.0, false, "not true or false"},
		{"all(result, 'lt', 1)", []float64{1}, false, `unknown comparison "lt"`},
	} {
		c, err := CompileCondition(tc.cond)
		if err != nil {
			t.Errorf("%s: %v", tc.cond, err)
			continue
		}
		got, err := c.Evaluate(Prepare(tc.value))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s on %v: error %v, want %q", tc.cond, tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s on %v: %v", tc.cond, tc.value, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s on %v = %v, want %v", tc.cond, tc.value, got, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct{ cond, want string }{
		{"result <", `cannot parse "result <"`},
		{"results < 1", `cannot use "results" in "results < 1": a condition can only refer to result`},
		{"foo(result)", `cannot parse "foo(result)"`},
		{"result[0", `cannot parse "result[0"`},
	} {
		_, err := CompileCondition(tc.cond)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.cond, err, tc.want)
		}
	}
}

func TestCompileIsCached(t *testing.T) {
	a, err := CompileCondition("result[0] < 0.123")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := CompileCondition("result[0] < 0.123")
	if a != b {
		t.Error("the same condition was parsed twice")
	}
}

// BenchmarkEvaluate measures one condition evaluation on a prepared value,
// as the engine does per measurement.
func BenchmarkEvaluate(b *testing.B) {
	for _, bc := range []struct {
		name, cond string
		value      any
	}{
		{"scalar", "result < 0.05", 0.01},
		{"index", "result[0] < 0.05", []float64{0.01}},
		{"empty-safe", "len(result) == 0 || result[0] < 0.05", []float64{0.01}},
		{"all", "all(result, '<', 0.05)", []float64{0.01, 0.02, 0.03}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := CompileCondition(bc.cond)
			if err != nil {
				b.Fatal(err)
			}
			v := Prepare(bc.value)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Evaluate(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFastPathAgrees checks the fast path against govaluate on every
// condition it takes and a spread of values, including NaN, empty lists and
// values it must hand over to govaluate.
func TestFastPathAgrees(t *testing.T) {
	conds := []string{
		"result < 0.05", "result >= 0.05", "0.05 > result", "result == 1", "result != 1",
		"result[0] < 0.05", "result[1] <= 2", "len(result) == 0 || result[0] < 0.05",
		"len(result) > 0 && result[0] < 0.05", "(result[0] > 1 || result[0] < -1) && len(result) == 1",
	}
	values := []any{0.01, 0.5, 1.0, -2.0, math.NaN(), math.Inf(1), []float64{}, []float64{0.01}, []float64{0.5, 3}, []float64{-5}, "text"}
	for _, cond := range conds {
		c, err := CompileCondition(cond)
		if err != nil {
			t.Fatal(err)
		}
		if c.fast == nil {
			t.Errorf("%s: no fast path", cond)
			continue
		}
		slow := &Condition{Source: c.Source, expr: c.expr}
		for _, v := range values {
			p := Prepare(v)
			fr, ferr := c.Evaluate(p)
			sr, serr := slow.Evaluate(p)
			if fr != sr || (ferr == nil) != (serr == nil) {
				t.Errorf("%s on %v: fast path %v/%v, govaluate %v/%v", cond, v, fr, ferr, sr, serr)
			}
		}
	}
	for _, cond := range []string{"all(result, '<', 1)", "isNaN(result)", "result.data.ok", "result + 1 > 2"} {
		c, err := CompileCondition(cond)
		if err != nil {
			t.Fatal(err)
		}
		if c.fast != nil {
			t.Errorf("%s: took the fast path, which does not support it", cond)
		}
	}
}
