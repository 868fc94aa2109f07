package rollout

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds every wait on the controller. The waits return as soon
// as the state is reached; the bound only matters when something is wrong.
const waitTimeout = 60 * time.Second

// setWeight, pause and pauseFor build canary steps.
func setWeight(w int32) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{SetWeight: ptr.To(w)}
}

func pause() rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{Pause: &rampv1alpha1.RolloutPause{}}
}

func pauseFor(d string) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{Pause: &rampv1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString(d))}}
}

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
	podLabels := map[string]string{"app": name}
	f := &fixture{t: t, k8s: k8s, ns: ns, ro: &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: podLabels},
			Template: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image("v1")}}},
			},
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
				StableService:  name + "-stable",
				CanaryService:  name + "-canary",
				MaxSurge:       ptr.To(intstr.FromInt32(1)),
				MaxUnavailable: ptr.To(intstr.FromInt32(0)),
				Steps:          steps,
			}},
		},
	}}
	for _, svc := range []string{f.stableService(), f.canaryService()} {
		obj := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svc},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": name},
				Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
			},
		}
		if err := k8s.Create(t.Context(), obj); err != nil {
			t.Fatalf("create service %s: %v", svc, err)
		}
	}
	return f
}

func (f *fixture) name() string              { return f.ro.Name }
func (f *fixture) key() client.ObjectKey     { return client.ObjectKeyFromObject(f.ro) }
func (f *fixture) stableService() string     { return f.ro.Name + "-stable" }
func (f *fixture) canaryService() string     { return f.ro.Name + "-canary" }
func (f *fixture) rsName(hash string) string { return f.ro.Name + "-" + hash }
func (f *fixture) stepCount() int32          { return int32(len(f.ro.Spec.Strategy.Canary.Steps)) }

// create creates the Rollout.
func (f *fixture) create() {
	f.t.Helper()
	if err := f.k8s.Create(f.t.Context(), f.ro.DeepCopy()); err != nil {
		f.t.Fatalf("create rollout %s: %v", f.name(), err)
	}
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
	ro := &rampv1alpha1.Rollout{}
	if err := f.k8s.Get(f.t.Context(), f.key(), ro); err != nil {
		f.t.Fatalf("get rollout: %v", err)
	}
	return ro
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
	ro := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: f.name()}}
	if err := f.k8s.Status().Patch(f.t.Context(), ro, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		f.t.Fatalf("patch rollout status with %s: %v", patch, err)
	}
}

// promote clears the pause conditions, as kubectl ramp promote does.
func (f *fixture) promote() {
	f.t.Helper()
	f.patchStatus(`{"status":{"pauseConditions":null}}`)
}

// observed reports whether status was computed from the current spec.
func observed(r *rampv1alpha1.Rollout) bool {
	return r.Generation > 0 && r.Status.ObservedGeneration == r.Generation
}

func stepIndex(r *rampv1alpha1.Rollout) int32 {
	return ptr.Deref(r.Status.CurrentStepIndex, -1)
}

// waitRollout waits until cond holds for the Rollout and returns it.
func (f *fixture) waitRollout(what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	f.t.Helper()
	var got *rampv1alpha1.Rollout
	framework.WaitFor(f.t, f.k8s, f.key(), &rampv1alpha1.Rollout{}, waitTimeout, what,
		func(r *rampv1alpha1.Rollout) (bool, string) {
			if cond(r) {
				got = r.DeepCopy()
				return true, describeRollout(r)
			}
			return false, describeRollout(r)
		})
	return got
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
		return observed(r) && r.Status.CurrentPodHash == hash && stepIndex(r) == index &&
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

// describeRollout sums up a Rollout's status for failure messages.
func describeRollout(r *rampv1alpha1.Rollout) string {
	st := &r.Status
	conds := make([]string, 0, len(st.Conditions))
	for _, c := range st.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s(%s)", c.Type, c.Status, c.Reason))
	}
	var pauses []string
	for _, p := range st.PauseConditions {
		pauses = append(pauses, string(p.Reason))
	}
	return fmt.Sprintf("generation %d, observedGeneration %d, spec.replicas %d, spec.paused %v, phase %q, step index %d, "+
		"currentPodHash %q, stableRS %q, pauseConditions %v, abort %v (by %q), promoteFull %v, replicas %d/%d updated/%d available, "+
		"conditions [%s], message %q",
		r.Generation, st.ObservedGeneration, ptr.Deref(r.Spec.Replicas, 0), r.Spec.Paused, st.Phase, stepIndex(r),
		st.CurrentPodHash, st.StableRS, pauses, st.Abort, st.AbortedBy, st.PromoteFull, st.Replicas, st.UpdatedReplicas,
		st.AvailableReplicas, strings.Join(conds, " "), st.Message)
}

