package lint

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// lintLines lints paths and returns the findings as printed.
func lintLines(t *testing.T, opts Options, paths ...string) []string {
	t.Helper()
	sources, err := ReadSources(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := Lint(context.Background(), sources, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(findings))
	for i, f := range findings {
		out[i] = f.String()
	}
	return out
}

// compareLines fails with both lists when got is not want.
func compareLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	t.Errorf("findings differ\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
}

// TestFindings lints each set of manifests under testdata and compares
// the lines a user would see, exactly. The file names in want are relative
// to the set's directory.
func TestFindings(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{
			name: "schema",
			want: []string{
				`rollout.yaml:2: warning: the CRD's CEL rules were not checked because of this object's other errors; fix them and lint again`,
				`rollout.yaml:6: metadata.lables: unknown field "lables": did you mean "labels"? The API server rejects unknown fields`,
				`rollout.yaml:9: spec.replicas: must be of type integer, not string`,
				`rollout.yaml:25: spec.strategy.canary.steps[0].setWeight: Invalid value: 120: should be less than or equal to 100`,
				`rollout.yaml:26: spec.strategy.canary.steps[1].setWieght: unknown field "setWieght": did you mean "setWeight"? The API server rejects unknown fields`,
				`rollout.yaml:28: spec.strategy.canary.steps[2].pause: duplicate field "pause" (first at line 27); the API server rejects it: keep one`,
				`rollout.yaml:30: spec.strategy.canary.steps[3].analysis.templates: Invalid value: 0: should have at least 1 items`,
			},
		},
		{
			name: "cel",
			want: []string{
				`rollout.yaml:7: spec.progressDeadlineSeconds: spec.progressDeadlineSeconds must be greater than spec.minReadySeconds`,
				`rollout.yaml:9: spec.selector: spec.selector.matchLabels must match spec.template.metadata.labels`,
				`rollout.yaml:23: spec.strategy.canary.stableService: canaryService and stableService must name different Services`,
				`rollout.yaml:25: spec.strategy.canary.maxUnavailable: maxSurge and maxUnavailable cannot both be 0: the rollout could never replace a pod`,
			},
		},
		{
			name: "kinds",
			want: []string{
				`objects.yaml:3: kind: unsupported value "Rolout": ramp.dev/v1alpha1 serves AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate, ClusterRolloutProfile, NotificationConfig, Rollout, RolloutProfile; did you mean Rollout?`,
				`objects.yaml:7: apiVersion: unsupported value "ramp.dev/v1beta1": Ramp serves only ramp.dev/v1alpha1; write apiVersion: ramp.dev/v1alpha1`,
				`objects.yaml:12: kind: required: every object names its apiVersion and kind; add kind`,
				`objects.yaml:16: a document must be an object with apiVersion and kind; remove it or complete it`,
				`objects.yaml:33: metadata.name: Invalid value: "Smoke_Test": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			},
		},
		{
			name: "syntax",
			want: []string{
				`broken.yaml:18: cannot parse the YAML: mapping values are not allowed in this context; fix the syntax (the rest of the file is not checked)`,
			},
		},
		{
			name: "references",
			want: []string{
				`rollout.yaml:21: spec.strategy.canary.canaryService: Service "web-canary" in namespace "shop" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
				`rollout.yaml:26: spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes[0].name: HTTPRoute "web" (testdata/references/routes.yaml:30): no rule lists both Services web-stable (stable) and web-canary (canary) among its backendRefs (rule 0 lists only web-stable: add web-canary to it); add the missing one, the canary with weight 0`,
				`rollout.yaml:27: spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes[1].name: HTTPRoute "web-internal" in namespace "shop" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
				`rollout.yaml:32: spec.strategy.canary.trafficRouting.istio.virtualServices[0].routes[0]: VirtualService "web" (testdata/references/routes.yaml:41): its http route "primary" has no destination with subset canary (canary); add it with weight 0`,
				`rollout.yaml:33: spec.strategy.canary.trafficRouting.istio.virtualServices[0].routes[1]: VirtualService "web" (testdata/references/routes.yaml:41): no http route is named "secondary" (the named ones are "primary"); name the route in spec.http[].name or fix routes`,
				`rollout.yaml:36: spec.strategy.canary.trafficRouting.istio.destinationRule.canarySubsetName: DestinationRule "web" (testdata/references/routes.yaml:57): no subset is named "canary"; add it to spec.subsets or fix the name`,
				`rollout.yaml:41: spec.strategy.canary.analysis.templates[1].templateName: ClusterAnalysisTemplate "latency" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
				`rollout.yaml:47: spec.strategy.canary.steps[1].analysis.templates[0].templateName: AnalysisTemplate "smoke" in namespace "shop" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
				`rollout.yaml:70: spec.strategy.profileRef.name: ClusterRolloutProfile "platform-canary" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
				`rollout.yaml:73: spec.strategy.blueGreen.previewService: Service "checkout-preview" in namespace "shop" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
			},
		},
		{
			name: "args",
			want: []string{
				`rollout.yaml:34: spec.strategy.canary.steps[1].analysis.args: AnalysisTemplate "error-rate" needs argument "service", which has no value or default in the template; add it to args with a value or valueFrom`,
				`rollout.yaml:35: spec.strategy.canary.steps[1].analysis.args[0].name: "servcie" is not an argument of the templates (they take "prometheus", "service"); remove it or fix the name: the controller stalls the rollout on it`,
				`rollout.yaml:41: spec.strategy.canary.steps[3].analysis.templates[1]: metric "error-rate" is defined by both AnalysisTemplate "error-rate" and ClusterAnalysisTemplate "latency"; rename one of them: the controller cannot merge them into one run`,
			},
		},
		{
			name: "conditions",
			want: []string{
				`templates.yaml:10: spec.metrics[0].successCondition: cannot parse "result[0] <": Unexpected end of expression; fix the expression`,
				`templates.yaml:16: spec.metrics[1].failureCondition: cannot use "response" in "response.code >= 500": a condition can only refer to result; fix the expression`,
				`templates.yaml:24: spec.metrics[2].provider.web.url: {{args.uri}} names no argument of spec.args; declare it there or fix the name`,
				`templates.yaml:25: spec.metrics[3]: warning: metric "never-fails" has neither successCondition nor failureCondition, so every measurement succeeds; add a condition such as successCondition: result[0] < 0.05`,
			},
		},
		{
			name: "steps",
			want: []string{
				`rollout.yaml:29: spec.strategy.canary.analysis.startingStep: is 12, but the steps end at index 9: the background analysis would never run; lower startingStep to the step it should start at`,
				`rollout.yaml:33: spec.strategy.canary.steps: spec.strategy.canary.steps[].setMirrorRoute.name must be declared in spec.strategy.canary.trafficRouting.managedRoutes`,
				`rollout.yaml:36: spec.strategy.canary.steps[1].pause.duration: warning: a pause of 0 does nothing: the rollout moves straight on; remove the step, give a duration such as 30s, or leave duration out to wait for kubectl ramp promote`,
				`rollout.yaml:37: spec.strategy.canary.steps[2].setWeight: warning: the weight goes down from 20 (steps[0]) to 10; if that is meant, say why in a comment on this step, else fix the order`,
				`rollout.yaml:48: spec.strategy.canary.steps[6].setMirrorRoute.name: route "shadow" is not declared in spec.strategy.canary.trafficRouting.managedRoutes (declared: "beta-users"); declare it there or fix the name`,
				`rollout.yaml:51: spec.strategy.canary.steps[8].pause.duration: warning: a pause of 0 does nothing: the rollout moves straight on; remove the step, give a duration such as 30s, or leave duration out to wait for kubectl ramp promote`,
				`rollout.yaml:52: spec.strategy.canary.steps[9].setWeight: steps[7] already sent all traffic to the canary: a later setWeight repeats it or takes traffic back from a canary that was fully live; remove this step or lower steps[7].setWeight`,
				`rollout.yaml:74: spec.strategy.canary.steps[0].setCanaryScale: setCanaryScale needs spec.strategy.canary.trafficRouting with gatewayAPI or istio: without a traffic router the controller stalls the rollout; add trafficRouting or remove the step`,
			},
		},
		{
			name: "profile",
			want: []string{
				`profiles.yaml:41: spec.strategy.blueGreen.prePromotionAnalysis.templates[0].templateName: AnalysisTemplate "smoke" in namespace "shop" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
				`rollouts.yaml:49: spec.strategy.canary.trafficRouting: setHeaderRoute of RolloutProfile "team" (steps[0].setHeaderRoute) needs spec.strategy.canary.trafficRouting with gatewayAPI or istio: without a traffic router the controller stalls the rollout; add trafficRouting here`,
				`rollouts.yaml:71: spec.strategy.profileRef: ClusterRolloutProfile "platform" holds a blueGreen strategy, but this Rollout writes spec.strategy.canary; write spec.strategy.blueGreen instead, or name a canary profile`,
			},
		},
		{
			name: "clean",
			want: []string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = filepath.Join(dir, w)
			}
			compareLines(t, lintLines(t, Options{}, dir), want)
		})
	}
}

