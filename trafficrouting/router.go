// Package trafficrouting moves a canary's live traffic through a data
// plane. A Router edits the routes of one Rollout for one kind of data plane
// (one package per kind: gatewayapi, istio); it changes only the fields Ramp
// owns (weights of the two Services' backends, the routes it adds) and
// leaves everything else in the user's objects as it was.
package trafficrouting

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Config is what a Router needs to know about one Rollout, at one reconcile.
type Config struct {
	// Client reads (from the cache) and writes the route objects.
	Client client.Client
	// Rollout is the Rollout; routes live in its namespace.
	Rollout *rampv1alpha1.Rollout
	// Routing is the Rollout's effective spec.strategy.canary.trafficRouting.
	Routing *rampv1alpha1.RolloutTrafficRouting
	// StableService and CanaryService are the two Services whose backends
	// get the weights.
	StableService, CanaryService string
	// StableHash and CanaryHash are the pod template hashes of the stable
	// and canary versions (subset-level splitting puts them in subsets).
	StableHash, CanaryHash string
	// BaselineService, when set (spec.strategy.canary.baselineService), is
	// a third Service whose backend the routes must list: it gets the
	// baseline's share (see BaselineWeight), 0 when BaselineActive is
	// false.
	BaselineService string
	// BaselineHash is the pod template hash of the baseline (subset-level
	// splitting puts it in a subset); empty when BaselineActive is false.
	BaselineHash string
	// BaselineActive is true while the baseline ReplicaSet runs.
	BaselineActive bool
}

// Weights splits the traffic for a canary weight of weight percent: the
// canary gets weight; with an active baseline, the baseline gets as much
// as the canary (as much as is left when the canary has more than half);
// the stable version gets the rest. They always sum to 100.
func (c Config) Weights(weight int32) (stable, canary, baseline int32) {
	weight = min(max(weight, 0), 100)
	if c.BaselineService != "" && c.BaselineActive {
		baseline = min(weight, 100-weight)
	}
	return 100 - weight - baseline, weight, baseline
}

// Router sets a canary's traffic for one kind of data plane. Every method
// checks every route it will touch before writing any (so a bad route
// leaves the others untouched), changes only what Ramp owns, writes nothing
// when nothing needs to change, and is safe to call again after a failure
// or a controller restart. The mutating methods report whether they wrote,
// so the caller can tell a drift (someone changed Ramp's fields) from a
// step. A route that is missing or lacks the Services is a *RouteError.
type Router interface {
	// Name names the router in messages, such as "gatewayAPI".
	Name() string
	// Check reads every object the router would write and returns a
	// *RouteError when one is missing or cannot carry the split, without
	// writing anything. A Rollout with several routers checks them all
	// before any writes.
	Check(ctx context.Context) error
	// SetWeight sends weight percent of the traffic (0 to 100) to the
	// canary and the rest to the stable version.
	SetWeight(ctx context.Context, weight int32) (changed bool, err error)
	// SetHeaderRoute makes the managed route route.Name send requests
	// whose headers match to the canary. A managed route name holds one
	// route at a time: this replaces a mirror route of that name, and
	// without match it removes whatever the name holds.
	SetHeaderRoute(ctx context.Context, route *rampv1alpha1.SetHeaderRoute) (changed bool, err error)
	// SetMirrorRoute makes the managed route route.Name copy matching
	// requests to the canary, replacing a header route of that name;
	// without match it removes whatever the name holds.
	SetMirrorRoute(ctx context.Context, route *rampv1alpha1.SetMirrorRoute) (changed bool, err error)
	// RemoveManagedRoutes removes every route Ramp added.
	RemoveManagedRoutes(ctx context.Context) (changed bool, err error)
	// VerifyWeight reports whether the data plane reports weight as set:
	// nil when it cannot tell.
	VerifyWeight(ctx context.Context, weight int32) (*bool, error)
}

// Factory builds the Router of one kind when cfg.Routing asks for it, and
// returns nil otherwise.
type Factory func(cfg Config) Router

// Plugin is one kind of data plane, as the controller sees it: how to build
// its Router and which objects its Routers read, so that a change to one of
// them (created, fixed, or edited by someone else) reconciles the Rollouts
// that name it. Each router package exports one; the routers package lists
// them.
type Plugin struct {
	// Name names the kind, such as "gatewayAPI".
	Name string
	// New builds the Router.
	New Factory
	// Kinds are the kinds of object the Routers read and patch. The
	// controller watches those the API server serves.
	Kinds []schema.GroupVersionKind
	// Objects lists the objects of Kinds that routing names (in the
	// Rollout's namespace); none when routing does not ask for this kind.
	Objects func(routing *rampv1alpha1.RolloutTrafficRouting) []ObjectRef
}

// ObjectRef names one object a Router reads, in the Rollout's namespace.
type ObjectRef struct {
	// Kind is the object's kind, one of its Plugin's Kinds.
	Kind schema.GroupKind
	// Name is the object's name.
	Name string
}

// IndexKey is the key under which the controller indexes the Rollouts that
// name the object: kind.group/name.
func (o ObjectRef) IndexKey() string {
	return o.Kind.String() + "/" + o.Name
}

// RouteError is a route that cannot carry the canary's traffic as the spec
// says: missing, or without the two Services among its backends. The
// rollout stalls with its message until the route or the spec changes.
type RouteError struct {
	// Kind and Name identify the route, such as HTTPRoute web.
	Kind, Name string
	// Message says what is wrong and how to fix it.
	Message string
}

func (e *RouteError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Kind, e.Name, e.Message)
}

// IsRouteError reports whether err is (or wraps) a RouteError.
func IsRouteError(err error) bool {
	var re *RouteError
	return errors.As(err, &re)
}

// ManagedRouteName is the name Ramp gives a route (an HTTPRoute rule or an
// Istio http route) it adds for the managed route name, so it can find and
// remove its own routes later. Users must not use the ramp- prefix.
func ManagedRouteName(name string) string {
	return "ramp-" + name
}
