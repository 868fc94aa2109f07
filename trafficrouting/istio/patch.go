package istio

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/trafficrouting"
)

// This file holds the I/O: reading the Istio objects and writing JSON
// patches that touch only the paths the router owns.

// op is one RFC 6902 operation.
type op = trafficrouting.PatchOp

// setOp sets the member at path, whether or not it exists ("add" replaces
// an object member that is there and creates one that is not).
func setOp(path string, value any) op {
	return op{Op: "add", Path: path, Value: value}
}

// pointerToken escapes a JSON pointer reference token (RFC 6901).
func pointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// crdHint says which CRDs to install when the Istio kinds are not served.
const crdHint = "the Istio CRDs are not installed: install virtualservices.networking.istio.io and destinationrules.networking.istio.io " +
	"(Istio's base Helm chart, or kubernetes/customresourcedefinitions.gen.yaml of istio.io/api)"

// get reads obj (kind names it in messages). A missing object is a
// RouteError whose message says how to fix it, unless optional, in which
// case found is false.
func (r *router) get(ctx context.Context, kind, name, field string, obj client.Object, optional bool) (found bool, err error) {
	err = r.cfg.Client.Get(ctx, client.ObjectKey{Namespace: r.namespace, Name: name}, obj)
	switch {
	case err == nil:
		return true, nil
	case meta.IsNoMatchError(err):
		return false, fmt.Errorf("get %s %q: %s: %w", kind, name, crdHint, err)
	case apierrors.IsNotFound(err) && optional:
		return false, nil
	case apierrors.IsNotFound(err):
		return false, &trafficrouting.RouteError{Kind: kind, Name: name,
			Message: fmt.Sprintf("not found in namespace %s; create it or fix %s", r.namespace, field)}
	}
	return false, fmt.Errorf("get %s %q: %w", kind, name, err)
}

// write is a JSON patch for one object.
type write struct {
	kind string
	obj  client.Object
	ops  []op
}

// apply sends the writes that have operations, in order, each with the
// resourceVersion read as a precondition (trafficrouting.ErrStale when it
// changed). It reports whether it wrote.
func (r *router) apply(ctx context.Context, writes []write) (changed bool, err error) {
	for _, w := range writes {
		if len(w.ops) == 0 {
			continue
		}
		if err := trafficrouting.PatchJSON(ctx, r.cfg.Client, w.kind, w.obj, w.ops); err != nil {
			return changed, err
		}
		changed = true
	}
	return changed, nil
}
