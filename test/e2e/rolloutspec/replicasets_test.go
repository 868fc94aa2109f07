package rolloutspec

import (
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestRevisionHistoryLimitDeletesOldReplicaSets ships four revisions, each
// completed at once (no steps), with revisionHistoryLimit 1. Only the
// current ReplicaSet and the newest old one (scaled to 0) must remain: the
// ReplicaSets of revisions 1 and 2 are deleted, each with a
// ReplicaSetDeleted event.
func TestRevisionHistoryLimitDeletesOldReplicaSets(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	ro := newRollout(ns, "hist", 2)
	ro.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	framework.Create(t, k8s, ro)
	var hashes []string
	prev := ""
	for i, image := range []string{imageV1, imageV2, imageV3, imageV4} {
		if i > 0 {
			framework.SetImage(t, k8s, ro, image)
		}
		got := waitHealthy(t, k8s, ro, prev)
		prev = got.Status.CurrentPodHash
		hashes = append(hashes, prev)
	}

	list := framework.WaitList(t, k8s, ns, waitTimeout, "only revision 4 (2 pods) and revision 3 (0 pods) to remain", func(l *appsv1.ReplicaSetList) (bool, string) {
		rss := ownedReplicaSets(l, "hist")
		ok := len(rss) == 2 &&
			rss[0].Name == "hist-"+hashes[2] && revision(rss[0]) == "3" && ptr.Deref(rss[0].Spec.Replicas, -1) == 0 &&
			rss[1].Name == "hist-"+hashes[3] && revision(rss[1]) == "4" && ptr.Deref(rss[1].Spec.Replicas, -1) == 2
		return ok, describeReplicaSets(rss)
	})
	if all := len(list.Items); all != 2 {
		t.Errorf("%d ReplicaSets in the namespace; want 2", all)
	}
	waitEvents(t, k8s, ro, "ReplicaSetDeleted", 2, "hist-"+hashes[0], "hist-"+hashes[1])
}

// TestOrphanedReplicaSetIsAdopted deletes a Healthy Rollout with its
// ReplicaSet orphaned and creates the same Rollout again: the new Rollout
// must adopt the existing ReplicaSet (controller reference to the new UID,
// Adopted event, same revision, same pods) instead of creating a second
// one, and be Healthy.
func TestOrphanedReplicaSetIsAdopted(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	ro := newRollout(ns, "adopt", 2)
	framework.Create(t, k8s, ro)
	first := waitHealthy(t, k8s, ro, "")
	rss := ownedReplicaSets(listReplicaSets(t, k8s, ns), "adopt")
	if len(rss) != 1 {
		t.Fatalf("rollout ReplicaSets: %s; want one", describeReplicaSets(rss))
	}
	orig := rss[0]
	pods := livePods(listPods(t, k8s, ns, client.MatchingLabels{"app": "adopt"}))
	var podUIDs []types.UID
	for _, p := range pods {
		podUIDs = append(podUIDs, p.UID)
	}
	slices.Sort(podUIDs)

	ctx, cancel := framework.APIContext()
	defer cancel()
	if err := k8s.Delete(ctx, ro, client.PropagationPolicy(metav1.DeletePropagationOrphan)); err != nil {
		t.Fatalf("delete rollout: %v", err)
	}
	framework.WaitFor(t, k8s, client.ObjectKeyFromObject(orig), &appsv1.ReplicaSet{}, waitTimeout, "the ReplicaSet to be orphaned",
		func(rs *appsv1.ReplicaSet) (bool, string) {
			return len(rs.OwnerReferences) == 0, describeReplicaSets([]*appsv1.ReplicaSet{rs})
		})
	framework.WaitList(t, k8s, ns, waitTimeout, "the rollout to be gone", func(l *rampv1alpha1.RolloutList) (bool, string) {
		return len(l.Items) == 0, fmt.Sprintf("%d rollouts", len(l.Items))
	})

	again := newRollout(ns, "adopt", 2)
	framework.Create(t, k8s, again)
	if again.UID == first.UID {
		t.Fatalf("the new rollout has the old UID %s", again.UID)
	}
	healthy := waitHealthy(t, k8s, again, "")
	if healthy.Status.CurrentPodHash != first.Status.CurrentPodHash {
		t.Errorf("the same template hashes to %s now and %s before", healthy.Status.CurrentPodHash, first.Status.CurrentPodHash)
	}
	waitEvents(t, k8s, again, "Adopted", 1, orig.Name)

	all := listReplicaSets(t, k8s, ns)
	if len(all.Items) != 1 {
		var rss []*appsv1.ReplicaSet
		for i := range all.Items {
			rss = append(rss, &all.Items[i])
		}
		t.Fatalf("ReplicaSets after re-creating the rollout: %s; want only the adopted one", describeReplicaSets(rss))
	}
	rs := &all.Items[0]
	ref := metav1.GetControllerOf(rs)
	switch {
	case rs.UID != orig.UID:
		t.Errorf("ReplicaSet %s has UID %s; want the orphan's %s", rs.Name, rs.UID, orig.UID)
	case ref == nil || ref.UID != again.UID || ref.Kind != "Rollout" || ref.Name != "adopt":
		t.Errorf("adopted ReplicaSet's controller: %+v; want Rollout adopt with UID %s", ref, again.UID)
	case revision(rs) != "1" || ptr.Deref(rs.Spec.Replicas, 0) != 2:
		t.Errorf("adopted ReplicaSet: %s; want revision 1 with 2 replicas", describeReplicaSets([]*appsv1.ReplicaSet{rs}))
	}
	if evs := framework.ListEvents(t, k8s, again, "ReplicaSetCreated"); len(evs) != 0 {
		t.Errorf("the re-created rollout created a ReplicaSet: %s", evs[0].Note)
	}
	var nowUIDs []types.UID
	for _, p := range livePods(listPods(t, k8s, ns, client.MatchingLabels{"app": "adopt"})) {
		nowUIDs = append(nowUIDs, p.UID)
	}
	slices.Sort(nowUIDs)
	if !slices.Equal(nowUIDs, podUIDs) {
		t.Errorf("pods after adoption %v; want the same pods as before %v", nowUIDs, podUIDs)
	}
}

// checkReplicaSet checks a ReplicaSet's name, revision and hash label,
// selector and template label.
func checkReplicaSet(t *testing.T, rs *appsv1.ReplicaSet, rollout, hash, rev string) {
	t.Helper()
	if rs.Name != rollout+"-"+hash {
		t.Errorf("ReplicaSet %s; want the name %s-%s", rs.Name, rollout, hash)
	}
	if revision(rs) != rev {
		t.Errorf("ReplicaSet %s has revision %q; want %s", rs.Name, revision(rs), rev)
	}
	if rs.Labels[rampv1alpha1.LabelPodTemplateHash] != hash || rs.Spec.Template.Labels[rampv1alpha1.LabelPodTemplateHash] != hash ||
		rs.Spec.Selector.MatchLabels[rampv1alpha1.LabelPodTemplateHash] != hash {
		t.Errorf("ReplicaSet %s: hash label %q, template label %q, selector %v; want %s in all three", rs.Name,
			rs.Labels[rampv1alpha1.LabelPodTemplateHash], rs.Spec.Template.Labels[rampv1alpha1.LabelPodTemplateHash],
			rs.Spec.Selector.MatchLabels, hash)
	}
}

// TestReplicaSetNamesAndRevisions ships three revisions (no steps) and
// checks that their ReplicaSets are named <rollout>-<hash>, carry the hash
// in labels, selector and template, and have revisions 1, 2 and 3; then an
// undo to revision 1 (its template written back) reuses that ReplicaSet,
// bumps its revision to 4, as Deployments do, and completes.
func TestReplicaSetNamesAndRevisions(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	ro := newRollout(ns, "rev", 2)
	framework.Create(t, k8s, ro)
	var hashes []string
	uids := map[string]types.UID{}
	prev := ""
	for i, image := range []string{imageV1, imageV2, imageV3} {
		if i > 0 {
			framework.SetImage(t, k8s, ro, image)
		}
		got := waitHealthy(t, k8s, ro, prev)
		prev = got.Status.CurrentPodHash
		hashes = append(hashes, prev)
		rs := currentReplicaSet(t, k8s, ro, prev)
		checkReplicaSet(t, rs, "rev", prev, fmt.Sprint(i+1))
		if got := rs.Spec.Template.Spec.Containers[0].Image; got != image {
			t.Errorf("ReplicaSet %s runs %s; want %s", rs.Name, got, image)
		}
		uids[prev] = rs.UID
	}

	// Undo: revision 1's template, written back.
	framework.Update(t, k8s, ro, func(r *rampv1alpha1.Rollout) {
		r.Spec.Template = newRollout(ns, "rev", 2).Spec.Template
	})
	back := waitHealthy(t, k8s, ro, hashes[2])
	if back.Status.CurrentPodHash != hashes[0] {
		t.Fatalf("after writing revision 1's template back the rollout runs hash %s; want revision 1's %s", back.Status.CurrentPodHash, hashes[0])
	}
	rss := ownedReplicaSets(listReplicaSets(t, k8s, ns), "rev")
	want := map[string]string{hashes[0]: "4", hashes[1]: "2", hashes[2]: "3"}
	if len(rss) != 3 {
		t.Fatalf("ReplicaSets after the undo: %s; want the same three", describeReplicaSets(rss))
	}
	for _, rs := range rss {
		hash := rs.Labels[rampv1alpha1.LabelPodTemplateHash]
		checkReplicaSet(t, rs, "rev", hash, want[hash])
		if rs.UID != uids[hash] {
			t.Errorf("ReplicaSet %s was replaced (UID %s, was %s)", rs.Name, rs.UID, uids[hash])
		}
		replicas := int32(0)
		if hash == hashes[0] {
			replicas = 2
		}
		if ptr.Deref(rs.Spec.Replicas, -1) != replicas {
			t.Errorf("ReplicaSet %s has %d replicas; want %d", rs.Name, ptr.Deref(rs.Spec.Replicas, -1), replicas)
		}
	}
	live := livePods(listPods(t, k8s, ns, client.MatchingLabels{"app": "rev"}))
	for _, p := range live {
		if p.Labels[rampv1alpha1.LabelPodTemplateHash] != hashes[0] || p.Spec.Containers[0].Image != imageV1 {
			t.Errorf("after the undo pod %s runs %s with hash %s; want %s with %s", p.Name, p.Spec.Containers[0].Image,
				p.Labels[rampv1alpha1.LabelPodTemplateHash], imageV1, hashes[0])
		}
	}
}
