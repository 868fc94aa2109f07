package manager

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestInstanceSelector(t *testing.T) {
	for _, tc := range []struct {
		id      string
		objects map[string]bool // labels of an object → handled
	}{
		{"", map[string]bool{"": true, "ramp.dev/instance-id=blue": false}},
		{"blue", map[string]bool{"": false, "ramp.dev/instance-id=blue": true, "ramp.dev/instance-id=green": false}},
	} {
		sel, err := InstanceSelector(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		for lbls, want := range tc.objects {
			set, err := labels.ConvertSelectorToLabelsMap(lbls)
			if err != nil {
				t.Fatal(err)
			}
			if got := sel.Matches(set); got != want {
				t.Errorf("instance %q, object labels %q: handled = %v, want %v", tc.id, lbls, got, want)
			}
		}
	}
}

func TestInstanceSelectorRejectsBadID(t *testing.T) {
	if _, err := InstanceSelector("not a label value!"); err == nil {
		t.Fatal("want an error for an instance ID that is not a label value")
	}
}

func TestCacheOptions(t *testing.T) {
	opts, err := CacheOptions("team-a", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := opts.DefaultNamespaces["team-a"]; !ok || len(opts.DefaultNamespaces) != 1 {
		t.Errorf("namespaces = %v; want only team-a", opts.DefaultNamespaces)
	}
	var rsSelector, rolloutSelector labels.Selector
	for obj, by := range opts.ByObject {
		switch obj.(type) {
		case *appsv1.ReplicaSet:
			rsSelector = by.Label
		case *rampv1alpha1.Rollout:
			rolloutSelector = by.Label
		}
	}
	if rsSelector == nil || rolloutSelector == nil {
		t.Fatalf("no selector for ReplicaSets or Rollouts: %v", opts.ByObject)
	}
	if rsSelector.Matches(labels.Set{"app": "web", "pod-template-hash": "abc"}) {
		t.Error("the ReplicaSet cache would hold a Deployment's ReplicaSet")
	}
	if !rsSelector.Matches(labels.Set{"app": "web", rampv1alpha1.LabelPodTemplateHash: "abc"}) {
		t.Error("the ReplicaSet cache would miss a Rollout's ReplicaSet")
	}

	all, err := CacheOptions("", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all.DefaultNamespaces) != 0 {
		t.Errorf("namespaces = %v; want all", all.DefaultNamespaces)
	}
}

func TestSlimPod(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-abc-1", Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"a": "b"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}},
		},
		Spec: corev1.PodSpec{
			NodeName:       "node-1",
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox", Command: []string{"true"}}},
			Containers: []corev1.Container{{Name: "web", Image: "nginx", Env: []corev1.EnvVar{{Name: "X", Value: "y"}},
				ReadinessProbe: &corev1.Probe{}}},
			Volumes: []corev1.Volume{{Name: "data"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, HostIP: "10.0.0.1", PodIP: "10.1.0.7", QOSClass: corev1.PodQOSBestEffort,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", Image: "busybox", ImageID: "sha256:1",
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", ContainerID: "c1"}}}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Ready: true, RestartCount: 2, Image: "nginx", ImageID: "sha256:2",
				ContainerID: "c2", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}}}}},
	}
	out, err := slimPod(pod.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*corev1.Pod)
	want := pod.DeepCopy()
	want.ManagedFields = nil
	want.Spec = corev1.PodSpec{NodeName: "node-1",
		InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
		Containers:     []corev1.Container{{Name: "web", Image: "nginx"}}}
	want.Status = corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		InitContainerStatuses: []corev1.ContainerStatus{{Name: "init",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Ready: true, RestartCount: 2,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("slimPod kept\n%+v\nwant\n%+v", got, want)
	}
	if other, err := slimPod(&appsv1.ReplicaSet{}); err != nil || other == nil {
		t.Errorf("slimPod on a ReplicaSet: %v, %v", other, err)
	}
}

// TestSlimFinishedRun checks what the cache keeps of AnalysisRuns: a
// running run whole, a finished one without its measurements, verdicts
// and metric definitions, but with its phases, messages, counts, the
// provider of each metric and spec.terminate.
func TestSlimFinishedRun(t *testing.T) {
	completed := metav1.Now()
	run := &rampv1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "web-5d8f-2", Labels: map[string]string{rampv1alpha1.LabelRollout: "web"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "ramp-controller"}}},
		Spec: rampv1alpha1.AnalysisRunSpec{
			Metrics: []rampv1alpha1.Metric{
				{Name: "errors", SuccessCondition: "result < 0.01", Provider: rampv1alpha1.MetricProvider{
					Prometheus: &rampv1alpha1.PrometheusMetric{Query: "sum(rate(errors[1m]))"}}},
				{Name: "smoke", Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: "http://smoke"}}},
			},
			Args:      []rampv1alpha1.Argument{{Name: "service", Value: ptr.To("web")}},
			Terminate: true,
		},
		Status: rampv1alpha1.AnalysisRunStatus{
			Phase: rampv1alpha1.AnalysisPhaseRunning, Message: "errors: 0.2 failed result < 0.01",
			MetricResults: []rampv1alpha1.MetricResult{
				{Name: "errors", Phase: rampv1alpha1.AnalysisPhaseFailed, Message: "0.2", Count: 3, Failed: 3,
					Measurements: []rampv1alpha1.Measurement{{Phase: rampv1alpha1.AnalysisPhaseFailed, Value: "0.2"}},
					Verdict:      &rampv1alpha1.JudgeVerdict{Score: 10}},
				{Name: "smoke", Phase: rampv1alpha1.AnalysisPhaseSuccessful, Count: 1, Successful: 1,
					Measurements: []rampv1alpha1.Measurement{{Phase: rampv1alpha1.AnalysisPhaseSuccessful, Value: "1"}}},
			},
		},
	}
	out, err := slimFinishedRun(run.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	want := run.DeepCopy()
	want.ManagedFields = nil
	if got := out.(*rampv1alpha1.AnalysisRun); !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("slimFinishedRun changed a running run:\n%+v\nwant\n%+v", got, want)
	}

	run.Status.Phase, run.Status.CompletedAt = rampv1alpha1.AnalysisPhaseFailed, &completed
	out, err = slimFinishedRun(run.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*rampv1alpha1.AnalysisRun)
	want = run.DeepCopy()
	want.ManagedFields = nil
	want.Spec = rampv1alpha1.AnalysisRunSpec{Terminate: true, Metrics: []rampv1alpha1.Metric{
		{Name: "errors", Provider: rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{}}},
		{Name: "smoke", Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{}}},
	}}
	for i := range want.Status.MetricResults {
		want.Status.MetricResults[i].Measurements, want.Status.MetricResults[i].Verdict = nil, nil
	}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("slimFinishedRun kept\n%+v\nwant\n%+v", got, want)
	}
	if len(run.Status.MetricResults[0].Measurements) != 1 {
		t.Errorf("slimFinishedRun changed the measurements of the object it was not given")
	}
	if other, err := slimFinishedRun(&corev1.Pod{}); err != nil || other == nil {
		t.Errorf("slimFinishedRun on a pod: %v, %v", other, err)
	}
}
