package rolloutspec

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// workloadRollout builds a Rollout that takes its template and selector
// from the Deployment named dep.
func workloadRollout(ns, name, dep string, replicas int32, scaleDown rampv1alpha1.WorkloadScaleDown) *rampv1alpha1.Rollout {
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas:    ptr.To(replicas),
			WorkloadRef: &rampv1alpha1.WorkloadRef{Kind: "Deployment", Name: dep, ScaleDown: scaleDown},
			Strategy:    rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{}},
		},
	}
}

// createRunningDeployment creates a Deployment and waits until all its pods
// are available.
func createRunningDeployment(t *testing.T, k8s client.WithWatch, dep *appsv1.Deployment) *appsv1.Deployment {
	t.Helper()
	framework.Create(t, k8s, dep)
	want := ptr.Deref(dep.Spec.Replicas, 1)
	return waitDeployment(t, k8s, dep, fmt.Sprintf("the Deployment to have %d available pods", want), func(d *appsv1.Deployment) bool {
		return d.Status.ObservedGeneration == d.Generation && d.Status.AvailableReplicas == want && d.Status.UpdatedReplicas == want
	})
}

// currentReplicaSet returns the Rollout's ReplicaSet of hash.
func currentReplicaSet(t *testing.T, k8s client.Client, ro *rampv1alpha1.Rollout, hash string) *appsv1.ReplicaSet {
	t.Helper()
	rss := ownedReplicaSets(listReplicaSets(t, k8s, ro.Namespace), ro.Name)
	for _, rs := range rss {
		if rs.Labels[rampv1alpha1.LabelPodTemplateHash] == hash {
			return rs
		}
	}
	t.Fatalf("rollout %s has no ReplicaSet of hash %s: %s", ro.Name, hash, describeReplicaSets(rss))
	return nil
}

// checkTemplateFromDeployment checks that rs runs dep's pod template, with
// only the pod template hash label added.
func checkTemplateFromDeployment(t *testing.T, rs *appsv1.ReplicaSet, dep *appsv1.Deployment, hash string) {
	t.Helper()
	tmpl := rs.Spec.Template.DeepCopy()
	if got := tmpl.Labels[rampv1alpha1.LabelPodTemplateHash]; got != hash {
		t.Errorf("ReplicaSet %s template label %s = %q; want %q", rs.Name, rampv1alpha1.LabelPodTemplateHash, got, hash)
	}
	delete(tmpl.Labels, rampv1alpha1.LabelPodTemplateHash)
	if !equality.Semantic.DeepEqual(*tmpl, dep.Spec.Template) {
		t.Errorf("ReplicaSet %s does not run the Deployment's template (plus the hash label):\nReplicaSet: %+v\nDeployment: %+v",
			rs.Name, *tmpl, dep.Spec.Template)
	}
}

// TestWorkloadRefRunsTheDeploymentsTemplate points a Rollout without a
// template at a running Deployment (scaleDown: never). The Rollout's
// ReplicaSet must run the Deployment's template plus the hash label and
// become Healthy; a new image in the Deployment must start a new revision
// on the Rollout; and the Deployment must keep its 3 replicas throughout.
func TestWorkloadRefRunsTheDeploymentsTemplate(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	dep := createRunningDeployment(t, k8s, newDeployment(ns, "web", 3, nil))
	history := recordReplicas(t, k8s, dep)

	ro := workloadRollout(ns, "web", "web", 3, rampv1alpha1.ScaleDownNever)
	framework.Create(t, k8s, ro)
	first := waitHealthy(t, k8s, ro, "")
	if first.Status.AvailableReplicas != 3 || first.Status.Selector != "app=web" {
		t.Errorf("rollout status: available %d, selector %q; want 3 and app=web (the Deployment's selector)",
			first.Status.AvailableReplicas, first.Status.Selector)
	}
	rs := currentReplicaSet(t, k8s, ro, first.Status.CurrentPodHash)
	if rs.Name != "web-"+first.Status.CurrentPodHash || revision(rs) != "1" || ptr.Deref(rs.Spec.Replicas, 0) != 3 {
		t.Errorf("ReplicaSet %s; want web-%s, revision 1, 3 replicas", describeReplicaSets([]*appsv1.ReplicaSet{rs}), first.Status.CurrentPodHash)
	}
	checkTemplateFromDeployment(t, rs, dep, first.Status.CurrentPodHash)

	// A new image in the Deployment is a new revision of the Rollout.
	framework.Update(t, k8s, dep, func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = imageV2 })
	second := waitHealthy(t, k8s, ro, first.Status.CurrentPodHash)
	rs2 := currentReplicaSet(t, k8s, ro, second.Status.CurrentPodHash)
	if got := rs2.Spec.Template.Spec.Containers[0].Image; got != imageV2 || revision(rs2) != "2" {
		t.Errorf("the new revision's ReplicaSet runs %q with revision %q; want %s and revision 2", got, revision(rs2), imageV2)
	}
	checkTemplateFromDeployment(t, rs2, dep, second.Status.CurrentPodHash)
	waitEvents(t, k8s, first, "RolloutUpdated", 2, second.Status.CurrentPodHash)

	// scaleDown: never leaves the Deployment at its size.
	now := waitDeployment(t, k8s, dep, "the Deployment to have rolled out the new image too", func(d *appsv1.Deployment) bool {
		return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == 3 && d.Status.AvailableReplicas == 3
	})
	if got := ptr.Deref(now.Spec.Replicas, 1); got != 3 {
		t.Errorf("Deployment spec.replicas = %d with scaleDown: never; want 3", got)
	}
	values, err := history.get()
	if err != nil {
		t.Fatalf("watch the Deployment: %v", err)
	}
	if !slices.Equal(values, []int32{3}) {
		t.Errorf("Deployment spec.replicas went through %v with scaleDown: never; want it left at 3", values)
	}
	if evs := framework.ListEvents(t, k8s, first, "ScaledWorkload"); len(evs) != 0 {
		t.Errorf("ScaledWorkload events with scaleDown: never: %v", evs)
	}
}

