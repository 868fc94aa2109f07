package convert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rampdev/ramp/analysis"
)

// argPlaceholder matches {{args.NAME}} in a condition.
var argPlaceholder = regexp.MustCompile(`\{\{\s*args\.([A-Za-z_][-A-Za-z0-9_.]*)\s*\}\}`)

// condition rewrites a successCondition or failureCondition from Argo
// Rollouts' expression language into the one Ramp evaluates (see
// analysis.CompileCondition), and checks that Ramp can parse it. Ramp
// replaces arguments in providers only, so an argument in a condition is
// replaced by the template's value for it.
func (c *converter) condition(at path, src string, args map[string]string) string {
	var missing []string
	withArgs := argPlaceholder.ReplaceAllStringFunc(src, func(m string) string {
		name := argPlaceholder.FindStringSubmatch(m)[1]
		v, ok := args[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		c.warn(at, "Ramp does not replace arguments in conditions; used %q, the template's value of argument %s", v, name)
		return v
	})
	if len(missing) > 0 {
		c.fail(at, "Ramp does not replace arguments in conditions, and argument %s has no value in the template; write the value into the condition", strings.Join(missing, ", "))
		return src
	}
	toks, err := tokenize(withArgs)
	if err != nil {
		c.fail(at, "cannot read %q: %v", src, err)
		return src
	}
	r := &rewriter{}
	out, err := r.expr(toks)
	if err == nil {
		_, err = analysis.CompileCondition(out)
	}
	if err != nil {
		c.fail(at, "cannot rewrite %q for Ramp: %v (Ramp's conditions offer &&, ||, !, comparisons, =~, result[0], result.field and the functions %s)", src, err, rampFunctions)
		return src
	}
	for _, w := range r.warnings {
		c.warn(at, "%s", w)
	}
	return out
}

// rampFunctions lists the functions of Ramp's conditions, for messages.
const rampFunctions = "len, isNaN, isInf, default, all, any, min, max, sum and avg"

// token is one token of an expression.
type token struct {
	// kind is 'n' (number), 's' (string), 'i' (identifier) or 'o'
	// (operator or punctuation).
	kind byte
	text string
	// space is the white space written before the token.
	space string
}

// twoCharOps are the operators of two characters, matched before one.
var twoCharOps = []string{"==", "!=", "<=", ">=", "&&", "||", "??", "?.", "..", "**"}

// tokenize splits an Argo Rollouts expression into tokens.
func tokenize(src string) ([]token, error) {
	var out []token
	for i := 0; i < len(src); {
		start := i
		for i < len(src) && strings.ContainsRune(" \t\r\n", rune(src[i])) {
			i++
		}
		if i == len(src) {
			break
		}
		t := token{space: src[start:i]}
		ch := src[i]
		switch {
		case ch == '\'' || ch == '"' || ch == '`':
			end := i + 1
			for end < len(src) && src[end] != ch {
				if src[end] == '\\' && ch != '`' {
					end++
				}
				end++
			}
			if end >= len(src) {
				return nil, fmt.Errorf("string at position %d is not closed", i)
			}
			t.kind, t.text = 's', src[i:end+1]
			if ch == '`' {
				t.text = strconv.Quote(src[i+1 : end])
			}
			i = end + 1
		case isDigit(ch) || ch == '.' && i+1 < len(src) && isDigit(src[i+1]):
			end := scanNumber(src, i)
			text, err := plainNumber(src[i:end])
			if err != nil {
				return nil, err
			}
			t.kind, t.text = 'n', text
			i = end
		case isLetter(ch):
			end := i
			for end < len(src) && (isLetter(src[end]) || isDigit(src[end])) {
				end++
			}
			t.kind, t.text = 'i', src[i:end]
			i = end
		default:
			t.kind, t.text = 'o', src[i:i+1]
			for _, op := range twoCharOps {
				if strings.HasPrefix(src[i:], op) {
					t.text = op
				}
			}
			i += len(t.text)
		}
		out = append(out, t)
	}
	return out, nil
}

// scanNumber returns the end of the number literal starting at i.
func scanNumber(src string, i int) int {
	if strings.HasPrefix(src[i:], "0x") || strings.HasPrefix(src[i:], "0X") {
		i += 2
		for i < len(src) && (isDigit(src[i]) || strings.ContainsRune("abcdefABCDEF_", rune(src[i]))) {
			i++
		}
		return i
	}
	digits := func() {
		for i < len(src) && (isDigit(src[i]) || src[i] == '_') {
			i++
		}
	}
	digits()
	if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
		i++
		digits()
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			i = j
			digits()
		}
	}
	return i
}

// decimal is a number literal Ramp reads as it is.
var decimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// plainNumber writes a number literal as digits with an optional decimal
// point, the only form Ramp reads: 1_000, 0x10, 1e3 and .5 are rewritten.
func plainNumber(lit string) (string, error) {
	clean := strings.ReplaceAll(lit, "_", "")
	if decimal.MatchString(clean) {
		return clean, nil
	}
	if n, err := strconv.ParseInt(clean, 0, 64); err == nil {
		return strconv.FormatInt(n, 10), nil
	}
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil {
		return "", fmt.Errorf("%q is not a number", lit)
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isLetter reports whether c may start an identifier of expr-lang.
func isLetter(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
