package rolloutspec

import (
	"fmt"
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitSelector waits until a Service's selector is exactly the user's
// selector plus the pod template hash hash.
func waitSelector(t *testing.T, k8s client.WithWatch, svc *corev1.Service, user map[string]string, hash string) {
	t.Helper()
	want := maps.Clone(user)
	want[rampv1alpha1.LabelPodTemplateHash] = hash
	framework.WaitFor(t, k8s, client.ObjectKeyFromObject(svc), &corev1.Service{}, waitTimeout,
		fmt.Sprintf("Service %s to select %v", svc.Name, want),
		func(s *corev1.Service) (bool, string) {
			ok := maps.Equal(s.Spec.Selector, want) && len(s.Spec.Ports) == 1 && s.Spec.Ports[0].Port == 80
			return ok, fmt.Sprintf("selector %v, ports %v", s.Spec.Selector, s.Spec.Ports)
		})
}

// TestServiceSelectorsKeepTheUsersKeys gives the stable and canary
// Services a selector of their own (app, tier) and checks that Ramp only
// adds ramp.dev/pod-template-hash to it, keeping app and tier (and the
// ports): on the stable hash once Healthy, on the canary hash for the
// canary Service during an update, and on the new hash after promotion.
func TestServiceSelectorsKeepTheUsersKeys(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	user := map[string]string{"app": "front", "tier": "web"}
	stable := framework.NewService(ns, "front-stable", user)
	canary := framework.NewService(ns, "front-canary", user)
	framework.Create(t, k8s, stable)
	framework.Create(t, k8s, canary)

	ro := newRollout(ns, "front", 2, framework.SetWeight(50), framework.Pause())
	ro.Spec.Template.Labels = map[string]string{"app": "front", "tier": "web"}
	ro.Spec.Strategy.Canary.StableService = stable.Name
	ro.Spec.Strategy.Canary.CanaryService = canary.Name
	framework.Create(t, k8s, ro)
	first := waitHealthy(t, k8s, ro, "")
	oldHash := first.Status.CurrentPodHash
	waitSelector(t, k8s, stable, user, oldHash)
	waitSelector(t, k8s, canary, user, oldHash)

	framework.SetImage(t, k8s, ro, imageV2)
	paused := waitPaused(t, k8s, ro, oldHash, 1)
	newHash := paused.Status.CurrentPodHash
	waitSelector(t, k8s, canary, user, newHash)
	waitSelector(t, k8s, stable, user, oldHash)

	framework.Promote(t, k8s, ro)
	waitHealthy(t, k8s, ro, oldHash)
	waitSelector(t, k8s, stable, user, newHash)
	waitSelector(t, k8s, canary, user, newHash)
}
