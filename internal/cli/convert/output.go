package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// render writes a converted Ramp object as YAML: fields in the order of
// Ramp's Go types, empty fields left out, and the input's comments kept on
// the fields that came from it.
func render(obj any, in *tree, moves []move) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("write the Ramp object: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("write the Ramp object: %w", err)
	}
	root := doc.Content[0]
	apiVersionFirst(root)
	prune(root, true)
	plainStyle(root)
	if in.doc != nil {
		doc.HeadComment, doc.FootComment = in.doc.HeadComment, in.doc.FootComment
		if len(in.doc.Content) == 1 {
			copyComments(root, in.doc.Content[0])
		}
	}
	carryComments(root, nil, in, moves)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("write the Ramp object: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write the Ramp object: %w", err)
	}
	// kubectl reads YAML 1.1; make sure it reads back what was meant, and
	// fall back to kubectl's own way of writing YAML if not.
	var want any
	if err := root.Decode(&want); err != nil {
		return nil, fmt.Errorf("write the Ramp object: %w", err)
	}
	if same, err := readsAs(out.Bytes(), want); err != nil || !same {
		return sigsyaml.Marshal(want)
	}
	if !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

// apiVersionFirst moves apiVersion before kind, as manifests are written,
// in the object and in the items of a List.
func apiVersionFirst(obj *yaml.Node) {
	c := obj.Content
	if len(c) >= 4 && c[0].Value == "kind" && c[2].Value == "apiVersion" {
		c[0], c[1], c[2], c[3] = c[2], c[3], c[0], c[1]
	}
	for i := 0; i+1 < len(c); i += 2 {
		if c[i].Value == "items" && c[i+1].Kind == yaml.SequenceNode {
			for _, item := range c[i+1].Content {
				apiVersionFirst(item)
			}
		}
	}
}

// readsAs reports whether kubectl's YAML reader reads data as want.
func readsAs(data []byte, want any) (bool, error) {
	got, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		return false, err
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		return false, err
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		return false, err
	}
	if err := json.Unmarshal(wantJSON, &b); err != nil {
		return false, err
	}
	return reflect.DeepEqual(a, b), nil
}

// emptyDropped are the fields dropped when they are an empty object:
// Kubernetes' Go types write them even when nothing is set.
var emptyDropped = map[string]bool{"status": true, "metadata": true, "resources": true}

// prune removes null fields, and the fields of emptyDropped that are
// empty objects (but not the object's own metadata).
func prune(n *yaml.Node, top bool) {
	switch n.Kind {
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			prune(v, false)
			emptyObject := v.Kind == yaml.MappingNode && len(v.Content) == 0
			ownMetadata := top && k.Value == "metadata"
			if v.Tag == "!!null" || emptyObject && emptyDropped[k.Value] && !ownMetadata {
				continue
			}
			kept = append(kept, k, v)
		}
		n.Content = kept
	case yaml.SequenceNode:
		for _, item := range n.Content {
			prune(item, false)
		}
	}
}

// oldBools are the words YAML 1.1 (and so kubectl) reads as booleans.
var oldBools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

// plainStyle drops the JSON quoting of every string, so that the encoder
// quotes only what needs it, and quotes the strings YAML 1.1 reads as
// booleans.
func plainStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && oldBools[n.Value] {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		plainStyle(c)
	}
}

// carryComments copies the comments of the input fields onto the output
// fields that came from them.
func carryComments(n *yaml.Node, at path, in *tree, moves []move) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := at.key(k.Value)
			if f, ok := in.fields[source(p, moves).String()]; ok {
				if f.key != nil {
					copyComments(k, f.key)
				}
				copyComments(v, f.value)
			}
			carryComments(v, p, in, moves)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := at.index(i)
			if f, ok := in.fields[source(p, moves).String()]; ok {
				copyComments(item, f.value)
			}
			carryComments(item, p, in, moves)
		}
	}
}

// copyComments copies the comments of from onto to.
func copyComments(to, from *yaml.Node) {
	if from == nil {
		return
	}
	to.HeadComment, to.LineComment, to.FootComment = from.HeadComment, from.LineComment, from.FootComment
}

// source is the input path an output path came from: the same path, or
// the one a move says.
func source(p path, moves []move) path {
	best := -1
	for i, m := range moves {
		if hasPrefix(p, m.to) && (best < 0 || len(m.to) > len(moves[best].to)) {
			best = i
		}
	}
	if best < 0 {
		return p
	}
	m := moves[best]
	return append(append(path{}, m.from...), p[len(m.to):]...)
}

// hasPrefix reports whether prefix is p or a path above it.
func hasPrefix(p, prefix path) bool {
	if len(prefix) > len(p) {
		return false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}
