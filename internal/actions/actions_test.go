package actions

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// The CLI's command tests (internal/cli) cover each action's checks and
// writes; these cover what the dashboard relies on: the error types it
// maps to HTTP statuses, and the permissions it checks.

func testClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := rampv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&rampv1alpha1.Rollout{}).Build()
}

func TestErrorTypes(t *testing.T) {
	healthy := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Status: rampv1alpha1.RolloutStatus{StableRS: "a", CurrentPodHash: "a"}}
	c := testClient(t, healthy)
	ctx := context.Background()

	_, err := Do(ctx, c, "shop", "web", Abort, Options{})
	var na *NotApplicableError
	if !errors.As(err, &na) || err.Error() != `cannot abort rollout "web": no update is in flight (the current revision is the stable one)` {
		t.Errorf("abort of a healthy rollout: %v, want a NotApplicableError", err)
	}
	_, err = Do(ctx, c, "shop", "api", Abort, Options{})
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("abort of a missing rollout: %v, want a NotFoundError", err)
	}
	if _, err = Do(ctx, c, "shop", "web", "explode", Options{}); err == nil {
		t.Error("an unknown action was accepted")
	}
	msg, err := Do(ctx, c, "shop", "web", Pause, Options{})
	if err != nil || msg != `rollout "web" paused (spec.paused: true)` {
		t.Errorf("pause: %q, %v", msg, err)
	}
}

func TestPermission(t *testing.T) {
	for act, want := range map[string]string{
		Promote: "patch rollouts/status", PromoteFull: "patch rollouts/status", Abort: "patch rollouts/status", Retry: "patch rollouts/status",
		Pause: "patch rollouts/", Resume: "patch rollouts/", Undo: "patch rollouts/", Restart: "patch rollouts/", SetImage: "patch rollouts/",
	} {
		verb, res, sub := Permission(act)
		if got := verb + " " + res + "/" + sub; got != want {
			t.Errorf("Permission(%s) = %s, want %s", act, got, want)
		}
	}
	for _, n := range Names {
		if _, ok := builders[n]; !ok {
			t.Errorf("Names lists %s, which has no builder", n)
		}
	}
}
