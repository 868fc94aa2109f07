package lint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// document is one object of an input: its YAML node, for lines and
// comments, and its content as the API server would decode it.
type document struct {
	// file is the input's name.
	file string
	// node is the object's mapping node.
	node *yaml.Node
	// obj is the object as JSON-like values (map[string]any, []any,
	// string, int64, float64, bool, nil). The schema checks prune and
	// default it, as the API server does before it stores an object.
	obj map[string]any
	// apiVersion, kind and name are the object's, as written.
	apiVersion, kind, name string
	// namespace is metadata.namespace, or the lint's namespace when it
	// names none; empty for a cluster-scoped Ramp kind.
	namespace string
	// ramp is true for a kind of ramp.dev/v1alpha1.
	ramp bool
	// apiFields are the fields the API server complains about, so that
	// lint does not repeat a problem in other words.
	apiFields map[string]bool
}

// line returns the first line of the object.
func (d *document) line() int { return d.node.Line }

// finding builds a finding at path (a field path as the API server
// writes it) of the document.
func (d *document) finding(sev Severity, path, msg string) Finding {
	return Finding{File: d.file, Line: lineOf(d.node, path), Field: path, Message: msg, Severity: sev}
}

// yamlLine finds the line number in a YAML error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// load parses the documents of a source. A document that is not an
// object with apiVersion and kind is reported (an empty one is skipped);
// a List's items are documents of their own.
func (l *linter) load(src Source) {
	dec := yaml.NewDecoder(bytes.NewReader(src.Data))
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			line := 1
			msg := err.Error()
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = msg[len(m[0]):]
			}
			l.add(Finding{File: src.Name, Line: line, Message: "cannot parse the YAML: " + msg + "; fix the syntax (the rest of the file is not checked)"})
			return
		}
		if len(root.Content) == 0 {
			continue
		}
		l.loadObject(src.Name, root.Content[0])
	}
}

// loadObject adds the object of node, or the items of a List.
func (l *linter) loadObject(file string, node *yaml.Node) {
	if node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		return
	}
	if node.Kind != yaml.MappingNode {
		l.add(Finding{File: file, Line: node.Line, Message: "a document must be an object with apiVersion and kind; remove it or complete it"})
		return
	}
	if scalarValue(childNode(node, "apiVersion")) == "v1" && scalarValue(childNode(node, "kind")) == "List" {
		if items := childNode(node, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, item := range items.Content {
				l.loadObject(file, item)
			}
		}
		return
	}
	conv := converter{file: file}
	obj, _ := conv.value(node, "").(map[string]any)
	for _, f := range conv.findings {
		l.add(f)
	}
	d := &document{file: file, node: node, obj: obj, apiFields: map[string]bool{}}
	d.apiVersion, _ = obj["apiVersion"].(string)
	d.kind, _ = obj["kind"].(string)
	if meta, ok := obj["metadata"].(map[string]any); ok {
		d.name, _ = meta["name"].(string)
		d.namespace, _ = meta["namespace"].(string)
	}
	if d.apiVersion == "" || d.kind == "" {
		missing := "apiVersion"
		if d.apiVersion != "" {
			missing = "kind"
		}
		l.add(d.finding(Error, missing, "required: every object names its apiVersion and kind; add "+missing))
		return
	}
	if d.namespace == "" {
		d.namespace = l.opts.Namespace
	}
	l.docs = append(l.docs, d)
}

// converter turns YAML nodes into the values the API server decodes from
// JSON, and reports duplicate fields as the API server's strict field
// validation does.
type converter struct {
	file     string
	findings []Finding
	// open are the lists and mappings being converted, outermost first:
	// an alias to one of them is inside the node it names.
	open []*yaml.Node
	// values counts the values converted, aliases expanded.
	values int
}

// maxValues bounds the values one object may expand to through aliases:
// a few lines of aliases of aliases can stand for billions of values,
// which would exhaust the memory. An object the API server stores (1.5
// MiB at most) holds far fewer; kubectl refuses such a document too.
const maxValues = 1 << 20

// value converts node, at field path.
func (c *converter) value(node *yaml.Node, path string) any {
	c.values++
	if c.values > maxValues {
		if c.values == maxValues+1 {
			c.findings = append(c.findings, Finding{File: c.file, Line: node.Line, Field: path,
				Message: fmt.Sprintf("the aliases expand the object to more than %d values, more than the API server can store; kubectl refuses such a document (excessive aliasing): use fewer aliases", maxValues)})
		}
		return nil
	}
	switch node.Kind {
	case yaml.DocumentNode:
		if len(node.Content) == 0 {
			return nil
		}
		return c.value(node.Content[0], path)
	case yaml.AliasNode:
		if slices.Contains(c.open, node.Alias) {
			// Following it would never end.
			c.findings = append(c.findings, Finding{File: c.file, Line: node.Line, Field: path,
				Message: fmt.Sprintf("alias *%s is inside the node &%s it names, so the object would never end; kubectl cannot read it: remove the alias", node.Value, node.Value)})
			return nil
		}
		return c.value(node.Alias, path)
	case yaml.SequenceNode:
		c.open = append(c.open, node)
		defer func() { c.open = c.open[:len(c.open)-1] }()
		out := make([]any, len(node.Content))
		for i, item := range node.Content {
			out[i] = c.value(item, path+"["+strconv.Itoa(i)+"]")
		}
		return out
	case yaml.MappingNode:
		c.open = append(c.open, node)
		defer func() { c.open = c.open[:len(c.open)-1] }()
		return c.mapping(node, path)
	}
	return scalar(node)
}

// mapping converts a mapping node; merge keys (<<) fill in the fields
// not written.
func (c *converter) mapping(node *yaml.Node, path string) map[string]any {
	out := make(map[string]any, len(node.Content)/2)
	lines := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key := k.Value
		child := joinField(path, key)
		if k.Kind != yaml.ScalarNode {
			c.findings = append(c.findings, Finding{File: c.file, Line: k.Line, Field: path,
				Message: "a field name must be a string; quote it or fix the indentation"})
			continue
		}
		if first, dup := lines[key]; dup {
			c.findings = append(c.findings, Finding{File: c.file, Line: k.Line, Field: child,
				Message: fmt.Sprintf("duplicate field %q (first at line %d); the API server rejects it: keep one", key, first)})
			continue
		}
		lines[key] = k.Line
		out[key] = c.value(v, child)
	}
	for _, m := range merges {
		for _, src := range mergeSources(m) {
			if merged, ok := c.value(src, path).(map[string]any); ok {
				for k, v := range merged {
					if _, set := out[k]; !set {
						out[k] = v
					}
				}
			}
		}
	}
	return out
}

// mergeSources lists the mappings a merge key names: one alias, or a
// sequence of them.
func mergeSources(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// scalar converts a scalar node by its tag: integers to int64, other
// numbers to float64, timestamps and binary data to their text.
func scalar(node *yaml.Node) any {
	switch node.ShortTag() {
	case "!!null":
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := node.Decode(&v); err != nil {
			return node.Value
		}
		switch n := v.(type) {
		case int:
			return int64(n)
		case uint64:
			return float64(n)
		}
		return v
	}
	return node.Value
}

// joinField appends a field name to a path.
func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// scalarValue returns the text of a scalar node; empty for any other.
func scalarValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// childNode returns the value node of key in a mapping node, or nil.
func childNode(node *yaml.Node, key string) *yaml.Node {
	if node == nil || node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return nil
}
