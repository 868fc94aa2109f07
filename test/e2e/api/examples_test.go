package api

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestExamplesAreAccepted creates every object of every file in examples/
// (with strict field validation, as kubectl apply does), each file in its
// own namespace.
func TestExamplesAreAccepted(t *testing.T) {
	t.Parallel()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(filepath.Join(root, "examples"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in examples/")
	}
	k8s := framework.Client(t)
	for _, file := range files {
		rel, _ := filepath.Rel(root, file)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			ns := framework.Namespace(t, k8s)
			objs, err := framework.DecodeYAMLFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) == 0 {
				t.Fatalf("%s holds no objects", rel)
			}
			ctx, cancel := framework.APIContext()
			defer cancel()
			for _, obj := range objs {
				obj.SetNamespace(ns)
				if err := k8s.Create(ctx, obj, client.FieldValidation("Strict")); err != nil {
					t.Errorf("%s: %s %s rejected: %v", rel, obj.GetKind(), obj.GetName(), err)
				}
			}
		})
	}
}
