package convert

import (
	"os"
	"path/filepath"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// FuzzFile feeds convert arbitrary streams: it must never panic, and what
// it converts must always read back as Ramp objects.
func FuzzFile(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res := File("fuzz.yaml", data)
		if res.Converted == 0 {
			return
		}
		in, out := splitDocuments(data), splitDocuments(res.Output)
		if len(in) != len(out) {
			t.Fatalf("%d documents in, %d out", len(in), len(out))
		}
		for i := range out {
			if string(in[i].body) == string(out[i].body) {
				continue
			}
			var obj map[string]any
			if err := sigsyaml.Unmarshal(out[i].body, &obj); err != nil {
				t.Fatalf("a converted document does not read back: %v\n%s", err, out[i].body)
			}
			if obj["apiVersion"] != "ramp.dev/v1alpha1" && obj["kind"] != "List" {
				t.Fatalf("a converted document is not a Ramp object:\n%s", out[i].body)
			}
		}
	})
}
