package framework

import (
	"context"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// APITimeout bounds the API calls of the helpers below (and of any test
// that takes its context from APIContext): they answer at once unless the
// plane is in trouble.
const APITimeout = 30 * time.Second

// APIContext returns a context for a few API calls, bounded by APITimeout.
func APIContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), APITimeout)
}

// Create creates obj, which then holds what the API server stored, and
// fails the test if it cannot.
func Create(t testing.TB, k8s client.Client, obj client.Object) {
	t.Helper()
	ctx, cancel := APIContext()
	defer cancel()
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatalf("create %s %s: %v", kindOf(k8s, obj), obj.GetName(), err)
	}
}

// Get reads the object named key into obj and returns obj, failing the
// test if it cannot.
func Get[T client.Object](t testing.TB, k8s client.Client, key client.ObjectKey, obj T) T {
	t.Helper()
	ctx, cancel := APIContext()
	defer cancel()
	if err := k8s.Get(ctx, key, obj); err != nil {
		t.Fatalf("get %s %s: %v", kindOf(k8s, obj), key, err)
	}
	return obj
}

// List lists objects of list's kind matching opts into list and returns
// it, failing the test if it cannot.
func List[L client.ObjectList](t testing.TB, k8s client.Client, list L, opts ...client.ListOption) L {
	t.Helper()
	ctx, cancel := APIContext()
	defer cancel()
	if err := k8s.List(ctx, list, opts...); err != nil {
		t.Fatalf("list %T: %v", list, err)
	}
	return list
}

// Update reads the object obj names afresh, applies mutate to it and
// writes it back, again from a fresh read on a conflict. Afterwards obj
// holds the object as written.
func Update[T client.Object](t testing.TB, k8s client.Client, obj T, mutate func(T)) {
	t.Helper()
	ctx, cancel := APIContext()
	defer cancel()
	key := client.ObjectKeyFromObject(obj)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		// Decoding into a used object would keep what the new version
		// lacks (map keys, omitted fields): start from an empty one, of
		// the same kind.
		gvk := obj.GetObjectKind().GroupVersionKind()
		reflect.ValueOf(obj).Elem().SetZero()
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		if err := k8s.Get(ctx, key, obj); err != nil {
			return err
		}
		mutate(obj)
		return k8s.Update(ctx, obj)
	})
	if err != nil {
		t.Fatalf("update %s %s: %v", kindOf(k8s, obj), key, err)
	}
}

// MergePatch applies the JSON merge patch to the object obj names (by
// namespace and name; obj itself is left as it is).
func MergePatch(t testing.TB, k8s client.Client, obj client.Object, patch string) {
	t.Helper()
	mergePatch(t, k8s, obj, patch, false)
}

// MergePatchStatus applies the JSON merge patch to the status subresource
// of the object obj names (by namespace and name; obj itself is left as it
// is), as kubectl plugins write user actions.
func MergePatchStatus(t testing.TB, k8s client.Client, obj client.Object, patch string) {
	t.Helper()
	mergePatch(t, k8s, obj, patch, true)
}

func mergePatch(t testing.TB, k8s client.Client, obj client.Object, patch string, status bool) {
	t.Helper()
	ctx, cancel := APIContext()
	defer cancel()
	// The API server's answer lands in the object patched: patch a copy.
	target, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		t.Fatalf("patch %T: not an object", obj)
	}
	raw := client.RawPatch(types.MergePatchType, []byte(patch))
	var err error
	what := kindOf(k8s, obj) + " " + obj.GetName()
	if status {
		what = "status of " + what
		err = k8s.Status().Patch(ctx, target, raw)
	} else {
		err = k8s.Patch(ctx, target, raw)
	}
	if err != nil {
		t.Fatalf("patch %s with %s: %v", what, patch, err)
	}
}

// PodTemplate returns a pod template labeled app=<app>, with one container
// named app running image.
func PodTemplate(app, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

// NewService returns a Service named name in ns with selector and one port,
// http 80 to 8080.
func NewService(ns, name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Selector: selector,
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
}

// ControlledBy reports whether obj's controller reference names an object
// of kind and name.
func ControlledBy(obj metav1.Object, kind, name string) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.Kind == kind && ref.Name == name
}

// NewHTTPRoute returns the HTTPRoute name in ns of a routed canary: one
// rule that splits the traffic between the Services <name>-stable (all of
// it) and <name>-canary (none), under the Gateway "gateway".
func NewHTTPRoute(ns, name string) *gatewayv1.HTTPRoute {
	backend := func(svc string, weight int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(svc), Port: ptr.To(gatewayv1.PortNumber(80))},
			Weight:                 ptr.To(weight),
		}}
	}
	return &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gateway"}}},
			Rules:           []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{backend(name+"-stable", 100), backend(name+"-canary", 0)}}},
		},
	}
}
