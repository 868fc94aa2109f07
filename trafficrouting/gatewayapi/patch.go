package gatewayapi

import (
	"context"
	"fmt"

	"github.com/rampdev/ramp/trafficrouting"
)

// patchOp is one RFC 6902 operation.
type patchOp = trafficrouting.PatchOp

// rulePath is the JSON pointer of rule i of a route.
func rulePath(i int) string {
	return fmt.Sprintf("/spec/rules/%d", i)
}

// weightPath is the JSON pointer of the weight of backendRef j of rule i.
func weightPath(i, j int) string {
	return fmt.Sprintf("/spec/rules/%d/backendRefs/%d/weight", i, j)
}

// plan is the operations one route needs; no operations means no write.
type plan struct {
	route *route
	ops   []patchOp
}

// apply writes every plan that has operations, in order, and reports
// whether it wrote any. Each write has the resourceVersion read as a
// precondition, so a route changed since it was read is left alone and the
// error (trafficrouting.ErrStale) says so; the caller's next reconcile reads
// it again.
func (rt *router) apply(ctx context.Context, plans []plan) (bool, error) {
	changed := false
	for _, p := range plans {
		if len(p.ops) == 0 {
			continue
		}
		if err := trafficrouting.PatchJSON(ctx, rt.cfg.Client, p.route.kind, p.route.obj, p.ops); err != nil {
			return changed, err
		}
		changed = true
	}
	return changed, nil
}
