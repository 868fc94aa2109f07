// Package convert rewrites Argo Rollouts manifests as Ramp manifests.
//
// Each Rollout, AnalysisTemplate and ClusterAnalysisTemplate of
// argoproj.io/v1alpha1 becomes the Ramp kind of the same name in
// ramp.dev/v1alpha1, built field by field in Ramp's Go types, so the result
// is what Ramp's API accepts. Every other document is kept byte for byte.
// Fields Ramp lacks are dropped with a warning that says what Ramp does
// instead; a document that cannot be converted is left as it is, with
// errors that say why.
package convert

import (
	"bytes"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// argoAPIVersion is the group and version of the Argo Rollouts kinds.
const argoAPIVersion = "argoproj.io/v1alpha1"

// Result is the outcome of converting one file.
type Result struct {
	// Output is the file's YAML stream with every convertible document
	// replaced by its Ramp equivalent; other documents are as written.
	Output []byte
	// Converted is the number of documents converted.
	Converted int
	// Unconverted is the number of documents that could not be converted
	// and are kept as written; the Diagnostics say why.
	Unconverted int
	// Diagnostics are the warnings and errors, in the order of the file.
	Diagnostics []Diagnostic
}

// Failed reports whether a document of the file could not be converted.
func (r Result) Failed() bool { return r.Unconverted > 0 }

// File converts the YAML stream data; name is the file's name for
// messages.
func File(name string, data []byte) Result {
	docs := splitDocuments(data)
	var res Result
	for i := range docs {
		out, diags, ok := convertDocument(name, docs[i])
		res.Diagnostics = append(res.Diagnostics, diags...)
		if slices.ContainsFunc(diags, func(d Diagnostic) bool { return d.Severity == Error }) {
			res.Unconverted++
		}
		if ok {
			docs[i].body = out
			res.Converted++
		}
	}
	res.Output = joinDocuments(docs)
	return res
}

// convertDocument converts one document when it is a kind Ramp has; ok
// is false when the document is kept as written.
func convertDocument(file string, d document) (out []byte, diags []Diagnostic, ok bool) {
	if isBlank(d.body) {
		return nil, nil, false
	}
	at := func(sev Severity, msg string) []Diagnostic {
		return []Diagnostic{{File: file, Line: d.line, Severity: sev, Message: msg}}
	}
	data, err := sigsyaml.YAMLToJSON(d.body)
	var obj any
	if err == nil {
		err = sigsjson.UnmarshalCaseSensitivePreserveInts(data, &obj)
	}
	if err != nil {
		diag := yamlError(file, d, err)
		if bytes.Contains(d.body, []byte("argoproj.io")) {
			diag.Severity, diag.Message = Error, "cannot read the YAML: "+diag.Message
		} else {
			diag.Severity, diag.Message = Warning, "not valid YAML, kept as written: "+diag.Message
		}
		return nil, []Diagnostic{diag}, false
	}
	m, isObject := obj.(map[string]any)
	if !isObject {
		return nil, nil, false
	}
	apiVersion, kind := typeOf(m)
	isList := apiVersion == "v1" && kind == "List" && holdsConvertible(m)
	if !isList && !convertible(apiVersion, kind) {
		if msg := keptArgoKind(apiVersion, kind); msg != "" {
			return nil, at(Warning, msg), false
		}
		return nil, nil, false
	}
	t, err := parseTree(d.body, d.line-1)
	if err != nil {
		return nil, at(Error, err.Error()), false
	}
	c := &converter{file: file, tree: t}
	ramp := c.document(&object{c: c, m: m, used: map[string]bool{}}, kind)
	sort.SliceStable(c.diags, func(i, j int) bool { return c.diags[i].Line < c.diags[j].Line })
	if c.failed {
		return nil, c.diags, false
	}
	out, err = render(ramp, t, c.moves)
	if err != nil {
		return nil, append(c.diags, at(Error, err.Error())...), false
	}
	return out, c.diags, true
}

// typeOf returns a document's apiVersion and kind.
func typeOf(m map[string]any) (apiVersion, kind string) {
	apiVersion, _ = m["apiVersion"].(string)
	kind, _ = m["kind"].(string)
	return apiVersion, kind
}

// convertible reports whether convert rewrites documents of this kind.
func convertible(apiVersion, kind string) bool {
	return apiVersion == argoAPIVersion && (kind == "Rollout" || kind == "AnalysisTemplate" || kind == "ClusterAnalysisTemplate")
}

// holdsConvertible reports whether a List holds an item convert rewrites,
// as the List kubectl get -o yaml writes.
func holdsConvertible(list map[string]any) bool {
	items, _ := list["items"].([]any)
	for _, item := range items {
		if m, ok := item.(map[string]any); ok && convertible(typeOf(m)) {
			return true
		}
	}
	return false
}

// document converts a convertible object, or the items of a List.
func (c *converter) document(o *object, kind string) any {
	switch kind {
	case "Rollout":
		return c.rollout(o)
	case "List":
		return c.list(o)
	}
	return c.analysisTemplate(o, kind)
}

// listDocument is a v1 List as written out: its convertible items replaced by Ramp
// objects, the others kept.
type listDocument struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   any    `json:"metadata,omitempty"`
	Items      []any  `json:"items"`
}

// list converts the items of a List that convert rewrites.
func (c *converter) list(o *object) *listDocument {
	out := &listDocument{APIVersion: "v1", Kind: "List"}
	o.take("apiVersion")
	o.take("kind")
	out.Metadata, _ = o.take("metadata")
	items, _ := o.take("items")
	o.done()
	for i, item := range items.([]any) {
		m, ok := item.(map[string]any)
		if !ok {
			out.Items = append(out.Items, item)
			continue
		}
		at := path{"items", i}
		apiVersion, kind := typeOf(m)
		if !convertible(apiVersion, kind) {
			if msg := keptArgoKind(apiVersion, kind); msg != "" {
				c.warn(at, "%s", msg)
			}
			out.Items = append(out.Items, item)
			continue
		}
		out.Items = append(out.Items, c.document(&object{c: c, at: at, m: m, used: map[string]bool{}}, kind))
	}
	return out
}

// keptArgoKind is the warning for an Argo Rollouts document that is kept
// as written; empty for documents of other projects (Argo CD's share the
// argoproj.io group).
func keptArgoKind(apiVersion, kind string) string {
	if !strings.HasPrefix(apiVersion, "argoproj.io/") {
		return ""
	}
	switch kind {
	case "Experiment":
		return "Ramp runs no experiments; this Experiment is kept as written"
	case "AnalysisRun":
		return "Ramp's controller creates its own AnalysisRuns from templates; this Argo Rollouts AnalysisRun is kept as written"
	case "Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate":
		return "only " + argoAPIVersion + " is converted; this " + apiVersion + " " + kind + " is kept as written"
	}
	return ""
}

// yamlLine matches the line a YAML parser names in its errors.
var yamlLine = regexp.MustCompile(`^(?:error converting YAML to JSON: )?yaml: line (\d+): (.*)$`)

// yamlError is the diagnostic of a YAML error in document d, at the line
// the parser names, counted in the file.
func yamlError(file string, d document, err error) Diagnostic {
	diag := Diagnostic{File: file, Line: d.line, Message: err.Error()}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		diag.Line, diag.Message = d.line-1+n, m[2]
	}
	return diag
}
