package resilience

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds every wait for the controller to reach a state.
const waitTimeout = 60 * time.Second

// startController runs a controller of its own for the test: restricted to
// namespace ns and to Rollouts labeled with instance ID ns (see newRollout).
// When counter is not nil the controller's client is wrapped to count its
// reads and writes. The returned stop waits until the controller has
// stopped; it also runs when the test ends.
func startController(t *testing.T, ns string, counter *clientCounter) (stop func()) {
	t.Helper()
	opts := framework.ControllerOptions()
	opts.InstanceID = ns
	opts.Namespace = ns
	if counter != nil {
		opts.NewClient = counter.newClient
	}
	return framework.RunController(t, opts)
}

// setup gives a test a client, a namespace of its own and a controller of
// its own for that namespace.
func setup(t *testing.T) (client.WithWatch, string) {
	t.Helper()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	startController(t, ns, nil)
	return k8s, ns
}

// newRollout returns a canary Rollout of replicas pods, labeled for the
// controller of instance ID ns (see startController), whose pods carry
// app=<name>.
func newRollout(ns, name string, replicas int32, steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	ro := framework.NewRollout(ns, name, "nginx:1.27", replicas, steps...)
	ro.Labels = map[string]string{rampv1alpha1.LabelInstanceID: ns}
	return ro
}

// replicaSets lists the ReplicaSets of the namespace, oldest revision first.
func replicaSets(t *testing.T, k8s client.Client, ns string) []appsv1.ReplicaSet {
	t.Helper()
	list := framework.List(t, k8s, &appsv1.ReplicaSetList{}, client.InNamespace(ns))
	slices.SortFunc(list.Items, func(a, b appsv1.ReplicaSet) int {
		return revision(&a) - revision(&b)
	})
	return list.Items
}

// revision reads a ReplicaSet's revision annotation; 0 when missing.
func revision(rs *appsv1.ReplicaSet) int {
	n, _ := strconv.Atoi(rs.Annotations[rampv1alpha1.AnnotationRevision])
	return n
}

