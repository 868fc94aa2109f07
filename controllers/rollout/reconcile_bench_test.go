package rollout

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting/routers"
)

// This file runs the whole Reconcile of one Rollout on a controller-runtime
// fake client, which stands in for the informer cache (reads) and the API
// server (writes), and counts the reads and writes. A stand-in for the ReplicaSet
// controller makes every ReplicaSet's pods available between reconciles,
// so the fixtures reach their state the way the controller would, not by
// writing status by hand.
//
// The fake client keeps its objects in client-go's plain object tracker:
// the default one also tracks managed fields, and builds a REST mapper of
// the whole scheme for each write, which would make a write cost
// milliseconds here. The fake client still copies each object it returns
// through JSON, where the cache makes a DeepCopy, and its ReplicaSets keep
// the copy of the pod template that the cache drops: the times include
// that, and are higher than the controller's against its cache.

const (
	fakeNamespace = "shop"
	fakeName      = "web"
)

// callCounter counts the writes made through a client, and the reads
// (gets and lists, which the controller makes from its cache).
type callCounter struct {
	creates, updates, patches, deletes int
	reads                              int
	// written names each write, such as "patch ReplicaSet web-abc".
	written []string
}

// writes is the number of writes of every kind.
func (w *callCounter) writes() int {
	return w.creates + w.updates + w.patches + w.deletes
}

func (w *callCounter) reset() {
	*w = callCounter{written: w.written[:0]}
}

// count counts one write in n and names it.
func (w *callCounter) count(n *int, verb string, obj client.Object, sub string) {
	*n++
	kind := fmt.Sprintf("%T", obj)
	kind = kind[strings.LastIndex(kind, ".")+1:]
	if sub != "" {
		kind += "/" + sub
	}
	w.written = append(w.written, verb+" "+kind+" "+obj.GetName())
}

// funcs are interceptor functions that count every write and pass it on.
// A server-side apply is a patch.
func (w *callCounter) funcs() interceptor.Funcs {
	return interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			w.reads++
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			w.reads++
			return c.List(ctx, list, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			w.count(&w.creates, "create", obj, "")
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			w.count(&w.updates, "update", obj, "")
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			w.count(&w.patches, "patch", obj, "")
			return c.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			w.patches++
			w.written = append(w.written, fmt.Sprintf("apply %T", obj))
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			w.count(&w.deletes, "delete", obj, "")
			return c.Delete(ctx, obj, opts...)
		},
		DeleteAllOf: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteAllOfOption) error {
			w.count(&w.deletes, "deleteAllOf", obj, "")
			return c.DeleteAllOf(ctx, obj, opts...)
		},
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			w.count(&w.creates, "create", obj, sub)
			return c.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			w.count(&w.updates, "update", obj, sub)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			w.count(&w.patches, "patch", obj, sub)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceApply: func(ctx context.Context, c client.Client, sub string, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
			w.patches++
			w.written = append(w.written, fmt.Sprintf("apply %s of %T", sub, obj))
			return c.SubResource(sub).Apply(ctx, obj, opts...)
		},
	}
}

// eventCounter is an EventRecorder that keeps the reasons of the Events
// recorded.
type eventCounter struct {
	reasons []string
}

func (e *eventCounter) Eventf(_, _ runtime.Object, _, reason, _, _ string, _ ...any) {
	e.reasons = append(e.reasons, reason)
}

func (e *eventCounter) AnnotatedEventf(_, _ runtime.Object, _ map[string]string, _, reason, _, _ string, _ ...any) {
	e.reasons = append(e.reasons, reason)
}

// fakeCluster is a fake API server holding one Rollout and what it uses,
// and a Reconciler on it whose writes and Events are counted.
type fakeCluster struct {
	tb     testing.TB
	base   client.WithWatch
	calls  *callCounter
	events *eventCounter
	r      *Reconciler
}

