// Package chart tests Ramp's Helm chart (charts/ramp) with the helm binary
// that `make helm` builds from hack/helm: lint, a golden render of the
// default values, renders with other values, the values schema, and that
// the chart grants exactly the RBAC the code's markers generate.
package chart

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/rampdev/ramp/test/helmbin"
)

var update = flag.Bool("update", false, "rewrite testdata/default.yaml from the current chart")

const (
	releaseName      = "ramp"
	releaseNamespace = "ramp-system"
)

// repoRoot is the repository root, two directories above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("find repository root: %v", err)
	}
	return root
}

// helm runs bin/helm with args from the repository root and returns its
// stdout, stderr and error.
func helm(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return helmbin.Run(repoRoot(t), t.TempDir(), args...)
}

// render runs helm template on the chart with the --set values given and
// fails the test if it fails.
func render(t *testing.T, sets ...string) string {
	t.Helper()
	out, err := helmbin.Template(repoRoot(t), t.TempDir(), releaseName, releaseNamespace, sets...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// object is the part of a rendered manifest the tests look at.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	// Rules is set for Roles and ClusterRoles.
	Rules []rbacv1.PolicyRule `json:"rules"`
	// Raw is the document's YAML.
	Raw string `json:"-"`
}

// parse splits a multi-document render into objects.
func parse(t *testing.T, manifests string) []object {
	t.Helper()
	var objs []object
	for _, doc := range strings.Split(manifests, "\n---") {
		if strings.TrimSpace(strings.TrimPrefix(doc, "---")) == "" {
			continue
		}
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("parse rendered manifest: %v\n%s", err, doc)
		}
		if o.Kind == "" {
			continue
		}
		o.Raw = doc
		objs = append(objs, o)
	}
	return objs
}

// ofKind returns the objects of kind.
func ofKind(objs []object, kind string) []object {
	var out []object
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// only returns the one object of kind, failing the test otherwise.
func only(t *testing.T, objs []object, kind string) object {
	t.Helper()
	found := ofKind(objs, kind)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, got %d", kind, len(found))
	}
	return found[0]
}

// generatedRules reads the rules `make manifests` writes from the markers.
func generatedRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "charts", "ramp", "files", "rbac", "role.yaml"))
	if err != nil {
		t.Fatalf("read generated role: %v", err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(data, &role); err != nil {
		t.Fatalf("parse generated role: %v", err)
	}
	if len(role.Rules) == 0 {
		t.Fatal("files/rbac/role.yaml has no rules; run make manifests")
	}
	return role.Rules
}

// grants lists every "group resource verb" a set of rules grants.
func grants(rules []rbacv1.PolicyRule) map[string]bool {
	out := map[string]bool{}
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out[g+" "+res+" "+v] = true
				}
			}
		}
	}
	return out
}

func hasGroup(rules []rbacv1.PolicyRule, group string) bool {
	for _, r := range rules {
		for _, g := range r.APIGroups {
			if g == group {
				return true
			}
		}
	}
	return false
}

func TestLint(t *testing.T) {
	out, errOut, err := helm(t, "lint", "--strict", "charts/ramp")
	if err != nil {
		t.Fatalf("helm lint --strict charts/ramp: %v\n%s%s", err, out, errOut)
	}
	for _, bad := range []string{"[WARNING]", "[ERROR]"} {
		if strings.Contains(out, bad) {
			t.Errorf("helm lint reported %s:\n%s", bad, out)
		}
	}
}

func TestDefaultRenderMatchesGolden(t *testing.T) {
	got := render(t)
	golden := filepath.Join("testdata", "default.yaml")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatalf("write %s: %v", golden, err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read %s (go test ./test/chart -update writes it): %v", golden, err)
	}
	if got != string(want) {
		t.Errorf("helm template with default values differs from %s; if the change is intended run\n"+
			"  go test ./test/chart -run TestDefaultRenderMatchesGolden -update\n%s", golden, lineDiff(string(want), got))
	}
}

// lineDiff names the first line where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("first difference at line %d:\n  want: %s\n  got:  %s", i+1, wl, gl)
		}
	}
	return ""
}
