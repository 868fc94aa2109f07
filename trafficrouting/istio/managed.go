package istio

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// This file builds the http routes Ramp adds (header and mirror routes)
// and the operations that put them in place or take them out.

// canaryDestination is where a managed route sends (or mirrors) requests:
// the canary destination of the selected route s (host-level: the canary
// Service as the route names it; subset-level: the stable destination's
// host with the canary subset), keeping the destination's port.
func canaryDestination(r *networkingv1alpha3.HTTPRoute, s split, m matcher) *networkingv1alpha3.Destination {
	canary := r.GetRoute()[s.canary].GetDestination()
	if !m.bySubset {
		return canary.DeepCopy()
	}
	stable := r.GetRoute()[s.stable].GetDestination()
	d := &networkingv1alpha3.Destination{Host: stable.GetHost(), Subset: m.canary}
	switch {
	case canary.GetPort() != nil:
		d.Port = canary.GetPort().DeepCopy()
	case stable.GetPort() != nil:
		d.Port = stable.GetPort().DeepCopy()
	}
	return d
}

// stringMatch converts a Ramp StringMatch to Istio's; ok is false when it
// sets none of exact, prefix and regex.
func stringMatch(s rampv1alpha1.StringMatch) (m *networkingv1alpha3.StringMatch, ok bool) {
	switch {
	case s.Exact != nil:
		return &networkingv1alpha3.StringMatch{MatchType: &networkingv1alpha3.StringMatch_Exact{Exact: *s.Exact}}, true
	case s.Prefix != nil:
		return &networkingv1alpha3.StringMatch{MatchType: &networkingv1alpha3.StringMatch_Prefix{Prefix: *s.Prefix}}, true
	case s.Regex != nil:
		return &networkingv1alpha3.StringMatch{MatchType: &networkingv1alpha3.StringMatch_Regex{Regex: *s.Regex}}, true
	}
	return nil, false
}

// headerRoute is the managed route of a setHeaderRoute step: requests
// whose headers all match go to the canary.
func headerRoute(hr *rampv1alpha1.SetHeaderRoute, canary *networkingv1alpha3.Destination) (*networkingv1alpha3.HTTPRoute, error) {
	headers := make(map[string]*networkingv1alpha3.StringMatch, len(hr.Match))
	for i, hm := range hr.Match {
		if _, dup := headers[hm.HeaderName]; dup {
			return nil, fmt.Errorf("setHeaderRoute %q: match[%d] matches header %q again; Istio matches a header once per route", hr.Name, i, hm.HeaderName)
		}
		sm, ok := stringMatch(hm.HeaderValue)
		if !ok {
			return nil, fmt.Errorf("setHeaderRoute %q: match[%d].headerValue sets none of exact, prefix and regex", hr.Name, i)
		}
		headers[hm.HeaderName] = sm
	}
	return &networkingv1alpha3.HTTPRoute{
		Name:  trafficrouting.ManagedRouteName(hr.Name),
		Match: []*networkingv1alpha3.HTTPMatchRequest{{Headers: headers}},
		Route: []*networkingv1alpha3.HTTPRouteDestination{{Destination: canary, Weight: 100}},
	}, nil
}

// mirrorRoute is the managed route of a setMirrorRoute step: requests that
// match any entry go where the first selected route sends them (with its
// current weights), and percentage of them is copied to the canary.
func mirrorRoute(mr *rampv1alpha1.SetMirrorRoute, first *networkingv1alpha3.HTTPRoute, canary *networkingv1alpha3.Destination) (*networkingv1alpha3.HTTPRoute, error) {
	matches := make([]*networkingv1alpha3.HTTPMatchRequest, 0, len(mr.Match))
	for i, rm := range mr.Match {
		m := &networkingv1alpha3.HTTPMatchRequest{}
		var ok bool
		if rm.Method != nil {
			if m.Method, ok = stringMatch(*rm.Method); !ok {
				return nil, fmt.Errorf("setMirrorRoute %q: match[%d].method sets none of exact, prefix and regex", mr.Name, i)
			}
		}
		if rm.Path != nil {
			if m.Uri, ok = stringMatch(*rm.Path); !ok {
				return nil, fmt.Errorf("setMirrorRoute %q: match[%d].path sets none of exact, prefix and regex", mr.Name, i)
			}
		}
		for name, v := range rm.Headers {
			sm, ok := stringMatch(v)
			if !ok {
				return nil, fmt.Errorf("setMirrorRoute %q: match[%d].headers[%s] sets none of exact, prefix and regex", mr.Name, i, name)
			}
			if m.Headers == nil {
				m.Headers = make(map[string]*networkingv1alpha3.StringMatch, len(rm.Headers))
			}
			m.Headers[name] = sm
		}
		matches = append(matches, m)
	}
	percentage := int32(100)
	if mr.Percentage != nil {
		percentage = *mr.Percentage
	}
	route := make([]*networkingv1alpha3.HTTPRouteDestination, len(first.GetRoute()))
	for i, d := range first.GetRoute() {
		route[i] = d.DeepCopy()
	}
	return &networkingv1alpha3.HTTPRoute{
		Name:             trafficrouting.ManagedRouteName(mr.Name),
		Match:            matches,
		Route:            route,
		Mirror:           canary,
		MirrorPercentage: &networkingv1alpha3.Percent{Value: float64(percentage)},
	}, nil
}

