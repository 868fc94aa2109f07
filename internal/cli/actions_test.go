package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// testNow is the clock of the command tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testRollout is a canary Rollout web in namespace shop, mid-update from
// hash aaa (stable) to bbb.
func testRollout(mutate func(*rampv1alpha1.Rollout)) *rampv1alpha1.Rollout {
	ro := &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "ro-uid", Generation: 2},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](3),
			Template: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{
					InitContainers: []corev1.Container{{Name: "migrate", Image: "shop/migrate:2"}},
					Containers:     []corev1.Container{{Name: "app", Image: "shop/web:2"}, {Name: "proxy", Image: "envoy:1"}},
				},
			},
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{}},
		},
		Status: rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "bbb", ObservedGeneration: 2},
	}
	if mutate != nil {
		mutate(ro)
	}
	return ro
}

// testRevision is a ReplicaSet of the Rollout with the given revision.
func testRevision(ro *rampv1alpha1.Rollout, hash string, rev string, image string) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ro.Namespace, Name: ro.Name + "-" + hash,
			Labels:      map[string]string{rampv1alpha1.LabelPodTemplateHash: hash, "app": "web"},
			Annotations: map[string]string{rampv1alpha1.AnnotationRevision: rev},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: rampv1alpha1.GroupVersion.String(), Kind: "Rollout",
				Name: ro.Name, UID: ro.UID, Controller: ptr.To(true)}},
		},
		Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{rampv1alpha1.LabelPodTemplateHash: hash, "app": "web", "role": "canary"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image,
				TerminationMessagePath: "/dev/termination-log"}}},
		}},
	}
}

// runCLI runs the plugin against a fake cluster holding objs (with funcs
// intercepting its calls) and returns the exit code, stdout and stderr,
// and the client to read the result.
func runCLI(t *testing.T, funcs interceptor.Funcs, objs []client.Object, args ...string) (int, string, string, client.Client) {
	t.Helper()
	base := fake.NewClientBuilder().WithScheme(Scheme()).WithObjects(objs...).
		WithStatusSubresource(&rampv1alpha1.Rollout{}).Build()
	c := interceptor.NewClient(base, funcs)
	var out, errOut bytes.Buffer
	o := newOptions(strings.NewReader(""), &out, &errOut)
	o.now = func() time.Time { return testNow }
	o.newClient = func() (client.WithWatch, error) { return c, nil }
	code := run(o, append([]string{"--namespace", "shop"}, args...))
	return code, out.String(), errOut.String(), base
}

// getRO reads the Rollout web back.
func getRO(t *testing.T, c client.Client) *rampv1alpha1.Rollout {
	t.Helper()
	ro := &rampv1alpha1.Rollout{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "web"}, ro); err != nil {
		t.Fatal(err)
	}
	return ro
}

