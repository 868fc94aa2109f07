package lint

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzLint lints arbitrary bytes as one manifest file, as kubectl ramp
// lint reads a file given to it. It must not panic nor fail (without a
// cluster to ask, problems of the input are findings, not errors), and
// every finding must be one a user can act on: in the file given, at a
// line of it, with a message and a known severity, in file and line
// order, each once, and the same findings on every run.
func FuzzLint(f *testing.F) {
	// The manifests of TestFindings; testdata/fuzz holds the fuzzer's own
	// corpus, which go test adds by itself.
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		if strings.HasPrefix(path, filepath.Join("testdata", "fuzz")+string(filepath.Separator)) {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Edge cases: empty documents, a List, JSON, YAML anchors, aliases and
	// merge keys, and a broken document after a good one.
	for _, doc := range []string{
		"",
		"---\n---\n",
		"null\n",
		"- a\n- b\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: ramp.dev/v1alpha1\n  kind: Rollout\n  metadata: {name: web}\n- 3\n",
		`{"apiVersion": "ramp.dev/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "t"}, "spec": {"metrics": [{"name": "m", "successCondition": "result[0] <"}]}}`,
		"apiVersion: ramp.dev/v1alpha1\nkind: Rollout\nmetadata: &meta {name: web, labels: {app: web}}\nspec:\n  template:\n    metadata: *meta\n",
		"base: &base {setWeight: 10}\napiVersion: ramp.dev/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  strategy:\n    canary:\n      steps:\n      - <<: *base\n      - <<: [*base]\n        setWeight: 20\n",
		"apiVersion: ramp.dev/v1alpha1\nkind: Rollout\nmetadata: {name: web, name: web}\n---\nkind: [\n",
		"? [a, b]\n: c\napiVersion: v1\nkind: Service\n",
	} {
		f.Add([]byte(doc))
	}

	const name = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			// A manifest file of this size says nothing a smaller one
			// does not, and slows the fuzzer down.
			return
		}
		sources := []Source{{Name: name, Data: data}}
		findings, err := Lint(context.Background(), sources, Options{})
		if err != nil {
			t.Fatalf("lint failed instead of reporting findings: %v", err)
		}
		lines := yamlLines(data)
		for _, fd := range findings {
			switch {
			case fd.File != name:
				t.Fatalf("finding in file %q, not in the file linted: %s", fd.File, fd)
			case fd.Line < 1 || fd.Line > lines:
				t.Fatalf("finding at line %d of a file of %d lines: %s", fd.Line, lines, fd)
			case strings.TrimSpace(fd.Message) == "":
				t.Fatalf("finding without a message: %#v", fd)
			case fd.Severity != Error && fd.Severity != Warning:
				t.Fatalf("finding of unknown severity %d: %s", fd.Severity, fd)
			case !strings.HasPrefix(fd.String(), fmt.Sprintf("%s:%d: ", name, fd.Line)):
				t.Fatalf("finding printed as %q, not file:line: first", fd.String())
			}
		}
		if !slices.IsSortedFunc(findings, compareFindings) {
			t.Fatalf("findings are not in file and line order:\n%s", findingLines(findings))
		}
		for i := 1; i < len(findings); i++ {
			if findings[i] == findings[i-1] {
				t.Fatalf("finding reported twice: %s", findings[i])
			}
		}
		again, err := Lint(context.Background(), sources, Options{})
		if err != nil {
			t.Fatalf("lint failed the second time: %v", err)
		}
		if !reflect.DeepEqual(findings, again) {
			t.Fatalf("two lints of the same file differ:\n--- first\n%s\n--- second\n%s", findingLines(findings), findingLines(again))
		}
	})
}

// yamlLines counts the lines of data as YAML does, and so as findings
// number them: a line ends at \n, \r\n, a lone \r, or one of the Unicode
// line breaks NEL, LS and PS.
func yamlLines(data []byte) int {
	lines := 1
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
			i++
			lines++
		case data[i] == '\r', data[i] == '\n':
			lines++
		case bytes.HasPrefix(data[i:], []byte("\u0085")):
			i++
			lines++
		case bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
			i += 2
			lines++
		}
	}
	return lines
}

// compareFindings orders findings as Lint promises: by file, line, field
// and message.
func compareFindings(a, b Finding) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	if c := strings.Compare(a.Field, b.Field); c != 0 {
		return c
	}
	return strings.Compare(a.Message, b.Message)
}

func findingLines(findings []Finding) string {
	lines := make([]string, len(findings))
	for i, fd := range findings {
		lines[i] = fd.String()
	}
	return strings.Join(lines, "\n")
}
