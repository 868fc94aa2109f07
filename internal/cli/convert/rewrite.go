package convert

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// rewriter turns Argo Rollouts' expressions (expr-lang) into Ramp's
// (govaluate with the functions of the analysis package).
type rewriter struct {
	// warnings are the changes that may change a condition's meaning.
	warnings []string
}

// operatorWords are expr-lang's operators written as words, and Ramp's
// spelling of them ("" when Ramp has none and the token is handled apart).
var operatorWords = map[string]string{
	"and": "&&", "or": "||", "not": "!", "matches": "=~", "in": "in",
	"contains": "", "startsWith": "", "endsWith": "",
}

// comparisons maps a comparison to its mirror image (a < b is b > a).
var comparisons = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}

// expr rewrites a sequence of tokens.
func (r *rewriter) expr(toks []token) (string, error) {
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == 'i' && i+1 < len(toks) && toks[i+1].text == "(" && !isOperatorWord(t.text):
			end, err := closing(toks, i+1)
			if err != nil {
				return "", err
			}
			call, err := r.call(t.text, splitArgs(toks[i+2:end]))
			if err != nil {
				return "", err
			}
			b.WriteString(t.space + call)
			i = end
		case t.kind == 'i':
			out, skip, err := r.word(toks, i)
			if err != nil {
				return "", err
			}
			b.WriteString(out)
			i += skip
		case t.text == "(" || t.text == "[":
			end, err := closing(toks, i)
			if err != nil {
				return "", err
			}
			inner, err := r.list(toks[i+1 : end])
			if err != nil {
				return "", err
			}
			switch {
			case t.text == "(":
				b.WriteString(t.space + "(" + inner + ")")
			case i > 0 && isOperand(toks[i-1]):
				b.WriteString(t.space + "[" + inner + "]") // an index
			default:
				b.WriteString(t.space + "(" + inner + ")") // a list: Ramp writes (a, b)
			}
			i = end
		case t.text == "^":
			b.WriteString(t.space + "**")
		case t.text == "#" || t.text == "{" || t.text == "}":
			return "", fmt.Errorf("%q is only understood inside all(list, {# < x}) and any(list, {# < x})", t.text)
		case t.text == "..", t.text == "?.", t.text == "|", t.text == ")", t.text == "]":
			return "", fmt.Errorf("there is no %q", t.text)
		default:
			b.WriteString(t.space + t.text)
		}
	}
	return b.String(), nil
}

// isOperatorWord reports whether s is an operator written as a word.
func isOperatorWord(s string) bool {
	_, ok := operatorWords[s]
	return ok
}

// isOperand reports whether t ends an operand, so that a [ after it is
// an index rather than a list.
func isOperand(t token) bool {
	switch t.kind {
	case 'n', 's':
		return true
	case 'i':
		return !isOperatorWord(t.text)
	}
	return t.text == ")" || t.text == "]"
}

// word rewrites the identifier at toks[i]; skip is the number of tokens
// after it that it used.
func (r *rewriter) word(toks []token, i int) (out string, skip int, err error) {
	t := toks[i]
	switch t.text {
	case "and", "or", "matches":
		return t.space + operatorWords[t.text], 0, nil
	case "not":
		if i+1 < len(toks) && toks[i+1].text == "in" {
			return "", 0, fmt.Errorf("there is no \"not in\": write !(value in (a, b))")
		}
		if i+1 < len(toks) {
			// Glue ! to its operand.
			toks[i+1].space = ""
		}
		return t.space + "!", 0, nil
	case "contains", "startsWith", "endsWith":
		if i+1 >= len(toks) || toks[i+1].kind != 's' {
			return "", 0, fmt.Errorf("%s can be rewritten only when a quoted string follows it", t.text)
		}
		lit, err := unquote(toks[i+1].text)
		if err != nil {
			return "", 0, err
		}
		re := regexp.QuoteMeta(lit)
		switch t.text {
		case "startsWith":
			re = "^" + re
		case "endsWith":
			re += "$"
		}
		return t.space + "=~ " + quote(re), 1, nil
	case "nil":
		return "", 0, fmt.Errorf("there is no nil: test len(result) == 0, or use default(result, 0)")
	}
	return t.space + t.text, 0, nil
}

