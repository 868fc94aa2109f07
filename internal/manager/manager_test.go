package manager

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

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
