package convert

import (
	"math"
	"strings"
	"testing"

	"github.com/rampdev/ramp/analysis"
)

// TestConditionRewrite rewrites Argo Rollouts conditions and checks both
// the text and what Ramp's evaluator then decides on sample values.
func TestConditionRewrite(t *testing.T) {
	obj := map[string]any{"status": "ok", "data": map[string]any{"ready": true, "version": "v2.1.0"}, "load": 0.5}
	for _, tc := range []struct {
		argo, ramp string
		// value is measured; want is the condition's result on it.
		value any
		want  bool
	}{
		{"result[0] >= 0.95", "result[0] >= 0.95", []float64{0.97}, true},
		{"len(result) == 0 or result[0] < 0.05", "len(result) == 0 || result[0] < 0.05", []float64{}, true},
		{"result > 1 and not isNaN(result)", "result > 1 && !isNaN(result)", 2.0, true},
		{"not (result > 1)", "!(result > 1)", 2.0, false},
		{"all(result, {# < 0.5})", "all(result, '<', 0.5)", []float64{0.1, 0.4}, true},
		{"all(result, # < 0.5)", "all(result, '<', 0.5)", []float64{0.1, 0.6}, false},
		{"any(result, {0.9 <= #})", "any(result, '>=', 0.9)", []float64{0.1, 0.95}, true},
		{"none(result, {# > 100})", "!any(result, '>', 100)", []float64{5, 7}, true},
		{"mean(result) < 2", "avg(result) < 2", []float64{1, 2}, true},
		{"max(result) <= 3 && min(result) >= 1", "max(result) <= 3 && min(result) >= 1", []float64{1, 3}, true},
		{"default(result, 0) < 5", "default(result, 0) < 5", []float64{}, true},
		{"result in [200, 204]", "result in (200, 204)", 204.0, true},
		{"result ^ 2 == 9", "result ** 2 == 9", 3.0, true},
		{"result < 1e3", "result < 1000", 999.0, true},
		{"result < 1_000 && result > .5", "result < 1000 && result > 0.5", 1.0, true},
		{"result.status == 'ok'", "result.status == 'ok'", obj, true},
		{`result.data.version startsWith "v2."`, `result.data.version =~ '^v2\\.'`, obj, true},
		{`result.data.version endsWith '.0'`, `result.data.version =~ '\\.0$'`, obj, true},
		{`result.status contains "k"`, `result.status =~ 'k'`, obj, true},
		{`result.status matches "^o"`, `result.status =~ "^o"`, obj, true},
		{"result.data.ready == true", "result.data.ready == true", obj, true},
		{"asFloat(result.load) < 0.8", "(result.load) < 0.8", obj, true},
		{"result > 1 ? true : false", "result > 1 ? true : false", 2.0, true},
		{"isNaN(result)", "isNaN(result)", math.NaN(), true},
	} {
		r := &rewriter{}
		toks, err := tokenize(tc.argo)
		if err != nil {
			t.Errorf("%s: %v", tc.argo, err)
			continue
		}
		got, err := r.expr(toks)
		if err != nil {
			t.Errorf("%s: %v", tc.argo, err)
			continue
		}
		if got != tc.ramp {
			t.Errorf("%s → %s, want %s", tc.argo, got, tc.ramp)
		}
		cond, err := analysis.CompileCondition(got)
		if err != nil {
			t.Errorf("%s: Ramp cannot parse %s: %v", tc.argo, got, err)
			continue
		}
		ok, err := cond.Evaluate(analysis.Prepare(tc.value))
		if err != nil || ok != tc.want {
			t.Errorf("%s on %v = %v (%v), want %v", got, tc.value, ok, err, tc.want)
		}
	}
}

// TestConditionErrors checks that a condition Ramp cannot express fails
// with a message that says what to change.
func TestConditionErrors(t *testing.T) {
	for _, tc := range []struct{ argo, err string }{
		{"len(filter(result, {# > 1})) == 0", "there is no function filter"},
		{"result not in [1, 2]", `there is no "not in": write !(value in (a, b))`},
		{"result == nil", "there is no nil"},
		{"all(result, {# > 1 && # < 5})", "all can be rewritten only with a predicate that compares # with a value"},
		{"max(result, 1) > 0", "max takes 1 argument(s), not 2"},
		{"result.status startsWith prefix", "startsWith can be rewritten only when a quoted string follows it"},
		{"result[0 > 1", `"[" is not closed`},
		{"result?.a > 1", `there is no "?."`},
		{"'open", "string at position 0 is not closed"},
		{"threshold > result", `cannot use "threshold"`},
	} {
		c := &converter{file: "t.yaml", tree: &tree{fields: map[string]nodePair{}}}
		c.condition(path{"successCondition"}, tc.argo, nil)
		if len(c.diags) != 1 || c.diags[0].Severity != Error || !strings.Contains(c.diags[0].Message, tc.err) {
			t.Errorf("%s: diagnostics %v, want one error containing %q", tc.argo, c.diags, tc.err)
		}
	}
}
