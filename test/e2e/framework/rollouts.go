package framework

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// SetWeight is the canary step setWeight: w.
func SetWeight(w int32) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{SetWeight: ptr.To(w)}
}

// Pause is the canary step pause: {}, which waits until promoted.
func Pause() rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{Pause: &rampv1alpha1.RolloutPause{}}
}

// PauseFor is the canary step pause: {duration: d}, with d written as Go
// formats durations ("5s", "1m30s").
func PauseFor(d time.Duration) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{Pause: &rampv1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString(d.String()))}}
}

// NewRollout returns a canary Rollout in ns of replicas pods running image
// (see PodTemplate), with steps. Its selector is app=<name>.
func NewRollout(ns, name, image string, replicas int32, steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	tmpl := PodTemplate(name, image)
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: &tmpl,
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: steps}},
		},
	}
}

// SetImage starts a new revision of ro by writing image into its first
// container (see Update: ro then holds the Rollout as written).
func SetImage(t testing.TB, k8s client.Client, ro *rampv1alpha1.Rollout, image string) {
	t.Helper()
	Update(t, k8s, ro, func(r *rampv1alpha1.Rollout) { r.Spec.Template.Spec.Containers[0].Image = image })
}

// Promote moves the Rollout ro names past the pause it waits at, as
// kubectl ramp promote does: it clears status.pauseConditions.
func Promote(t testing.TB, k8s client.Client, ro *rampv1alpha1.Rollout) {
	t.Helper()
	MergePatchStatus(t, k8s, ro, `{"status":{"pauseConditions":null}}`)
}

// StepIndex is the Rollout's status.currentStepIndex, -1 when unset.
func StepIndex(r *rampv1alpha1.Rollout) int32 {
	return ptr.Deref(r.Status.CurrentStepIndex, -1)
}

// DescribeRollout sums up a Rollout's spec and status for failure messages.
func DescribeRollout(r *rampv1alpha1.Rollout) string {
	st := &r.Status
	pauses := make([]string, 0, len(st.PauseConditions))
	for _, p := range st.PauseConditions {
		pauses = append(pauses, fmt.Sprintf("%s@%s", p.Reason, p.StartTime.UTC().Format(time.RFC3339)))
	}
	conds := make([]string, 0, len(st.Conditions))
	for _, c := range st.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
	}
	return fmt.Sprintf("generation %d observed %d, spec.replicas %d, spec.paused %v, phase %q, step index %d, "+
		"currentPodHash %q, stableRS %q, pauseConditions [%s], abort %v (by %q), promoteFull %v, "+
		"replicas %d updated %d ready %d available %d, conditions [%s], message %q",
		r.Generation, st.ObservedGeneration, ptr.Deref(r.Spec.Replicas, 0), r.Spec.Paused, st.Phase, StepIndex(r),
		st.CurrentPodHash, st.StableRS, strings.Join(pauses, " "), st.Abort, st.AbortedBy, st.PromoteFull,
		st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas, strings.Join(conds, " "), st.Message)
}

// WaitRollout waits until cond holds for the Rollout named key and returns
// the Rollout that satisfied it; a failure message describes the last
// state seen (DescribeRollout).
func WaitRollout(t testing.TB, w client.WithWatch, key client.ObjectKey, timeout time.Duration, what string,
	cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	t.Helper()
	return WaitObject(t, w, key, &rampv1alpha1.Rollout{}, timeout, what, cond, DescribeRollout)
}

// WaitServiceSelects waits until the Service name in ns selects the pods of
// pod template hash hash.
func WaitServiceSelects(t testing.TB, w client.WithWatch, ns, name, hash string, timeout time.Duration) {
	t.Helper()
	WaitFor(t, w, client.ObjectKey{Namespace: ns, Name: name}, &corev1.Service{}, timeout,
		fmt.Sprintf("Service %s to select %s=%s", name, rampv1alpha1.LabelPodTemplateHash, hash),
		func(svc *corev1.Service) (bool, string) {
			return svc.Spec.Selector[rampv1alpha1.LabelPodTemplateHash] == hash, fmt.Sprintf("selector %v", svc.Spec.Selector)
		})
}

// ReplicaSetName is the name of the Rollout's ReplicaSet of pod template
// hash hash: <rollout>-<hash>.
func ReplicaSetName(rollout, hash string) string {
	return rollout + "-" + hash
}

// ReplicaSetAt returns a condition for WaitReplicaSet: the ReplicaSet's
// spec is observed and asks for n pods, and it runs n pods, all available
// (for n = 0: none left).
func ReplicaSetAt(n int32) func(*appsv1.ReplicaSet) bool {
	return func(rs *appsv1.ReplicaSet) bool {
		return ptr.Deref(rs.Spec.Replicas, -1) == n && rs.Status.ObservedGeneration >= rs.Generation &&
			rs.Status.Replicas == n && rs.Status.AvailableReplicas == n
	}
}

// DescribeReplicaSet sums up a ReplicaSet's size for failure messages.
func DescribeReplicaSet(rs *appsv1.ReplicaSet) string {
	return fmt.Sprintf("%s: spec.replicas %d, status replicas %d, ready %d, available %d (generation %d, observed %d)",
		rs.Name, ptr.Deref(rs.Spec.Replicas, 0), rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas,
		rs.Generation, rs.Status.ObservedGeneration)
}

// WaitReplicaSet waits until cond holds for the ReplicaSet of the Rollout
// rollout in ns with pod template hash hash (see ReplicaSetName), and
// returns it.
func WaitReplicaSet(t testing.TB, w client.WithWatch, ns, rollout, hash string, timeout time.Duration, what string,
	cond func(*appsv1.ReplicaSet) bool) *appsv1.ReplicaSet {
	t.Helper()
	return WaitObject(t, w, client.ObjectKey{Namespace: ns, Name: ReplicaSetName(rollout, hash)}, &appsv1.ReplicaSet{},
		timeout, what, cond, DescribeReplicaSet)
}

// NewCanaryWithServices creates the Services <name>-stable and
// <name>-canary in ns (selecting app=<name>) and returns, without creating
// it, a canary Rollout of replicas pods running image with steps, naming
// those Services, with maxSurge 1 and maxUnavailable 0.
func NewCanaryWithServices(t testing.TB, k8s client.Client, ns, name, image string, replicas int32,
	steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	t.Helper()
	ro := NewRollout(ns, name, image, replicas, steps...)
	canary := ro.Spec.Strategy.Canary
	canary.StableService, canary.CanaryService = name+"-stable", name+"-canary"
	canary.MaxSurge = ptr.To(intstr.FromInt32(1))
	canary.MaxUnavailable = ptr.To(intstr.FromInt32(0))
	for _, svc := range []string{canary.StableService, canary.CanaryService} {
		Create(t, k8s, NewService(ns, svc, map[string]string{"app": name}))
	}
	return ro
}
