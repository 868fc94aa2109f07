package rollout

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds every wait on the controller. The waits return as soon
// as the state is reached; the bound only matters when something is wrong.
const waitTimeout = 60 * time.Second

// image is the container image of revision v.
func image(v string) string {
	return "registry.example/web:" + v
}

// fixture is one Rollout under test, in a namespace of its own, with a
// stable and a canary Service.
type fixture struct {
	t   *testing.T
	k8s client.WithWatch
	ns  string
	// ro is the Rollout as the test creates it; change it before create.
	ro *rampv1alpha1.Rollout
}

// newFixture makes a namespace and the Services <name>-stable and
// <name>-canary, and prepares (without creating it) a Rollout of image v1
// with replicas pods, maxSurge 1, maxUnavailable 0 and steps.
func newFixture(t *testing.T, name string, replicas int32, steps ...rampv1alpha1.CanaryStep) *fixture {
	t.Helper()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	return &fixture{t: t, k8s: k8s, ns: ns, ro: framework.NewCanaryWithServices(t, k8s, ns, name, image("v1"), replicas, steps...)}
}

func (f *fixture) name() string              { return f.ro.Name }
func (f *fixture) key() client.ObjectKey     { return client.ObjectKeyFromObject(f.ro) }
func (f *fixture) stableService() string     { return f.ro.Name + "-stable" }
func (f *fixture) canaryService() string     { return f.ro.Name + "-canary" }
func (f *fixture) rsName(hash string) string { return framework.ReplicaSetName(f.ro.Name, hash) }
func (f *fixture) stepCount() int32          { return int32(len(f.ro.Spec.Strategy.Canary.Steps)) }

// create creates the Rollout.
func (f *fixture) create() {
	f.t.Helper()
	framework.Create(f.t, f.k8s, f.ro.DeepCopy())
}

// start creates the Rollout, waits until its first revision is Healthy and
// returns that revision's hash.
func (f *fixture) start() string {
	f.t.Helper()
	f.create()
	return f.waitFirstHealthy()
}

// waitFirstHealthy waits until the first revision is Healthy and returns
// its hash.
func (f *fixture) waitFirstHealthy() string {
	f.t.Helper()
	ro := f.waitRollout("the first revision to be Healthy", func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS != ""
	})
	return ro.Status.StableRS
}

// get reads the Rollout.
func (f *fixture) get() *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.Get(f.t, f.k8s, f.key(), &rampv1alpha1.Rollout{})
}

// update changes the Rollout's spec with a merge patch and returns the new
// generation.
func (f *fixture) update(mutate func(*rampv1alpha1.Rollout)) int64 {
	f.t.Helper()
	ro := f.get()
	base := ro.DeepCopy()
	mutate(ro)
	if err := f.k8s.Patch(f.t.Context(), ro, client.MergeFrom(base)); err != nil {
		f.t.Fatalf("patch rollout spec: %v", err)
	}
	return ro.Generation
}

// setImage changes the container image to revision v, waits until the
// controller has seen it and returns the new revision's hash.
func (f *fixture) setImage(v string) string {
	f.t.Helper()
	gen := f.update(func(r *rampv1alpha1.Rollout) { r.Spec.Template.Spec.Containers[0].Image = image(v) })
	return f.waitObserved(gen).Status.CurrentPodHash
}

// patchStatus writes a user action (promote, abort, retry) to status.
func (f *fixture) patchStatus(patch string) {
	f.t.Helper()
	framework.MergePatchStatus(f.t, f.k8s, f.ro, patch)
}

// promote clears the pause conditions, as kubectl ramp promote does.
func (f *fixture) promote() {
	f.t.Helper()
	framework.Promote(f.t, f.k8s, f.ro)
}

// observed reports whether status was computed from the current spec.
func observed(r *rampv1alpha1.Rollout) bool {
	return r.Generation > 0 && r.Status.ObservedGeneration == r.Generation
}

// waitRollout waits until cond holds for the Rollout and returns it.
func (f *fixture) waitRollout(what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.WaitRollout(f.t, f.k8s, f.key(), waitTimeout, what, cond)
}

// waitObserved waits until the controller has acted on generation gen.
func (f *fixture) waitObserved(gen int64) *rampv1alpha1.Rollout {
	f.t.Helper()
	return f.waitRollout(fmt.Sprintf("status.observedGeneration to reach %d", gen), func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration >= gen
	})
}

// waitPausedAt waits until the revision hash is paused at step index.
func (f *fixture) waitPausedAt(hash string, index int32) *rampv1alpha1.Rollout {
	f.t.Helper()
	return f.waitRollout(fmt.Sprintf("revision %s to pause at step index %d", hash, index), func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.CurrentPodHash == hash && framework.StepIndex(r) == index &&
			r.Status.Phase == rampv1alpha1.RolloutPhasePaused
	})
}

// waitHealthyAt waits until revision hash is the stable, Healthy one.
func (f *fixture) waitHealthyAt(hash string) *rampv1alpha1.Rollout {
	f.t.Helper()
	return f.waitRollout(fmt.Sprintf("revision %s to be stable and Healthy", hash), func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy &&
			r.Status.StableRS == hash && r.Status.CurrentPodHash == hash
	})
}

// conditionHas checks that the Rollout's condition t has status and,
// when reason is not empty, reason.
func conditionHas(t *testing.T, r *rampv1alpha1.Rollout, typ string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	c := meta.FindStatusCondition(r.Status.Conditions, typ)
	switch {
	case c == nil:
		t.Errorf("no %s condition; status: %s", typ, framework.DescribeRollout(r))
	case c.Status != status || reason != "" && c.Reason != reason:
		t.Errorf("condition %s = %s reason %s, want %s reason %q; status: %s", typ, c.Status, c.Reason, status, reason, framework.DescribeRollout(r))
	}
}

// waitRS waits until the ReplicaSet of revision hash runs n pods, all of
// them available (for n = 0: none left).
func (f *fixture) waitRS(hash string, n int32) *appsv1.ReplicaSet {
	f.t.Helper()
	return framework.WaitReplicaSet(f.t, f.k8s, f.ns, f.name(), hash, waitTimeout,
		fmt.Sprintf("ReplicaSet %s to run %d available pods", f.rsName(hash), n), framework.ReplicaSetAt(n))
}

// replicaSets lists the ReplicaSets the Rollout controls.
func (f *fixture) replicaSets() []appsv1.ReplicaSet {
	f.t.Helper()
	list := framework.List(f.t, f.k8s, &appsv1.ReplicaSetList{}, client.InNamespace(f.ns))
	var out []appsv1.ReplicaSet
	for _, rs := range list.Items {
		if framework.ControlledBy(&rs, "Rollout", f.name()) {
			out = append(out, rs)
		}
	}
	return out
}

// waitService waits until the Service selects the pods of revision hash.
func (f *fixture) waitService(name, hash string) {
	f.t.Helper()
	framework.WaitServiceSelects(f.t, f.k8s, f.ns, name, hash, waitTimeout)
}

// kubectl runs the plane's kubectl in the fixture's namespace.
func (f *fixture) kubectl(ctx context.Context, args ...string) *exec.Cmd {
	c := cluster.Current()
	return exec.CommandContext(ctx, c.KubectlPath(), append([]string{"--kubeconfig", c.KubeconfigPath(), "-n", f.ns}, args...)...)
}

// waitEvents waits until Events with every one of reasons have been
// recorded on the Rollout.
func (f *fixture) waitEvents(reasons ...string) {
	f.t.Helper()
	framework.WaitEventReasons(f.t, f.k8s, f.ro, waitTimeout, reasons...)
}