func fakeScheme(tb testing.TB) *runtime.Scheme {
	tb.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, rampv1alpha1.AddToScheme, gatewayv1.Install} {
		if err := add(s); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// newFakeCluster starts a fake cluster holding objs, with the indexes the
// reconciler reads through.
func newFakeCluster(tb testing.TB, scheme *runtime.Scheme, objs ...client.Object) *fakeCluster {
	tb.Helper()
	tracker := clienttesting.NewObjectTracker(scheme, serializer.NewCodecFactory(scheme).UniversalDecoder())
	base := fake.NewClientBuilder().WithScheme(scheme).WithObjectTracker(tracker).WithObjects(objs...).
		WithStatusSubresource(&rampv1alpha1.Rollout{}, &appsv1.ReplicaSet{}).
		WithIndex(&appsv1.ReplicaSet{}, indexReplicaSetOwner, replicaSetOwnerIndex).
		WithIndex(&rampv1alpha1.AnalysisRun{}, indexRunOwner, runOwnerIndex).
		Build()
	w := &callCounter{}
	e := &eventCounter{}
	return &fakeCluster{tb: tb, base: base, calls: w, events: e, r: &Reconciler{
		Client:   interceptor.NewClient(base, w.funcs()),
		Recorder: e,
		Clock:    clocktesting.NewFakePassiveClock(testNow),
		Routers:  routers.All,
	}}
}

// reconcile runs one Reconcile of the Rollout and fails on an error.
func (c *fakeCluster) reconcile() ctrl.Result {
	c.tb.Helper()
	res, err := c.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: fakeNamespace, Name: fakeName}})
	if err != nil {
		c.tb.Fatalf("reconcile: %v", err)
	}
	return res
}

// runReplicaSets does the ReplicaSet controller's part: every ReplicaSet
// has as many pods as it asks for, all ready and available.
func (c *fakeCluster) runReplicaSets() {
	c.tb.Helper()
	ctx := context.Background()
	var list appsv1.ReplicaSetList
	if err := c.base.List(ctx, &list, client.InNamespace(fakeNamespace)); err != nil {
		c.tb.Fatal(err)
	}
	for i := range list.Items {
		rs := &list.Items[i]
		n := ptr.Deref(rs.Spec.Replicas, 0)
		if rs.Status.Replicas == n && rs.Status.AvailableReplicas == n && rs.Status.ObservedGeneration == rs.Generation {
			continue
		}
		rs.Status = appsv1.ReplicaSetStatus{Replicas: n, FullyLabeledReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
			ObservedGeneration: rs.Generation}
		if err := c.base.Status().Update(ctx, rs); err != nil {
			c.tb.Fatal(err)
		}
	}
}

func (c *fakeCluster) rollout() *rampv1alpha1.Rollout {
	c.tb.Helper()
	ro := &rampv1alpha1.Rollout{}
	if err := c.base.Get(context.Background(), client.ObjectKey{Namespace: fakeNamespace, Name: fakeName}, ro); err != nil {
		c.tb.Fatal(err)
	}
	return ro
}

// replicaSets lists the ReplicaSets in the namespace.
func (c *fakeCluster) replicaSets() []appsv1.ReplicaSet {
	c.tb.Helper()
	var list appsv1.ReplicaSetList
	if err := c.base.List(context.Background(), &list, client.InNamespace(fakeNamespace)); err != nil {
		c.tb.Fatal(err)
	}
	return list.Items
}

// drive reconciles, with the ReplicaSet controller's part between
// reconciles, until done holds after the ReplicaSets ran; at most 50
// reconciles.
func (c *fakeCluster) drive(what string, done func(*rampv1alpha1.Rollout) bool) {
	c.tb.Helper()
	for range 50 {
		c.reconcile()
		c.runReplicaSets()
		if done(c.rollout()) {
			return
		}
	}
	ro := c.rollout()
	c.tb.Fatalf("the rollout never got to %s; phase %s: %s", what, ro.Status.Phase, ro.Status.Message)
}

