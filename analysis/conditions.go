package analysis

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/Knetic/govaluate"
)

// Condition is a successCondition or failureCondition, parsed once.
type Condition struct {
	// Source is the expression as written.
	Source string
	expr   *govaluate.EvaluableExpression
	fast   fastNode
}

// conditionCache holds parsed conditions by their source text, so a
// template's conditions are parsed once, not on every measurement.
var conditionCache sync.Map // string → *Condition or error

// CompileCondition parses a condition, or returns the one parsed before
// from the same text. The error says what is wrong with the expression.
func CompileCondition(source string) (*Condition, error) {
	if v, ok := conditionCache.Load(source); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*Condition), nil
	}
	c, err := compile(source)
	if err != nil {
		conditionCache.Store(source, err)
		return nil, err
	}
	conditionCache.Store(source, c)
	return c, nil
}

func compile(source string) (*Condition, error) {
	rewritten, err := rewriteAccess(source)
	if err != nil {
		return nil, fmt.Errorf("cannot parse %q: %w", source, err)
	}
	expr, err := govaluate.NewEvaluableExpressionWithFunctions(rewritten, conditionFunctions)
	if err != nil {
		return nil, fmt.Errorf("cannot parse %q: %w", source, err)
	}
	for _, v := range expr.Vars() {
		if v != "result" {
			return nil, fmt.Errorf("cannot use %q in %q: a condition can only refer to result", v, source)
		}
	}
	return &Condition{Source: source, expr: expr, fast: parseFast(rewritten)}, nil
}

// resultParameters gives a condition its one variable, result.
type resultParameters struct{ value any }

func (p resultParameters) Get(name string) (any, error) {
	if name == "result" {
		return p.value, nil
	}
	return nil, fmt.Errorf("unknown name %q: a condition can only refer to result", name)
}

// Evaluate runs the condition on a measured value (see Prepare). A
// condition must give a boolean.
func (c *Condition) Evaluate(value Prepared) (bool, error) {
	if c.fast != nil {
		if r, ok := c.fast.eval(value.v); ok {
			return r, nil
		}
	}
	out, err := c.expr.Eval(resultParameters{value: value.v})
	if err != nil {
		return false, fmt.Errorf("%s: %w", c.Source, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%s gives %v, not true or false", c.Source, out)
	}
	return b, nil
}

// Prepared is a measured value in the form conditions read: numbers as
// float64, lists as list, so that evaluating several conditions on one
// measurement converts it once.
type Prepared struct{ v any }

// list is a list value. It is its own type because govaluate spreads a
// plain []any given to a function into several arguments.
type list []any

// Prepare converts a provider's value for the conditions.
func Prepare(value any) Prepared {
	return Prepared{prepare(value)}
}

func prepare(value any) any {
	switch v := value.(type) {
	case []float64:
		out := make(list, len(v))
		for i, f := range v {
			out[i] = f
		}
		return out
	case []any:
		out := make(list, len(v))
		for i, e := range v {
			out[i] = prepare(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = prepare(e)
		}
		return out
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case float32:
		return float64(v)
	}
	return value
}

// conditionFunctions are the functions a condition may call.
var conditionFunctions = map[string]govaluate.ExpressionFunction{
	"get":     fnGet,
	"len":     fnLen,
	"isNaN":   fnIsNaN,
	"isInf":   fnIsInf,
	"all":     fnAll,
	"any":     fnAny,
	"default": fnDefault,
	"min":     fnMin,
	"max":     fnMax,
	"sum":     fnSum,
	"avg":     fnAvg,
}

// fnGet reads a path of indexes and keys: get(result, 0), get(result, "a").
func fnGet(args ...any) (any, error) {
	if len(args) < 2 {
		return nil, errors.New("get needs a value and at least one index or key")
	}
	cur := args[0]
	for _, key := range args[1:] {
		switch c := cur.(type) {
		case list:
			i, ok := key.(float64)
			if !ok || i != math.Trunc(i) {
				return nil, fmt.Errorf("index %v of a list is not a whole number", key)
			}
			if i < 0 || int(i) >= len(c) {
				return nil, fmt.Errorf("index %v is out of range: the list has %d values", i, len(c))
			}
			cur = c[int(i)]
		case map[string]any:
			k, ok := key.(string)
			if !ok {
				return nil, fmt.Errorf("key %v of an object is not a string", key)
			}
			v, found := c[k]
			if !found {
				return nil, fmt.Errorf("no field %q", k)
			}
			cur = v
		case nil:
			return nil, fmt.Errorf("cannot read %v of an empty value", key)
		default:
			return nil, fmt.Errorf("cannot read %v of %v: not a list or an object", key, cur)
		}
	}
	return cur, nil
}

// fnLen is the number of values of a list, fields of an object or bytes of
// a string; 0 for an empty value.
func fnLen(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("len takes one value")
	}
	switch v := args[0].(type) {
	case list:
		return float64(len(v)), nil
	case map[string]any:
		return float64(len(v)), nil
	case string:
		return float64(len(v)), nil
	case nil:
		return 0.0, nil
	}
	return nil, fmt.Errorf("len of %v: not a list, an object or a string", args[0])
}

func number(fn string, v any) (float64, error) {
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("%s of %v: not a number", fn, v)
	}
	return f, nil
}

