package rollout

import (
	"context"
	"fmt"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// podAvailable reports whether a pod is ready (the ReplicaSet controller
// counts availability with minReadySeconds on top).
func podAvailable(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// restartBatch picks the pods to delete now for a restart: pods created
// before restartAt, at most max(1, unavailable) at a time, and only while
// every other pod is available, so a restart never takes more than
// maxUnavailable pods out of service. done is true once no pod is older than
// restartAt.
//
// Pods out of service are counted as those the ReplicaSets ask for (want)
// less those ready, so the cache lagging behind cannot hide one: a
// replacement not seen yet, or a pod deleted for the restart (deleted) that
// the cache still shows, counts as out.
func restartBatch(pods []corev1.Pod, restartAt metav1.Time, unavailable, want int32, deleted map[types.UID]bool) (toDelete []*corev1.Pod, done bool) {
	var stale []*corev1.Pod
	var ready int32
	for i := range pods {
		p := &pods[i]
		if !p.DeletionTimestamp.IsZero() || deleted[p.UID] {
			continue
		}
		if podAvailable(p) {
			ready++
		}
		if p.CreationTimestamp.Before(&restartAt) {
			stale = append(stale, p)
		}
	}
	out := max(0, want-ready)
	if len(stale) == 0 {
		return nil, out == 0
	}
	budget := max(1, unavailable) - out
	for _, p := range stale {
		if budget <= 0 {
			break
		}
		toDelete = append(toDelete, p)
		budget--
	}
	return toDelete, false
}

// restartDeletions remembers, per Rollout, the pods deleted for a restart
// until the cache no longer lists them as live. The zero value is ready.
type restartDeletions struct {
	mu   sync.Mutex
	uids map[types.NamespacedName]map[types.UID]bool
}

// pending returns the deletions of the Rollout key that pods (the cache's
// pods) still list as live, forgetting the others.
func (d *restartDeletions) pending(key types.NamespacedName, pods []corev1.Pod) map[types.UID]bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[types.UID]bool{}
	for i := range pods {
		if p := &pods[i]; d.uids[key][p.UID] && p.DeletionTimestamp.IsZero() {
			out[p.UID] = true
		}
	}
	if len(out) == 0 {
		delete(d.uids, key)
	} else {
		d.uids[key] = out
	}
	return out
}

// add remembers that pod was deleted for the Rollout key's restart.
func (d *restartDeletions) add(key types.NamespacedName, pod types.UID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.uids == nil {
		d.uids = map[types.NamespacedName]map[types.UID]bool{}
	}
	if d.uids[key] == nil {
		d.uids[key] = map[types.UID]bool{}
	}
	d.uids[key][pod] = true
}

// reconcileRestart carries out spec.restartAt: the pods of the stable and
// current ReplicaSets created before it are deleted in batches, and the
// ReplicaSets replace them.
func (r *Reconciler) reconcileRestart(ctx context.Context, s *scope) error {
	ro := s.rollout
	at := ro.Spec.RestartAt
	if at == nil || at.After(s.now) {
		if at != nil {
			s.requeueAt(at.Time)
		}
		return nil
	}
	if ro.Status.RestartedAt != nil && !ro.Status.RestartedAt.Before(at) {
		return nil
	}
	var pods []corev1.Pod
	for _, rs := range []string{ro.Status.StableRS, s.hash} {
		var list corev1.PodList
		if err := r.Client.List(ctx, &list, client.InNamespace(ro.Namespace),
			client.MatchingLabels{rampv1alpha1.LabelPodTemplateHash: rs}); err != nil {
			return fmt.Errorf("list pods: %w", err)
		}
		pods = append(pods, list.Items...)
		if rs == s.hash {
			break
		}
	}
	var want int32
	for i, rs := range []*appsv1.ReplicaSet{s.stableRS, s.newRS} {
		if rs != nil && (i == 0 || rs != s.stableRS) {
			want += ptr.Deref(rs.Spec.Replicas, 0)
		}
	}
	key := client.ObjectKeyFromObject(ro)
	toDelete, done := restartBatch(pods, *at, s.unavailable, want, r.restartDeletions.pending(key, pods))
	if done {
		ro.Status.RestartedAt = at.DeepCopy()
		s.event(eventNormal, reasonPodsRestarted, "Restart", "Every pod created before %s was replaced", at.UTC().Format("2006-01-02T15:04:05Z"))
		return nil
	}
	for _, pod := range toDelete {
		if err := r.Client.Delete(ctx, pod, client.Preconditions{UID: ptr.To(pod.UID)}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete pod %s for restart: %w", pod.Name, err)
		}
		r.restartDeletions.add(key, pod.UID)
		s.event(eventNormal, reasonPodsRestarted, "Restart", "Deleted pod %s for the restart requested at %s", pod.Name,
			at.UTC().Format("2006-01-02T15:04:05Z"))
	}
	return nil
}