// TestWorkloadRefScaleDownOnSuccess checks that scaleDown: onsuccess leaves
// the Deployment alone while the Rollout's pods are not yet available, then
// scales it from 3 straight to 0 once the Rollout is Healthy, records
// a ScaledWorkload event, and that scaling the Deployment does not start a
// new revision.
func TestWorkloadRefScaleDownOnSuccess(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	dep := createRunningDeployment(t, k8s, newDeployment(ns, "api", 3, nil))
	history := recordReplicas(t, k8s, dep)

	// minReadySeconds keeps the rollout's pods ready but not yet available
	// for a moment: not Healthy yet.
	ro := workloadRollout(ns, "api", "api", 3, rampv1alpha1.ScaleDownOnSuccess)
	ro.Spec.MinReadySeconds = 2
	framework.Create(t, k8s, ro)
	waitRollout(t, k8s, ro, "the rollout's pods to be ready but not yet available", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && r.Status.ReadyReplicas > 0 && r.Status.AvailableReplicas == 0
	})
	// The reconcile that wrote these counts ran the workload scale-down
	// before writing them.
	if d := framework.Get(t, k8s, client.ObjectKeyFromObject(dep), &appsv1.Deployment{}); ptr.Deref(d.Spec.Replicas, 1) != 3 {
		t.Errorf("Deployment scaled to %d before the rollout was Healthy; want 3", ptr.Deref(d.Spec.Replicas, 1))
	}
	healthy := waitHealthy(t, k8s, ro, "")
	waitDeployment(t, k8s, dep, "the Deployment to be scaled to 0", func(d *appsv1.Deployment) bool {
		return ptr.Deref(d.Spec.Replicas, 1) == 0
	})
	waitEvents(t, k8s, ro, "ScaledWorkload", 1, "api", "from 3 to 0")

	values, err := history.get()
	if err != nil {
		t.Fatalf("watch the Deployment: %v", err)
	}
	if !slices.Equal(values, []int32{3, 0}) {
		t.Errorf("Deployment spec.replicas went through %v with scaleDown: onsuccess; want 3 then 0 at once", values)
	}
	// Scaling the Deployment changed its spec, not its template: still the
	// same single revision, still Healthy.
	after := waitHealthy(t, k8s, ro, "")
	if after.Status.CurrentPodHash != healthy.Status.CurrentPodHash {
		t.Errorf("scaling the Deployment changed the rollout's revision from %s to %s", healthy.Status.CurrentPodHash, after.Status.CurrentPodHash)
	}
	if rss := ownedReplicaSets(listReplicaSets(t, k8s, ns), "api"); len(rss) != 1 {
		t.Errorf("rollout ReplicaSets after the scale-down: %s; want only the first", describeReplicaSets(rss))
	}
}

// markPodReady plays the kubelet for a pod kwok left unready: its Ready
// condition turns True.
func markPodReady(t *testing.T, k8s client.Client, pod *corev1.Pod) {
	t.Helper()
	ctx, cancel := framework.APIContext()
	defer cancel()
	now := time.Now().UTC().Format(time.RFC3339)
	patch := fmt.Sprintf(`{"status":{"conditions":[{"type":"Ready","status":"True","lastTransitionTime":%q},{"type":"ContainersReady","status":"True","lastTransitionTime":%q}]}}`, now, now)
	target := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name}}
	if err := k8s.Status().Patch(ctx, target, client.RawPatch(types.StrategicMergePatchType, []byte(patch))); err != nil {
		t.Fatalf("mark pod %s ready: %v", pod.Name, err)
	}
}

