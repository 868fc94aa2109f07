package rolloutspec

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds every wait of this package.
const waitTimeout = 60 * time.Second

// image names used as successive versions; kwok never pulls them.
const (
	imageV1 = "nginx:1.25"
	imageV2 = "nginx:1.26"
	imageV3 = "nginx:1.27"
	imageV4 = "nginx:1.28"
)

// newRollout builds a canary Rollout of imageV1 whose pods are labeled app=<name>.
func newRollout(ns, name string, replicas int32, steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	return framework.NewRollout(ns, name, imageV1, replicas, steps...)
}

// waitRollout waits until cond holds for the Rollout and returns it.
func waitRollout(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	t.Helper()
	return framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, what, cond)
}

// waitHealthy waits until the Rollout has handled its latest spec and is
// Healthy on a revision other than notHash ("" for any), and returns it.
func waitHealthy(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, notHash string) *rampv1alpha1.Rollout {
	t.Helper()
	what := "the rollout to be Healthy"
	if notHash != "" {
		what += " on a revision other than " + notHash
	}
	return waitRollout(t, k8s, ro, what, func(r *rampv1alpha1.Rollout) bool {
		return r.Generation > 0 && r.Status.ObservedGeneration == r.Generation &&
			r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy &&
			r.Status.StableRS != "" && r.Status.StableRS == r.Status.CurrentPodHash && r.Status.CurrentPodHash != notHash &&
			meta.IsStatusConditionTrue(r.Status.Conditions, rampv1alpha1.ConditionReady)
	})
}

// waitPaused waits until the Rollout waits at a pause step of a revision
// other than notHash, and returns it.
func waitPaused(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, notHash string, step int32) *rampv1alpha1.Rollout {
	t.Helper()
	return waitRollout(t, k8s, ro, fmt.Sprintf("the rollout to pause at step index %d of a new revision", step), func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && r.Status.Phase == rampv1alpha1.RolloutPhasePaused &&
			r.Status.CurrentPodHash != notHash && len(r.Status.PauseConditions) > 0 &&
			ptr.Deref(r.Status.CurrentStepIndex, -1) == step
	})
}

// ownedReplicaSets returns the ReplicaSets in the list whose controller is
// the Rollout named name, by revision.
func ownedReplicaSets(list *appsv1.ReplicaSetList, name string) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for i := range list.Items {
		rs := &list.Items[i]
		if framework.ControlledBy(rs, "Rollout", name) {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return revision(out[i]) < revision(out[j]) })
	return out
}

// listReplicaSets lists every ReplicaSet of the namespace now.
func listReplicaSets(t *testing.T, k8s client.Client, ns string) *appsv1.ReplicaSetList {
	t.Helper()
	return framework.List(t, k8s, &appsv1.ReplicaSetList{}, client.InNamespace(ns))
}

// revision returns a ReplicaSet's ramp.dev/revision annotation.
func revision(rs *appsv1.ReplicaSet) string {
	return rs.Annotations[rampv1alpha1.AnnotationRevision]
}

// describeReplicaSets sums up ReplicaSets for failure messages.
func describeReplicaSets(rss []*appsv1.ReplicaSet) string {
	var parts []string
	for _, rs := range rss {
		owner := "no controller"
		if ref := metav1.GetControllerOf(rs); ref != nil {
			owner = fmt.Sprintf("controller %s/%s uid %s", ref.Kind, ref.Name, ref.UID)
		}
		parts = append(parts, fmt.Sprintf("%s (revision %q, replicas %d/%d available, %s)",
			rs.Name, revision(rs), ptr.Deref(rs.Spec.Replicas, 0), rs.Status.AvailableReplicas, owner))
	}
	if len(parts) == 0 {
		return "no ReplicaSets"
	}
	return strings.Join(parts, "; ")
}

// livePods returns the pods of the list that are not being deleted.
func livePods(list *corev1.PodList) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range list.Items {
		p := &list.Items[i]
		if p.DeletionTimestamp.IsZero() && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			out = append(out, p)
		}
	}
	return out
}

