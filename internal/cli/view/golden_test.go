package view

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// update rewrites the golden files from the current output:
// go test ./internal/cli/view -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// golden compares got with testdata/<name>.golden (or writes it with
// -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s (run go test with -update to create it): %v", path, err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test with -update to accept it)\n--- got:\n%s\n--- want:\n%s\n--- first difference at line %d",
			path, got, want, firstDiff(got, string(want)))
	}
}

// firstDiff is the number of the first line where a and b differ.
func firstDiff(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

func TestRolloutGolden(t *testing.T) {
	for _, s := range scenarios() {
		t.Run(s.name, func(t *testing.T) {
			golden(t, "get-"+s.name, Rollout(s.objs, Options{Now: now}))
			golden(t, "get-"+s.name+".color", Rollout(s.objs, Options{Now: now, Color: true}))
		})
	}
}

func TestRolloutTableGolden(t *testing.T) {
	all := allRollouts()
	var shop []rampv1alpha1.Rollout
	for _, ro := range all {
		if ro.Namespace == "shop" {
			shop = append(shop, ro)
		}
	}
	for _, color := range []bool{false, true} {
		suffix := ""
		if color {
			suffix = ".color"
		}
		o := Options{Now: now, Color: color}
		golden(t, "list"+suffix, (&RolloutTable{}).Render(shop, o))
		golden(t, "list-all-namespaces"+suffix, (&RolloutTable{AllNamespaces: true}).Render(all, o))
	}
}