// call rewrites a function call with its arguments.
func (r *rewriter) call(name string, args [][]token) (string, error) {
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d argument(s), not %d", name, n, len(args))
		}
		return nil
	}
	switch name {
	case "len", "isNaN", "isInf", "min", "max", "sum", "avg", "mean":
		if err := want(1); err != nil {
			return "", err
		}
		if name == "mean" {
			name = "avg"
		}
	case "default":
		if err := want(2); err != nil {
			return "", err
		}
	case "asInt", "asFloat", "int", "float":
		if err := want(1); err != nil {
			return "", err
		}
		r.warnings = append(r.warnings, fmt.Sprintf("Ramp compares values as measured and has no %s; dropped it (the condition fails on a value that is text, not a number)", name))
		inner, err := r.expr(args[0])
		if err != nil {
			return "", err
		}
		return "(" + strings.TrimLeft(inner, " ") + ")", nil
	case "all", "any", "none":
		return r.quantifier(name, args)
	default:
		return "", fmt.Errorf("there is no function %s", name)
	}
	list, err := r.list(joinArgs(args))
	if err != nil {
		return "", err
	}
	return name + "(" + list + ")", nil
}

// quantifier rewrites all(list, {# < x}), any and none into Ramp's
// all(list, '<', x) and any(list, '<', x).
func (r *rewriter) quantifier(name string, args [][]token) (string, error) {
	if len(args) != 2 {
		return "", fmt.Errorf("%s takes a list and a predicate such as {# < 0.5}", name)
	}
	pred := args[1]
	if len(pred) > 0 && pred[0].text == "{" {
		end, err := closing(pred, 0)
		if err != nil || end != len(pred)-1 {
			return "", fmt.Errorf("the predicate of %s must be one {...}", name)
		}
		pred = pred[1:end]
	}
	var op string
	var operand []token
	switch {
	case len(pred) >= 3 && pred[0].text == "#" && comparisons[pred[1].text] != "":
		op, operand = pred[1].text, pred[2:]
	case len(pred) >= 3 && pred[len(pred)-1].text == "#" && comparisons[pred[len(pred)-2].text] != "":
		op, operand = comparisons[pred[len(pred)-2].text], pred[:len(pred)-2]
	}
	if op == "" || slices.ContainsFunc(operand, func(t token) bool { return t.text == "#" }) {
		return "", fmt.Errorf("%s can be rewritten only with a predicate that compares # with a value, such as {# < 0.5}", name)
	}
	list, err := r.expr(args[0])
	if err != nil {
		return "", err
	}
	value, err := r.expr(operand)
	if err != nil {
		return "", err
	}
	out := fmt.Sprintf("(%s, %s, %s)", strings.TrimLeft(list, " "), quote(op), strings.TrimLeft(value, " "))
	switch name {
	case "none":
		return "!any" + out, nil
	default:
		return name + out, nil
	}
}

// list rewrites tokens that may hold commas (arguments or list items).
func (r *rewriter) list(toks []token) (string, error) {
	parts := splitArgs(toks)
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		s, err := r.expr(p)
		if err != nil {
			return "", err
		}
		out = append(out, s)
	}
	return strings.Join(out, ","), nil
}

// joinArgs puts arguments back together with commas.
func joinArgs(args [][]token) []token {
	var out []token
	for i, a := range args {
		if i > 0 {
			out = append(out, token{kind: 'o', text: ","})
		}
		out = append(out, a...)
	}
	return out
}

// splitArgs splits tokens at the commas outside brackets.
func splitArgs(toks []token) [][]token {
	if len(toks) == 0 {
		return nil
	}
	var out [][]token
	depth, start := 0, 0
	for i, t := range toks {
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, toks[start:i])
				start = i + 1
			}
		}
	}
	return append(out, toks[start:])
}

// closing returns the index of the bracket that closes toks[open].
func closing(toks []token, open int) (int, error) {
	pairs := map[string]string{"(": ")", "[": "]", "{": "}"}
	var stack []string
	for i := open; i < len(toks); i++ {
		t := toks[i]
		if t.kind != 'o' {
			continue
		}
		if closer, ok := pairs[t.text]; ok {
			stack = append(stack, closer)
			continue
		}
		if t.text == ")" || t.text == "]" || t.text == "}" {
			if len(stack) == 0 || stack[len(stack)-1] != t.text {
				return 0, fmt.Errorf("%q does not match", t.text)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("%q is not closed", toks[open].text)
}

// unquote reads a string literal of the tokenizer.
func unquote(lit string) (string, error) {
	if len(lit) >= 2 && lit[0] == '\'' {
		lit = `"` + strings.ReplaceAll(strings.ReplaceAll(lit[1:len(lit)-1], `"`, `\"`), `\'`, `'`) + `"`
	}
	var s string
	if _, err := fmt.Sscanf(lit, "%q", &s); err != nil {
		return "", fmt.Errorf("cannot read the string %s", lit)
	}
	return s, nil
}

// quote writes s as a single-quoted string for Ramp's conditions.
func quote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