// describePods sums up pods, with the labels and annotations given.
func describePods(pods []*corev1.Pod, keys ...string) string {
	var parts []string
	for _, p := range pods {
		var kv []string
		for _, k := range keys {
			if v, ok := p.Labels[k]; ok {
				kv = append(kv, "label "+k+"="+v)
			}
			if v, ok := p.Annotations[k]; ok {
				kv = append(kv, "annotation "+k+"="+v)
			}
		}
		parts = append(parts, fmt.Sprintf("%s (hash %s; %s)", p.Name, p.Labels[rampv1alpha1.LabelPodTemplateHash], strings.Join(kv, ", ")))
	}
	if len(parts) == 0 {
		return "no pods"
	}
	return strings.Join(parts, "; ")
}

// waitEvents waits until the Rollout has at least n Events with reason
// whose notes, together, contain every string of contains; it returns them.
func waitEvents(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, reason string, n int, contains ...string) []eventsv1.Event {
	t.Helper()
	if ro.UID == "" {
		t.Fatalf("waitEvents: rollout %s has no UID", ro.Name)
	}
	return framework.WaitEvents(t, k8s, ro, reason, waitTimeout, fmt.Sprintf("%d %s Event(s) on rollout %s mentioning %q", n, reason, ro.Name, contains),
		func(evs []eventsv1.Event) (bool, string) {
			var notes []string
			for _, e := range evs {
				notes = append(notes, e.Note)
			}
			all := strings.Join(notes, "\n")
			for _, c := range contains {
				if !strings.Contains(all, c) {
					return false, fmt.Sprintf("%d %s events: %q", len(evs), reason, notes)
				}
			}
			return len(evs) >= n, fmt.Sprintf("%d %s events: %q", len(evs), reason, notes)
		})
}

// replicasHistory records every spec.replicas a Deployment goes through,
// from a watch started before the change under test.
type replicasHistory struct {
	mu     sync.Mutex
	values []int32
	err    error
}

// recordReplicas starts recording the spec.replicas of a Deployment; it
// stops when the test ends.
func recordReplicas(t *testing.T, k8s client.WithWatch, dep *appsv1.Deployment) *replicasHistory {
	t.Helper()
	h := &replicasHistory{}
	framework.FollowObjects(t, k8s, &appsv1.DeploymentList{},
		[]client.ListOption{client.InNamespace(dep.Namespace), client.MatchingFields{"metadata.name": dep.Name}}, framework.APITimeout,
		func(deps map[types.UID]*appsv1.Deployment, lists int) {
			if lists > 1 {
				h.fail(errors.New("the watch could not resume and listed again: changes in between may be missing"))
			}
			for _, d := range deps {
				h.add(ptr.Deref(d.Spec.Replicas, 1))
			}
		})
	return h
}

// add records v unless it is the last value recorded.
func (h *replicasHistory) add(v int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.values); n == 0 || h.values[n-1] != v {
		h.values = append(h.values, v)
	}
}

func (h *replicasHistory) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.err = err
	}
}

// get returns the values recorded so far and any watch error.
func (h *replicasHistory) get() ([]int32, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.values), h.err
}

// newDeployment builds a Deployment of imageV1 whose pods are labeled app=<name>.
func newDeployment(ns, name string, replicas int32, podAnnotations map[string]string) *appsv1.Deployment {
	tmpl := framework.PodTemplate(name, imageV1)
	tmpl.Annotations = podAnnotations
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: tmpl,
		},
	}
}

// waitDeployment waits until cond holds for the Deployment and returns it.
func waitDeployment(t *testing.T, k8s client.WithWatch, dep *appsv1.Deployment, what string, cond func(*appsv1.Deployment) bool) *appsv1.Deployment {
	t.Helper()
	return framework.WaitObject(t, k8s, client.ObjectKeyFromObject(dep), &appsv1.Deployment{}, waitTimeout, what, cond,
		func(d *appsv1.Deployment) string {
			return fmt.Sprintf("generation %d observed %d, spec.replicas %d, status replicas %d updated %d available %d",
				d.Generation, d.Status.ObservedGeneration, ptr.Deref(d.Spec.Replicas, 1),
				d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas)
		})
}

// listPods lists the namespace's pods now.
func listPods(t *testing.T, k8s client.Client, ns string, opts ...client.ListOption) *corev1.PodList {
	t.Helper()
	return framework.List(t, k8s, &corev1.PodList{}, append([]client.ListOption{client.InNamespace(ns)}, opts...)...)
}
