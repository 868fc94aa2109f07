package rollout

import (
	"context"
	"reflect"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// routeClient is the client the routers of one reconcile use: it reads
// from the cache, except that an object written in this reconcile reads
// as written. A router called twice in a reconcile (the weight, then a
// header route) thus sees its own first write, which the cache may not
// have yet.
type routeClient struct {
	client.Client
	written map[writtenKey]client.Object
}

// writtenKey names an object written: its Go type and its key.
type writtenKey struct {
	typ reflect.Type
	key client.ObjectKey
}

func newRouteClient(c client.Client) *routeClient {
	return &routeClient{Client: c, written: map[writtenKey]client.Object{}}
}

// Get reads obj as this reconcile wrote it last, or from the cache.
func (c *routeClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if w, ok := c.written[writtenKey{reflect.TypeOf(obj), key}]; ok {
		reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(w.DeepCopyObject()).Elem())
		return nil
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// Patch writes obj and remembers it as written.
func (c *routeClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	if cp, ok := obj.DeepCopyObject().(client.Object); ok {
		c.written[writtenKey{reflect.TypeOf(obj), client.ObjectKeyFromObject(obj)}] = cp
	}
	return nil
}
