package rolloutspec

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestOverlappingSelectorsStallTheNewerRollout creates two Rollouts, one
// right after the other, whose selectors (app=shop) each select the
// other's pods (app=shop, track=a|b). The newer one must be Stalled with
// reason InvalidSpec, a message naming spec.selector and the older Rollout,
// an InvalidSpec event, and no ReplicaSet of its own; the older one must
// run normally: Healthy, and Healthy again after an update.
func TestOverlappingSelectorsStallTheNewerRollout(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	// Created in this order, alpha is the older: by creation time, or by
	// name when both were created in the same second.
	alpha := newRollout(ns, "alpha", 2)
	alpha.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "shop"}}
	alpha.Spec.Template.Labels = map[string]string{"app": "shop", "track": "a"}
	beta := newRollout(ns, "beta", 2)
	beta.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "shop"}}
	beta.Spec.Template.Labels = map[string]string{"app": "shop", "track": "b"}
	framework.Create(t, k8s, alpha)
	framework.Create(t, k8s, beta)

	got := waitRollout(t, k8s, beta, "the newer rollout to be Stalled with reason InvalidSpec", func(r *rampv1alpha1.Rollout) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, rampv1alpha1.ConditionStalled)
		return r.Status.ObservedGeneration == r.Generation && c != nil && c.Status == metav1.ConditionTrue &&
			c.Reason == rampv1alpha1.ReasonInvalidSpec
	})
	stalled := meta.FindStatusCondition(got.Status.Conditions, rampv1alpha1.ConditionStalled)
	for _, want := range []string{"spec.selector", `"alpha"`} {
		if !strings.Contains(stalled.Message, want) {
			t.Errorf("Stalled message %q does not name %s", stalled.Message, want)
		}
	}
	if got.Status.Phase != rampv1alpha1.RolloutPhaseDegraded {
		t.Errorf("the stalled rollout's phase is %q; want Degraded", got.Status.Phase)
	}
	if meta.IsStatusConditionTrue(got.Status.Conditions, rampv1alpha1.ConditionReady) {
		t.Errorf("the stalled rollout is Ready: %s", framework.DescribeRollout(got))
	}
	waitEvents(t, k8s, beta, "InvalidSpec", 1, "spec.selector", "alpha")

	// The older rollout runs as if the newer did not exist.
	first := waitHealthy(t, k8s, alpha, "")
	rss := ownedReplicaSets(listReplicaSets(t, k8s, ns), "alpha")
	if len(rss) != 1 || ptr.Deref(rss[0].Spec.Replicas, 0) != 2 || rss[0].Status.AvailableReplicas != 2 {
		t.Errorf("alpha's ReplicaSets: %s; want one with 2 available pods", describeReplicaSets(rss))
	}
	framework.SetImage(t, k8s, alpha, imageV2)
	waitHealthy(t, k8s, alpha, first.Status.CurrentPodHash)

	// The stalled rollout never made a ReplicaSet, nor took alpha's.
	all := listReplicaSets(t, k8s, ns)
	if own := ownedReplicaSets(all, "beta"); len(own) != 0 {
		t.Errorf("the stalled rollout has ReplicaSets: %s", describeReplicaSets(own))
	}
	for i := range all.Items {
		rs := &all.Items[i]
		if ref := metav1.GetControllerOf(rs); ref == nil || ref.Name != "alpha" {
			t.Errorf("ReplicaSet %s is not controlled by alpha: %s", rs.Name, describeReplicaSets([]*appsv1.ReplicaSet{rs}))
		}
	}
	now := framework.Get(t, k8s, client.ObjectKeyFromObject(beta), &rampv1alpha1.Rollout{})
	if !meta.IsStatusConditionTrue(now.Status.Conditions, rampv1alpha1.ConditionStalled) {
		t.Errorf("the newer rollout is no longer Stalled while alpha still overlaps it: %s", framework.DescribeRollout(now))
	}
}