// setImage changes the image of the Rollout's template, as a person
// updating it would (the API server bumps the generation).
func (c *fakeCluster) setImage(image string) {
	c.tb.Helper()
	ro := c.rollout()
	ro.Spec.Template.Spec.Containers[0].Image = image
	ro.Generation++
	if err := c.base.Update(context.Background(), ro); err != nil {
		c.tb.Fatal(err)
	}
}

// healthyAt reports whether the rollout is Healthy at the revision of
// image.
func healthyAt(image string) func(*rampv1alpha1.Rollout) bool {
	return func(ro *rampv1alpha1.Rollout) bool {
		return ro.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && ro.Spec.Template.Spec.Containers[0].Image == image &&
			ro.Status.StableRS == ro.Status.CurrentPodHash && ro.Status.ObservedGeneration == ro.Generation
	}
}

// fakeService is a Service selecting the rollout's pods.
func fakeService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: fakeNamespace, Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
}

// fakeRollout is a canary Rollout of replicas pods with a stable and a
// canary Service.
func fakeRollout(replicas int32, steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: fakeNamespace, Name: fakeName, UID: "rollout-uid", Generation: 1,
			CreationTimestamp: metav1.NewTime(testNow)},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: hashTemplate("nginx:1.25"),
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
				StableService: "web-stable",
				CanaryService: "web-canary",
				Steps:         steps,
			}},
		},
	}
}

// healthyCluster is a Healthy canary rollout of 4 pods with its stable and
// canary Services and 3 ReplicaSets: it was created at nginx:1.25 and
// updated through its steps to 1.26, then 1.27. The last reconcile is the
// one that found it Healthy.
func healthyCluster(tb testing.TB) *fakeCluster {
	tb.Helper()
	c := newFakeCluster(tb, fakeScheme(tb), fakeRollout(4, setWeight(25), setWeight(50)),
		fakeService("web-stable"), fakeService("web-canary"))
	c.drive("Healthy at nginx:1.25", healthyAt("nginx:1.25"))
	for _, image := range []string{"nginx:1.26", "nginx:1.27"} {
		c.setImage(image)
		c.drive("Healthy at "+image, healthyAt(image))
	}
	if n := len(c.replicaSets()); n != 3 {
		tb.Fatalf("%d ReplicaSets; want 3", n)
	}
	return c
}

// TestReconcileNoopWrites checks that reconciling a Healthy rollout again,
// with nothing changed, writes nothing and records no Event: every write
// the controller makes sets off another reconcile, through its watches.
func TestReconcileNoopWrites(t *testing.T) {
	c := healthyCluster(t)
	before := c.rollout()
	for i := range 3 {
		c.calls.reset()
		c.events.reasons = nil
		res := c.reconcile()
		if c.calls.writes() != 0 {
			t.Errorf("reconcile %d of a Healthy rollout wrote %d times: %v", i+1, c.calls.writes(), c.calls.written)
		}
		if len(c.events.reasons) != 0 {
			t.Errorf("reconcile %d of a Healthy rollout recorded Events: %v", i+1, c.events.reasons)
		}
		if res != (ctrl.Result{}) {
			t.Errorf("reconcile %d of a Healthy rollout asked to run again: %+v", i+1, res)
		}
	}
	if after := c.rollout(); after.ResourceVersion != before.ResourceVersion {
		t.Errorf("the Rollout changed (resourceVersion %s to %s)", before.ResourceVersion, after.ResourceVersion)
	}
}

// BenchmarkReconcileNoop reconciles a Healthy canary rollout with 3
// ReplicaSets and 2 Services again and again, with nothing to do. It
// reports writes/op, which must be 0, and reads/op (gets and lists, from
// the cache in the controller).
func BenchmarkReconcileNoop(b *testing.B) {
	c := healthyCluster(b)
	c.calls.reset()
	b.ReportAllocs()
	for b.Loop() {
		c.reconcile()
	}
	b.ReportMetric(float64(c.calls.writes())/float64(b.N), "writes/op")
	b.ReportMetric(float64(c.calls.reads)/float64(b.N), "reads/op")
	if c.calls.writes() != 0 {
		b.Errorf("a no-op reconcile wrote: %v", c.calls.written)
	}
}

