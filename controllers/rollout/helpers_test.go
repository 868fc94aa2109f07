package rollout

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func testPod(name string, created time.Time, ready bool) corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name), CreationTimestamp: metav1.NewTime(created)},
		Status:     corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

func TestRestartBatch(t *testing.T) {
	at := metav1.NewTime(testNow)
	old, fresh := testNow.Add(-time.Hour), testNow.Add(time.Minute)
	names := func(pods []*corev1.Pod) string {
		var out []string
		for _, p := range pods {
			out = append(out, p.Name)
		}
		return fmt.Sprint(out)
	}
	for _, tc := range []struct {
		name        string
		pods        []corev1.Pod
		unavailable int32
		want        string
		done        bool
		// asked is the pods the ReplicaSets ask for; 0 for as many as
		// listed.
		asked int32
	}{
		{"one at a time with maxUnavailable 0", []corev1.Pod{testPod("a", old, true), testPod("b", old, true)}, 0, "[a]", false, 0},
		{"two at a time", []corev1.Pod{testPod("a", old, true), testPod("b", old, true), testPod("c", old, true)}, 2, "[a b]", false, 0},
		{"waits while a pod is not ready", []corev1.Pod{testPod("a", old, true), testPod("n", fresh, false)}, 1, "[]", false, 0},
		{"done when all pods are newer and ready", []corev1.Pod{testPod("n", fresh, true), testPod("m", fresh, true)}, 1, "[]", true, 0},
		{"not done while a new pod is not ready", []corev1.Pod{testPod("n", fresh, false)}, 1, "[]", false, 0},
		{"waits for a replacement the cache does not show yet", []corev1.Pod{testPod("a", old, true), testPod("b", old, true)}, 1, "[]", false, 3},
		{"waits for a deletion the cache does not show yet", []corev1.Pod{testPod("a", old, true), testPod("b", old, true),
			testPod("deleted", old, true)}, 1, "[]", false, 0},
	} {
		asked := tc.asked
		if asked == 0 {
			asked = int32(len(tc.pods))
		}
		deleted := map[types.UID]bool{"deleted": true}
		got, done := restartBatch(tc.pods, at, tc.unavailable, asked, deleted)
		if names(got) != tc.want || done != tc.done {
			t.Errorf("%s: got %s done=%v, want %s done=%v", tc.name, names(got), done, tc.want, tc.done)
		}
	}
}

func TestWorkloadTarget(t *testing.T) {
	for _, tc := range []struct {
		mode                               rampv1alpha1.WorkloadScaleDown
		current, replicas, available, want int32
		healthy                            bool
	}{
		{rampv1alpha1.ScaleDownNever, 3, 3, 3, 3, true},
		{rampv1alpha1.ScaleDownOnSuccess, 3, 3, 3, 3, false},
		{rampv1alpha1.ScaleDownOnSuccess, 3, 3, 3, 0, true},
		{rampv1alpha1.ScaleDownProgressively, 3, 3, 1, 2, false},
		{rampv1alpha1.ScaleDownProgressively, 3, 3, 3, 0, false},
		{rampv1alpha1.ScaleDownProgressively, 1, 3, 0, 1, false}, // never scales up
	} {
		if got := workloadTarget(tc.mode, tc.current, tc.replicas, tc.available, tc.healthy); got != tc.want {
			t.Errorf("%+v: got %d", tc, got)
		}
	}
}

