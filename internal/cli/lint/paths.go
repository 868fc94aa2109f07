package lint

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineOf returns the line of the field at path in the object node: the
// line of its key, or of its item in a list. A field that is not written
// (a required field left out, a default) gets the line of the nearest
// enclosing field that is; the empty path gets the object's first line.
func lineOf(node *yaml.Node, path string) int {
	line := node.Line
	cur := node
	for _, step := range splitPath(path) {
		cur = deref(cur)
		switch cur.Kind {
		case yaml.MappingNode:
			k, v := mappingEntry(cur, step)
			if k == nil {
				return line
			}
			line, cur = k.Line, v
		case yaml.SequenceNode:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(cur.Content) {
				return line
			}
			cur = cur.Content[i]
			line = cur.Line
		default:
			return line
		}
	}
	return line
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// mappingEntry returns the key and value nodes of key in a mapping node.
func mappingEntry(node *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Kind == yaml.ScalarNode && node.Content[i].Value == key {
			return node.Content[i], node.Content[i+1]
		}
	}
	return nil, nil
}

// nodeAt returns the node at path, or nil when it is not written.
func nodeAt(node *yaml.Node, path string) *yaml.Node {
	cur := node
	for _, step := range splitPath(path) {
		cur = deref(cur)
		switch cur.Kind {
		case yaml.MappingNode:
			_, cur = mappingEntry(cur, step)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(cur.Content) {
				return nil
			}
			cur = cur.Content[i]
		default:
			return nil
		}
		if cur == nil {
			return nil
		}
	}
	return cur
}

// splitPath splits a field path such as
// spec.strategy.canary.steps[2].setWeight or metadata.labels[app.kubernetes.io/name]
// into its steps: field names, list indexes and map keys. A leading dot
// (CEL's fieldPath form) is ignored.
func splitPath(path string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				cur.WriteString(path[i+1:])
				i = len(path)
				continue
			}
			key := path[i+1 : i+end]
			key = strings.Trim(key, `'"`)
			out = append(out, key)
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}
