package rollout

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestRouteClientReadsItsWrites checks that a route written reads back as
// written while the cache still has the old version, and that a newer
// version in the cache wins.
func TestRouteClientReadsItsWrites(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := gatewayv1.Install(scheme); err != nil {
		t.Fatal(err)
	}
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	stale := route.DeepCopy()
	base := fake.NewClientBuilder().WithScheme(scheme).WithObjects(route).Build()
	if err := base.Get(context.Background(), client.ObjectKeyFromObject(route), stale); err != nil {
		t.Fatal(err)
	}
	// The "cache" answers with the version before the write.
	cached := interceptor.NewClient(base, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
			if r, ok := obj.(*gatewayv1.HTTPRoute); ok && key.Name == "web" {
				stale.DeepCopyInto(r)
				return nil
			}
			return c.Get(ctx, key, obj)
		},
	})
	c := newRouteClient(cached, &writtenRoutes{})
	ctx := context.Background()
	got := &gatewayv1.HTTPRoute{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(route), got); err != nil || got.Labels["team"] != "" {
		t.Fatalf("before the write: %v, labels %v", err, got.Labels)
	}
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"team":"shop"}}}`))
	if err := c.Patch(ctx, got, patch); err != nil {
		t.Fatal(err)
	}
	got.Labels = nil // the caller's copy is its own
	again := &gatewayv1.HTTPRoute{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(route), again); err != nil || again.Labels["team"] != "shop" {
		t.Fatalf("after the write the route reads %v (%v), want the written labels", again.Labels, err)
	}
	if again.ResourceVersion == stale.ResourceVersion {
		t.Errorf("read the stale resourceVersion %s", again.ResourceVersion)
	}
	// Someone else's edit, newer than the write, wins over it.
	newer := again.DeepCopy()
	newer.Labels = map[string]string{"team": "other"}
	newer.ResourceVersion = "999999"
	newer.DeepCopyInto(stale)
	latest := &gatewayv1.HTTPRoute{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(route), latest); err != nil || latest.Labels["team"] != "other" {
		t.Fatalf("with a newer version in the cache the route reads %v (%v), want the cache's", latest.Labels, err)
	}
	if len(c.written.objects) != 0 {
		t.Errorf("the write is still remembered once the cache has something newer: %v", c.written.objects)
	}
	// Other objects still come from the cache.
	other := &gatewayv1.HTTPRoute{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "missing"}, other); err == nil {
		t.Error("a route never created was found")
	}
}
