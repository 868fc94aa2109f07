package outage

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestAPIServerRestartMidRollout restarts kube-apiserver (down for 5 s)
// while a canary walks its steps: the update finishes on its new image
// with no second ReplicaSet for it, and the controller, whose watches and
// requests failed meanwhile, goes on to run another update afterwards.
func TestAPIServerRestartMidRollout(t *testing.T) {
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	ro := framework.NewCanaryWithServices(t, k8s, ns, "web", "registry.example/web:1", 4,
		framework.SetWeight(25), framework.PauseFor(2*time.Second), framework.SetWeight(50), framework.PauseFor(2*time.Second),
		framework.SetWeight(75), framework.PauseFor(2*time.Second))
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)
	healthyOn := func(image string) func(*rampv1alpha1.Rollout) bool {
		return func(r *rampv1alpha1.Rollout) bool {
			return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS == r.Status.CurrentPodHash &&
				r.Spec.Template.Spec.Containers[0].Image == image && r.Status.ObservedGeneration == r.Generation
		}
	}
	framework.WaitRollout(t, k8s, key, waitTimeout, "the first revision to be Healthy", healthyOn("registry.example/web:1"))

	framework.SetImage(t, k8s, ro, "registry.example/web:2")
	framework.WaitRollout(t, k8s, key, waitTimeout, "the update to reach its second step", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.CurrentPodHash != r.Status.StableRS && r.Status.CurrentStepIndex != nil && *r.Status.CurrentStepIndex >= 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := cluster.Current().RestartAPIServer(ctx, 5*time.Second); err != nil {
		t.Fatalf("restart kube-apiserver: %v", err)
	}
	done := framework.WaitRollout(t, k8s, key, waitTimeout, "the update to finish after the restart", healthyOn("registry.example/web:2"))
	var sets appsv1.ReplicaSetList
	framework.List(t, k8s, &sets, client.InNamespace(ns))
	perHash := map[string]int{}
	for _, rs := range sets.Items {
		perHash[rs.Labels[rampv1alpha1.LabelPodTemplateHash]]++
	}
	if len(sets.Items) != 2 || perHash[done.Status.StableRS] != 1 {
		t.Errorf("ReplicaSets after the restart: %d (by hash %v), want the two versions once each", len(sets.Items), perHash)
	}

	framework.SetImage(t, k8s, done, "registry.example/web:3")
	framework.WaitRollout(t, k8s, key, waitTimeout, "an update after the restart to finish", healthyOn("registry.example/web:3"))
}