// TestWorkloadRefScaleDownProgressively checks that scaleDown:
// progressively scales the Deployment down by one for each of the
// Rollout's pods that becomes available (3, 2, 1, 0), not before, and
// never up. The pods start unready (never-ready stage) and the test makes
// them ready one at a time.
func TestWorkloadRefScaleDownProgressively(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	dep := newDeployment(ns, "cart", 3, map[string]string{cluster.StageAnnotation: cluster.StageNeverReady})
	framework.Create(t, k8s, dep)
	history := recordReplicas(t, k8s, dep)

	ro := workloadRollout(ns, "cart", "cart", 3, rampv1alpha1.ScaleDownProgressively)
	framework.Create(t, k8s, ro)
	got := waitRollout(t, k8s, ro, "the rollout's 3 pods to exist, none available", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && r.Status.CurrentPodHash != "" &&
			r.Status.Replicas == 3 && r.Status.AvailableReplicas == 0
	})
	hash := got.Status.CurrentPodHash
	// The reconcile that wrote these counts ran the workload scale-down
	// before writing them.
	if d := framework.Get(t, k8s, client.ObjectKeyFromObject(dep), &appsv1.Deployment{}); ptr.Deref(d.Spec.Replicas, 1) != 3 {
		t.Errorf("Deployment scaled to %d while none of the rollout's pods is available; want 3", ptr.Deref(d.Spec.Replicas, 1))
	}

	pods := framework.WaitList(t, k8s, ns, waitTimeout, "the rollout's 3 pods", func(l *corev1.PodList) (bool, string) {
		live := livePods(l)
		return len(live) == 3, describePods(live)
	}, client.MatchingLabels{rampv1alpha1.LabelPodTemplateHash: hash})
	live := livePods(pods)
	for i, pod := range live {
		markPodReady(t, k8s, pod)
		available := int32(i + 1)
		waitRollout(t, k8s, ro, fmt.Sprintf("the rollout to count %d available pods", available), func(r *rampv1alpha1.Rollout) bool {
			return r.Status.AvailableReplicas == available
		})
		waitDeployment(t, k8s, dep, fmt.Sprintf("the Deployment to be scaled to %d", 3-available), func(d *appsv1.Deployment) bool {
			return ptr.Deref(d.Spec.Replicas, 1) == 3-available
		})
	}
	waitHealthy(t, k8s, ro, "")
	waitDeployment(t, k8s, dep, "the Deployment to be scaled to 0", func(d *appsv1.Deployment) bool {
		return ptr.Deref(d.Spec.Replicas, 1) == 0
	})
	evs := waitEvents(t, k8s, ro, "ScaledWorkload", 3, "from 3 to 2", "from 2 to 1", "from 1 to 0", "progressively")
	if len(evs) != 3 {
		var notes []string
		for _, e := range evs {
			notes = append(notes, e.Note)
		}
		t.Errorf("ScaledWorkload events: %q; want 3", notes)
	}
	values, err := history.get()
	if err != nil {
		t.Fatalf("watch the Deployment: %v", err)
	}
	if !slices.Equal(values, []int32{3, 2, 1, 0}) {
		t.Errorf("Deployment spec.replicas went through %v with scaleDown: progressively; want 3, 2, 1, 0", values)
	}
}

// TestWorkloadRefToMissingDeploymentStalls checks that a workloadRef to a
// Deployment that does not exist stalls the Rollout (InvalidSpec, message
// naming spec.workloadRef and the Deployment) without creating anything,
// and that creating the Deployment un-stalls it.
func TestWorkloadRefToMissingDeploymentStalls(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	ro := workloadRollout(ns, "late", "late-deployment", 2, rampv1alpha1.ScaleDownNever)
	framework.Create(t, k8s, ro)
	got := waitRollout(t, k8s, ro, "the rollout to be Stalled with reason InvalidSpec", func(r *rampv1alpha1.Rollout) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, rampv1alpha1.ConditionStalled)
		return r.Status.ObservedGeneration == r.Generation && c != nil && c.Status == metav1.ConditionTrue &&
			c.Reason == rampv1alpha1.ReasonInvalidSpec
	})
	msg := meta.FindStatusCondition(got.Status.Conditions, rampv1alpha1.ConditionStalled).Message
	for _, want := range []string{"spec.workloadRef", `"late-deployment"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("Stalled message %q does not name %s", msg, want)
		}
	}
	if got.Status.Phase != rampv1alpha1.RolloutPhaseDegraded || !strings.Contains(got.Status.Message, "spec.workloadRef") {
		t.Errorf("stalled rollout: %s; want phase Degraded and a message naming spec.workloadRef", framework.DescribeRollout(got))
	}
	waitEvents(t, k8s, ro, "InvalidSpec", 1, "spec.workloadRef")
	if rss := ownedReplicaSets(listReplicaSets(t, k8s, ns), "late"); len(rss) != 0 {
		t.Errorf("the stalled rollout made ReplicaSets: %s", describeReplicaSets(rss))
	}

	framework.Create(t, k8s, newDeployment(ns, "late-deployment", 1, nil))
	healthy := waitHealthy(t, k8s, ro, "")
	if healthy.Status.AvailableReplicas != 2 || meta.IsStatusConditionTrue(healthy.Status.Conditions, rampv1alpha1.ConditionStalled) {
		t.Errorf("after the Deployment appeared: %s; want 2 available pods and not Stalled", framework.DescribeRollout(healthy))
	}
}
