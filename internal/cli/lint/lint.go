// Package lint checks Ramp manifests without a cluster: each Rollout,
// AnalysisTemplate, ClusterAnalysisTemplate, RolloutProfile and
// ClusterRolloutProfile against the schema and CEL rules of the CRDs the
// chart installs (with the API server's own validators), then the
// references among the given files that no API server checks: templates,
// Services, routes and profiles named by a strategy, the arguments a
// template needs, metric conditions, and steps that cannot do what they
// seem to.
//
// The package reads no cluster itself; references the files do not hold
// may be looked up through a Cluster that the caller provides.
package lint

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Severity says whether a finding fails the lint.
type Severity int

const (
	// Error is a manifest the API server rejects, or one that stalls or
	// misbehaves once applied.
	Error Severity = iota
	// Warning is a manifest that works but likely not as meant.
	Warning
)

// Finding is one problem in one file.
type Finding struct {
	// File is the input's name as given (<stdin> for standard input).
	File string
	// Line is the 1-based line of the field, or of the nearest enclosing
	// field that is written in the file.
	Line int
	// Field is the field's path as the API server writes it, such as
	// spec.strategy.canary.steps[2].setWeight; empty for a problem of the
	// file itself.
	Field string
	// Message says what is wrong and how to fix it.
	Message string
	// Severity is Error or Warning.
	Severity Severity
}

// String formats the finding as file:line: field: message, with
// "warning: " before the message of a warning.
func (f Finding) String() string {
	msg := f.Message
	if f.Severity == Warning {
		msg = "warning: " + msg
	}
	if f.Field == "" {
		return fmt.Sprintf("%s:%d: %s", f.File, f.Line, msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Field, msg)
}

// Source is one input: its name, as printed in findings, and its bytes.
type Source struct {
	// Name is the file's path as given, or <stdin>.
	Name string
	// Data is the file's content: one or more YAML (or JSON) documents.
	Data []byte
}

// Cluster looks up objects that the given files do not hold.
type Cluster interface {
	// Get returns the object of kind gvk named name in namespace (empty
	// for a cluster-scoped kind) as unstructured content, or nil when it
	// does not exist or its kind is not served.
	Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (map[string]any, error)
}

// Options tune a lint.
type Options struct {
	// Namespace is the namespace of the objects that name none (kubectl's
	// -n); empty means "default".
	Namespace string
	// Cluster, when set, is asked for the references the files do not
	// satisfy. Nil lints the files alone.
	Cluster Cluster
}

// Lint checks the objects of sources and returns the findings, sorted by
// file and line. The error is for a failure to look something up in the
// cluster, or a broken embedded CRD; problems of the manifests are
// findings.
func Lint(ctx context.Context, sources []Source, opts Options) ([]Finding, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	l := &linter{ctx: ctx, opts: opts, reported: map[Finding]bool{}}
	for _, src := range sources {
		l.load(src)
	}
	if err := l.validateAll(ctx); err != nil {
		return nil, err
	}
	l.index = newIndex(l.docs, opts)
	if err := l.crossCheck(); err != nil {
		return nil, err
	}
	sortFindings(l.findings)
	return l.findings, nil
}

// linter holds the state of one Lint call.
type linter struct {
	ctx  context.Context
	opts Options
	// docs are the objects read from the sources, in order.
	docs []*document
	// index finds objects by kind, namespace and name; set after the
	// schema checks.
	index *index
	// findings are the problems found so far, without duplicates.
	findings []Finding
	// reported holds the findings already in findings: a profile's
	// problem is found again for every Rollout that uses it.
	reported map[Finding]bool
}

// add records a finding once.
func (l *linter) add(f Finding) {
	if l.reported[f] {
		return
	}
	l.reported[f] = true
	l.findings = append(l.findings, f)
}

// sortFindings orders findings by file, line, field and message.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Count returns the numbers of errors and warnings among findings.
func Count(findings []Finding) (errors, warnings int) {
	for _, f := range findings {
		if f.Severity == Warning {
			warnings++
		} else {
			errors++
		}
	}
	return errors, warnings
}
