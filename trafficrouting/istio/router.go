package istio

import (
	"context"
	"fmt"
	"slices"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// Name is the router's name in messages.
const Name = "istio"

// virtualServicesField is where the VirtualServices are named in a Rollout.
const virtualServicesField = "spec.strategy.canary.trafficRouting.istio.virtualServices"

// New returns the Istio router of a Rollout, or nil when cfg.Routing does
// not ask for Istio. It is a trafficrouting.Factory.
func New(cfg trafficrouting.Config) trafficrouting.Router {
	if cfg.Routing == nil || cfg.Routing.Istio == nil {
		return nil
	}
	r := &router{cfg: cfg, istio: cfg.Routing.Istio}
	if cfg.Rollout != nil {
		r.namespace = cfg.Rollout.Namespace
	}
	r.match = matcher{stable: cfg.StableService, canary: cfg.CanaryService, baseline: cfg.BaselineService, namespace: r.namespace}
	if dr := r.istio.DestinationRule; dr != nil {
		r.match = matcher{bySubset: true, stable: dr.StableSubsetName, canary: dr.CanarySubsetName, namespace: r.namespace}
		if cfg.BaselineService != "" {
			r.match.baseline = dr.BaselineSubsetName
		}
	}
	return r
}

// router is the Istio Router of one Rollout at one reconcile.
type router struct {
	cfg   trafficrouting.Config
	istio *rampv1alpha1.IstioTrafficRouting
	// namespace is the Rollout's, where the Istio objects live.
	namespace string
	// match tells the stable, canary and baseline destinations apart.
	match matcher
}

// virtualService is a VirtualService as read, with the routes selected in it.
type virtualService struct {
	obj    *istionetworkingv1.VirtualService
	splits []split
}

// firstHTTP returns the first selected http route, if any.
func (v *virtualService) firstHTTP() (*networkingv1alpha3.HTTPRoute, split, bool) {
	for _, s := range v.splits {
		if s.kind == kindHTTP {
			return v.obj.Spec.GetHttp()[s.index], s, true
		}
	}
	return nil, split{}, false
}

// Name returns "istio".
func (r *router) Name() string {
	return Name
}

// readVirtualServices reads every VirtualService and selects its routes;
// the first that is missing or wrong is a RouteError.
func (r *router) readVirtualServices(ctx context.Context) ([]*virtualService, error) {
	out := make([]*virtualService, 0, len(r.istio.VirtualServices))
	for _, sel := range r.istio.VirtualServices {
		vs := &istionetworkingv1.VirtualService{}
		if _, err := r.get(ctx, "VirtualService", sel.Name, virtualServicesField, vs, false); err != nil {
			return nil, err
		}
		splits, msg := selectRoutes(&vs.Spec, sel, r.match)
		if msg != "" {
			return nil, &trafficrouting.RouteError{Kind: "VirtualService", Name: sel.Name, Message: msg}
		}
		out = append(out, &virtualService{obj: vs, splits: splits})
	}
	return out, nil
}

// weightOps returns the operations that give splits the weight without a
// baseline share: 100-weight to the stable destination, weight to the
// canary, 0 to the baseline.
func weightOps(splits []split, weight int32) []op {
	return shareOps(splits, 100-weight, weight, 0)
}

// shareOps returns the operations that give the stable, canary and
// baseline destinations of splits their shares. A split without a
// baseline destination (a mirror route made before the Rollout had a
// baselineService) gives the baseline's share to the stable one.
func shareOps(splits []split, stable, canary, baseline int32) []op {
	var ops []op
	set := func(s split, dest int, have, want int32) {
		if have != want {
			ops = append(ops, setOp(fmt.Sprintf("%s/route/%d/weight", s.path(), dest), want))
		}
	}
	for _, s := range splits {
		toStable := stable
		if !s.hasBaseline {
			toStable += baseline
		}
		set(s, s.stable, s.stableWeight, toStable)
		set(s, s.canary, s.canaryWeight, canary)
		if s.hasBaseline {
			set(s, s.baseline, s.baselineWeight, baseline)
		}
	}
	return ops
}

// Check reads the DestinationRule and the VirtualServices and checks that
// they can carry the split, without writing.
func (r *router) Check(ctx context.Context) error {
	_, _, err := r.readAll(ctx)
	return err
}

// readAll reads and checks the DestinationRule (planning its label patch)
// and every VirtualService.
func (r *router) readAll(ctx context.Context) (write, []*virtualService, error) {
	drWrite, err := r.destinationRuleWrite(ctx)
	if err != nil {
		return write{}, nil, err
	}
	vss, err := r.readVirtualServices(ctx)
	return drWrite, vss, err
}

// SetWeight labels the DestinationRule's subsets (subset-level splitting),
// then gives every selected route, and every mirror route Ramp added,
// 100-weight to the stable destination and weight to the canary; with a
// baselineService, the stable, canary and baseline destinations get the
// shares of trafficrouting.Config.Weights.
func (r *router) SetWeight(ctx context.Context, weight int32) (bool, error) {
	if weight < 0 || weight > 100 {
		return false, fmt.Errorf("set weight %d: the weight must be between 0 and 100", weight)
	}
	drWrite, vss, err := r.readAll(ctx)
	if err != nil {
		return false, err
	}
	stable, canary, baseline := r.cfg.Weights(weight)
	writes := []write{drWrite}
	for _, v := range vss {
		splits := slices.Concat(v.splits, managedSplits(&v.obj.Spec, r.match))
		writes = append(writes, write{kind: "VirtualService", obj: v.obj, ops: shareOps(splits, stable, canary, baseline)})
	}
	return r.apply(ctx, writes)
}

// SetHeaderRoute makes the managed route hr.Name a header route (replacing
// a mirror route of that name), or, without match, removes it.
func (r *router) SetHeaderRoute(ctx context.Context, hr *rampv1alpha1.SetHeaderRoute) (bool, error) {
	if len(hr.Match) == 0 {
		name := trafficrouting.ManagedRouteName(hr.Name)
		return r.removeRoutes(ctx, func(h *networkingv1alpha3.HTTPRoute) bool { return h.GetName() == name })
	}
	return r.putRoute(ctx, hr.Name, func(first *networkingv1alpha3.HTTPRoute, canary *networkingv1alpha3.Destination) (*networkingv1alpha3.HTTPRoute, error) {
		return headerRoute(hr, canary)
	})
}

// SetMirrorRoute makes the managed route mr.Name a mirror route (replacing
// a header route of that name), or, without match, removes it.
func (r *router) SetMirrorRoute(ctx context.Context, mr *rampv1alpha1.SetMirrorRoute) (bool, error) {
	if len(mr.Match) == 0 {
		name := trafficrouting.ManagedRouteName(mr.Name)
		return r.removeRoutes(ctx, func(h *networkingv1alpha3.HTTPRoute) bool { return h.GetName() == name })
	}
	return r.putRoute(ctx, mr.Name, func(first *networkingv1alpha3.HTTPRoute, canary *networkingv1alpha3.Destination) (*networkingv1alpha3.HTTPRoute, error) {
		return mirrorRoute(mr, first, canary)
	})
}

// RemoveManagedRoutes removes every http route Ramp added (named with the
// ramp- prefix) from every VirtualService.
func (r *router) RemoveManagedRoutes(ctx context.Context) (bool, error) {
	return r.removeRoutes(ctx, func(h *networkingv1alpha3.HTTPRoute) bool { return isManaged(h.GetName()) })
}

// VerifyWeight returns nil: Istio does not report the weights it applies.
func (r *router) VerifyWeight(context.Context, int32) (*bool, error) {
	return nil, nil
}

// buildRoute makes a managed route from the first selected http route of a
// VirtualService and the canary destination of it.
type buildRoute func(first *networkingv1alpha3.HTTPRoute, canary *networkingv1alpha3.Destination) (*networkingv1alpha3.HTTPRoute, error)

// putRoute puts the managed route name, as build makes it, at the top of
// every VirtualService with a selected http route, after labeling the
// DestinationRule's subsets (so the canary subset selects the canary).
func (r *router) putRoute(ctx context.Context, name string, build buildRoute) (bool, error) {
	drWrite, vss, err := r.readAll(ctx)
	if err != nil {
		return false, err
	}
	writes := []write{drWrite}
	for _, v := range vss {
		first, s, ok := v.firstHTTP()
		if !ok {
			continue
		}
		desired, err := build(first, canaryDestination(first, s, r.match))
		if err != nil {
			return false, err
		}
		ops, err := putRouteOps(v.obj.Spec.GetHttp(), desired, r.cfg.Routing.ManagedRoutes)
		if err != nil {
			return false, fmt.Errorf("VirtualService %q: %w", v.obj.Name, err)
		}
		writes = append(writes, write{kind: "VirtualService", obj: v.obj, ops: ops})
	}
	if len(writes) == 1 && len(r.istio.VirtualServices) > 0 {
		return false, &trafficrouting.RouteError{Kind: "VirtualService", Name: r.istio.VirtualServices[0].Name,
			Message: fmt.Sprintf("no http route is selected in any VirtualService, so route %q has nowhere to go; name an http route in %s",
				trafficrouting.ManagedRouteName(name), routesField)}
	}
	return r.apply(ctx, writes)
}

// removeRoutes removes the http routes drop selects from every
// VirtualService; VirtualServices that no longer exist are skipped.
func (r *router) removeRoutes(ctx context.Context, drop func(*networkingv1alpha3.HTTPRoute) bool) (bool, error) {
	var writes []write
	for _, sel := range r.istio.VirtualServices {
		vs := &istionetworkingv1.VirtualService{}
		found, err := r.get(ctx, "VirtualService", sel.Name, virtualServicesField, vs, true)
		if err != nil {
			return false, err
		}
		if found {
			writes = append(writes, write{kind: "VirtualService", obj: vs, ops: removeRouteOps(vs.Spec.GetHttp(), drop)})
		}
	}
	return r.apply(ctx, writes)
}