// examplesDir is the repository's examples, found from this package's
// directory.
var examplesDir = filepath.Join("..", "..", "..", "examples")

// TestExamplesPass lints every file of examples/ together, as a user
// applying the directory would: no errors.
func TestExamplesPass(t *testing.T) {
	sources, err := ReadSources([]string{examplesDir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) == 0 {
		t.Fatalf("no manifests under %s", examplesDir)
	}
	findings, err := Lint(context.Background(), sources, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if f.Severity == Error {
			t.Errorf("%s", f)
		} else {
			t.Logf("%s", f)
		}
	}
}

// fakeCluster holds objects by kind, namespace and name.
type fakeCluster struct {
	objects map[string]map[string]any
	err     error
}

// Get returns the object stored under "Kind namespace/name".
func (c fakeCluster) Get(_ context.Context, gvk schema.GroupVersionKind, namespace, name string) (map[string]any, error) {
	if c.err != nil {
		return nil, c.err
	}
	return c.objects[gvk.Kind+" "+namespace+"/"+name], nil
}

// TestCluster lints the references set with a cluster that holds some of
// what the files miss: those are no longer reported, the rest is reported
// as missing from both, and a profile from the cluster is checked too.
func TestCluster(t *testing.T) {
	cluster := fakeCluster{objects: map[string]map[string]any{
		"Service shop/web-canary":          {"kind": "Service"},
		"Service shop/checkout-preview":    {"kind": "Service"},
		"HTTPRoute shop/web-internal":      {"spec": map[string]any{"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": "web-stable"}, map[string]any{"name": "web-canary"}}}}}},
		"AnalysisTemplate shop/smoke":      {"spec": map[string]any{"metrics": []any{map[string]any{"name": "smoke"}}}},
		"ClusterAnalysisTemplate /latency": {"spec": map[string]any{"args": []any{map[string]any{"name": "service"}}, "metrics": []any{map[string]any{"name": "latency"}}}},
		"ClusterRolloutProfile /platform-canary": {"spec": map[string]any{"strategy": map[string]any{"blueGreen": map[string]any{
			"postPromotionAnalysis": map[string]any{"templates": []any{map[string]any{"templateName": "gone"}}},
		}}}},
	}}
	dir := filepath.Join("testdata", "references")
	want := []string{
		`rollout.yaml:26: spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes[0].name: HTTPRoute "web" (testdata/references/routes.yaml:30): no rule lists both Services web-stable (stable) and web-canary (canary) among its backendRefs (rule 0 lists only web-stable: add web-canary to it); add the missing one, the canary with weight 0`,
		`rollout.yaml:32: spec.strategy.canary.trafficRouting.istio.virtualServices[0].routes[0]: VirtualService "web" (testdata/references/routes.yaml:41): its http route "primary" has no destination with subset canary (canary); add it with weight 0`,
		`rollout.yaml:33: spec.strategy.canary.trafficRouting.istio.virtualServices[0].routes[1]: VirtualService "web" (testdata/references/routes.yaml:41): no http route is named "secondary" (the named ones are "primary"); name the route in spec.http[].name or fix routes`,
		`rollout.yaml:36: spec.strategy.canary.trafficRouting.istio.destinationRule.canarySubsetName: DestinationRule "web" (testdata/references/routes.yaml:57): no subset is named "canary"; add it to spec.subsets or fix the name`,
		`rollout.yaml:38: spec.strategy.canary.analysis.args: ClusterAnalysisTemplate "latency" needs argument "service", which has no value or default in the template; add it to args with a value or valueFrom`,
		`rollout.yaml:68: spec.strategy.profileRef: ClusterRolloutProfile "platform-canary" (in the cluster), spec.strategy.blueGreen.postPromotionAnalysis.templates[0].templateName: AnalysisTemplate "gone" not found in namespace "shop", neither in the files nor in the cluster; create it or fix the name`,
	}
	for i, w := range want {
		want[i] = filepath.Join(dir, w)
	}
	compareLines(t, lintLines(t, Options{Cluster: cluster}, dir), want)

	sources, err := ReadSources([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	broken := fakeCluster{err: errors.New("connection refused")}
	if _, err := Lint(context.Background(), sources, Options{Cluster: broken}); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a failing cluster gave error %v, want one that says why", err)
	}
}