// weightRoute is the HTTPRoute of the routed canary: all traffic to the
// stable Service.
func weightRoute() *gatewayv1.HTTPRoute {
	return &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: fakeNamespace, Name: fakeName},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "public"}}},
			Hostnames:       []gatewayv1.Hostname{"shop.example.com"},
			Rules: []gatewayv1.HTTPRouteRule{{
				BackendRefs: []gatewayv1.HTTPBackendRef{backendRef("web-stable", 100), backendRef("web-canary", 0)},
			}},
		},
	}
}

func backendRef(service string, weight int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(service), Port: ptr.To[gatewayv1.PortNumber](80)},
		Weight:                 ptr.To(weight),
	}}
}

// routeWeights reads the weights of the stable and canary backendRefs of
// the HTTPRoute.
func (c *fakeCluster) routeWeights() (stable, canary int32) {
	c.tb.Helper()
	route := &gatewayv1.HTTPRoute{}
	if err := c.base.Get(context.Background(), client.ObjectKey{Namespace: fakeNamespace, Name: fakeName}, route); err != nil {
		c.tb.Fatal(err)
	}
	for _, ref := range route.Spec.Rules[0].BackendRefs {
		switch ref.Name {
		case "web-stable":
			stable = ptr.Deref(ref.Weight, 1)
		case "web-canary":
			canary = ptr.Deref(ref.Weight, 1)
		}
	}
	return stable, canary
}

// weightStepObjects are the objects of a routed canary of 10 pods, with
// steps setWeight 20, 40, 60, updated to a new revision and about to move
// its HTTPRoute from 20% to 40%: at step 2, with the canary's 4 pods for
// 40% available.
func weightStepObjects(tb testing.TB, scheme *runtime.Scheme) []client.Object {
	tb.Helper()
	ro := fakeRollout(10, setWeight(20), setWeight(40), setWeight(60))
	ro.Spec.Strategy.Canary.TrafficRouting = &rampv1alpha1.RolloutTrafficRouting{
		GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: fakeName}}},
	}
	c := newFakeCluster(tb, scheme, ro, fakeService("web-stable"), fakeService("web-canary"), weightRoute())
	c.drive("Healthy at nginx:1.25", healthyAt("nginx:1.25"))
	c.setImage("nginx:1.26")
	c.drive("step 2 with 4 canary pods available", func(ro *rampv1alpha1.Rollout) bool {
		if ptr.Deref(ro.Status.CurrentStepIndex, 0) != 1 || routeWeight(&scope{rollout: ro}) != 20 {
			return false
		}
		for _, rs := range c.replicaSets() {
			if rs.Labels[rampv1alpha1.LabelPodTemplateHash] == ro.Status.CurrentPodHash {
				return rs.Status.AvailableReplicas >= 4
			}
		}
		return false
	})
	if stable, canary := c.routeWeights(); stable != 80 || canary != 20 {
		tb.Fatalf("HTTPRoute weights stable %d, canary %d; want 80, 20", stable, canary)
	}

	var objs []client.Object
	ctx := context.Background()
	for _, list := range []client.ObjectList{&rampv1alpha1.RolloutList{}, &appsv1.ReplicaSetList{}, &corev1.ServiceList{}, &gatewayv1.HTTPRouteList{}} {
		if err := c.base.List(ctx, list, client.InNamespace(fakeNamespace)); err != nil {
			tb.Fatal(err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			tb.Fatal(err)
		}
		for _, item := range items {
			objs = append(objs, item.(client.Object))
		}
	}
	return objs
}

// copies deep-copies objs.
func copies(objs []client.Object) []client.Object {
	out := make([]client.Object, len(objs))
	for i, o := range objs {
		out[i] = o.DeepCopyObject().(client.Object)
	}
	return out
}

