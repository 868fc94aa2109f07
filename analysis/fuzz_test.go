package analysis

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
)

// fuzzValue builds a measured value of the kind a provider returns from
// fuzz bytes: a number, a list of numbers, a string, a boolean, nothing,
// an object, an integer or a mixed list.
func fuzzValue(kind uint8, data []byte) any {
	floats := func() []float64 {
		out := []float64{}
		for b := data; len(b) >= 8; b = b[8:] {
			out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(b)))
		}
		return out
	}
	first := func() float64 {
		if f := floats(); len(f) > 0 {
			return f[0]
		}
		return float64(len(data))
	}
	switch kind % 8 {
	case 0:
		return first()
	case 1:
		return floats()
	case 2:
		return string(data)
	case 3:
		return len(data)%2 == 1
	case 4:
		return nil
	case 5:
		items := []any{}
		for _, f := range floats() {
			items = append(items, map[string]any{"value": f})
		}
		return map[string]any{"data": map[string]any{"ok": len(data) > 0, "items": items}, "status": string(data)}
	case 6:
		return int64(first())
	}
	mixed := []any{string(data), nil, true}
	for _, f := range floats() {
		mixed = append(mixed, f, []any{f})
	}
	return mixed
}

func float64Bytes(fs ...float64) []byte {
	var out []byte
	for _, f := range fs {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(f))
	}
	return out
}

// FuzzCondition compiles any text as a successCondition or
// failureCondition and evaluates it on any measured value. Neither may
// panic (the controller runs them on every measurement); a compile error
// names the expression, as lint and the AnalysisRun's message show it; an
// evaluation gives true or false, or an error with false; and the fast
// path, where it answers, agrees with govaluate.
func FuzzCondition(f *testing.F) {
	nan, inf := math.NaN(), math.Inf(1)
	// The conditions and values of TestConditions, TestFastPathAgrees,
	// TestCompileErrors and TestRewriteAccess.
	for _, seed := range []struct {
		cond string
		kind uint8
		data []byte
	}{
		{"result < 0.05", 0, float64Bytes(0.01)},
		{"result < 0.05", 0, float64Bytes(nan)},
		{"result[0] >= 0.95", 1, float64Bytes(0.97, 0.5)},
		{"len(result) == 0 || result[0] < 0.05", 1, nil},
		{"len(result) > 0 && result[0] < 0.05", 1, nil},
		{"all(result, '<', 0.5)", 1, float64Bytes(0.1, 0.9)},
		{"any(result, '>', 0.5)", 1, float64Bytes(0.1, 0.9)},
		{"isNaN(result)", 0, float64Bytes(nan)},
		{"!isNaN(result) && result < 1", 0, float64Bytes(nan)},
		{"isInf(result)", 0, float64Bytes(inf)},
		{"default(result, 0) < 0.05", 1, nil},
		{"max(result) < 1 && min(result) > 0", 1, float64Bytes(0.2, 0.9)},
		{"avg(result) == 2 && sum(result) == 6", 1, float64Bytes(1, 2, 3)},
		{"result.data.ok", 5, float64Bytes(3)},
		{"result.data.items[0].value > 2", 5, float64Bytes(3)},
		{"result.status == 'green'", 5, []byte("green")},
		{"result == true", 3, []byte{1}},
		{"result > 5", 6, float64Bytes(7)},
		{"result[2] < 1", 1, float64Bytes(0.1)},
		{"result.missing", 5, nil},
		{"result + 1", 0, float64Bytes(1)},
		{"all(result, 'lt', 1)", 1, float64Bytes(1)},
		{"0.05 > result", 0, float64Bytes(-2)},
		{"result != 1", 0, float64Bytes(inf)},
		{"result[1] <= 2", 1, float64Bytes(0.5, 3)},
		{"(result[0] > 1 || result[0] < -1) && len(result) == 1", 1, float64Bytes(-5)},
		{"result + 1 > 2", 2, []byte("text")},
		{"result <", 0, nil},
		{"results < 1", 0, nil},
		{"foo(result)", 0, nil},
		{"result[0", 1, nil},
		{`result["a b"].c`, 5, nil},
		{"result[len(result) - 1] > 1", 1, float64Bytes(2)},
		{"[escaped name] > 1", 0, nil},
		{"'a[0]' == result", 2, []byte("a[0]")},
		{"result in (1, 2)", 0, float64Bytes(2)},
		{"(result)[0]", 7, float64Bytes(1)},
		{"max(result)[0]", 1, float64Bytes(1)},
		{"result)", 0, nil},
		{"'open", 0, nil},
	} {
		f.Add(seed.cond, seed.kind, seed.data)
	}

	f.Fuzz(func(t *testing.T, source string, kind uint8, data []byte) {
		if len(source) > 1024 || len(data) > 256 {
			// Real conditions and values are short; long inputs only
			// slow the fuzzer down (and its minimizing of what it finds).
			return
		}
		// compile, not CompileCondition: the cache would keep every
		// input of a long fuzzing run.
		c, err := compile(source)
		if err != nil {
			if quoted := fmt.Sprintf("%q", source); !strings.Contains(err.Error(), quoted) {
				t.Fatalf("the error %q does not name the condition %s", err, quoted)
			}
			return
		}
		if c.Source != source {
			t.Fatalf("compiled %q as %q", source, c.Source)
		}
		value := Prepare(fuzzValue(kind, data))
		got, err := c.Evaluate(value)
		if err != nil {
			if got {
				t.Fatalf("%s on %v: true together with the error %v", source, value.v, err)
			}
			if err.Error() == "" {
				t.Fatalf("%s on %v: an empty error", source, value.v)
			}
		}
		if c.fast == nil {
			return
		}
		slow := &Condition{Source: c.Source, expr: c.expr}
		want, slowErr := slow.Evaluate(value)
		if got != want || (err == nil) != (slowErr == nil) {
			t.Fatalf("%s on %v: the fast path gives %v (error %v), govaluate %v (error %v)", source, value.v, got, err, want, slowErr)
		}
	})
}
