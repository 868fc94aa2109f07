package rolloutspec

import (
	"context"
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
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
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
	podLabels := map[string]string{"app": name}
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: podLabels},
			Template: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: imageV1}}},
			},
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: steps}},
		},
	}
}

// setWeight and pause build canary steps.
func setWeight(w int32) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{SetWeight: ptr.To(w)}
}

func pause() rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{Pause: &rampv1alpha1.RolloutPause{}}
}

func ctxT() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func create(t *testing.T, k8s client.Client, obj client.Object) {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatalf("create %s: %v", obj.GetName(), err)
	}
}

// update gets obj afresh, applies mutate and writes it back, retrying on
// conflicts. obj holds the written object afterwards.
func update[T client.Object](t *testing.T, k8s client.Client, obj T, mutate func(T)) {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate(obj)
		return k8s.Update(ctx, obj)
	})
	if err != nil {
		t.Fatalf("update %s: %v", obj.GetName(), err)
	}
}

// setImage writes a new image into the Rollout's template: a new revision.
func setImage(t *testing.T, k8s client.Client, ro *rampv1alpha1.Rollout, image string) {
	t.Helper()
	update(t, k8s, ro, func(r *rampv1alpha1.Rollout) { r.Spec.Template.Spec.Containers[0].Image = image })
}

// patchStatus writes a user action into the Rollout's status.
func patchStatus(t *testing.T, k8s client.Client, ro *rampv1alpha1.Rollout, patch string) {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	target := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: ro.Name}}
	if err := k8s.Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatalf("patch status of %s with %s: %v", ro.Name, patch, err)
	}
}

// promote moves a Rollout past the pause it waits at.
func promote(t *testing.T, k8s client.Client, ro *rampv1alpha1.Rollout) {
	t.Helper()
	patchStatus(t, k8s, ro, `{"status":{"pauseConditions":null}}`)
}

// describe sums up a Rollout's status for failure messages.
func describe(r *rampv1alpha1.Rollout) string {
	var conds []string
	for _, c := range r.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
	}
	return fmt.Sprintf("phase %s, message %q, currentPodHash %q, stableRS %q, step %d, generation %d observed %d, replicas %d available %d, conditions [%s]",
		r.Status.Phase, r.Status.Message, r.Status.CurrentPodHash, r.Status.StableRS, ptr.Deref(r.Status.CurrentStepIndex, -1),
		r.Generation, r.Status.ObservedGeneration, r.Status.Replicas, r.Status.AvailableReplicas, strings.Join(conds, " "))
}

// waitRollout waits until cond holds for the Rollout and returns it.
func waitRollout(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	t.Helper()
	// WaitFor hands cond the objects of watch events: keep the one that
	// satisfied it.
	var got *rampv1alpha1.Rollout
	framework.WaitFor(t, k8s, client.ObjectKeyFromObject(ro), &rampv1alpha1.Rollout{}, waitTimeout, what,
		func(r *rampv1alpha1.Rollout) (bool, string) {
			got = r.DeepCopy()
			return cond(r), describe(r)
		})
	return got
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

// waitList lists objects of one kind in ns until cond holds for the list,
// re-listing on every watch event in between (no polling), and returns
// the list. It fails the test with the last state cond described.
func waitList[T any, L interface {
	*T
	client.ObjectList
}](t *testing.T, k8s client.WithWatch, ns, what string, cond func(L) (bool, string), opts ...client.ListOption) L {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	opts = append([]client.ListOption{client.InNamespace(ns)}, opts...)
	last := "nothing listed"
	for {
		list := L(new(T))
		if err := k8s.List(ctx, list, opts...); err != nil {
			t.Fatalf("waiting for %s: list: %v\nlast state seen: %s", what, err, last)
		}
		done, state := cond(list)
		last = state
		if done {
			return list
		}
		if err := waitChange(ctx, k8s, L(new(T)), list.GetResourceVersion(), opts); err != nil {
			t.Fatalf("waiting %v for %s: %v\nlast state seen: %s", waitTimeout, what, err, last)
		}
	}
}

// waitChange returns at the first watch event after resource version rv,
// or when the watch closes; it fails only when ctx ends.
func waitChange(ctx context.Context, k8s client.WithWatch, list client.ObjectList, rv string, opts []client.ListOption) error {
	w, err := k8s.Watch(ctx, list, append(slices.Clone(opts), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})...)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("watch: %w", err)
	}
	defer w.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.ResultChan():
		return nil
	}
}

// ownedReplicaSets returns the ReplicaSets in the list whose controller is
// the Rollout named name, by revision.
func ownedReplicaSets(list *appsv1.ReplicaSetList, name string) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for i := range list.Items {
		rs := &list.Items[i]
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.Kind == "Rollout" && ref.Name == name {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return revision(out[i]) < revision(out[j]) })
	return out
}

