package convert

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// tree is the YAML node tree of one input document: it gives the line of
// a field for messages and the comments to carry over to the output.
type tree struct {
	// doc is the document node.
	doc *yaml.Node
	// offset is the number of lines before the document's body in the file.
	offset int
	// fields maps a field's path (path.String) to its key and value nodes.
	fields map[string]nodePair
}

// nodePair is a field's key node (nil for a list item) and value node.
type nodePair struct {
	key, value *yaml.Node
}

// parseTree parses one document's body; offset is the line of the body's
// first line in the file, minus one.
func parseTree(body []byte, offset int) (*tree, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("read the YAML: %w", err)
	}
	t := &tree{doc: &doc, offset: offset, fields: map[string]nodePair{}}
	if len(doc.Content) == 1 {
		t.index(nil, nodePair{value: doc.Content[0]})
	}
	return t, nil
}

// index records n and every field below it by path.
func (t *tree) index(at path, n nodePair) {
	if at != nil {
		t.fields[at.String()] = n
	}
	v := n.value
	for v != nil && v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	if v == nil {
		return
	}
	switch v.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			t.index(at.key(v.Content[i].Value), nodePair{key: v.Content[i], value: v.Content[i+1]})
		}
	case yaml.SequenceNode:
		for i, item := range v.Content {
			t.index(at.index(i), nodePair{value: item})
		}
	}
}

// line is the line in the file of the field at p, or of the deepest field
// above it that exists.
func (t *tree) line(p path) int {
	for n := len(p); n > 0; n-- {
		if f, ok := t.fields[p[:n].String()]; ok {
			if f.key != nil {
				return f.key.Line + t.offset
			}
			return f.value.Line + t.offset
		}
	}
	if t.doc != nil && len(t.doc.Content) == 1 {
		return t.doc.Content[0].Line + t.offset
	}
	return t.offset + 1
}
