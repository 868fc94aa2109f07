package analysis

import (
	"strconv"
	"strings"
)

// The fast path evaluates the conditions most templates use without
// govaluate, and without allocating: comparisons of result, result[N] or
// len(result) with numbers, joined by && and ||, in parentheses or not.
// Anything else, and any value the fast path cannot read (a list too
// short, a value that is not a number), goes to govaluate, which gives the
// answer or the error message.

// fastNode is a parsed fast-path expression.
type fastNode interface {
	// eval returns the result, and ok false when the fast path cannot
	// decide.
	eval(v any) (result, ok bool)
}

type operandKind int

const (
	operandResult operandKind = iota
	operandIndex
	operandLen
	operandNumber
)

type fastOperand struct {
	kind  operandKind
	index int
	num   float64
}

func (o fastOperand) value(v any) (float64, bool) {
	switch o.kind {
	case operandNumber:
		return o.num, true
	case operandResult:
		f, ok := v.(float64)
		return f, ok
	case operandLen:
		l, ok := v.(list)
		return float64(len(l)), ok
	}
	l, ok := v.(list)
	if !ok || o.index >= len(l) {
		return 0, false
	}
	f, ok := l[o.index].(float64)
	return f, ok
}

type fastCompare struct {
	op   string
	a, b fastOperand
}

func (c fastCompare) eval(v any) (bool, bool) {
	a, ok := c.a.value(v)
	if !ok {
		return false, false
	}
	b, ok := c.b.value(v)
	if !ok {
		return false, false
	}
	r, err := compare(c.op, a, b)
	return r, err == nil
}

type fastLogic struct {
	and  bool
	l, r fastNode
}

func (n fastLogic) eval(v any) (bool, bool) {
	l, ok := n.l.eval(v)
	if !ok {
		return false, false
	}
	if n.and && !l {
		return false, true
	}
	if !n.and && l {
		return true, true
	}
	return n.r.eval(v)
}

// parseFast parses a rewritten condition for the fast path; nil when it
// does not fit.
func parseFast(rewritten string) fastNode {
	p := &fastParser{toks: fastTokens(rewritten)}
	if p.toks == nil {
		return nil
	}
	n := p.or()
	if n == nil || p.pos != len(p.toks) {
		return nil
	}
	return n
}

type fastParser struct {
	toks []string
	pos  int
}

func (p *fastParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *fastParser) next() string {
	t := p.peek()
	p.pos++
	return t
}

func (p *fastParser) or() fastNode {
	l := p.and()
	for l != nil && p.peek() == "||" {
		p.next()
		r := p.and()
		if r == nil {
			return nil
		}
		l = fastLogic{and: false, l: l, r: r}
	}
	return l
}

func (p *fastParser) and() fastNode {
	l := p.term()
	for l != nil && p.peek() == "&&" {
		p.next()
		r := p.term()
		if r == nil {
			return nil
		}
		l = fastLogic{and: true, l: l, r: r}
	}
	return l
}

func (p *fastParser) term() fastNode {
	if p.peek() == "(" {
		save := p.pos
		p.next()
		n := p.or()
		if n != nil && p.next() == ")" {
			return n
		}
		p.pos = save
	}
	a, ok := p.operand()
	if !ok {
		return nil
	}
	op := p.next()
	switch op {
	case "<", "<=", ">", ">=", "==", "!=":
	default:
		return nil
	}
	b, ok := p.operand()
	if !ok {
		return nil
	}
	return fastCompare{op: op, a: a, b: b}
}

func (p *fastParser) operand() (fastOperand, bool) {
	switch t := p.next(); t {
	case "result":
		return fastOperand{kind: operandResult}, true
	case "get":
		if p.next() != "(" || p.next() != "result" || p.next() != "," {
			return fastOperand{}, false
		}
		i, err := strconv.Atoi(p.next())
		if err != nil || i < 0 || p.next() != ")" {
			return fastOperand{}, false
		}
		return fastOperand{kind: operandIndex, index: i}, true
	case "len":
		if p.next() != "(" || p.next() != "result" || p.next() != ")" {
			return fastOperand{}, false
		}
		return fastOperand{kind: operandLen}, true
	default:
		f, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return fastOperand{}, false
		}
		return fastOperand{kind: operandNumber, num: f}, true
	}
}

// fastTokens splits a condition into the tokens the fast path knows; nil
// when it holds anything else.
func fastTokens(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "&&"), strings.HasPrefix(s[i:], "||"),
			strings.HasPrefix(s[i:], "<="), strings.HasPrefix(s[i:], ">="),
			strings.HasPrefix(s[i:], "=="), strings.HasPrefix(s[i:], "!="):
			toks = append(toks, s[i:i+2])
			i += 2
		case c == '<' || c == '>' || c == '(' || c == ')' || c == ',':
			toks = append(toks, s[i:i+1])
			i++
		case isIdentStart(c):
			j := i
			for j < len(s) && (isIdentStart(s[j]) || isDigit(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		case isDigit(c) || c == '.' || c == '-':
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil
		}
	}
	return toks
}