// listReplicaSets lists every ReplicaSet of the namespace now.
func listReplicaSets(t *testing.T, k8s client.Client, ns string) *appsv1.ReplicaSetList {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	list := &appsv1.ReplicaSetList{}
	if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatalf("list replica sets: %v", err)
	}
	return list
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

// rolloutEvents returns the Events on this Rollout (by UID) with reason.
func rolloutEvents(list *eventsv1.EventList, ro *rampv1alpha1.Rollout, reason string) []eventsv1.Event {
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.UID == ro.UID && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// waitEvents waits until the Rollout has at least n Events with reason
// whose notes, together, contain every string of contains; it returns them.
func waitEvents(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, reason string, n int, contains ...string) []eventsv1.Event {
	t.Helper()
	if ro.UID == "" {
		t.Fatalf("waitEvents: rollout %s has no UID", ro.Name)
	}
	list := waitList(t, k8s, ro.Namespace, fmt.Sprintf("%d %s Event(s) on rollout %s mentioning %q", n, reason, ro.Name, contains),
		func(l *eventsv1.EventList) (bool, string) {
			evs := rolloutEvents(l, ro, reason)
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
	return rolloutEvents(list, ro, reason)
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
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &replicasHistory{}
	got := &appsv1.Deployment{}
	getCtx, getCancel := ctxT()
	defer getCancel()
	if err := k8s.Get(getCtx, client.ObjectKeyFromObject(dep), got); err != nil {
		t.Fatalf("get deployment %s: %v", dep.Name, err)
	}
	h.add(ptr.Deref(got.Spec.Replicas, 1))
	go h.follow(ctx, k8s, dep, got.ResourceVersion)
	return h
}

func (h *replicasHistory) add(v int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.values); n == 0 || h.values[n-1] != v {
		h.values = append(h.values, v)
	}
}

// follow watches the Deployment from rv, re-watching from the last
// resource version seen when the watch closes.
func (h *replicasHistory) follow(ctx context.Context, k8s client.WithWatch, dep *appsv1.Deployment, rv string) {
	for ctx.Err() == nil {
		w, err := k8s.Watch(ctx, &appsv1.DeploymentList{}, client.InNamespace(dep.Namespace),
			client.MatchingFields{"metadata.name": dep.Name},
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})
		if err != nil {
			if ctx.Err() == nil {
				h.mu.Lock()
				h.err = err
				h.mu.Unlock()
			}
			return
		}
		for ev := range w.ResultChan() {
			d, ok := ev.Object.(*appsv1.Deployment)
			if !ok || (ev.Type != watch.Added && ev.Type != watch.Modified) {
				continue
			}
			rv = d.ResourceVersion
			h.add(ptr.Deref(d.Spec.Replicas, 1))
		}
		w.Stop()
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
	podLabels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: podLabels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: podAnnotations},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: imageV1}}},
			},
		},
	}
}

// waitDeployment waits until cond holds for the Deployment and returns it.
func waitDeployment(t *testing.T, k8s client.WithWatch, dep *appsv1.Deployment, what string, cond func(*appsv1.Deployment) bool) *appsv1.Deployment {
	t.Helper()
	var got *appsv1.Deployment
	framework.WaitFor(t, k8s, client.ObjectKeyFromObject(dep), &appsv1.Deployment{}, waitTimeout, what,
		func(d *appsv1.Deployment) (bool, string) {
			got = d.DeepCopy()
			return cond(d), fmt.Sprintf("generation %d observed %d, spec.replicas %d, status replicas %d updated %d available %d",
				d.Generation, d.Status.ObservedGeneration, ptr.Deref(d.Spec.Replicas, 1),
				d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas)
		})
	return got
}

// getRollout reads the Rollout now.
func getRollout(t *testing.T, k8s client.Client, ro *rampv1alpha1.Rollout) *rampv1alpha1.Rollout {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	got := &rampv1alpha1.Rollout{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(ro), got); err != nil {
		t.Fatalf("get rollout %s: %v", ro.Name, err)
	}
	return got
}

// eventList lists the namespace's Events now.
func eventList(t *testing.T, k8s client.Client, ns string) *eventsv1.EventList {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	list := &eventsv1.EventList{}
	if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatalf("list events: %v", err)
	}
	return list
}

// listPods lists the namespace's pods now.
func listPods(t *testing.T, k8s client.Client, ns string, opts ...client.ListOption) *corev1.PodList {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	list := &corev1.PodList{}
	if err := k8s.List(ctx, list, append([]client.ListOption{client.InNamespace(ns)}, opts...)...); err != nil {
		t.Fatalf("list pods: %v", err)
	}
	return list
}