// conditionHas checks that the Rollout's condition t has status and,
// when reason is not empty, reason.
func conditionHas(t *testing.T, r *rampv1alpha1.Rollout, typ string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	c := meta.FindStatusCondition(r.Status.Conditions, typ)
	switch {
	case c == nil:
		t.Errorf("no %s condition; status: %s", typ, describeRollout(r))
	case c.Status != status || reason != "" && c.Reason != reason:
		t.Errorf("condition %s = %s reason %s, want %s reason %q; status: %s", typ, c.Status, c.Reason, status, reason, describeRollout(r))
	}
}

// waitRS waits until the ReplicaSet of revision hash runs n pods, all of
// them available (for n = 0: none left).
func (f *fixture) waitRS(hash string, n int32) *appsv1.ReplicaSet {
	f.t.Helper()
	var got *appsv1.ReplicaSet
	framework.WaitFor(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: f.rsName(hash)}, &appsv1.ReplicaSet{}, waitTimeout,
		fmt.Sprintf("ReplicaSet %s to run %d available pods", f.rsName(hash), n),
		func(rs *appsv1.ReplicaSet) (bool, string) {
			ok := ptr.Deref(rs.Spec.Replicas, -1) == n && rs.Status.ObservedGeneration >= rs.Generation &&
				rs.Status.Replicas == n && rs.Status.AvailableReplicas == n
			if ok {
				got = rs.DeepCopy()
			}
			return ok, describeRS(rs)
		})
	return got
}

func describeRS(rs *appsv1.ReplicaSet) string {
	return fmt.Sprintf("%s: spec.replicas %d, status replicas %d, ready %d, available %d (generation %d, observed %d)",
		rs.Name, ptr.Deref(rs.Spec.Replicas, 0), rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas,
		rs.Generation, rs.Status.ObservedGeneration)
}

// replicaSets lists the ReplicaSets the Rollout controls.
func (f *fixture) replicaSets() []appsv1.ReplicaSet {
	f.t.Helper()
	var list appsv1.ReplicaSetList
	if err := f.k8s.List(f.t.Context(), &list, client.InNamespace(f.ns)); err != nil {
		f.t.Fatalf("list replica sets: %v", err)
	}
	var out []appsv1.ReplicaSet
	for _, rs := range list.Items {
		if ref := metav1.GetControllerOf(&rs); ref != nil && ref.Kind == "Rollout" && ref.Name == f.name() {
			out = append(out, rs)
		}
	}
	return out
}

// waitService waits until the Service selects the pods of revision hash.
func (f *fixture) waitService(name, hash string) {
	f.t.Helper()
	framework.WaitFor(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: name}, &corev1.Service{}, waitTimeout,
		fmt.Sprintf("Service %s to select %s=%s", name, rampv1alpha1.LabelPodTemplateHash, hash),
		func(svc *corev1.Service) (bool, string) {
			return svc.Spec.Selector[rampv1alpha1.LabelPodTemplateHash] == hash, fmt.Sprintf("selector %v", svc.Spec.Selector)
		})
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
	ctx, cancel := context.WithTimeout(f.t.Context(), waitTimeout)
	defer cancel()
	seen := map[string]int{}
	note := func(obj client.Object) {
		ev, ok := obj.(*eventsv1.Event)
		if !ok || ev.Regarding.Kind != "Rollout" || ev.Regarding.Name != f.name() {
			return
		}
		seen[ev.Reason]++
		for _, r := range reasons {
			if seen[r] == 0 {
				return
			}
		}
		cancel()
	}
	follow(ctx, f.k8s, &eventsv1.EventList{}, []client.ListOption{client.InNamespace(f.ns)},
		func(objs []client.Object) {
			clear(seen)
			for _, o := range objs {
				note(o)
			}
		},
		func(_ watch.EventType, obj client.Object) { note(obj) })
	var missing []string
	for _, r := range reasons {
		if seen[r] == 0 {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		got := make([]string, 0, len(seen))
		for r := range seen {
			got = append(got, r)
		}
		slices.Sort(got)
		f.t.Fatalf("no Event with reason %v on rollout %s within %v; reasons recorded: %v", missing, f.name(), waitTimeout, got)
	}
}