func TestRoleMetadata(t *testing.T) {
	rs := testRS("aaa", "1", 2, 2)
	rs.Spec.Template.Labels = map[string]string{"app": "web", rampv1alpha1.LabelPodTemplateHash: "aaa"}
	applyRoleMetadata(rs, rampv1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary"}, Annotations: map[string]string{"note": "c"}})
	if rs.Spec.Template.Labels["role"] != "canary" || rs.Spec.Template.Annotations["note"] != "c" {
		t.Fatalf("canary metadata not applied: %+v", rs.Spec.Template.ObjectMeta)
	}
	applyRoleMetadata(rs, rampv1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}})
	if rs.Spec.Template.Labels["role"] != "stable" || rs.Spec.Template.Annotations["note"] != "" {
		t.Fatalf("stable metadata not swapped in: %+v", rs.Spec.Template.ObjectMeta)
	}
	applyRoleMetadata(rs, rampv1alpha1.PodTemplateMetadata{})
	if _, ok := rs.Spec.Template.Labels["role"]; ok || rs.Annotations[annotationRoleMetadata] != "" {
		t.Fatalf("metadata not removed: %+v %+v", rs.Spec.Template.Labels, rs.Annotations)
	}
	if rs.Spec.Template.Labels["app"] != "web" || rs.Spec.Template.Labels[rampv1alpha1.LabelPodTemplateHash] != "aaa" {
		t.Fatalf("the template's own labels were touched: %+v", rs.Spec.Template.Labels)
	}
	keys := map[string]bool{"role": true, "canary-only": true, "team": true}
	p := keyPatch(map[string]string{"role": "canary", "canary-only": "yes", "team": "a", "app": "web"},
		map[string]string{"role": "stable"}, keys, map[string]string{"team": "a"})
	if fmt.Sprint(p) != "map[canary-only:<nil> role:stable]" {
		t.Errorf("keyPatch = %v; want role set, canary-only removed, the template's own team label kept", p)
	}
	if p := keyPatch(map[string]string{"role": "stable"}, map[string]string{"role": "stable"}, keys, nil); len(p) != 0 {
		t.Errorf("keyPatch of a pod already right = %v; want nothing", p)
	}
}

func TestInRollbackWindow(t *testing.T) {
	v1, v2, v3, v4 := testRS("h1", "1", 0, 0), testRS("h2", "2", 0, 0), testRS("h3", "3", 4, 4), testRS("h4", "4", 1, 1)
	for _, tc := range []struct {
		window int32
		target *appsv1.ReplicaSet
		want   bool
	}{
		{0, v2, false},
		{1, v2, true},
		{1, v1, false},
		{2, v1, true},
		{5, v4, false}, // newer than stable: a normal update
	} {
		s := testScope(hashOf(tc.target), rampv1alpha1.RolloutStatus{StableRS: "h3"}, v4, v3, v2, v1)
		s.rollout.Spec.RollbackWindow = &rampv1alpha1.RollbackWindowSpec{Revisions: tc.window}
		if got := inRollbackWindow(s); got != tc.want {
			t.Errorf("window %d, back to revision %s: %v, want %v", tc.window, tc.target.Annotations[rampv1alpha1.AnnotationRevision], got, tc.want)
		}
	}
}

func TestAbortWriter(t *testing.T) {
	ro := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{
		{Manager: "ramp-controller", Subresource: "status", Time: ptr.To(metav1.NewTime(testNow)),
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:phase":{}}}`)},
		{Manager: "kubectl-patch", Subresource: "status", Time: ptr.To(metav1.NewTime(testNow.Add(time.Second))),
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:abort":{}}}`)},
	}}}
	if got := abortWriter(ro); got != "kubectl-patch" {
		t.Errorf("abortWriter = %q", got)
	}
	if got := abortWriter(&rampv1alpha1.Rollout{}); got != "a status update" {
		t.Errorf("abortWriter without managed fields = %q", got)
	}
}

func TestPlans(t *testing.T) {
	stable, canary, old := testRS("s", "2", 3, 3), testRS("c", "3", 1, 1), testRS("o", "1", 0, 0)
	s := testScope("c", rampv1alpha1.RolloutStatus{StableRS: "s"}, canary, stable, old)
	describe := func(plan []planEntry) string {
		var out []string
		for _, e := range plan {
			out = append(out, fmt.Sprintf("%s=%d", hashOf(e.rs), e.target))
		}
		return fmt.Sprint(out)
	}
	if got := describe(canaryPlan(s, 50)); got != "[c=2 s=2 o=0]" {
		t.Errorf("canaryPlan(50) = %s", got)
	}
	if got := describe(abortPlan(s)); got != "[s=4 c=0 o=0]" {
		t.Errorf("abortPlan = %s", got)
	}
	if got := describe(stablePlan(s)); got != "[s=4 c=0 o=0]" {
		t.Errorf("stablePlan = %s", got)
	}
}
