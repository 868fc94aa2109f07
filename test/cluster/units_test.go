package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustRepoRoot(t *testing.T) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestRepoRoot(t *testing.T) {
	root := mustRepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "hack", "tools", "go.mod")); err != nil {
		t.Fatalf("repo root %s has no hack/tools/go.mod: %v", root, err)
	}
	if _, err := findRepoRoot(t.TempDir()); err == nil {
		t.Fatal("findRepoRoot found a root above a temporary directory")
	}
}

func TestReadToolVersions(t *testing.T) {
	v, err := readToolVersions(filepath.Join(mustRepoRoot(t), "hack", "tools", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"kubernetes": v.kubernetes, "etcd": v.etcd, "kwok": v.kwok} {
		if !strings.HasPrefix(got, "v") {
			t.Errorf("%s version %q", name, got)
		}
	}
	if want := v.kubernetes + "-" + v.etcd + "-" + v.kwok; v.key() != want {
		t.Errorf("key %q, want %q", v.key(), want)
	}

	missing := filepath.Join(t.TempDir(), "go.mod")
	mod := "module x\n\ngo 1.26\n\nrequire (\n\tk8s.io/kubernetes v1.36.3\n\tgo.etcd.io/etcd/server/v3 v3.6.8\n)\n"
	if err := os.WriteFile(missing, []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readToolVersions(missing); err == nil || !strings.Contains(err.Error(), kwokModule) {
		t.Fatalf("want an error naming %s, got %v", kwokModule, err)
	}
}

func TestVersionLDFlags(t *testing.T) {
	got, err := versionLDFlags("v1.36.3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"gitVersion=v1.36.3", "gitMajor=1", "gitMinor=36"} {
		if !strings.Contains(got, want) {
			t.Errorf("ldflags %q lack %q", got, want)
		}
	}
	if _, err := versionLDFlags("latest"); err == nil {
		t.Error("want an error for a version that is not semver")
	}
}

func TestEnsureBinariesUsesCompleteBuild(t *testing.T) {
	cache := t.TempDir()
	v := toolVersions{kubernetes: "v1.0.0", etcd: "v3.0.0", kwok: "v0.1.0"}
	dir := filepath.Join(cache, v.key())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range buildPackages {
		if err := os.WriteFile(filepath.Join(dir, b.bin), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	noTools := filepath.Join(cache, "no-such-tools-module")

	// Without the marker the build is incomplete and is redone (and fails
	// here, as there is no tools module).
	if _, err := ensureBinariesIn(t.Context(), cache, noTools, v, io.Discard); err == nil {
		t.Fatal("an unmarked directory was taken as a complete build")
	}
	if err := os.WriteFile(filepath.Join(dir, completeMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ensureBinariesIn(t.Context(), cache, noTools, v, io.Discard)
	if err != nil || got != dir {
		t.Fatalf("got %q, %v; want %q", got, err, dir)
	}
}

func TestLockFileExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "build.lock")
	unlock, err := lockFile(t.Context(), path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	var msg strings.Builder
	if _, err := lockFile(ctx, path, &msg); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock: want deadline exceeded while held, got %v", err)
	}
	if !strings.Contains(msg.String(), "waiting for another process") {
		t.Errorf("no waiting message, got %q", msg.String())
	}
	unlock()
	unlock2, err := lockFile(t.Context(), path, io.Discard)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestDefaultCRDPaths(t *testing.T) {
	found := func() (string, error) { return "found", nil }
	missing := filepath.Join(t.TempDir(), "charts", "ramp", "crds")
	if _, err := defaultCRDPaths(missing, found, found); err == nil || !strings.Contains(err.Error(), "make manifests") {
		t.Fatalf("want an error telling how to generate the crds, got %v", err)
	}
	if err := os.MkdirAll(missing, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := defaultCRDPaths(missing, found, found)
	if err != nil || len(got) != 3 || got[0] != missing {
		t.Fatalf("got %v, %v", got, err)
	}
}

const testCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object}
`

func TestReadCRDs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	mixed := write("mixed.yaml", "# comment only\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"+testCRD)
	write("notes.txt", "not yaml")
	crds, err := readCRDs([]string{dir})
	if err != nil || len(crds) != 1 || crds[0].Name != "widgets.example.com" {
		t.Fatalf("got %d crds, %v", len(crds), err)
	}
	if _, err := readCRDs([]string{mixed}); err != nil {
		t.Fatalf("a file path: %v", err)
	}
	none := write("none.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	if _, err := readCRDs([]string{none}); err == nil || !strings.Contains(err.Error(), "no CustomResourceDefinition") {
		t.Fatalf("want a no-crd error, got %v", err)
	}
	old := write("old.yaml", strings.Replace(testCRD, "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1", 1))
	if _, err := readCRDs([]string{old}); err == nil {
		t.Fatal("want an error for a v1beta1 crd")
	}
	if _, err := readCRDs([]string{filepath.Join(dir, "absent")}); err == nil {
		t.Fatal("want an error for a missing path")
	}
}

func TestGatewayAndIstioCRDsParse(t *testing.T) {
	gateway, err := GatewayAPICRDDir()
	if err != nil {
		t.Fatal(err)
	}
	istio, err := IstioCRDFile()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{gateway, istio} {
		crds, err := readCRDs([]string{path})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d crds", path, len(crds))
	}
}

func TestWriteKwokConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stages.yaml")
	if err := writeKwokConfig(path, []string{failStage}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: ramp-pod-ready", "name: test-pod-fail"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("config lacks %q", want)
		}
	}
	if err := writeKwokConfig(path, []string{"apiVersion: v1\nkind: ConfigMap\n"}); err == nil {
		t.Fatal("want an error for a document that is not a Stage")
	}
}

func TestRemoveStaleDirs(t *testing.T) {
	root := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := dead.Process.Pid
	mk := func(name string, pid int) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if pid != 0 {
			if err := os.WriteFile(filepath.Join(dir, pidFile), fmt.Appendf(nil, "%d", pid), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	stale := mk(fmt.Sprintf("ramp-plane-%d-1", deadPID), deadPID)
	live := mk(fmt.Sprintf("ramp-plane-%d-2", os.Getpid()), os.Getpid())
	foreign := mk(fmt.Sprintf("other-%d-3", deadPID), 0)
	removeStaleDirs(root)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale directory kept (%v)", err)
	}
	for _, dir := range []string{live, foreign} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s removed: %v", dir, err)
		}
	}
}

// TestPrefixWriter checks the prefixing of LogWriter output (the log tail
// is checked in package childproc, TestTailFile).
func TestPrefixWriter(t *testing.T) {
	var out strings.Builder
	pw := &prefixWriter{prefix: "[x] ", w: &out}
	_, _ = pw.Write([]byte("a\nb"))
	_, _ = pw.Write([]byte("c\n"))
	if out.String() != "[x] a\n[x] bc\n" {
		t.Fatalf("prefixed output %q", out.String())
	}
}
