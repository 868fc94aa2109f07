package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/cli"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds every wait on the controller.
const waitTimeout = 60 * time.Second

// fixture is one test's namespace and Rollout web, with its Services.
type fixture struct {
	t   *testing.T
	k8s client.WithWatch
	ns  string
	ro  *rampv1alpha1.Rollout
}

// newFixture creates a canary Rollout web of 2 pods at image v1 with
// steps setWeight 50 and pause, and waits until it is Healthy.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	t.Parallel()
	k8s := framework.Client(t)
	f := &fixture{t: t, k8s: k8s, ns: framework.Namespace(t, k8s)}
	f.ro = framework.NewRollout(f.ns, "web", image("v1"), 2, framework.SetWeight(50), framework.Pause())
	framework.Create(t, k8s, f.ro)
	f.wait("the first revision to be Healthy", healthy)
	return f
}

// image is the container image of revision v.
func image(v string) string {
	return "registry.example/web:" + v
}

// healthy reports whether the Rollout is Healthy at its current spec.
func healthy(r *rampv1alpha1.Rollout) bool {
	return r.Status.ObservedGeneration == r.Generation && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
}

// pausedAtStep reports whether the update waits at its pause step.
func pausedAtStep(r *rampv1alpha1.Rollout) bool {
	return r.Status.ObservedGeneration == r.Generation && len(r.Status.PauseConditions) > 0 && framework.StepIndex(r) == 1
}

// wait waits until cond holds for the Rollout.
func (f *fixture) wait(what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.WaitRollout(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: "web"}, waitTimeout, what, cond)
}

// kubectlRamp runs the plugin in process against the plane, in the
// fixture's namespace, and returns its exit code and output.
func (f *fixture) kubectlRamp(args ...string) (code int, stdout, stderr string) {
	f.t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--kubeconfig", cluster.Current().KubeconfigPath(), "--namespace", f.ns)
	code = cli.Main(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// must runs the plugin and fails the test unless it exits 0 printing want.
func (f *fixture) must(want string, args ...string) {
	f.t.Helper()
	code, out, errOut := f.kubectlRamp(args...)
	if code != 0 || strings.TrimSpace(out) != want {
		f.t.Fatalf("kubectl ramp %s: exit %d, stdout %q, stderr %q; want exit 0 and %q", strings.Join(args, " "), code, out, errOut, want)
	}
}
