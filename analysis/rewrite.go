package analysis

import (
	"fmt"
	"strings"
)

// rewriteAccess turns index and field access, which govaluate lacks, into
// calls of the get function it is given: result[0] becomes get(result, 0),
// result.data.ok becomes get(result, "data", "ok") and a[1]["x"] becomes
// get(a, 1, "x"). String literals and govaluate's escaped variables ([name]
// where no operand comes before) are left as they are.
func rewriteAccess(expr string) (string, error) {
	r := &rewriter{src: expr}
	out, err := r.sequence(0)
	if err != nil {
		return "", err
	}
	if r.pos < len(r.src) {
		return "", fmt.Errorf("unexpected %q at position %d", r.src[r.pos], r.pos)
	}
	return out, nil
}

type rewriter struct {
	src string
	pos int
}

// sequence rewrites until the closing character close (0 for the end).
func (r *rewriter) sequence(close byte) (string, error) {
	var out strings.Builder
	operandStart := -1 // where the last operand began in out; -1 when the last token was not an operand
	for r.pos < len(r.src) {
		c := r.src[r.pos]
		switch {
		case c == close:
			return out.String(), nil
		case c == ')' || c == ']':
			return "", fmt.Errorf("unbalanced %q at position %d", c, r.pos)
		case c == '\'' || c == '"':
			start := out.Len()
			lit, err := r.stringLiteral()
			if err != nil {
				return "", err
			}
			out.WriteString(lit)
			operandStart = start
		case isIdentStart(c):
			start := out.Len()
			id := r.ident()
			out.WriteString(id)
			operandStart = start
			if id == "in" {
				operandStart = -1 // the membership operator, not an operand
			}
			if r.pos < len(r.src) && r.src[r.pos] == '(' {
				// A function call: the call is the operand.
				r.pos++
				inner, err := r.sequence(')')
				if err != nil {
					return "", err
				}
				if r.pos >= len(r.src) {
					return "", fmt.Errorf("missing ) after %s(", id)
				}
				r.pos++
				out.WriteString("(" + inner + ")")
			}
		case isDigit(c):
			start := out.Len()
			for r.pos < len(r.src) && (isDigit(r.src[r.pos]) || r.src[r.pos] == '.') {
				out.WriteByte(r.src[r.pos])
				r.pos++
			}
			operandStart = start
		case c == '(':
			start := out.Len()
			r.pos++
			inner, err := r.sequence(')')
			if err != nil {
				return "", err
			}
			if r.pos >= len(r.src) {
				return "", fmt.Errorf("missing )")
			}
			r.pos++
			out.WriteString("(" + inner + ")")
			operandStart = start
		case c == '[' && operandStart >= 0:
			// Index access on the operand just written.
			r.pos++
			inner, err := r.sequence(']')
			if err != nil {
				return "", err
			}
			if r.pos >= len(r.src) {
				return "", fmt.Errorf("missing ]")
			}
			r.pos++
			wrapAccess(&out, operandStart, strings.TrimSpace(inner))
		case c == '[':
			// govaluate's escaped variable name.
			end := strings.IndexByte(r.src[r.pos:], ']')
			if end < 0 {
				return "", fmt.Errorf("missing ] after position %d", r.pos)
			}
			start := out.Len()
			out.WriteString(r.src[r.pos : r.pos+end+1])
			r.pos += end + 1
			operandStart = start
		case c == '.' && operandStart >= 0 && r.pos+1 < len(r.src) && isIdentStart(r.src[r.pos+1]):
			r.pos++
			field := r.ident()
			wrapAccess(&out, operandStart, fmt.Sprintf("%q", field))
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			out.WriteByte(c)
			r.pos++
			continue // spaces do not end an operand
		default:
			out.WriteByte(c)
			r.pos++
			operandStart = -1
		}
	}
	if close != 0 {
		return "", fmt.Errorf("missing %q", close)
	}
	return out.String(), nil
}

// wrapAccess rewrites out[start:] (an operand) as get(operand, key), or
// adds key to a get call it already is.
func wrapAccess(out *strings.Builder, start int, key string) {
	s := out.String()
	operand := strings.TrimRight(s[start:], " \t\r\n")
	var rewritten string
	if strings.HasPrefix(operand, "get(") && strings.HasSuffix(operand, ")") && matchingParen(operand, 3) == len(operand)-1 {
		rewritten = operand[:len(operand)-1] + ", " + key + ")"
	} else {
		rewritten = "get(" + operand + ", " + key + ")"
	}
	out.Reset()
	out.WriteString(s[:start])
	out.WriteString(rewritten)
}

// matchingParen returns the index of the parenthesis closing the one at
// open in s, skipping string literals; -1 when there is none.
func matchingParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func (r *rewriter) ident() string {
	start := r.pos
	for r.pos < len(r.src) && (isIdentStart(r.src[r.pos]) || isDigit(r.src[r.pos])) {
		r.pos++
	}
	return r.src[start:r.pos]
}

func (r *rewriter) stringLiteral() (string, error) {
	q := r.src[r.pos]
	start := r.pos
	for r.pos++; r.pos < len(r.src); r.pos++ {
		switch r.src[r.pos] {
		case '\\':
			r.pos++
		case q:
			r.pos++
			return r.src[start:r.pos], nil
		}
	}
	return "", fmt.Errorf("unterminated string starting at position %d", start)
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
