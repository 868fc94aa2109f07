package convert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Severity says whether a Diagnostic stops a document from being converted.
type Severity string

// Severities of a Diagnostic.
const (
	// Warning reports a field that was changed or dropped: the document is
	// still converted.
	Warning Severity = "warning"
	// Error reports why a document could not be converted.
	Error Severity = "error"
)

// Diagnostic is one message about a field of an input document.
type Diagnostic struct {
	// File is the name of the input, as given on the command line.
	File string
	// Line is the 1-based line of the field in File.
	Line int
	// Field is the path of the Argo Rollouts field, such as
	// spec.strategy.canary.trafficRouting.nginx; empty for the whole document.
	Field string
	// Severity is Warning or Error.
	Severity Severity
	// Message says what Ramp does instead, or why the document cannot be
	// converted.
	Message string
}

// String formats the diagnostic as file:line: field: severity: message.
func (d Diagnostic) String() string {
	if d.Field == "" {
		return fmt.Sprintf("%s:%d: %s: %s", d.File, d.Line, d.Severity, d.Message)
	}
	return fmt.Sprintf("%s:%d: %s: %s: %s", d.File, d.Line, d.Field, d.Severity, d.Message)
}

// path is the location of a field in a document: its elements are map
// keys (string) and list indexes (int).
type path []any

// key returns the path of the field key below p.
func (p path) key(k string) path {
	return append(p[:len(p):len(p)], k)
}

// index returns the path of item i of the list at p.
func (p path) index(i int) path {
	return append(p[:len(p):len(p)], i)
}

// plainKey matches keys written without brackets in a path.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// String formats p as kubectl explain does, with keys that are not plain
// words in brackets: spec.steps[2].pause, metadata.annotations["a.b/c"].
func (p path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch v := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if !plainKey.MatchString(v) {
				b.WriteString("[" + strconv.Quote(v) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

// parseFieldPath splits a field path as written by sigs.k8s.io/json
// (spec.containers[0].foo) into a path. Keys holding dots cannot be told
// apart and are split; a lookup then stops at the deepest field found.
func parseFieldPath(s string) path {
	var p path
	for _, part := range strings.Split(s, ".") {
		for part != "" {
			open := strings.IndexByte(part, '[')
			if open < 0 {
				p = append(p, part)
				break
			}
			if open > 0 {
				p = append(p, part[:open])
			}
			end := strings.IndexByte(part[open:], ']')
			if end < 0 {
				p = append(p, part[open:])
				break
			}
			inner := part[open+1 : open+end]
			if i, err := strconv.Atoi(inner); err == nil {
				p = append(p, i)
			} else {
				p = append(p, strings.Trim(inner, `"`))
			}
			part = part[open+end+1:]
		}
	}
	return p
}
