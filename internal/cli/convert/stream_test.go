package convert

import (
	"slices"
	"testing"
)

// TestSplitJoinKeepsBytes checks that cutting a stream into documents and
// joining them back gives it back byte for byte, whatever its layout.
func TestSplitJoinKeepsBytes(t *testing.T) {
	for _, in := range []string{
		"",
		"a: 1\n",
		"a: 1",
		"---\na: 1\n---\nb: 2\n",
		"# head\na: 1\n--- # second\nb: 2\n...\n---\n",
		"a: 1\r\n---\r\nb: 2\r\n",
		"a: |\n  ---not a separator\n  text\n---\n\n",
		"---\n---\n",
	} {
		docs := splitDocuments([]byte(in))
		if got := string(joinDocuments(docs)); got != in {
			t.Errorf("%q came back as %q", in, got)
		}
	}
}

// TestSplitLines checks the line each document starts on, which messages
// count from.
func TestSplitLines(t *testing.T) {
	docs := splitDocuments([]byte("a: 1\nb: 2\n---\nc: 3\n--- # x\n\nd: 4\n"))
	var lines []int
	for _, d := range docs {
		lines = append(lines, d.line)
	}
	if want := []int{1, 4, 6}; !slices.Equal(lines, want) {
		t.Errorf("documents start on lines %v, want %v", lines, want)
	}
}

// TestJoinFiles checks that several files make one stream, with a
// separator between files that do not start with one.
func TestJoinFiles(t *testing.T) {
	got := string(Join([]byte("a: 1"), []byte("b: 2\n"), []byte("\n"), []byte("---\nc: 3\n")))
	want := "a: 1\n---\nb: 2\n---\nc: 3\n"
	if got != want {
		t.Errorf("Join gave %q, want %q", got, want)
	}
}
