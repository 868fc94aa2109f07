package cli

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestUpdatePromoteAbortRetry drives an update with the plugin alone: set
// image starts it, promote moves it past its pause to Healthy; a second
// update is aborted (Degraded, back on the stable version), retried (at
// its pause again) and promoted with --full.
func TestUpdatePromoteAbortRetry(t *testing.T) {
	f := newFixture(t)
	f.must(`rollout "web" image updated`, "set", "image", "web", "app="+image("v2"))
	ro := f.wait("v2 to pause at its pause step", pausedAtStep)
	v2 := ro.Status.CurrentPodHash
	f.must(`rollout "web" promoted`, "promote", "web")
	f.wait("v2 to be Healthy and stable", func(r *rampv1alpha1.Rollout) bool { return healthy(r) && r.Status.StableRS == v2 })

	if code, _, errOut := f.kubectlRamp("promote", "web"); code == 0 || !strings.Contains(errOut, "no update is in flight") {
		t.Errorf("promote of a Healthy rollout: exit %d, stderr %q; want a failure saying no update is in flight", code, errOut)
	}

	f.must(`rollout "web" image updated`, "set", "image", "web", "*="+image("v3"))
	f.wait("v3 to pause at its pause step", pausedAtStep)
	f.must(`rollout "web" aborted: going back to the stable version`, "abort", "web")
	ro = f.wait("the abort to be Degraded on v2", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Abort && r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded && r.Status.StableRS == v2
	})
	if !strings.Contains(ro.Status.Message, "kubectl ramp abort") {
		t.Errorf("the aborted Rollout's message does not say who aborted: %q", ro.Status.Message)
	}
	f.must(`rollout "web" retrying the update from its first step`, "retry", "web")
	f.wait("the retried update to pause again", func(r *rampv1alpha1.Rollout) bool { return !r.Status.Abort && pausedAtStep(r) })
	f.must(`rollout "web" promoted to the end of its steps (--full)`, "promote", "web", "--full")
	f.wait("v3 to be Healthy and stable", func(r *rampv1alpha1.Rollout) bool { return healthy(r) && r.Status.StableRS != v2 })
}

// TestPauseResumeUndoRestart: pause holds an update where it is (Paused by
// spec.paused), resume lets it go on, undo brings the previous revision
// back (its hash: the same ReplicaSet), and restart replaces every pod.
func TestPauseResumeUndoRestart(t *testing.T) {
	f := newFixture(t)
	v1 := f.wait("the first revision", healthy).Status.StableRS

	f.must(`rollout "web" paused (spec.paused: true)`, "pause", "web")
	f.must(`rollout "web" image updated`, "set", "image", "web", "app="+image("v2"))
	f.wait("the update to hold, Paused by spec.paused", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && r.Status.Phase == rampv1alpha1.RolloutPhasePaused &&
			r.Status.Conditions != nil && strings.Contains(r.Status.Message, "spec.paused")
	})
	f.must(`rollout "web" resumed (spec.paused: false)`, "resume", "web")
	f.wait("the update to reach its pause step", pausedAtStep)

	f.must(`rollout "web" rolled back to revision 1`, "undo", "web")
	f.wait("the undo to be back on v1, Healthy", func(r *rampv1alpha1.Rollout) bool {
		return healthy(r) && r.Status.CurrentPodHash == v1 && r.Status.StableRS == v1
	})

	if code, _, errOut := f.kubectlRamp("undo", "web", "--to-revision", "9"); code == 0 || !strings.Contains(errOut, "revision 9 not found") {
		t.Errorf("undo to a revision that does not exist: exit %d, stderr %q", code, errOut)
	}

	before := time.Now()
	code, out, errOut := f.kubectlRamp("restart", "web")
	if code != 0 || !strings.HasPrefix(out, `rollout "web" restarting its pods now`) {
		t.Fatalf("restart: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	f.wait("every pod to be replaced", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.RestartedAt != nil && r.Spec.RestartAt != nil && r.Status.RestartedAt.Equal(r.Spec.RestartAt) && healthy(r)
	})
	for _, p := range framework.List(t, f.k8s, &corev1.PodList{}, client.InNamespace(f.ns)).Items {
		if p.DeletionTimestamp == nil && p.CreationTimestamp.Time.Before(before.Truncate(time.Second)) {
			t.Errorf("pod %s, created %s, was not replaced by the restart", p.Name, p.CreationTimestamp.UTC().Format(time.RFC3339))
		}
	}
}

