package rollout

import (
	"context"
	"reflect"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// routeClient is the client the routers use: it reads from the cache,
// except that a route this controller wrote reads as written until the
// cache has caught up with that write. A router thus sees its own last
// write, in the same reconcile (the weight, then a header route) and in
// the next ones, which the cache may not show yet; without that it would
// patch again from the old version and fail on its resourceVersion
// precondition, a wasted write. A newer version in the cache (someone
// else's edit) wins.
type routeClient struct {
	client.Client
	written *writtenRoutes
}

// writtenRoutes remembers the routes this controller wrote, as written,
// until the cache has them. The zero value is ready; it is shared by
// every reconcile.
type writtenRoutes struct {
	mu      sync.Mutex
	objects map[writtenKey]client.Object
}

// writtenKey names an object written: its Go type and its key.
type writtenKey struct {
	typ reflect.Type
	key client.ObjectKey
}

func newRouteClient(c client.Client, written *writtenRoutes) *routeClient {
	return &routeClient{Client: c, written: written}
}

// Get reads obj from the cache, or as this controller last wrote it when
// the cache's version is older.
func (c *routeClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	err := c.Client.Get(ctx, key, obj, opts...)
	wk := writtenKey{reflect.TypeOf(obj), key}
	c.written.mu.Lock()
	defer c.written.mu.Unlock()
	w, ok := c.written.objects[wk]
	if !ok {
		return err
	}
	if err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted since: the cache knows better.
			delete(c.written.objects, wk)
		}
		return err
	}
	{
		if cmp, cerr := resourceversion.CompareResourceVersion(obj.GetResourceVersion(), w.GetResourceVersion()); cerr != nil || cmp >= 0 {
			// The cache has our write, or something newer.
			delete(c.written.objects, wk)
			return nil
		}
	}
	reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(w.DeepCopyObject()).Elem())
	return nil
}

// Patch writes obj and remembers it as written.
func (c *routeClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	if cp, ok := obj.DeepCopyObject().(client.Object); ok {
		c.written.mu.Lock()
		defer c.written.mu.Unlock()
		if c.written.objects == nil {
			c.written.objects = map[writtenKey]client.Object{}
		}
		c.written.objects[writtenKey{reflect.TypeOf(obj), client.ObjectKeyFromObject(obj)}] = cp
	}
	return nil
}
