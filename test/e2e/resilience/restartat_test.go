package resilience

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// podReady reports whether a pod is Ready and not terminating.
func podReady(p *corev1.Pod) bool {
	if !p.DeletionTimestamp.IsZero() {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podTracker follows the pods of one Rollout through a watch, and records
// the most pods that were out of service at once: the desired number minus
// the pods that were Ready and not terminating. Watch events come in
// resource version order, so after each one the tracker holds the pods as
// they were at one moment.
type podTracker struct {
	mu      sync.Mutex
	pods    map[string]*corev1.Pod
	desired int
	// maxOut is the most pods out of service seen at once, and worst the
	// pods at that moment.
	maxOut int
	worst  string
	// lists counts the lists of the pods; all but the first came after a
	// watch that could not resume (moments between the two may have been
	// missed).
	lists   int
	changed framework.Notifier
}

// trackPods starts following the pods labeled app=<app> in ns until the
// test ends.
func trackPods(t *testing.T, k8s client.WithWatch, ns, app string, desired int) *podTracker {
	t.Helper()
	pt := &podTracker{desired: desired}
	framework.FollowObjects(t, k8s, &corev1.PodList{}, []client.ListOption{client.InNamespace(ns), client.MatchingLabels{"app": app}},
		framework.APITimeout,
		func(pods map[types.UID]*corev1.Pod, lists int) {
			pt.mu.Lock()
			defer pt.mu.Unlock()
			pt.lists = lists
			pt.pods = make(map[string]*corev1.Pod, len(pods))
			for _, p := range pods {
				pt.pods[p.Name] = p
			}
			pt.updateLocked()
		})
	return pt
}

func (pt *podTracker) updateLocked() {
	ready := 0
	for _, p := range pt.pods {
		if podReady(p) {
			ready++
		}
	}
	if out := pt.desired - ready; out > pt.maxOut {
		pt.maxOut, pt.worst = out, describePods(pt.podsLocked())
	}
	pt.changed.Notify()
}

func (pt *podTracker) podsLocked() []*corev1.Pod {
	pods := make([]*corev1.Pod, 0, len(pt.pods))
	for _, p := range pt.pods {
		pods = append(pods, p)
	}
	slices.SortFunc(pods, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return pods
}

// waitUntil waits until cond holds for the tracked pods, and returns them.
func (pt *podTracker) waitUntil(t *testing.T, what string, cond func([]*corev1.Pod) bool) []*corev1.Pod {
	t.Helper()
	var pods []*corev1.Pod
	if !framework.Await(waitTimeout, func() (bool, <-chan struct{}) {
		pt.mu.Lock()
		pods = pt.podsLocked()
		changed := pt.changed.C()
		pt.mu.Unlock()
		return cond(pods), changed
	}) {
		t.Fatalf("waiting %v for %s; pods: %s", waitTimeout, what, describePods(pods))
	}
	return pods
}

// mostOut returns the most pods seen out of service at once, the pods at
// that moment, and how many times the watch had to be listed again.
func (pt *podTracker) mostOut() (int, string, int) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.maxOut, pt.worst, pt.lists - 1
}

func describePods(pods []*corev1.Pod) string {
	parts := make([]string, 0, len(pods))
	for _, p := range pods {
		state := "not-ready"
		switch {
		case !p.DeletionTimestamp.IsZero():
			state = "terminating"
		case podReady(p):
			state = "ready"
		}
		parts = append(parts, fmt.Sprintf("%s(%s, created %s)", p.Name, state, p.CreationTimestamp.UTC().Format(time.RFC3339)))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestRestartAt checks spec.restartAt: every pod is replaced by one created
// at or after restartAt, status.restartedAt records it, and while the pods
// are replaced no more than maxUnavailable of the rollout's pods are out of
// service at any moment (watched pod by pod).
func TestRestartAt(t *testing.T) {
	t.Parallel()
	for _, maxUnavailable := range []int{1, 2} {
		t.Run(fmt.Sprintf("MaxUnavailable%d", maxUnavailable), func(t *testing.T) {
			t.Parallel()
			k8s, ns := setup(t)
			const replicas = 4
			name := fmt.Sprintf("web-%d", maxUnavailable)
			ro := newRollout(ns, name, replicas)
			ro.Spec.Strategy.Canary.MaxSurge = ptr.To(intstr.FromInt32(0))
			ro.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromInt32(int32(maxUnavailable)))
			framework.Create(t, k8s, ro)
			key := client.ObjectKeyFromObject(ro)
			waitHealthy(t, k8s, key)

			pods := trackPods(t, k8s, ns, name, replicas)
			initial := map[string]bool{}
			for _, p := range pods.waitUntil(t, "4 ready pods", func(ps []*corev1.Pod) bool {
				return len(ps) == replicas && !slices.ContainsFunc(ps, func(p *corev1.Pod) bool { return !podReady(p) })
			}) {
				initial[p.Name] = true
			}

			// "Now", rounded up to the second (as the API stores it), so
			// that every pod running now was created before it.
			restartAt := metav1.NewTime(time.Now().Add(time.Second).Truncate(time.Second))
			framework.Update(t, k8s, ro, func(r *rampv1alpha1.Rollout) { r.Spec.RestartAt = &restartAt })
			waitRollout(t, k8s, key, "status.restartedAt to equal spec.restartAt", func(r *rampv1alpha1.Rollout) bool {
				return r.Status.RestartedAt != nil && r.Status.RestartedAt.Equal(&restartAt)
			})

			// Once restartedAt is set, no pod from before restartAt may
			// still serve.
			ctx, cancel := framework.APIContext()
			defer cancel()
			var live corev1.PodList
			if err := k8s.List(ctx, &live, client.InNamespace(ns), client.MatchingLabels{"app": name}); err != nil {
				t.Fatal(err)
			}
			for i := range live.Items {
				if p := &live.Items[i]; p.DeletionTimestamp.IsZero() && p.CreationTimestamp.Before(&restartAt) {
					t.Errorf("status.restartedAt is set but pod %s, created %s before restartAt %s, still runs", p.Name,
						p.CreationTimestamp.UTC().Format(time.RFC3339), restartAt.UTC().Format(time.RFC3339))
				}
			}

			final := pods.waitUntil(t, "4 ready pods, all new", func(ps []*corev1.Pod) bool {
				return len(ps) == replicas && !slices.ContainsFunc(ps, func(p *corev1.Pod) bool {
					return !podReady(p) || initial[p.Name] || p.CreationTimestamp.Before(&restartAt)
				})
			})
			t.Logf("pods after the restart: %s", describePods(final))
			waitHealthy(t, k8s, key)

			most, worst, relists := pods.mostOut()
			if most > maxUnavailable {
				t.Errorf("%d of %d pods were out of service at once during the restart (maxUnavailable %d): %s",
					most, replicas, maxUnavailable, worst)
			}
			if most == 0 {
				t.Errorf("no pod was ever seen out of service: the pods were not replaced one by one")
			}
			t.Logf("at most %d pods out of service at once (maxUnavailable %d); watch relisted %d times", most, maxUnavailable, relists)
		})
	}
}
