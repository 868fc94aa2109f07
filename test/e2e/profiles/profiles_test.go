package profiles

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestTeamsWalkTheirOwnSteps gives two teams a profile of the same name
// with different steps; each team's Rollout walks its own.
func TestTeamsWalkTheirOwnSteps(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	for _, team := range []struct {
		weights []int32
		canary  []int32
	}{
		{weights: []int32{25, 75}, canary: []int32{1, 3}},
		{weights: []int32{50}, canary: []int32{2}},
	} {
		ns := framework.Namespace(t, k8s)
		framework.Create(t, k8s, newProfile(ns, "standard", canaryProfile(pauseSteps(team.weights...)...)))
		ro := profiled(ns, "web", rampv1alpha1.ProfileKindNamespaced, "standard")
		framework.Create(t, k8s, ro)
		healthy(t, k8s, ro)
		r, _ := update(t, k8s, ro, 2, team.canary[0], 1)
		for i := 1; i < len(team.weights); i++ {
			framework.Promote(t, k8s, r)
			r = waitStep(t, k8s, r, int32(2*i+1), team.canary[i])
		}
		framework.Promote(t, k8s, r)
		healthy(t, k8s, ro)
	}
}

// waitStep waits for the Rollout to pause at step index step with canary
// pods of its current revision.
func waitStep(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, step, canary int32) *rampv1alpha1.Rollout {
	t.Helper()
	r := framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "paused at the next step",
		func(r *rampv1alpha1.Rollout) bool {
			return r.Status.Phase == rampv1alpha1.RolloutPhasePaused && framework.StepIndex(r) == step
		})
	framework.WaitReplicaSet(t, k8s, ro.Namespace, ro.Name, r.Status.CurrentPodHash, waitTimeout, "canary pods",
		framework.ReplicaSetAt(canary))
	return r
}

// TestProfileEditedMidUpdate edits the profile while an update waits at a
// pause: that update keeps its steps and finishes with them; the next
// update takes the new ones.
func TestProfileEditedMidUpdate(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	prof := newProfile(ns, "standard", canaryProfile(pauseSteps(25)...))
	framework.Create(t, k8s, prof)
	ro := profiled(ns, "web", rampv1alpha1.ProfileKindNamespaced, "standard")
	framework.Create(t, k8s, ro)
	healthy(t, k8s, ro)
	r, hash := update(t, k8s, ro, 2, 1, 1)

	framework.Update(t, k8s, prof, func(p *rampv1alpha1.RolloutProfile) {
		p.Spec.Strategy.Canary.Steps = pauseSteps(50, 75)
	})
	// A Rollout created now starts with the edited profile, which shows
	// the controller has seen the edit.
	other := profiled(ns, "api", rampv1alpha1.ProfileKindNamespaced, "standard")
	framework.Create(t, k8s, other)
	seen := framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(other), waitTimeout, "api to record generation 2",
		func(r *rampv1alpha1.Rollout) bool { return r.Status.Profile != nil && r.Status.Profile.Generation == 2 })
	if seen.Status.Profile.Strategy == nil || len(seen.Status.Profile.Strategy.Canary.Steps) != 4 {
		t.Errorf("api recorded %+v, want the edited profile's 4 steps", seen.Status.Profile)
	}
	// A spec change reconciles web with the edited profile in the cache:
	// its update stays on the steps it started with.
	framework.Update(t, k8s, r, func(r *rampv1alpha1.Rollout) { r.Spec.ProgressDeadlineSeconds = ptr.To[int32](900) })
	r = framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "web to observe its spec change",
		func(r *rampv1alpha1.Rollout) bool { return r.Status.ObservedGeneration == r.Generation })
	if p := r.Status.Profile; r.Status.Phase != rampv1alpha1.RolloutPhasePaused || framework.StepIndex(r) != 1 ||
		r.Status.CurrentPodHash != hash || p == nil || p.Generation != 1 || len(p.Strategy.Canary.Steps) != 2 {
		t.Fatalf("the update in flight changed with the profile: %s, profile %+v", framework.DescribeRollout(r), p)
	}
	framework.WaitReplicaSet(t, k8s, ns, "web", hash, waitTimeout, "still 1 canary pod", framework.ReplicaSetAt(1))
	framework.Promote(t, k8s, r)
	healthy(t, k8s, r)

	// The next update walks the edited steps.
	r, _ = update(t, k8s, r, 3, 2, 2)
	framework.Promote(t, k8s, r)
	r = waitStep(t, k8s, r, 3, 3)
	framework.Promote(t, k8s, r)
	healthy(t, k8s, r)
}

