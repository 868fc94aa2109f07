package controller

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func replicaSet(ns, name string, labels map[string]string) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
			},
		},
	}
}

// TestReplicaSetCacheHoldsOnlyRampReplicaSets starts the manager in process
// and checks that its ReplicaSet informer holds Ramp's ReplicaSets and not
// the ReplicaSets of unrelated workloads.
func TestReplicaSetCacheHoldsOnlyRampReplicaSets(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	framework.Create(t, k8s, replicaSet(ns, "unrelated", map[string]string{"app": "unrelated"}))
	framework.Create(t, k8s, replicaSet(ns, "web-abc123", map[string]string{"app": "web", rampv1alpha1.LabelPodTemplateHash: "abc123"}))

	opts := manager.DefaultOptions()
	opts.Namespace = ns
	opts.LeaderElect = false
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.AllowSeveralInProcess = true
	mgr, err := manager.New(cluster.Current().RESTConfig(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	syncCtx, syncCancel := context.WithTimeout(ctx, 60*time.Second)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		t.Fatal("caches did not sync")
	}
	var list appsv1.ReplicaSetList
	if err := mgr.GetCache().List(syncCtx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, rs := range list.Items {
		names = append(names, rs.Name)
	}
	if len(names) != 1 || names[0] != "web-abc123" {
		t.Errorf("the ReplicaSet cache holds %v; want only [web-abc123]", names)
	}
}
