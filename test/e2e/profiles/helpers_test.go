package profiles

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds every wait on the controller; the waits return as
// soon as the state is reached.
const waitTimeout = 60 * time.Second

// replicas is the size of every Rollout of the suite, so that a weight of
// w% is w/25 canary pods.
const replicas = 4

// canaryProfile is a canary strategy of steps.
func canaryProfile(steps ...rampv1alpha1.CanaryStep) rampv1alpha1.ProfileStrategy {
	return rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: steps}}
}

// newProfile is the RolloutProfile name in ns.
func newProfile(ns, name string, st rampv1alpha1.ProfileStrategy) *rampv1alpha1.RolloutProfile {
	return &rampv1alpha1.RolloutProfile{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       rampv1alpha1.RolloutProfileSpec{Strategy: st},
	}
}

// newClusterProfile is the ClusterRolloutProfile name, deleted when the test
// ends.
func newClusterProfile(t *testing.T, k8s client.Client, name string, st rampv1alpha1.ProfileStrategy, selector *metav1.LabelSelector) *rampv1alpha1.ClusterRolloutProfile {
	t.Helper()
	p := &rampv1alpha1.ClusterRolloutProfile{ObjectMeta: metav1.ObjectMeta{Name: name}}
	p.Spec.Strategy = st
	p.Spec.NamespaceSelector = selector
	framework.Create(t, k8s, p)
	t.Cleanup(func() {
		ctx, cancel := framework.APIContext()
		defer cancel()
		_ = k8s.Delete(ctx, p)
	})
	return p
}

// profiled is Rollout name in ns whose strategy is only a reference to the
// profile kind/name.
func profiled(ns, name string, kind rampv1alpha1.ProfileKind, profile string) *rampv1alpha1.Rollout {
	ro := framework.NewRollout(ns, name, image(name, 1), replicas)
	ro.Spec.Strategy = rampv1alpha1.RolloutStrategy{ProfileRef: &rampv1alpha1.ProfileReference{Kind: kind, Name: profile}}
	return ro
}

// image is version v of app's image.
func image(app string, v int) string {
	return fmt.Sprintf("registry.example/%s:%d", app, v)
}

// healthy waits until the Rollout is Healthy on its current spec and
// returns its stable pod template hash.
func healthy(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout) string {
	t.Helper()
	r := framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy &&
			r.Status.StableRS == r.Status.CurrentPodHash
	})
	return r.Status.StableRS
}

// update starts revision v of ro and waits until it pauses at its first
// pause (step index 1) with canary pods, recording profile generation gen;
// it returns the Rollout and the revision's hash.
func update(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, v int, canary int32, gen int64) (*rampv1alpha1.Rollout, string) {
	t.Helper()
	const step = 1
	stable := ro.Status.StableRS
	framework.SetImage(t, k8s, ro, image(ro.Name, v))
	r := framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout,
		fmt.Sprintf("revision %d paused at step index %d", v, step), func(r *rampv1alpha1.Rollout) bool {
			return r.Status.ObservedGeneration == r.Generation && r.Status.CurrentPodHash != stable &&
				r.Status.Phase == rampv1alpha1.RolloutPhasePaused && framework.StepIndex(r) == step
		})
	hash := r.Status.CurrentPodHash
	framework.WaitReplicaSet(t, k8s, ro.Namespace, ro.Name, hash, waitTimeout, fmt.Sprintf("%d canary pods", canary),
		framework.ReplicaSetAt(canary))
	if p := r.Status.Profile; p == nil || p.Generation != gen || p.PodTemplateHash != hash {
		t.Errorf("status.profile = %+v, want generation %d recorded for revision %s", p, gen, hash)
	}
	return r, hash
}

// stalled waits until the Rollout is Stalled with reason and a message
// holding want.
func stalled(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, reason, want string) {
	t.Helper()
	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "Stalled: "+want,
		func(r *rampv1alpha1.Rollout) bool {
			for _, c := range r.Status.Conditions {
				if c.Type == rampv1alpha1.ConditionStalled && c.Status == metav1.ConditionTrue && c.Reason == reason &&
					c.Message == r.Status.Message && strings.Contains(r.Status.Message, want) {
					return true
				}
			}
			return false
		})
}

// pauseSteps is setWeight w followed by an indefinite pause.
func pauseSteps(weights ...int32) []rampv1alpha1.CanaryStep {
	var steps []rampv1alpha1.CanaryStep
	for _, w := range weights {
		steps = append(steps, framework.SetWeight(w), framework.Pause())
	}
	return steps
}
