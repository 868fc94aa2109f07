package gatewayapi

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/rampdev/ramp/trafficrouting"
)

// The kinds of route this router edits.
const (
	kindHTTPRoute = "HTTPRoute"
	kindGRPCRoute = "GRPCRoute"
)

// routeRef is one route named in the Rollout's spec.
type routeRef struct {
	// kind is kindHTTPRoute or kindGRPCRoute.
	kind string
	// name is the route's name, in the Rollout's namespace.
	name string
	// headerRoutes is useHeaderRoutes (default true): whether header and
	// mirror routes may be added to this route.
	headerRoutes bool
}

// specField is the Rollout field that names the route, for messages.
func (r routeRef) specField() string {
	if r.kind == kindGRPCRoute {
		return "spec.strategy.canary.trafficRouting.gatewayAPI.grpcRoutes"
	}
	return "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes"
}

// routeError is a RouteError about this route.
func (r routeRef) routeError(format string, args ...any) *trafficrouting.RouteError {
	return &trafficrouting.RouteError{Kind: r.kind, Name: r.name, Message: fmt.Sprintf(format, args...)}
}

// route is one route as read, with a kind-neutral view of its rules.
type route struct {
	routeRef
	// obj is the *gatewayv1.HTTPRoute or *gatewayv1.GRPCRoute read.
	obj client.Object
	// rules are obj's spec.rules, in order.
	rules []ruleView
}

// ruleView is what the router needs to know of one rule.
type ruleView struct {
	// name is the rule's name, "" when unset.
	name string
	// refs are the BackendRef parts of the rule's backendRefs, in order.
	refs []gatewayv1.BackendRef
	// matches is how many matches the rule counts for toward the limit of
	// 128 in a route.
	matches int
	// value is the gatewayv1.HTTPRouteRule or gatewayv1.GRPCRouteRule.
	value any
}

// weighted is a rule that holds both Services.
type weighted struct {
	// rule is the rule's index in spec.rules.
	rule int
	// stable and canary are the two backendRefs' indexes in the rule.
	stable, canary int
	// baseline is the baseline Service's backendRef index in the rule, -1
	// when the rule lists none or the Rollout has no baselineService.
	baseline int
}

// readRoutes reads every route in refs. With skipMissing a route that does
// not exist is left out (there is nothing of Ramp's to remove from it);
// otherwise it is a RouteError.
func (rt *router) readRoutes(ctx context.Context, skipMissing bool) ([]*route, error) {
	routes := make([]*route, 0, len(rt.refs))
	for _, ref := range rt.refs {
		r, err := rt.readRoute(ctx, ref)
		if err != nil {
			if skipMissing && apierrors.IsNotFound(err) {
				continue
			}
			if apierrors.IsNotFound(err) {
				return nil, ref.routeError("not found in namespace %s; create it, or fix its name in %s",
					rt.namespace(), ref.specField())
			}
			return nil, err
		}
		routes = append(routes, r)
	}
	return routes, nil
}

// readRoute reads one route; a NotFound error is returned as it is.
func (rt *router) readRoute(ctx context.Context, ref routeRef) (*route, error) {
	key := client.ObjectKey{Namespace: rt.namespace(), Name: ref.name}
	r := &route{routeRef: ref}
	switch ref.kind {
	case kindGRPCRoute:
		obj := &gatewayv1.GRPCRoute{}
		if err := rt.cfg.Client.Get(ctx, key, obj); err != nil {
			return nil, readError(ref, err)
		}
		r.obj = obj
		for _, rule := range obj.Spec.Rules {
			v := ruleView{matches: matchCount(rule), value: rule}
			if rule.Name != nil {
				v.name = string(*rule.Name)
			}
			for _, b := range rule.BackendRefs {
				v.refs = append(v.refs, b.BackendRef)
			}
			r.rules = append(r.rules, v)
		}
	default:
		obj := &gatewayv1.HTTPRoute{}
		if err := rt.cfg.Client.Get(ctx, key, obj); err != nil {
			return nil, readError(ref, err)
		}
		r.obj = obj
		for _, rule := range obj.Spec.Rules {
			v := ruleView{matches: matchCount(rule), value: rule}
			if rule.Name != nil {
				v.name = string(*rule.Name)
			}
			for _, b := range rule.BackendRefs {
				v.refs = append(v.refs, b.BackendRef)
			}
			r.rules = append(r.rules, v)
		}
	}
	return r, nil
}