// sameRoute reports whether two http routes say the same, comparing their
// JSON forms as values (so formatting and key order do not count).
func sameRoute(a, b *networkingv1alpha3.HTTPRoute) (bool, error) {
	var av, bv any
	for _, x := range []struct {
		r *networkingv1alpha3.HTTPRoute
		v *any
	}{{a, &av}, {b, &bv}} {
		data, err := x.r.MarshalJSON()
		if err != nil {
			return false, fmt.Errorf("encode http route %q: %w", x.r.GetName(), err)
		}
		if err := json.Unmarshal(data, x.v); err != nil {
			return false, fmt.Errorf("decode http route %q: %w", x.r.GetName(), err)
		}
	}
	return reflect.DeepEqual(av, bv), nil
}

// isMirror reports whether an http route mirrors requests.
func isMirror(r *networkingv1alpha3.HTTPRoute) bool {
	return r.GetMirror() != nil || len(r.GetMirrors()) > 0
}

// managedRank orders managed routes as trafficRouting.managedRoutes
// declares them; undeclared ones come after the declared ones.
func managedRank(declared []rampv1alpha1.ManagedRoute, r *networkingv1alpha3.HTTPRoute) int {
	i := slices.IndexFunc(declared, func(m rampv1alpha1.ManagedRoute) bool {
		return trafficrouting.ManagedRouteName(m.Name) == r.GetName()
	})
	if i < 0 {
		return len(declared)
	}
	return i
}

// putRouteOps returns the operations that make spec.http hold desired: none
// when the managed route of its name is there and says the same, a
// replacement of it in place when it differs (a header route that becomes
// a mirror route, say), otherwise an insertion at the top, after the
// managed routes that rank before it.
func putRouteOps(http []*networkingv1alpha3.HTTPRoute, desired *networkingv1alpha3.HTTPRoute, declared []rampv1alpha1.ManagedRoute) ([]op, error) {
	if i := slices.IndexFunc(http, func(r *networkingv1alpha3.HTTPRoute) bool { return r.GetName() == desired.GetName() }); i >= 0 {
		same, err := sameRoute(http[i], desired)
		if err != nil || same {
			return nil, err
		}
		return []op{{Op: "replace", Path: fmt.Sprintf("/spec/http/%d", i), Value: desired}}, nil
	}
	if len(http) == 0 {
		return []op{setOp("/spec/http", []*networkingv1alpha3.HTTPRoute{desired})}, nil
	}
	rank := managedRank(declared, desired)
	at := 0
	for at < len(http) && isManaged(http[at].GetName()) && managedRank(declared, http[at]) < rank {
		at++
	}
	return []op{{Op: "add", Path: fmt.Sprintf("/spec/http/%d", at), Value: desired}}, nil
}

// removeRouteOps returns the operations that remove the http routes drop
// selects, from the last so the indexes stay right.
func removeRouteOps(http []*networkingv1alpha3.HTTPRoute, drop func(r *networkingv1alpha3.HTTPRoute) bool) []op {
	var ops []op
	for i := len(http) - 1; i >= 0; i-- {
		if drop(http[i]) {
			ops = append(ops, op{Op: "remove", Path: fmt.Sprintf("/spec/http/%d", i)})
		}
	}
	return ops
}
