package rolloutspec

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// Keys of the role metadata in TestCanaryAndStableMetadataMoveWithTheRole.
const (
	labelRole          = "role"
	annotationTrack    = "example.com/track"
	annotationCanaryOn = "example.com/canary-only"
)

// roleIs reports whether a pod carries exactly the metadata of role:
// role=<role>, track=<role>, and canary-only only on canaries.
func roleIs(p *corev1.Pod, role string) bool {
	_, canaryOnly := p.Annotations[annotationCanaryOn]
	return p.Labels[labelRole] == role && p.Annotations[annotationTrack] == role && canaryOnly == (role == "canary")
}

// TestCanaryAndStableMetadataMoveWithTheRole checks canaryMetadata and
// stableMetadata on the pods: after the first revision every pod is
// labeled and annotated as stable; at a pause of an update the canary's
// pods carry the canary metadata and the old pods the stable metadata; and
// after promotion every running pod of the new revision, including the one
// that was the canary (same pod, not a replacement), carries the stable
// metadata and nothing of the canary's. It ships three updates, as the
// pods created at the moment of promotion are where roles go wrong.
func TestCanaryAndStableMetadataMoveWithTheRole(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	// 4 replicas at weight 25: 1 canary and 3 stable pods at the pause. A
	// surge of 100% lets promotion start the 3 new pods at once.
	ro := newRollout(ns, "meta", 4, framework.SetWeight(25), framework.Pause())
	ro.Spec.Strategy.Canary.MaxSurge = ptr.To(intstr.FromString("100%"))
	ro.Spec.Strategy.Canary.CanaryMetadata = &rampv1alpha1.PodTemplateMetadata{
		Labels:      map[string]string{labelRole: "canary"},
		Annotations: map[string]string{annotationTrack: "canary", annotationCanaryOn: "yes"},
	}
	ro.Spec.Strategy.Canary.StableMetadata = &rampv1alpha1.PodTemplateMetadata{
		Labels:      map[string]string{labelRole: "stable"},
		Annotations: map[string]string{annotationTrack: "stable"},
	}
	framework.Create(t, k8s, ro)
	first := waitHealthy(t, k8s, ro, "")
	oldHash := first.Status.CurrentPodHash
	keys := []string{labelRole, annotationTrack, annotationCanaryOn}
	podsOf := client.MatchingLabels{"app": "meta"}

	framework.WaitList(t, k8s, ns, waitTimeout, "the first revision's 4 pods to carry the stable metadata", func(l *corev1.PodList) (bool, string) {
		live := livePods(l)
		ok := len(live) == 4
		for _, p := range live {
			ok = ok && roleIs(p, "stable")
		}
		return ok, describePods(live, keys...)
	}, podsOf)

	// Several updates: the metadata must follow the role every time.
	for _, image := range []string{imageV2, imageV3, imageV4} {
		oldHash = updateAndCheckRoles(t, k8s, ro, image, oldHash)
	}

	// No pod of the rollout is labeled canary any more.
	if live := livePods(listPods(t, k8s, ns, client.MatchingLabels{"app": "meta", labelRole: "canary"})); len(live) != 0 {
		t.Errorf("pods still labeled role=canary after promotion: %s", describePods(live, keys...))
	}
}

// updateAndCheckRoles ships image to the metadata test's rollout, checks
// the pods' roles at the pause and after promotion, and returns the new
// hash.
func updateAndCheckRoles(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, image, oldHash string) string {
	t.Helper()
	keys := []string{labelRole, annotationTrack, annotationCanaryOn}
	podsOf := client.MatchingLabels{"app": ro.Name}
	framework.SetImage(t, k8s, ro, image)
	paused := waitPaused(t, k8s, ro, oldHash, 1)
	newHash := paused.Status.CurrentPodHash
	var canaryUIDs []types.UID
	var canaryNames []string
	framework.WaitList(t, k8s, ro.Namespace, waitTimeout, image+": 1 canary pod with the canary metadata and 3 stable pods with the stable metadata", func(l *corev1.PodList) (bool, string) {
		live := livePods(l)
		canaryUIDs, canaryNames = canaryUIDs[:0], canaryNames[:0]
		var canaries, stables int
		ok := true
		for _, p := range live {
			switch p.Labels[rampv1alpha1.LabelPodTemplateHash] {
			case newHash:
				canaries++
				canaryUIDs = append(canaryUIDs, p.UID)
				canaryNames = append(canaryNames, p.Name)
				ok = ok && roleIs(p, "canary")
			case oldHash:
				stables++
				ok = ok && roleIs(p, "stable")
			default:
				ok = false
			}
		}
		return ok && canaries == 1 && stables == 3, describePods(live, keys...)
	}, podsOf)

	framework.Promote(t, k8s, ro)
	waitHealthy(t, k8s, ro, oldHash)
	framework.WaitList(t, k8s, ro.Namespace, waitTimeout, image+": every pod of the promoted revision, the former canary included, to carry the stable metadata only", func(l *corev1.PodList) (bool, string) {
		live := livePods(l)
		ok := len(live) == 4
		found := map[types.UID]bool{}
		for _, p := range live {
			found[p.UID] = true
			ok = ok && p.Labels[rampv1alpha1.LabelPodTemplateHash] == newHash && roleIs(p, "stable")
		}
		for _, uid := range canaryUIDs {
			ok = ok && found[uid]
		}
		return ok, fmt.Sprintf("%s (the canary pod at the pause: %v)", describePods(live, keys...), canaryNames)
	}, podsOf)
	return newHash
}