func fnIsNaN(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("isNaN takes one value")
	}
	f, err := number("isNaN", args[0])
	if err != nil {
		return nil, err
	}
	return math.IsNaN(f), nil
}

func fnIsInf(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("isInf takes one value")
	}
	f, err := number("isInf", args[0])
	if err != nil {
		return nil, err
	}
	return math.IsInf(f, 0), nil
}

// compare applies a comparison operator given as a string.
func compare(op string, a, b float64) (bool, error) {
	switch op {
	case "<":
		return a < b, nil
	case "<=":
		return a <= b, nil
	case ">":
		return a > b, nil
	case ">=":
		return a >= b, nil
	case "==":
		return a == b, nil
	case "!=":
		return a != b, nil
	}
	return false, fmt.Errorf("unknown comparison %q: use one of < <= > >= == !=", op)
}

// quantified evaluates all(list, op, x) and any(list, op, x).
func quantified(name string, wantAll bool, args []any) (any, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("%s takes a list, a comparison such as '<', and a number", name)
	}
	op, ok := args[1].(string)
	if !ok {
		return nil, fmt.Errorf("%s: the comparison must be a string such as '<'", name)
	}
	x, err := number(name, args[2])
	if err != nil {
		return nil, err
	}
	list, err := asList(name, args[0])
	if err != nil {
		return nil, err
	}
	for _, v := range list {
		f, err := number(name, v)
		if err != nil {
			return nil, err
		}
		ok, err := compare(op, f, x)
		if err != nil {
			return nil, err
		}
		if ok != wantAll {
			return !wantAll, nil
		}
	}
	return wantAll, nil
}

func asList(name string, v any) (list, error) {
	switch l := v.(type) {
	case list:
		return l, nil
	case float64:
		return list{l}, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%s of %v: not a list", name, v)
}

// fnAll is true when every value of the list compares true (and for an
// empty list): all(result, '<', 0.05).
func fnAll(args ...any) (any, error) { return quantified("all", true, args) }

// fnAny is true when one value of the list compares true (false for an
// empty list): any(result, '>', 100).
func fnAny(args ...any) (any, error) { return quantified("any", false, args) }

// fnDefault gives its second argument when the first is empty, NaN or an
// empty list: default(result, 0).
func fnDefault(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, errors.New("default takes a value and a fallback")
	}
	switch v := args[0].(type) {
	case nil:
		return args[1], nil
	case float64:
		if math.IsNaN(v) {
			return args[1], nil
		}
	case list:
		if len(v) == 0 {
			return args[1], nil
		}
		if len(v) == 1 {
			return fnDefault(v[0], args[1])
		}
	case string:
		if strings.TrimSpace(v) == "" {
			return args[1], nil
		}
	}
	return args[0], nil
}

// aggregate folds the numbers of a list.
func aggregate(name string, args []any, fold func(acc, v float64) float64, finish func(acc float64, n int) float64) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("%s takes one list", name)
	}
	list, err := asList(name, args[0])
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return math.NaN(), nil
	}
	var acc float64
	for i, v := range list {
		f, err := number(name, v)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			acc = f
			continue
		}
		acc = fold(acc, f)
	}
	return finish(acc, len(list)), nil
}

func same(acc float64, _ int) float64 { return acc }

func fnMin(args ...any) (any, error) { return aggregate("min", args, math.Min, same) }
func fnMax(args ...any) (any, error) { return aggregate("max", args, math.Max, same) }
func fnSum(args ...any) (any, error) {
	return aggregate("sum", args, func(a, v float64) float64 { return a + v }, same)
}
func fnAvg(args ...any) (any, error) {
	return aggregate("avg", args, func(a, v float64) float64 { return a + v }, func(a float64, n int) float64 { return a / float64(n) })
}