func TestActions(t *testing.T) {
	paused := func(ro *rampv1alpha1.Rollout) {
		ro.Status.PauseConditions = []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: metav1.NewTime(testNow)}}
		ro.Status.ControllerPause = true
	}
	healthy := func(ro *rampv1alpha1.Rollout) { ro.Status.CurrentPodHash = "aaa" }
	for _, tc := range []struct {
		name   string
		ro     *rampv1alpha1.Rollout
		args   []string
		out    string // the line printed, or the error's start
		failed bool
		check  func(*rampv1alpha1.Rollout) bool
	}{
		{name: "promote a paused rollout", ro: testRollout(paused), args: []string{"promote", "web"}, out: `rollout "web" promoted`,
			check: func(ro *rampv1alpha1.Rollout) bool { return len(ro.Status.PauseConditions) == 0 }},
		{name: "promote a healthy rollout", ro: testRollout(healthy), args: []string{"promote", "web"}, failed: true,
			out: `cannot promote rollout "web": no update is in flight`},
		{name: "promote a rollout that is not paused", ro: testRollout(nil), args: []string{"promote", "web"}, failed: true,
			out: `cannot promote rollout "web": it is not paused (it moves on by itself); promote it fully`},
		{name: "promote --full", ro: testRollout(nil), args: []string{"promote", "web", "--full"},
			out:   `rollout "web" promoted to the end of its steps (--full)`,
			check: func(ro *rampv1alpha1.Rollout) bool { return ro.Status.PromoteFull }},
		{name: "promote a rollout paused by spec.paused", ro: testRollout(func(ro *rampv1alpha1.Rollout) { ro.Spec.Paused = true; paused(ro) }),
			args: []string{"promote", "web"}, failed: true, out: `cannot promote rollout "web": it is paused by spec.paused; resume it`},
		{name: "abort", ro: testRollout(nil), args: []string{"abort", "web"}, out: `rollout "web" aborted: going back to the stable version`,
			check: func(ro *rampv1alpha1.Rollout) bool {
				return ro.Status.Abort && ro.Status.AbortedBy == "kubectl ramp abort"
			}},
		{name: "abort nothing", ro: testRollout(healthy), args: []string{"abort", "web"}, failed: true,
			out: `cannot abort rollout "web": no update is in flight`},
		{name: "abort twice", ro: testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.Abort = true }), args: []string{"abort", "web"},
			failed: true, out: `cannot abort rollout "web": it is aborted already`},
		{name: "retry", ro: testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.Abort = true; ro.Status.AbortedBy = "x" }),
			args: []string{"retry", "web"}, out: `rollout "web" retrying the update from its first step`,
			check: func(ro *rampv1alpha1.Rollout) bool { return !ro.Status.Abort && ro.Status.AbortedBy == "" }},
		{name: "retry what is not aborted", ro: testRollout(nil), args: []string{"retry", "web"}, failed: true,
			out: `cannot retry rollout "web": it is not aborted`},
		{name: "pause", ro: testRollout(nil), args: []string{"pause", "web"}, out: `rollout "web" paused (spec.paused: true)`,
			check: func(ro *rampv1alpha1.Rollout) bool { return ro.Spec.Paused }},
		{name: "resume", ro: testRollout(func(ro *rampv1alpha1.Rollout) { ro.Spec.Paused = true }), args: []string{"resume", "web"},
			out: `rollout "web" resumed (spec.paused: false)`, check: func(ro *rampv1alpha1.Rollout) bool { return !ro.Spec.Paused }},
		{name: "resume at a pause step", ro: testRollout(paused), args: []string{"resume", "web"}, failed: true,
			out: `cannot resume rollout "web": it was not paused by a person but waits at a pause of its own; promote it`},
		{name: "restart in 10m", ro: testRollout(nil), args: []string{"restart", "web", "--in", "10m"},
			out: `rollout "web" restarting its pods at 2026-03-01T12:10:01Z`,
			check: func(ro *rampv1alpha1.Rollout) bool {
				return ro.Spec.RestartAt != nil && ro.Spec.RestartAt.Equal(ptr.To(metav1.NewTime(testNow.Add(10*time.Minute+time.Second))))
			}},
		{name: "set image", ro: testRollout(nil), args: []string{"set", "image", "web", "app=shop/web:3"}, out: `rollout "web" image updated`,
			check: func(ro *rampv1alpha1.Rollout) bool {
				c := ro.Spec.Template.Spec
				return c.Containers[0].Image == "shop/web:3" && c.Containers[1].Image == "envoy:1" && c.InitContainers[0].Image == "shop/migrate:2"
			}},
		{name: "set every image", ro: testRollout(nil), args: []string{"set", "image", "web", "*=shop/all:9"}, out: `rollout "web" image updated`,
			check: func(ro *rampv1alpha1.Rollout) bool {
				c := ro.Spec.Template.Spec
				return c.Containers[0].Image == "shop/all:9" && c.Containers[1].Image == "shop/all:9" && c.InitContainers[0].Image == "shop/all:9"
			}},
		{name: "set the image of a missing container", ro: testRollout(nil), args: []string{"set", "image", "web", "db=postgres:17"}, failed: true,
			out: `cannot set the image of rollout "web": it has no container "db"; its containers are migrate, app, proxy`},
		{name: "set image with a bad argument", ro: testRollout(nil), args: []string{"set", "image", "web", "shop/web:3"}, failed: true,
			out: `"shop/web:3": write CONTAINER=IMAGE`},
		{name: "a rollout that does not exist", ro: testRollout(nil), args: []string{"abort", "api"}, failed: true,
			out: `rollout "api" not found in namespace "shop"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut, c := runCLI(t, interceptor.Funcs{}, []client.Object{tc.ro}, tc.args...)
			if tc.failed {
				if code == 0 || !strings.HasPrefix(errOut, "error: "+tc.out) {
					t.Fatalf("exit %d, stderr %q; want a failure starting %q", code, errOut, tc.out)
				}
				return
			}
			if code != 0 || strings.TrimSpace(out) != tc.out {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, tc.out)
			}
			if ro := getRO(t, c); tc.check != nil && !tc.check(ro) {
				t.Errorf("the rollout after %v: spec %+v status %+v", tc.args, ro.Spec, ro.Status)
			}
		})
	}
}

func TestUndo(t *testing.T) {
	ro := testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.CurrentPodHash, ro.Status.StableRS = "ccc", "ccc" })
	v1, v2, v3 := testRevision(ro, "aaa", "1", "shop/web:1"), testRevision(ro, "bbb", "2", "shop/web:2"), testRevision(ro, "ccc", "3", "shop/web:3")
	// Revision 2 recorded the Rollout's template as it was hashed.
	v2.Annotations[rampv1alpha1.AnnotationPodTemplate] = `{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"shop/web:2"}]}}`
	// Revision 1 did not: its ReplicaSet's template, less the hash label and
	// the role metadata, is used.
	v1.Annotations[rampv1alpha1.AnnotationRoleMetadata] = `{"labels":{"role":"canary"}}`
	objs := func() []client.Object {
		return []client.Object{ro.DeepCopy(), v1.DeepCopy(), v2.DeepCopy(), v3.DeepCopy()}
	}

	code, out, errOut, c := runCLI(t, interceptor.Funcs{}, objs(), "undo", "web")
	if code != 0 || strings.TrimSpace(out) != `rollout "web" rolled back to revision 2` {
		t.Fatalf("undo: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	tmpl := getRO(t, c).Spec.Template
	if tmpl.Spec.Containers[0].Image != "shop/web:2" || len(tmpl.Spec.Containers) != 1 || len(tmpl.Spec.InitContainers) != 0 ||
		tmpl.Spec.Containers[0].TerminationMessagePath != "" {
		t.Errorf("undo wrote the template %+v, want revision 2's as recorded", tmpl)
	}

	code, _, errOut, c = runCLI(t, interceptor.Funcs{}, objs(), "undo", "web", "--to-revision", "1")
	tmpl = getRO(t, c).Spec.Template
	if code != 0 || tmpl.Spec.Containers[0].Image != "shop/web:1" || tmpl.Labels["role"] != "" ||
		tmpl.Labels[rampv1alpha1.LabelPodTemplateHash] != "" || tmpl.Labels["app"] != "web" {
		t.Errorf("undo --to-revision 1: exit %d (%s), template labels %v image %s", code, errOut, tmpl.Labels, tmpl.Spec.Containers[0].Image)
	}

	code, _, errOut, _ = runCLI(t, interceptor.Funcs{}, objs(), "undo", "web", "--to-revision", "7")
	if code == 0 || !strings.Contains(errOut, `cannot undo rollout "web": revision 7 not found; the revisions kept are 1, 2, 3`) {
		t.Errorf("undo to a missing revision: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut, _ = runCLI(t, interceptor.Funcs{}, []client.Object{ro.DeepCopy(), v3.DeepCopy()}, "undo", "web")
	if code == 0 || !strings.Contains(errOut, "there is no revision before the current one") {
		t.Errorf("undo with no older revision: exit %d, stderr %q", code, errOut)
	}
}

func TestForbiddenNamesWhatIsMissing(t *testing.T) {
	forbid := interceptor.Funcs{SubResourcePatch: func(context.Context, client.Client, string, client.Object, client.Patch, ...client.SubResourcePatchOption) error {
		return apierrors.NewForbidden(schema.GroupResource{Group: "ramp.dev", Resource: "rollouts/status"}, "web",
			errorString(`User "dev" cannot patch resource "rollouts/status" in API group "ramp.dev" in the namespace "shop"`))
	}}
	code, _, errOut, _ := runCLI(t, forbid, []client.Object{testRollout(nil)}, "abort", "web")
	want := `you may not abort rollout "web": abort needs the verb patch on rollouts/status (API group ramp.dev) in namespace "shop"`
	if code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, stderr %q; want it to contain %q", code, errOut, want)
	}
}

// errorString is an error with a fixed message.
type errorString string

func (e errorString) Error() string { return string(e) }

func TestVerdict(t *testing.T) {
	stalled := func(reason string) []metav1.Condition {
		return []metav1.Condition{{Type: rampv1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: reason, Message: "spec.x: bad"}}
	}
	for _, tc := range []struct {
		name string
		ro   *rampv1alpha1.Rollout
		done bool
		code int
	}{
		{"healthy", testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.Phase = rampv1alpha1.RolloutPhaseHealthy }), true, exitHealthy},
		{"degraded", testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.Phase = rampv1alpha1.RolloutPhaseDegraded }), true, exitDegraded},
		{"invalid spec", testRollout(func(ro *rampv1alpha1.Rollout) {
			ro.Status.Phase, ro.Status.Conditions = rampv1alpha1.RolloutPhaseDegraded, stalled(rampv1alpha1.ReasonInvalidSpec)
		}), true, exitInvalid},
		{"aborted", testRollout(func(ro *rampv1alpha1.Rollout) {
			ro.Status.Phase, ro.Status.Conditions = rampv1alpha1.RolloutPhaseDegraded, stalled(rampv1alpha1.ReasonAborted)
		}), true, exitDegraded},
		{"paused", testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.Phase = rampv1alpha1.RolloutPhasePaused }), false, 0},
		{"healthy but a newer spec not observed", testRollout(func(ro *rampv1alpha1.Rollout) {
			ro.Status.Phase, ro.Generation = rampv1alpha1.RolloutPhaseHealthy, 3
		}), false, 0},
	} {
		done, code, line := verdict(tc.ro)
		if done != tc.done || code != tc.code || line == "" {
			t.Errorf("%s: done %v code %d (%q), want %v %d", tc.name, done, code, line, tc.done, tc.code)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errOut, _ := runCLI(t, interceptor.Funcs{}, nil, "completion", shell)
		if code != 0 || !strings.Contains(out, "kubectl-ramp") {
			t.Errorf("completion %s: exit %d, stderr %q, %d bytes of script", shell, code, errOut, len(out))
		}
	}
	// Rollout names complete from the cluster.
	code, out, _, _ := runCLI(t, interceptor.Funcs{}, []client.Object{testRollout(nil)}, "__complete", "promote", "")
	if code != 0 || !strings.HasPrefix(out, "web\n") {
		t.Errorf("completion of rollout names: exit %d, output %q", code, out)
	}
}

// TestConflictIsRetried: the controller writes status often; a write that
// conflicts is read, checked and written again.
func TestConflictIsRetried(t *testing.T) {
	conflicts := 2
	funcs := interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object,
		patch client.Patch, opts ...client.SubResourcePatchOption) error {
		if conflicts > 0 {
			conflicts--
			return apierrors.NewConflict(schema.GroupResource{Group: "ramp.dev", Resource: "rollouts"}, obj.GetName(),
				errorString("the object has been modified"))
		}
		return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
	}}
	code, out, errOut, c := runCLI(t, funcs, []client.Object{testRollout(nil)}, "abort", "web")
	if code != 0 || conflicts != 0 || !getRO(t, c).Status.Abort {
		t.Errorf("abort through two conflicts: exit %d, stdout %q, stderr %q, conflicts left %d", code, out, errOut, conflicts)
	}
}
