package view

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// podState is a pod's state as kubectl's STATUS column words it: the
// reason a container waits or ended (CrashLoopBackOff, ContainerCreating,
// Error), Terminating, or the pod's phase.
func podState(pod *corev1.Pod) state {
	if pod.DeletionTimestamp != nil {
		return state{iconBusy, "Terminating", faint}
	}
	word := string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		word = pod.Status.Reason
	}
	failing := pod.Status.Phase == corev1.PodFailed
	for _, c := range pod.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil && c.State.Waiting.Reason != "":
			word = c.State.Waiting.Reason
			failing = failing || failingReason(word)
		case c.State.Terminated != nil && c.State.Terminated.Reason != "" && pod.Status.Phase != corev1.PodSucceeded:
			word = c.State.Terminated.Reason
			failing = true
		}
	}
	switch {
	case word == "":
		return state{iconBusy, string(corev1.PodPending), busy}
	case failing:
		return state{iconBad, word, bad}
	case pod.Status.Phase == corev1.PodSucceeded:
		return state{iconHealthy, word, good}
	case pod.Status.Phase == corev1.PodRunning && word == string(corev1.PodRunning):
		if ready, total := podReady(pod); ready == total {
			return state{iconHealthy, word, good}
		}
	}
	return state{iconBusy, word, busy}
}

// failingReason reports whether a container's waiting reason is a
// failure (as opposed to ContainerCreating or PodInitializing).
func failingReason(reason string) bool {
	for _, s := range []string{"BackOff", "Err", "Invalid", "Error", "Failed"} {
		if strings.Contains(reason, s) {
			return true
		}
	}
	return false
}

// podReady counts a pod's ready containers and its containers.
func podReady(pod *corev1.Pod) (ready, total int) {
	total = len(pod.Spec.Containers)
	for _, c := range pod.Status.ContainerStatuses {
		if c.Ready {
			ready++
		}
	}
	return ready, total
}

// podInfo is the INFO column of a pod: ready containers and restarts.
func podInfo(pod *corev1.Pod) string {
	ready, total := podReady(pod)
	info := fmt.Sprintf("ready %d/%d", ready, total)
	var restarts int32
	for _, c := range pod.Status.ContainerStatuses {
		restarts += c.RestartCount
	}
	switch restarts {
	case 0:
	case 1:
		info += ", 1 restart"
	default:
		info += fmt.Sprintf(", %d restarts", restarts)
	}
	return info
}

// replicaSetState is how a ReplicaSet is doing: ScaledDown when it asks
// for no pod and runs none, ScalingDown while it has more pods than it
// asks for, Healthy when all the pods it asks for are available,
// Progressing otherwise.
func replicaSetState(rs *appsv1.ReplicaSet) state {
	want := ptr.Deref(rs.Spec.Replicas, 1)
	st := &rs.Status
	switch {
	case want == 0 && st.Replicas == 0:
		return state{iconIdle, "ScaledDown", faint}
	case st.Replicas > want:
		return state{iconBusy, "ScalingDown", busy}
	case st.Replicas == want && st.AvailableReplicas >= want:
		return state{iconHealthy, "Healthy", good}
	}
	return state{iconBusy, "Progressing", busy}
}

// replicaSetInfo is the INFO column of a ReplicaSet: its role and its
// ready pods out of those it asks for (when it asks for any).
func replicaSetInfo(role string, rs *appsv1.ReplicaSet) string {
	want := ptr.Deref(rs.Spec.Replicas, 1)
	if want == 0 {
		return role
	}
	ready := fmt.Sprintf("ready %d/%d", rs.Status.ReadyReplicas, want)
	if role == "" {
		return ready
	}
	return role + ", " + ready
}