// TestReconcileWeightStep checks the reconcile BenchmarkReconcileWeightStep
// measures: it moves the HTTPRoute from 20% to 40%, and since the canary's
// pods for 40% are ready, completes that step and starts the next (the
// canary scaled for 60%) in the same reconcile: three writes, the route,
// the canary's ReplicaSet and the Rollout's status, written once.
func TestReconcileWeightStep(t *testing.T) {
	scheme := fakeScheme(t)
	c := newFakeCluster(t, scheme, copies(weightStepObjects(t, scheme))...)
	before := ptr.Deref(c.rollout().Status.CurrentStepIndex, 0)
	c.reconcile()
	if stable, canary := c.routeWeights(); stable != 60 || canary != 40 {
		t.Errorf("HTTPRoute weights stable %d, canary %d; want 60, 40", stable, canary)
	}
	if c.calls.patches != 3 || c.calls.writes() != 3 {
		t.Errorf("writes %v; want the HTTPRoute's patch, the canary's scale and the Rollout's status patch", c.calls.written)
	}
	ro := c.rollout()
	if w := ro.Status.Canary.Weights; w == nil || w.Canary.Weight != 40 {
		t.Errorf("status.canary.weights = %+v; want canary 40", w)
	}
	if after := ptr.Deref(ro.Status.CurrentStepIndex, 0); after != before+1 {
		t.Errorf("step index %d after the reconcile, want %d: the 40%% step is done once its weight is set", after, before+1)
	}
}

// BenchmarkReconcileWeightStep measures the reconcile of a routed canary
// that moves its HTTPRoute one weight step, from 20% to 40%, each time on
// a fresh copy of the same objects (copied with the timer stopped). It
// reports writes/op (3: the route, the canary scaled for the next step and
// the Rollout's status) and reads/op.
func BenchmarkReconcileWeightStep(b *testing.B) {
	scheme := fakeScheme(b)
	objs := weightStepObjects(b, scheme)
	var writes, reads int
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c := newFakeCluster(b, scheme, copies(objs)...)
		b.StartTimer()
		c.reconcile()
		writes += c.calls.writes()
		reads += c.calls.reads
	}
	b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
	b.ReportMetric(float64(reads)/float64(b.N), "reads/op")
}

// TestPromotionSwitchesServiceBeforeDraining promotes a canary without a
// traffic router at 75% (3 canary pods, 1 stable pod of 4, maxUnavailable
// 1): the reconcile that promotes it points the stable Service at the new
// version before it scales the old one down, so that a controller stopped
// between the two writes never leaves the Service selecting no pods.
func TestPromotionSwitchesServiceBeforeDraining(t *testing.T) {
	ro := fakeRollout(4, setWeight(75))
	ro.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromInt32(1))
	c := newFakeCluster(t, fakeScheme(t), ro, fakeService("web-stable"), fakeService("web-canary"))
	c.drive("Healthy at nginx:1.25", healthyAt("nginx:1.25"))
	old := c.rollout().Status.StableRS
	c.setImage("nginx:1.26")
	c.drive("75% of the pods on nginx:1.26", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Canary.Weights != nil && r.Status.Canary.Weights.Canary.Weight == 75 && r.Status.StableRS == old
	})
	for range 10 {
		c.calls.reset()
		c.reconcile()
		c.runReplicaSets()
		if c.rollout().Status.StableRS != old {
			break
		}
	}
	if c.rollout().Status.StableRS == old {
		t.Fatalf("not promoted after 10 reconciles: %s", c.rollout().Status.Message)
	}
	switched, drained := -1, -1
	for i, w := range c.calls.written {
		switch w {
		case "patch Service web-stable":
			switched = i
		case "patch ReplicaSet " + fakeName + "-" + old:
			drained = i
		}
	}
	if switched < 0 || drained < 0 || switched > drained {
		t.Errorf("writes of the promoting reconcile %v: want the stable Service's patch before the old ReplicaSet's scale-down", c.calls.written)
	}
}
