package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// argoRollout is a small Argo Rollouts Rollout with one field Ramp lacks.
const argoRollout = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: web:1
  strategy:
    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        nginx:
          stableIngress: web
        istio:
          virtualService:
            name: web
      steps:
      - setWeight: 20
      - pause: {}
`

// plainService is a document convert keeps as written.
const plainService = `apiVersion: v1
kind: Service
metadata:
  name: web-canary  # the canary's Service
spec:
  ports:
  - port: 80
`

// brokenRollout is a Rollout that cannot be converted.
const brokenRollout = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: broken
spec:
  workloadRef:
    kind: StatefulSet
    name: db
  strategy:
    canary: {}
`

// runConvertCmd runs kubectl ramp with args and stdin.
func runConvertCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(append([]string{"convert"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeFile writes a test file, creating its directory.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readFile reads a test file.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestConvertPrintsRampManifestsAndWarnings checks that convert keeps
// other documents as written, prints the Ramp Rollout and one warning per
// dropped field, and exits 0.
func TestConvertPrintsRampManifestsAndWarnings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.yaml")
	writeFile(t, file, plainService+"---\n"+argoRollout)
	code, stdout, stderr := runConvertCmd(t, "", "-f", file)
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, plainService+"---\napiVersion: ramp.dev/v1alpha1\nkind: Rollout\n") {
		t.Errorf("stdout does not hold the Service as written, then the Ramp Rollout:\n%s", stdout)
	}
	if !strings.Contains(stdout, "virtualServices:\n            - name: web\n") {
		t.Errorf("stdout lacks the Istio routing:\n%s", stdout)
	}
	want := file + ":30: spec.strategy.canary.trafficRouting.nginx: warning: Ramp has no NGINX Ingress router; dropped (Ramp moves traffic through Gateway API routes or Istio VirtualServices)\n"
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

// TestConvertReadsStdin checks that convert reads -f - from stdin and
// names it in messages.
func TestConvertReadsStdin(t *testing.T) {
	code, stdout, stderr := runConvertCmd(t, argoRollout, "-f", "-")
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "apiVersion: ramp.dev/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\n") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.HasPrefix(stderr, "<stdin>:22: spec.strategy.canary.trafficRouting.nginx: warning: ") {
		t.Errorf("stderr does not name stdin and the line:\n%s", stderr)
	}
}

// TestConvertJoinsFilesAndDirectories checks that convert walks
// directories for manifests, skipping hidden directories and other files,
// and joins everything into one stream.
func TestConvertJoinsFilesAndDirectories(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yaml"), plainService)
	writeFile(t, filepath.Join(dir, "nested", "b.yml"), argoRollout)
	writeFile(t, filepath.Join(dir, "nested", "notes.txt"), "not a manifest")
	writeFile(t, filepath.Join(dir, ".git", "c.yaml"), brokenRollout)
	code, stdout, stderr := runConvertCmd(t, "", "-f", dir)
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, plainService+"---\napiVersion: ramp.dev/v1alpha1\n") {
		t.Errorf("stdout does not join a.yaml then nested/b.yml:\n%s", stdout)
	}
	if strings.Contains(stdout, "broken") || strings.Contains(stdout, "not a manifest") {
		t.Errorf("stdout holds files that are hidden or not manifests:\n%s", stdout)
	}
}

// TestConvertFailsWithoutWriting checks that convert exits 1 and writes
// nothing, to stdout or to files, when a document cannot be converted.
func TestConvertFailsWithoutWriting(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	writeFile(t, good, argoRollout)
	writeFile(t, bad, brokenRollout)
	for _, args := range [][]string{{"-f", good, "-f", bad}, {"-f", dir, "--in-place"}} {
		code, stdout, stderr := runConvertCmd(t, "", args...)
		if code != 1 {
			t.Errorf("%v: exit code %d, want 1", args, code)
		}
		if stdout != "" {
			t.Errorf("%v: wrote to stdout:\n%s", args, stdout)
		}
		for _, want := range []string{
			bad + ":7: spec.workloadRef.kind: error: Ramp takes the pod template from a Deployment (apps/v1) only",
			"error: 1 document(s) cannot be converted, for the errors above; nothing was written",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr does not say %q:\n%s", args, want, stderr)
			}
		}
	}
	if readFile(t, good) != argoRollout || readFile(t, bad) != brokenRollout {
		t.Error("a file was rewritten although the conversion failed")
	}
}

// TestConvertInPlace checks that convert rewrites only the files that
// hold documents to convert, keeping their documents in order.
func TestConvertInPlace(t *testing.T) {
	dir := t.TempDir()
	app, svc := filepath.Join(dir, "app.yaml"), filepath.Join(dir, "svc.yaml")
	writeFile(t, app, "# The web app.\n"+argoRollout+"---\n"+plainService)
	writeFile(t, svc, plainService)
	code, stdout, stderr := runConvertCmd(t, "", "-f", dir, "--in-place")
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	if want := app + ": converted 1 document(s)\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	got := readFile(t, app)
	if !strings.HasPrefix(got, "# The web app.\napiVersion: ramp.dev/v1alpha1\nkind: Rollout\n") || !strings.HasSuffix(got, "---\n"+plainService) {
		t.Errorf("app.yaml does not hold the Ramp Rollout then the Service, in order:\n%s", got)
	}
	if readFile(t, svc) != plainService {
		t.Error("svc.yaml, which had nothing to convert, was changed")
	}
	// A second run finds nothing left to convert.
	code, stdout, stderr = runConvertCmd(t, "", "-f", dir, "--in-place")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "found no argoproj.io/v1alpha1 Rollout") {
		t.Errorf("second run: exit code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestConvertUsageErrors checks the messages for the mistakes a user can
// make on the command line.
func TestConvertUsageErrors(t *testing.T) {
	dir := t.TempDir()
	jsonFile := filepath.Join(dir, "app.json")
	writeFile(t, jsonFile, `{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "a"},
 "spec": {"workloadRef": {"kind": "Deployment", "name": "a"}, "strategy": {"canary": {}}}}`)
	for _, tc := range []struct {
		args  []string
		stdin string
		err   string
	}{
		{nil, "", "error: name the manifests to convert: -f FILE, -f DIR, or -f - for stdin"},
		{[]string{"-f", "-", "-o", "json"}, argoRollout, "error: -o json: convert writes yaml only"},
		{[]string{"-f", "-", "--in-place"}, argoRollout, "error: --in-place cannot rewrite stdin"},
		{[]string{"-f", filepath.Join(dir, "missing.yaml")}, "", "error: -f " + filepath.Join(dir, "missing.yaml") + ": stat"},
		{[]string{"-f", jsonFile, "--in-place"}, "", "error: --in-place rewrites YAML files only, and " + jsonFile + " is JSON"},
	} {
		code, stdout, stderr := runConvertCmd(t, tc.stdin, tc.args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, tc.err) {
			t.Errorf("%v: exit code %d, stdout %q, stderr %q; want 1 and %q", tc.args, code, stdout, stderr, tc.err)
		}
	}
	// The JSON file converts to YAML on stdout.
	code, stdout, stderr := runConvertCmd(t, "", "-f", jsonFile)
	if code != 0 || !strings.HasPrefix(stdout, "apiVersion: ramp.dev/v1alpha1\nkind: Rollout\n") {
		t.Errorf("JSON input: exit code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
