package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// viewNow is the clock of the get and list command tests.
var viewNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// viewRollout is a canary Rollout in ns, mid-update at step 2/4 from hash
// s<name> (revision 1) to c<name> (revision 2).
func viewRollout(ns, name string, lbls map[string]string) *rampv1alpha1.Rollout {
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID("uid-" + name), Labels: lbls,
			CreationTimestamp: metav1.NewTime(viewNow.Add(-48 * time.Hour)),
		},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: name + ":2"}}},
			},
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: []rampv1alpha1.CanaryStep{
				{SetWeight: ptr.To[int32](25)}, {Pause: &rampv1alpha1.RolloutPause{}},
				{SetWeight: ptr.To[int32](50)}, {Pause: &rampv1alpha1.RolloutPause{}},
			}}},
		},
		Status: rampv1alpha1.RolloutStatus{
			Phase: rampv1alpha1.RolloutPhasePaused, Message: "Paused at step 2/4 (pause)",
			StableRS: "s" + name, CurrentPodHash: "c" + name, CurrentStepIndex: ptr.To[int32](1),
			Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3,
		},
	}
}

// viewObjects are a Rollout in namespace shop with two revisions, a pod
// each and an analysis run of the canary.
func viewObjects(name string) []client.Object {
	const ns = "shop"
	ro := viewRollout(ns, name, nil)
	rs := func(hash, rev, image string) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: ns, Name: name + "-" + hash, UID: types.UID("uid-" + name + "-" + hash),
				CreationTimestamp: metav1.NewTime(viewNow.Add(-time.Hour)),
				Labels:            map[string]string{"app": name, rampv1alpha1.LabelPodTemplateHash: hash},
				Annotations:       map[string]string{rampv1alpha1.AnnotationRevision: rev},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: rampv1alpha1.GroupVersion.String(), Kind: "Rollout",
					Name: name, UID: ro.UID, Controller: ptr.To(true)}},
			},
			Spec: appsv1.ReplicaSetSpec{
				Replicas: ptr.To[int32](1),
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}},
			},
			Status: appsv1.ReplicaSetStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1},
		}
	}
	pod := func(rs *appsv1.ReplicaSet) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: ns, Name: rs.Name + "-x1", Labels: rs.Labels,
				CreationTimestamp: metav1.NewTime(viewNow.Add(-time.Hour)),
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet",
					Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}},
			},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning,
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true}}},
		}
	}
	stable, canary := rs("s"+name, "1", name+":1"), rs("c"+name, "2", name+":2")
	run := &rampv1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-c" + name + "-0",
			Labels: map[string]string{rampv1alpha1.LabelRollout: name, rampv1alpha1.LabelPodTemplateHash: "c" + name}},
		Spec: rampv1alpha1.AnalysisRunSpec{Metrics: []rampv1alpha1.Metric{{Name: "error-rate", SuccessCondition: "result[0] < 0.05"}}},
		Status: rampv1alpha1.AnalysisRunStatus{Phase: rampv1alpha1.AnalysisPhaseRunning, MetricResults: []rampv1alpha1.MetricResult{{
			Name: "error-rate", Phase: rampv1alpha1.AnalysisPhaseRunning,
			Measurements: []rampv1alpha1.Measurement{{Phase: rampv1alpha1.AnalysisPhaseSuccessful, Value: "0.01"}},
		}}},
	}
	return []client.Object{ro, stable, canary, pod(stable), pod(canary), run}
}

// viewCluster is a fake cluster holding objs, with the index the watch
// of one Rollout by name needs.
func viewCluster(objs ...client.Object) client.WithWatch {
	return fake.NewClientBuilder().WithScheme(Scheme()).WithObjects(objs...).
		WithStatusSubresource(&rampv1alpha1.Rollout{}).
		WithIndex(&rampv1alpha1.Rollout{}, "metadata.name", func(obj client.Object) []string { return []string{obj.GetName()} }).
		Build()
}

// syncBuffer is a bytes.Buffer safe for a command writing while a test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// started is a command running in the background.
type started struct {
	out, errOut *syncBuffer
	cancel      context.CancelFunc
	code        chan int
}

// startAgainst runs the plugin with args against c until ctx is canceled
// (as Ctrl-C does).
func startAgainst(c client.WithWatch, args ...string) *started {
	s := &started{out: &syncBuffer{}, errOut: &syncBuffer{}, code: make(chan int, 1)}
	o := newOptions(strings.NewReader(""), s.out, s.errOut)
	o.now = func() time.Time { return viewNow }
	o.newClient = func() (client.WithWatch, error) { return c, nil }
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		cmd := newRootCommand(o)
		cmd.SetArgs(args)
		if err := cmd.ExecuteContext(ctx); err != nil {
			_, _ = s.errOut.Write([]byte("error: " + err.Error() + "\n"))
			s.code <- exitCode(err)
			return
		}
		s.code <- 0
	}()
	return s
}

// runAgainst runs the plugin with args against c and returns its exit
// code, stdout and stderr.
func runAgainst(t *testing.T, c client.WithWatch, args ...string) (int, string, string) {
	t.Helper()
	s := startAgainst(c, args...)
	defer s.cancel()
	select {
	case code := <-s.code:
		return code, s.out.String(), s.errOut.String()
	case <-time.After(10 * time.Second):
		t.Fatalf("kubectl ramp %s did not end; stdout so far:\n%s", strings.Join(args, " "), s.out.String())
	}
	return 0, "", ""
}