// describeRSs sums up ReplicaSets as name=spec/available.
func describeRSs(rss []appsv1.ReplicaSet) string {
	parts := make([]string, 0, len(rss))
	for i := range rss {
		rs := &rss[i]
		parts = append(parts, fmt.Sprintf("%s=%d/%d", rs.Name, ptr.Deref(rs.Spec.Replicas, 0), rs.Status.AvailableReplicas))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// waitRollout waits for cond on the Rollout named key.
func waitRollout(t *testing.T, k8s client.WithWatch, key client.ObjectKey, what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	t.Helper()
	return framework.WaitRollout(t, k8s, key, waitTimeout, what, cond)
}

// waitHealthy waits until the Rollout is Healthy on its current revision
// with every pod available and its generation observed.
func waitHealthy(t *testing.T, k8s client.WithWatch, key client.ObjectKey) *rampv1alpha1.Rollout {
	t.Helper()
	return waitRollout(t, k8s, key, "phase Healthy on the current revision", isHealthy)
}

func isHealthy(ro *rampv1alpha1.Rollout) bool {
	st := &ro.Status
	return st.Phase == rampv1alpha1.RolloutPhaseHealthy && st.ObservedGeneration == ro.Generation &&
		st.StableRS != "" && st.StableRS == st.CurrentPodHash &&
		st.AvailableReplicas == ptr.Deref(ro.Spec.Replicas, 1) && st.Replicas == ptr.Deref(ro.Spec.Replicas, 1)
}

// waitRS waits until the ReplicaSet of the Rollout name with hash runs n
// pods, all available (see framework.ReplicaSetAt).
func waitRS(t *testing.T, k8s client.WithWatch, ns, name, hash, what string, n int32) {
	t.Helper()
	framework.WaitReplicaSet(t, k8s, ns, name, hash, waitTimeout, what, framework.ReplicaSetAt(n))
}

// condition returns the Rollout's condition of type t, or an empty one.
func condition(ro *rampv1alpha1.Rollout, t string) metav1.Condition {
	if c := meta.FindStatusCondition(ro.Status.Conditions, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// clientCounter wraps a controller's client (through
// manager.Options.NewClient) and records every write it sends and every Get
// of a Rollout. The Rollout reconciler gets its Rollout exactly once, first
// thing, in every reconcile, so the Gets of a Rollout count its
// reconciles. (The controller-runtime metric controller_runtime_reconcile_total
// cannot tell the controllers of parallel tests apart: they share one
// registry and one controller name.) Events are not counted: the event
// recorder has a client of its own.
type clientCounter struct {
	mu sync.Mutex
	// writes describes each write, in order.
	writes []string
	// gets counts the Gets of each Rollout.
	gets map[client.ObjectKey]int
	// changed announces every change of a count.
	changed framework.Notifier
}

func newClientCounter() *clientCounter {
	return &clientCounter{gets: map[client.ObjectKey]int{}}
}

// newClient is a client.NewClientFunc: the manager's usual client (reading
// from its cache through opts), wrapped to count.
func (c *clientCounter) newClient(cfg *rest.Config, opts client.Options) (client.Client, error) {
	inner, err := client.NewWithWatch(cfg, opts)
	if err != nil {
		return nil, err
	}
	write := func(w client.WithWatch, verb string, obj client.Object, patch client.Patch) {
		c.record(describeWrite(w, verb, obj, patch))
	}
	return interceptor.NewClient(inner, interceptor.Funcs{
		Get: func(ctx context.Context, w client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*rampv1alpha1.Rollout); ok {
				c.recordGet(key)
			}
			return w.Get(ctx, key, obj, opts...)
		},
		Create: func(ctx context.Context, w client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			write(w, "create", obj, nil)
			return w.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, w client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			write(w, "update", obj, nil)
			return w.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, w client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			write(w, "patch", obj, patch)
			return w.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, w client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			c.record(fmt.Sprintf("apply %T", obj))
			return w.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, w client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			write(w, "delete", obj, nil)
			return w.Delete(ctx, obj, opts...)
		},
		DeleteAllOf: func(ctx context.Context, w client.WithWatch, obj client.Object, opts ...client.DeleteAllOfOption) error {
			write(w, "deleteAllOf", obj, nil)
			return w.DeleteAllOf(ctx, obj, opts...)
		},
		SubResourceCreate: func(ctx context.Context, w client.Client, sub string, obj, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			c.record(fmt.Sprintf("create %s of %T %s/%s", sub, obj, obj.GetNamespace(), obj.GetName()))
			return w.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, w client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			c.record(fmt.Sprintf("update %s of %T %s/%s", sub, obj, obj.GetNamespace(), obj.GetName()))
			return w.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, w client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			c.record(fmt.Sprintf("patch %s of %T %s/%s: %s", sub, obj, obj.GetNamespace(), obj.GetName(), patchData(patch, obj)))
			return w.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceApply: func(ctx context.Context, w client.Client, sub string, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
			c.record(fmt.Sprintf("apply %s of %T", sub, obj))
			return w.SubResource(sub).Apply(ctx, obj, opts...)
		},
	}), nil
}

func describeWrite(w client.WithWatch, verb string, obj client.Object, patch client.Patch) string {
	kind := fmt.Sprintf("%T", obj)
	if gvk, err := w.GroupVersionKindFor(obj); err == nil {
		kind = gvk.Kind
	}
	s := fmt.Sprintf("%s %s %s/%s", verb, kind, obj.GetNamespace(), obj.GetName())
	if patch != nil {
		s += ": " + patchData(patch, obj)
	}
	return s
}

// patchData renders a patch for failure messages, cut short.
func patchData(patch client.Patch, obj client.Object) string {
	data, err := patch.Data(obj)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	const limit = 400
	if len(data) > limit {
		return string(data[:limit]) + "…"
	}
	return string(data)
}

func (c *clientCounter) record(write string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, write)
	c.changed.Notify()
}

func (c *clientCounter) recordGet(key client.ObjectKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets[key]++
	c.changed.Notify()
}

// writeCount is the number of writes so far.
func (c *clientCounter) writeCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

// writesSince returns the writes after the first n.
func (c *clientCounter) writesSince(n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.writes[n:])
}

// reconciles is the number of reconciles of the Rollout key so far.
func (c *clientCounter) reconciles(key client.ObjectKey) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets[key]
}

// waitReconciles waits until the Rollout key has been reconciled at least
// n times (counting reconciles that have started).
func (c *clientCounter) waitReconciles(t *testing.T, key client.ObjectKey, n int, what string) {
	t.Helper()
	var got int
	if !framework.Await(waitTimeout, func() (bool, <-chan struct{}) {
		c.mu.Lock()
		defer c.mu.Unlock()
		got = c.gets[key]
		return got >= n, c.changed.C()
	}) {
		t.Fatalf("waiting %v for %s: the controller reconciled %s %d times, want at least %d", waitTimeout, what, key, got, n)
	}
}