// TestNamespaceOption puts objects that name no namespace in the lint's
// namespace: a Service of that namespace then matches.
func TestNamespaceOption(t *testing.T) {
	rollout := `apiVersion: ramp.dev/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
  strategy:
    blueGreen:
      activeService: web
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
`
	src := []Source{{Name: StdinName, Data: []byte(rollout)}}
	for ns, want := range map[string]int{"shop": 0, "": 1} {
		findings, err := Lint(context.Background(), src, Options{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		if errs, _ := Count(findings); errs != want {
			t.Errorf("namespace %q: %d errors (%v), want %d", ns, errs, findings, want)
		}
	}
}

// TestReadSources reads files, directories (manifests only, recursively,
// in order) and stdin.
func TestReadSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yaml", "b")
	write("a/c.yml", "c")
	write("a/d.json", "d")
	write("README.md", "not a manifest")
	sources, err := ReadSources([]string{dir, "-", "-"}, strings.NewReader("stdin"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sources {
		got = append(got, strings.TrimPrefix(s.Name, dir+string(filepath.Separator))+"="+string(s.Data))
	}
	compareLines(t, got, []string{"a/c.yml=c", "a/d.json=d", "b.yaml=b", "<stdin>=stdin"})
	if _, err := ReadSources([]string{filepath.Join(dir, "missing.yaml")}, nil); err == nil {
		t.Error("a missing file gave no error")
	}
}

// TestLineOf maps field paths to lines, falling back to the nearest
// written field.
func TestLineOf(t *testing.T) {
	doc := `apiVersion: v1
kind: Thing
metadata:
  labels:
    app.kubernetes.io/name: web
spec:
  steps:
    - setWeight: 10
    - pause:
        duration: 1m
`
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	node := root.Content[0]
	for path, want := range map[string]int{
		"":     1,
		"kind": 2,
		"metadata.labels[app.kubernetes.io/name]": 5,
		"spec.steps[1].pause.duration":            10,
		"spec.steps[1]":                           9,
		"spec.steps[0].setWeight":                 8,
		"spec.steps[4].setWeight":                 7,
		"spec.replicas":                           6,
		".spec.steps":                             7,
	} {
		if got := lineOf(node, path); got != want {
			t.Errorf("lineOf(%q) = %d, want %d", path, got, want)
		}
	}
}

// BenchmarkExamples lints the whole examples directory; the validators
// are built by the first iteration and reused after.
func BenchmarkExamples(b *testing.B) {
	sources, err := ReadSources([]string{examplesDir}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Lint(context.Background(), sources, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
