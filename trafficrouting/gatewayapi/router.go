package gatewayapi

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

var _ trafficrouting.Factory = New

// New returns the Router that moves the traffic of cfg.Rollout through
// the Gateway API routes of cfg.Routing.GatewayAPI, or nil when
// cfg.Routing has no gatewayAPI.
func New(cfg trafficrouting.Config) trafficrouting.Router {
	if cfg.Routing == nil || cfg.Routing.GatewayAPI == nil {
		return nil
	}
	rt := &router{cfg: cfg}
	for _, r := range cfg.Routing.GatewayAPI.HTTPRoutes {
		rt.refs = append(rt.refs, routeRef{kind: kindHTTPRoute, name: r.Name, headerRoutes: ptr.Deref(r.UseHeaderRoutes, true)})
	}
	for _, r := range cfg.Routing.GatewayAPI.GRPCRoutes {
		rt.refs = append(rt.refs, routeRef{kind: kindGRPCRoute, name: r.Name, headerRoutes: ptr.Deref(r.UseHeaderRoutes, true)})
	}
	return rt
}

// router is the Gateway API Router of one Rollout at one reconcile.
type router struct {
	cfg trafficrouting.Config
	// refs are the routes of the spec: HTTPRoutes first, then GRPCRoutes.
	refs []routeRef
}

func (rt *router) namespace() string {
	return rt.cfg.Rollout.Namespace
}

// Name implements trafficrouting.Router.
func (rt *router) Name() string {
	return "gatewayAPI"
}

// Check implements trafficrouting.Router: every route exists and has a
// rule with both Services, and each such rule lists the baseline Service
// too when the Rollout has one.
func (rt *router) Check(ctx context.Context) error {
	routes, err := rt.readRoutes(ctx, false)
	if err != nil {
		return err
	}
	for _, r := range routes {
		if _, err := rt.weightedRules(r); err != nil {
			return err
		}
	}
	return nil
}

// SetWeight implements trafficrouting.Router: in every weighted rule of
// every route, and in the mirror rules Ramp added, the stable, canary and
// baseline backendRefs get the shares of trafficrouting.Config.Weights
// (stable 100-weight and canary weight without a baseline). A rule
// without the baseline backendRef (a mirror rule made before the Rollout
// had a baselineService) gives its share to the stable one.
func (rt *router) SetWeight(ctx context.Context, weight int32) (bool, error) {
	if weight < 0 || weight > 100 {
		return false, fmt.Errorf("set weight %d: the weight must be 0 to 100", weight)
	}
	routes, err := rt.readRoutes(ctx, false)
	if err != nil {
		return false, err
	}
	plans := make([]plan, 0, len(routes))
	for _, r := range routes {
		if _, err := rt.weightedRules(r); err != nil {
			return false, err
		}
		ws, err := rt.split(r, true)
		if err != nil {
			return false, err
		}
		var ops []patchOp
		for _, w := range ws {
			ops = append(ops, rt.weightOps(r, w, weight)...)
		}
		plans = append(plans, plan{route: r, ops: ops})
	}
	return rt.apply(ctx, plans)
}

// weightOps returns the operations that give the backendRefs of the
// weighted rule w their shares of the canary weight.
func (rt *router) weightOps(r *route, w weighted, weight int32) []patchOp {
	stable, canary, baseline := rt.cfg.Weights(weight)
	var ops []patchOp
	if w.baseline < 0 {
		stable += baseline
	}
	ops = appendWeight(ops, r, w.rule, w.stable, stable)
	ops = appendWeight(ops, r, w.rule, w.canary, canary)
	if w.baseline >= 0 {
		ops = appendWeight(ops, r, w.rule, w.baseline, baseline)
	}
	return ops
}

// appendWeight adds the operation that sets the weight of backendRef j of
// rule i to want, unless it is want already (unset is 1). The op is an
// add, which sets the field whether or not it is there.
func appendWeight(ops []patchOp, r *route, i, j int, want int32) []patchOp {
	if ptr.Deref(r.rules[i].refs[j].Weight, 1) == want {
		return ops
	}
	return append(ops, patchOp{Op: "add", Path: weightPath(i, j), Value: want})
}