// TestStatusExitCodes checks the exit codes CI relies on: 0 Healthy, 1
// aborted, 2 timed out, 3 invalid spec.
func TestStatusExitCodes(t *testing.T) {
	f := newFixture(t)
	if code, out, errOut := f.kubectlRamp("status", "web", "--timeout", "60s"); code != 0 || !strings.HasPrefix(out, "Healthy: ") {
		t.Errorf("status of a Healthy rollout: exit %d, stdout %q, stderr %q; want 0", code, out, errOut)
	}

	f.must(`rollout "web" image updated`, "set", "image", "web", "app="+image("v2"))
	f.wait("v2 to pause", pausedAtStep)
	if code, out, errOut := f.kubectlRamp("status", "web", "--timeout", "1s"); code != 2 || !strings.Contains(out, "Paused: ") ||
		!strings.Contains(errOut, "not done after 1s (--timeout)") {
		t.Errorf("status of a paused rollout with --timeout 1s: exit %d, stdout %q, stderr %q; want 2", code, out, errOut)
	}
	if code, out, _ := f.kubectlRamp("status", "web", "--watch=false"); code != 0 || !strings.HasPrefix(out, "Paused: ") {
		t.Errorf("status --watch=false of a paused rollout: exit %d, stdout %q; want 0 and its state", code, out)
	}

	f.must(`rollout "web" aborted: going back to the stable version`, "abort", "web")
	if code, _, errOut := f.kubectlRamp("status", "web", "--timeout", "60s"); code != 1 || !strings.Contains(errOut, "Degraded: ") {
		t.Errorf("status of an aborted rollout: exit %d, stderr %q; want 1", code, errOut)
	}

	// A Service that does not exist: the spec cannot be carried out.
	framework.Update(t, f.k8s, f.ro, func(r *rampv1alpha1.Rollout) { r.Spec.Strategy.Canary.StableService = "missing" })
	if code, _, errOut := f.kubectlRamp("status", "web", "--timeout", "60s"); code != 3 || !strings.Contains(errOut, `Service "missing" not found`) {
		t.Errorf("status of a rollout with an invalid spec: exit %d, stderr %q; want 3 naming the Service", code, errOut)
	}
}

// TestReadOnlyUserIsToldWhatIsMissing runs abort as a ServiceAccount bound
// to a role that may only read Rollouts: the plugin says which verb and
// resource the user lacks, and the Rollout is unchanged.
func TestReadOnlyUserIsToldWhatIsMissing(t *testing.T) {
	f := newFixture(t)
	f.must(`rollout "web" image updated`, "set", "image", "web", "app="+image("v2"))
	f.wait("v2 to pause", pausedAtStep)

	framework.Create(t, f.k8s, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "viewer"}})
	framework.Create(t, f.k8s, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "rollout-viewer"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"ramp.dev"}, Resources: []string{"rollouts"}, Verbs: []string{"get", "list", "watch"}}}})
	framework.Create(t, f.k8s, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "viewer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "rollout-viewer"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: f.ns, Name: "viewer"}}})

	as := "--as=system:serviceaccount:" + f.ns + ":viewer"
	code, _, errOut := f.kubectlRamp("abort", "web", as)
	want := `you may not abort rollout "web": abort needs the verb patch on rollouts/status (API group ramp.dev) in namespace "` + f.ns + `"`
	if code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("abort as a read-only user: exit %d, stderr %q; want it to contain %q", code, errOut, want)
	}
	if code, out, _ := f.kubectlRamp("status", "web", "--watch=false", as); code != 0 || !strings.HasPrefix(out, "Paused: ") {
		t.Errorf("status as a read-only user: exit %d, stdout %q; reading is allowed", code, out)
	}
	if r := f.wait("the rollout to be as it was", pausedAtStep); r.Status.Abort {
		t.Error("the rollout was aborted by a user without the right")
	}
}
