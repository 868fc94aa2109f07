package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// lintTestdata is the lint package's manifest sets.
var lintTestdata = filepath.Join("lint", "testdata")

// lintRun runs the plugin with stdin and a fake cluster holding objs, and
// returns the exit code, stdout and stderr.
func lintRun(t *testing.T, stdin string, objs []client.Object, args ...string) (int, string, string) {
	t.Helper()
	c := fake.NewClientBuilder().WithScheme(Scheme()).WithObjects(objs...).Build()
	var out, errOut bytes.Buffer
	o := newOptions(strings.NewReader(stdin), &out, &errOut)
	o.newClient = func() (client.WithWatch, error) { return c, nil }
	code := run(o, args)
	return code, out.String(), errOut.String()
}

// lintStdin is a blue-green Rollout whose Services are not in the file.
const lintStdin = `apiVersion: ramp.dev/v1alpha1
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
        - name: app
          image: nginx:1.27
  strategy:
    blueGreen:
      activeService: web-active
      prePromotionAnalysis:
        templates:
          - templateName: smoke
            clusterScope: true
`

// lintRoute is a canary Rollout whose route is not in the file.
const lintRoute = `apiVersion: ramp.dev/v1alpha1
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
        - name: app
          image: nginx:1.27
  strategy:
    canary:
      canaryService: web-canary
      stableService: web-active
      trafficRouting:
        gatewayAPI:
          httpRoutes:
            - name: web
`

// lintWarning is a canary Rollout with its Services and a pause of 0.
const lintWarning = `apiVersion: ramp.dev/v1alpha1
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
        - name: app
          image: nginx:1.27
  strategy:
    canary:
      steps:
        - pause:
            duration: 0
        - setWeight: 50
`

// lintObjects are what the fake cluster holds for the --cluster cases.
var lintObjects = []client.Object{
	&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-active"}},
	&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-canary"}},
	&rampv1alpha1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "smoke"}},
}

// TestLintCommand runs kubectl ramp lint on files, stdin and a fake
// cluster, and checks what a user sees: the findings, the summary on
// stderr and the exit code.
func TestLintCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stdin string
		objs  []client.Object
		args  []string
		code  int
		// out is stdout, line by line; lines counts them instead.
		out   []string
		lines int
		// errOut is a part of stderr; empty for none.
		errOut string
	}{
		{name: "clean files", args: []string{"lint", "-f", filepath.Join(lintTestdata, "clean")}},
		{name: "errors in files", args: []string{"lint", "-f", filepath.Join(lintTestdata, "steps", "rollout.yaml"), "-f", filepath.Join(lintTestdata, "steps", "objects.yaml")},
			code: 1, lines: 8, errOut: "error: lint found 5 errors and 3 warnings"},
		{name: "stdin", stdin: lintStdin, args: []string{"lint", "-f", "-"}, code: 1, out: []string{
			`<stdin>:19: spec.strategy.blueGreen.activeService: Service "web-active" in namespace "default" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
			`<stdin>:22: spec.strategy.blueGreen.prePromotionAnalysis.templates[0].templateName: ClusterAnalysisTemplate "smoke" is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster`,
		}, errOut: "error: lint found 2 errors and 0 warnings"},
		{name: "stdin with -n", stdin: lintStdin, args: []string{"-n", "shop", "lint", "-f", "-"}, code: 1, lines: 2,
			errOut: "error: lint found 2 errors"},
		{name: "cluster holds the references", stdin: lintStdin, objs: lintObjects, args: []string{"-n", "shop", "lint", "-f", "-", "--cluster"}},
		{name: "cluster misses the references", stdin: lintStdin, args: []string{"-n", "shop", "lint", "-f", "-", "--cluster"}, code: 1, out: []string{
			`<stdin>:19: spec.strategy.blueGreen.activeService: Service "web-active" not found in namespace "shop", neither in the files nor in the cluster; create it or fix the name`,
			`<stdin>:22: spec.strategy.blueGreen.prePromotionAnalysis.templates[0].templateName: ClusterAnalysisTemplate "smoke" not found, neither in the files nor in the cluster; create it or fix the name`,
		}, errOut: "error: lint found 2 errors and 0 warnings"},
		{name: "route kind the cluster does not serve", stdin: lintRoute, objs: lintObjects, args: []string{"-n", "shop", "lint", "-f", "-", "--cluster"}, code: 1, out: []string{
			`<stdin>:24: spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes[0].name: HTTPRoute "web" not found in namespace "shop", neither in the files nor in the cluster; create it or fix the name`,
		}, errOut: "error: lint found 1 error and 0 warnings"},
		{name: "warnings pass", stdin: lintWarning, args: []string{"lint", "-f", "-"}, out: []string{
			`<stdin>:21: spec.strategy.canary.steps[0].pause.duration: warning: a pause of 0 does nothing: the rollout moves straight on; remove the step, give a duration such as 30s, or leave duration out to wait for kubectl ramp promote`,
		}, errOut: "lint found 1 warning"},
		{name: "warnings fail with --strict", stdin: lintWarning, args: []string{"lint", "--strict", "-f", "-"}, code: 1, lines: 1,
			errOut: "error: lint found 0 errors and 1 warning"},
		{name: "no files", args: []string{"lint"}, code: 1, errOut: `required flag(s) "filename" not set`},
		{name: "a file as argument", args: []string{"lint", "rollout.yaml"}, code: 1, errOut: "write kubectl ramp lint -f rollout.yaml"},
		{name: "missing file", args: []string{"lint", "-f", "missing.yaml"}, code: 1, errOut: "read missing.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := lintRun(t, tc.stdin, tc.objs, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stdout:\n%sstderr:\n%s", code, tc.code, out, errOut)
			}
			var lines []string
			if out != "" {
				lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			}
			switch {
			case tc.lines > 0 && len(lines) != tc.lines:
				t.Errorf("stdout has %d lines, want %d:\n%s", len(lines), tc.lines, out)
			case tc.lines == 0 && strings.Join(lines, "\n") != strings.Join(tc.out, "\n"):
				t.Errorf("stdout\n%s\nwant\n%s", out, strings.Join(tc.out, "\n"))
			}
			if (tc.errOut == "" && errOut != "") || !strings.Contains(errOut, tc.errOut) {
				t.Errorf("stderr %q, want %q", errOut, tc.errOut)
			}
		})
	}
}