// SetHeaderRoute implements trafficrouting.Router. With a match, every
// route that uses header routes gets, for each weighted rule, a rule that
// sends the requests carrying the headers to the canary; without one, the
// route's rules are removed.
func (rt *router) SetHeaderRoute(ctx context.Context, step *rampv1alpha1.SetHeaderRoute) (bool, error) {
	if step == nil {
		return false, errors.New("setHeaderRoute: no step given")
	}
	var conds []condition
	if len(step.Match) > 0 {
		var err error
		if conds, err = headerConditions(step.Name, step.Match); err != nil {
			return false, err
		}
	}
	carries := func(r *route) bool { return r.headerRoutes }
	build := func(r *route, ws []weighted) ([]wantRule, error) {
		return rt.headerRules(r, ws, step.Name, conds), nil
	}
	return rt.setManaged(ctx, "setHeaderRoute", step.Name, len(step.Match) > 0, carries, build)
}

// SetMirrorRoute implements trafficrouting.Router. With a match, every
// HTTPRoute that uses header routes gets, for each weighted rule, a rule
// that mirrors the matching requests to the canary; without one, the
// route's rules are removed. GRPCRoutes carry no mirror routes.
func (rt *router) SetMirrorRoute(ctx context.Context, step *rampv1alpha1.SetMirrorRoute) (bool, error) {
	if step == nil {
		return false, errors.New("setMirrorRoute: no step given")
	}
	carries := func(r *route) bool { return r.headerRoutes && r.kind == kindHTTPRoute }
	build := func(r *route, ws []weighted) ([]wantRule, error) {
		return rt.mirrorRules(r, ws, step)
	}
	return rt.setManaged(ctx, "setMirrorRoute", step.Name, len(step.Match) > 0, carries, build)
}

// setManaged makes the managed route name hold, in each route that
// carries it, the rules build returns for the route's weighted rules, and
// no rules anywhere else (nowhere at all when adding is false). Every
// route is read and checked before any is written; when removing, a route
// that does not exist has nothing to remove and is skipped. A step whose
// match no weighted rule of any route carrying it can take is a
// RouteError (on the first such route): it would route nothing.
func (rt *router) setManaged(ctx context.Context, stepKind, name string, adding bool,
	carries func(*route) bool, build func(*route, []weighted) ([]wantRule, error),
) (bool, error) {
	routes, err := rt.readRoutes(ctx, !adding)
	if err != nil {
		return false, err
	}
	plans := make([]plan, 0, len(routes))
	var first *route
	built := 0
	for _, r := range routes {
		var rules []wantRule
		if adding && carries(r) {
			ws, err := rt.weightedRules(r)
			if err != nil {
				return false, err
			}
			if rules, err = build(r, ws); err != nil {
				return false, err
			}
			if first == nil {
				first = r
			}
			built += len(rules)
		}
		want := desiredManaged(r, rt.cfg.Routing.ManagedRoutes, name, rules)
		if adding {
			if err := checkLimits(r, want); err != nil {
				return false, err
			}
		}
		plans = append(plans, plan{route: r, ops: layoutOps(r, want)})
	}
	if first != nil && built == 0 {
		return false, first.routeError("%s %s: no weighted rule of the routes takes the requests the step matches "+
			"(each asks for another method, a path outside the rule's first match, "+
			"or another value of a header the rule matches); change the step's match", stepKind, name)
	}
	return rt.apply(ctx, plans)
}

// RemoveManagedRoutes implements trafficrouting.Router: every rule whose
// name starts with the managed prefix goes, in every route that exists.
func (rt *router) RemoveManagedRoutes(ctx context.Context) (bool, error) {
	routes, err := rt.readRoutes(ctx, true)
	if err != nil {
		return false, err
	}
	plans := make([]plan, 0, len(routes))
	for _, r := range routes {
		plans = append(plans, plan{route: r, ops: layoutOps(r, nil)})
	}
	return rt.apply(ctx, plans)
}

// VerifyWeight implements trafficrouting.Router. Gateway API reports no
// weights in a route's status, so it cannot tell: nil.
func (rt *router) VerifyWeight(ctx context.Context, weight int32) (*bool, error) {
	return nil, nil
}
