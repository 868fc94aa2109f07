package trafficrouting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PatchOp is one RFC 6902 JSON patch operation.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// ErrStale is the error (wrapped) of a write to an object that changed
// since the router read it: nothing was written, and the caller should
// read again and retry (its watch of the object brings the new version).
var ErrStale = errors.New("the object changed since it was read")

// PatchJSON writes ops to obj (as read, its resourceVersion set). The patch
// also sets metadata.resourceVersion to the version read, which the API
// server takes as a precondition: an edit made since the read fails the
// write (ErrStale) instead of being lost. kind names obj in errors. On
// success obj holds the object as written.
func PatchJSON(ctx context.Context, c client.Client, kind string, obj client.Object, ops []PatchOp) error {
	rv := obj.GetResourceVersion()
	all := append([]PatchOp{{Op: "replace", Path: "/metadata/resourceVersion", Value: rv}}, ops...)
	data, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("encode patch of %s %q: %w", kind, obj.GetName(), err)
	}
	if err := c.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, data)); err != nil {
		if staleWrite(err) {
			return fmt.Errorf("patch %s %q: %w (resourceVersion %s)", kind, obj.GetName(), ErrStale, rv)
		}
		return fmt.Errorf("patch %s %q: %w", kind, obj.GetName(), err)
	}
	return nil
}

// staleWrite reports whether a patch failed because the object changed
// since it was read: a conflict on the resourceVersion, or operations that
// no longer apply (the API server answers 422 with a generic message and no
// causes; the operations were made from the version read, to which they
// apply).
func staleWrite(err error) bool {
	if apierrors.IsConflict(err) {
		return true
	}
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) {
		return false
	}
	d := status.Status().Details
	return d == nil || len(d.Causes) == 0
}