// readError explains a failed read. A kind the API server does not serve
// means the Gateway API CRDs are not installed.
func readError(ref routeRef, err error) error {
	if apierrors.IsNotFound(err) {
		return err
	}
	if meta.IsNoMatchError(err) {
		return fmt.Errorf("get %s %s: the API server does not serve %s (gateway.networking.k8s.io/v1); "+
			"install the Gateway API standard-channel CRDs (HTTPRoute and GRPCRoute, v1.1 or later): %w",
			ref.kind, ref.name, ref.kind, err)
	}
	return fmt.Errorf("get %s %s: %w", ref.kind, ref.name, err)
}

// isService reports whether ref points at the Service named svc in the
// namespace ns.
func isService(ref gatewayv1.BackendRef, svc, ns string) bool {
	if ref.Group != nil && *ref.Group != "" {
		return false
	}
	if ref.Kind != nil && *ref.Kind != "Service" {
		return false
	}
	if ref.Namespace != nil && string(*ref.Namespace) != ns {
		return false
	}
	return string(ref.Name) == svc
}

// serviceAt is a Service split looks for, and where it records the index
// of its backendRef.
type serviceAt struct {
	svc string
	at  *int
}

// split finds the rules that hold both Services, the user's alone or Ramp's
// too, and the baseline Service in them when the Rollout has one. A rule
// that lists one of them twice is a RouteError: the split between them
// would not be the weight asked for.
func (rt *router) split(r *route, withManaged bool) ([]weighted, error) {
	var out []weighted
	for i, rule := range r.rules {
		if !withManaged && isManaged(rule.name) {
			continue
		}
		w := weighted{rule: i, stable: -1, canary: -1, baseline: -1}
		services := []serviceAt{{rt.cfg.StableService, &w.stable}, {rt.cfg.CanaryService, &w.canary}}
		if rt.cfg.BaselineService != "" {
			services = append(services, serviceAt{rt.cfg.BaselineService, &w.baseline})
		}
		for j, ref := range rule.refs {
			for _, s := range services {
				if !isService(ref, s.svc, rt.namespace()) {
					continue
				}
				if *s.at >= 0 {
					return nil, r.routeError("rule %d lists Service %s twice among its backendRefs (%d and %d); "+
						"keep one, so that its weight is the canary split", i, s.svc, *s.at, j)
				}
				*s.at = j
			}
		}
		if w.stable >= 0 && w.canary >= 0 {
			out = append(out, w)
		}
	}
	return out, nil
}

// weightedRules returns the user's rules that hold both Services; a route
// without one is a RouteError, and so is one of them that does not list
// the baseline Service when the Rollout has one.
func (rt *router) weightedRules(r *route) ([]weighted, error) {
	ws, err := rt.split(r, false)
	if err != nil {
		return nil, err
	}
	if len(ws) > 0 {
		for _, w := range ws {
			if rt.cfg.BaselineService != "" && w.baseline < 0 {
				return nil, r.routeError("%s lists %s and %s but not the baseline Service %s; add it as a backendRef with weight 0",
					r.rules[w.rule].label(w.rule), rt.cfg.StableService, rt.cfg.CanaryService, rt.cfg.BaselineService)
			}
		}
		return ws, nil
	}
	stable, canary := rt.cfg.StableService, rt.cfg.CanaryService
	msg := fmt.Sprintf("no rule has both Services %s (stable) and %s (canary) among its backendRefs; "+
		"add the missing one with weight 0", stable, canary)
	for i, rule := range r.rules {
		if isManaged(rule.name) {
			continue
		}
		for _, ref := range rule.refs {
			switch {
			case isService(ref, stable, rt.namespace()):
				return nil, r.routeError("%s (rule %d lists only %s: add %s to it)", msg, i, stable, canary)
			case isService(ref, canary, rt.namespace()):
				return nil, r.routeError("%s (rule %d lists only %s: add %s to it)", msg, i, canary, stable)
			}
		}
	}
	return nil, r.routeError("%s", msg)
}

// label names rule i (this rule) in messages: by name when it has one.
func (v ruleView) label(i int) string {
	if v.name != "" {
		return fmt.Sprintf("rule %q", v.name)
	}
	return fmt.Sprintf("rule %d", i)
}

// matchCount is how many matches a rule counts for toward a route's limit:
// an HTTPRoute rule without matches gets one by default.
func matchCount(rule any) int {
	switch v := rule.(type) {
	case gatewayv1.HTTPRouteRule:
		return max(len(v.Matches), 1)
	case gatewayv1.GRPCRouteRule:
		return len(v.Matches)
	}
	return 0
}