// TestMissingProfile stalls a Rollout that names no existing profile
// until the profile appears; a profile deleted under a healthy Rollout
// stalls its next update, and the stable version keeps running.
func TestMissingProfile(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	ro := profiled(ns, "web", rampv1alpha1.ProfileKindNamespaced, "standard")
	framework.Create(t, k8s, ro)
	stalled(t, k8s, ro, rampv1alpha1.ReasonProfileNotFound,
		`spec.strategy.profileRef: RolloutProfile "standard" not found in namespace "`+ns+`"; create it or fix the name`)

	prof := newProfile(ns, "standard", canaryProfile(pauseSteps(25)...))
	framework.Create(t, k8s, prof)
	stable := healthy(t, k8s, ro)

	framework.Get(t, k8s, client.ObjectKeyFromObject(ro), ro)
	ctx, cancel := framework.APIContext()
	defer cancel()
	if err := k8s.Delete(ctx, prof); err != nil {
		t.Fatal(err)
	}
	framework.SetImage(t, k8s, ro, image("web", 2))
	stalled(t, k8s, ro, rampv1alpha1.ReasonProfileNotFound, `RolloutProfile "standard" not found`)
	framework.WaitReplicaSet(t, k8s, ns, "web", stable, waitTimeout, "the stable version at full size",
		framework.ReplicaSetAt(replicas))
}

// TestClusterProfiles uses a ClusterRolloutProfile from a team namespace,
// by name and as the namespace's default, and refuses one of the other
// strategy kind.
func TestClusterProfiles(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	named := newClusterProfile(t, k8s, ns+"-platform", canaryProfile(pauseSteps(50)...), nil)
	ro := profiled(ns, "web", rampv1alpha1.ProfileKindCluster, named.Name)
	framework.Create(t, k8s, ro)
	healthy(t, k8s, ro)
	r, _ := update(t, k8s, ro, 2, 2, 1)
	if p := r.Status.Profile; p.Kind != rampv1alpha1.ProfileKindCluster || p.Name != named.Name || p.Default {
		t.Errorf("status.profile = %+v, want ClusterRolloutProfile %s", p, named.Name)
	}
	framework.Promote(t, k8s, r)
	healthy(t, k8s, r)

	// The namespace's default, for a Rollout that names none and writes
	// only its canary's maxSurge.
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	def := newClusterProfile(t, k8s, ns+"-default", canaryProfile(pauseSteps(75)...), selector)
	api := framework.NewRollout(ns, "api", image("api", 1), replicas)
	framework.Create(t, k8s, api)
	healthy(t, k8s, api)
	r, _ = update(t, k8s, api, 2, 3, 1)
	if p := r.Status.Profile; p.Name != def.Name || !p.Default {
		t.Errorf("status.profile = %+v, want the default %s", p, def.Name)
	}
	framework.Promote(t, k8s, r)
	healthy(t, k8s, r)

	// A blue-green profile for a Rollout that writes a canary.
	bg := newClusterProfile(t, k8s, ns+"-bluegreen", rampv1alpha1.ProfileStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{}}, nil)
	mixed := framework.NewRollout(ns, "mixed", image("mixed", 1), replicas)
	mixed.Spec.Strategy.ProfileRef = &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindCluster, Name: bg.Name}
	framework.Create(t, k8s, mixed)
	stalled(t, k8s, mixed, rampv1alpha1.ReasonInvalidSpec, `spec.strategy.profileRef: ClusterRolloutProfile "`+bg.Name+
		`" holds a blueGreen strategy, but this Rollout writes spec.strategy.canary; write spec.strategy.blueGreen instead, or name a canary profile`)
}
