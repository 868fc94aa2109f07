package api

import (
	"os/exec"
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func createScaleTestRollout(t *testing.T, k8s client.Client, ns, name string) {
	t.Helper()
	objs, err := framework.DecodeYAML([]byte(rollout("  replicas: 2\n{{pod}}\n  strategy: {canary: {}}")))
	if err != nil {
		t.Fatal(err)
	}
	ro := objs[0]
	ro.SetNamespace(ns)
	ro.SetName(name)
	framework.Create(t, k8s, ro)
}

func specReplicas(t *testing.T, k8s client.Client, ns, name string) int32 {
	t.Helper()
	ro := framework.Get(t, k8s, types.NamespacedName{Namespace: ns, Name: name}, &rampv1alpha1.Rollout{})
	if ro.Spec.Replicas == nil {
		t.Fatal("spec.replicas is not set")
	}
	return *ro.Spec.Replicas
}

// TestKubectlScale checks that `kubectl scale rollout` changes spec.replicas
// through the scale subresource.
func TestKubectlScale(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	createScaleTestRollout(t, k8s, ns, "scaled-by-kubectl")

	c := cluster.Current()
	out, err := exec.Command(c.KubectlPath(), "--kubeconfig", c.KubeconfigPath(), "-n", ns,
		"scale", "rollout/scaled-by-kubectl", "--replicas=5").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl scale: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "scaled") {
		t.Errorf("kubectl scale printed %q", out)
	}
	if got := specReplicas(t, k8s, ns, "scaled-by-kubectl"); got != 5 {
		t.Errorf("spec.replicas = %d after kubectl scale --replicas=5", got)
	}
}

// TestScaleSubresource reads and writes /scale as a HorizontalPodAutoscaler
// does.
func TestScaleSubresource(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	createScaleTestRollout(t, k8s, ns, "scaled-by-hpa")
	ctx, cancel := framework.APIContext()
	defer cancel()

	ro := framework.Get(t, k8s, types.NamespacedName{Namespace: ns, Name: "scaled-by-hpa"}, &rampv1alpha1.Rollout{})
	scale := &autoscalingv1.Scale{}
	if err := k8s.SubResource("scale").Get(ctx, ro, scale); err != nil {
		t.Fatalf("get /scale: %v", err)
	}
	if scale.Spec.Replicas != 2 {
		t.Errorf("/scale spec.replicas = %d, want 2", scale.Spec.Replicas)
	}
	scale.Spec.Replicas = 7
	if err := k8s.SubResource("scale").Update(ctx, ro, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("update /scale: %v", err)
	}
	if got := specReplicas(t, k8s, ns, "scaled-by-hpa"); got != 7 {
		t.Errorf("spec.replicas = %d after writing 7 to /scale", got)
	}
}
