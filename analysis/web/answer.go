package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"k8s.io/client-go/util/jsonpath"
)

// maxTextBytes bounds Result.Text.
const maxTextBytes = 256

// shownKeys bounds how many of the answer's keys an error lists.
const shownKeys = 10

// decode turns a 2xx answer's body into the measured value: the decoded
// JSON, or the value at path in it. Without a path, a body that is not
// JSON is taken as text.
func decode(body []byte, path string) (any, error) {
	if !json.Valid(body) {
		switch {
		case path == "":
			return strings.TrimSpace(string(body)), nil
		case len(bytes.TrimSpace(body)) == 0:
			return nil, fmt.Errorf("the answer is empty, not JSON, so jsonPath %s cannot be applied", path)
		}
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("the answer is not JSON, so jsonPath %s cannot be applied: %w", path, err)
	}
	if path == "" {
		return doc, nil
	}
	return find(doc, path)
}

// find returns the value at path in doc: the one match, or a []any of all
// matches when there are several. A path written without braces, such as
// $.data.ok or .data.ok, is read as {$.data.ok}.
func find(doc any, path string) (any, error) {
	expr := path
	if !strings.Contains(expr, "{") {
		expr = "{" + expr + "}"
	}
	jp := jsonpath.New("jsonPath")
	if err := jp.Parse(expr); err != nil {
		return nil, fmt.Errorf("jsonPath %s is not valid: %w", path, err)
	}
	results, err := findResults(jp, doc)
	if err != nil {
		return nil, fmt.Errorf("jsonPath %s matched nothing in the answer%s: %w", path, keysHint(doc), err)
	}
	var matches []any
	for _, values := range results {
		for _, v := range values {
			if !v.IsValid() {
				matches = append(matches, nil)
				continue
			}
			matches = append(matches, v.Interface())
		}
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("jsonPath %s matched nothing in the answer%s", path, keysHint(doc))
	case 1:
		return matches[0], nil
	}
	return matches, nil
}

// findResults runs jp on doc, turning a panic of the jsonpath library on an
// unusual template into an error.
func findResults(jp *jsonpath.JSONPath, doc any) (results [][]reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("evaluating it failed: %v", r)
		}
	}()
	return jp.FindResults(doc)
}

// keysHint lists the top-level keys of a JSON object answer, to help fix a
// jsonPath that matched nothing.
func keysHint(doc any) string {
	obj, ok := doc.(map[string]any)
	if !ok {
		return ""
	}
	if len(obj) == 0 {
		return " (an empty object)"
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	more := ""
	if len(keys) > shownKeys {
		more = fmt.Sprintf(" and %d more", len(keys)-shownKeys)
		keys = keys[:shownKeys]
	}
	return fmt.Sprintf(" (its top-level keys: %s%s)", strings.Join(keys, ", "), more)
}

// valueText is the compact JSON of v.
func valueText(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("writing the value as JSON: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}