func TestGetRollout(t *testing.T) {
	objs := append(viewObjects("web"), viewObjects("api")...)
	c := viewCluster(objs...)
	code, out, errOut := runAgainst(t, c, "-n", "shop", "get", "rollout", "web")
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Name:       web\n", "Namespace:  shop\n", "Status:     ॥ Paused\n", "Message:    Paused at step 2/4 (pause)\n",
		"Strategy:   canary\n", "  Step:     2/4 (pause)\n", "  Weight:   set 25, actual -\n",
		"Images:     web:2 (canary)\n            web:1 (stable)\n",
		"Replicas:   desired 2, current 3, updated 1, ready 3, available 3\n",
		"revision 2\n", "web-cweb-x1", "web-sweb-x1",
		"error-rate: 0.01 (successCondition result[0] < 0.05)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("get rollout web does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "api") {
		t.Errorf("get rollout web shows objects of rollout api:\n%s", out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("output that is not a terminal has ANSI escapes:\n%q", out)
	}
	for _, alias := range []string{"ro", "rollouts"} {
		if code, aliased, _ := runAgainst(t, c, "-n", "shop", "get", alias, "web"); code != 0 || aliased != out {
			t.Errorf("get %s web (exit %d) printed something else than get rollout web:\n%s", alias, code, aliased)
		}
	}
}

func TestGetRolloutNotFound(t *testing.T) {
	c := viewCluster(viewObjects("web")...)
	for _, args := range [][]string{
		{"-n", "y", "get", "rollout", "x"},
		{"-n", "y", "get", "rollout", "x", "--watch"},
		{"-n", "y", "get", "rollout", "x", "-o", "yaml"},
	} {
		code, out, errOut := runAgainst(t, c, args...)
		if code != 1 || !strings.Contains(errOut, `error: rollout "x" not found in namespace "y"`) {
			t.Errorf("%v: exit code %d, stderr %q; want 1 and the rollout named as not found", args, code, errOut)
		}
		if out != "" {
			t.Errorf("%v printed %q on stdout", args, out)
		}
	}
}

func TestGetRolloutOutput(t *testing.T) {
	c := viewCluster(viewObjects("web")...)
	code, out, errOut := runAgainst(t, c, "-n", "shop", "get", "rollout", "web", "-o", "yaml")
	if code != 0 {
		t.Fatalf("-o yaml: exit code %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"apiVersion: ramp.dev/v1alpha1\n", "kind: Rollout\n", "  name: web\n", "  namespace: shop\n", "    phase: Paused\n"} {
		if !strings.Contains(out, strings.TrimPrefix(want, "  ")) {
			t.Errorf("-o yaml does not print %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "revision") || strings.Contains(out, "managedFields") {
		t.Errorf("-o yaml prints more than the Rollout object:\n%s", out)
	}

	code, out, errOut = runAgainst(t, c, "-n", "shop", "get", "rollout", "web", "-o", "json")
	var obj map[string]any
	if err := json.Unmarshal([]byte(out), &obj); code != 0 || err != nil {
		t.Fatalf("-o json: exit code %d, stderr %q, output is not JSON (%v):\n%s", code, errOut, err, out)
	}
	if obj["kind"] != "Rollout" || obj["apiVersion"] != "ramp.dev/v1alpha1" {
		t.Errorf("-o json printed kind %v, apiVersion %v", obj["kind"], obj["apiVersion"])
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"web", "-o", "wide"}, `--output "wide" is not supported: use -o yaml or -o json`},
		{[]string{"web", "-o", "yaml", "--watch"}, "--watch draws the tree and cannot be used with --output"},
		{nil, "name one rollout: kubectl ramp get rollout NAME"},
		{[]string{"web", "api"}, "name one rollout: kubectl ramp get rollout NAME"},
	} {
		args := append([]string{"-n", "shop", "get", "rollout"}, tc.args...)
		if code, _, errOut := runAgainst(t, c, args...); code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit code %d, stderr %q; want 1 and %q", args, code, errOut, tc.want)
		}
	}
}

// TestGetRolloutProfile: a Rollout that takes its steps from a profile
// shows the profile's steps and names the profile under its strategy.
func TestGetRolloutProfile(t *testing.T) {
	objs := viewObjects("web")
	ro := objs[0].(*rampv1alpha1.Rollout)
	steps := ro.Spec.Strategy.Canary.Steps
	ro.Spec.Strategy = rampv1alpha1.RolloutStrategy{
		ProfileRef: &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindCluster, Name: "platform"},
		Canary:     &rampv1alpha1.CanaryStrategy{CanaryService: "web-canary", StableService: "web"},
	}
	ro.Status.Profile = &rampv1alpha1.ProfileStatus{Kind: rampv1alpha1.ProfileKindCluster, Name: "platform", Generation: 2,
		PodTemplateHash: ro.Status.CurrentPodHash, Strategy: &rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: steps}}}
	code, out, errOut := runAgainst(t, viewCluster(objs...), "-n", "shop", "get", "rollout", "web")
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Strategy:   canary\n  Profile:  ClusterRolloutProfile platform (generation 2)\n  Step:     2/4 (pause)\n  Weight:   set 25, actual -\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("get rollout web does not show %q:\n%s", want, out)
		}
	}
}
