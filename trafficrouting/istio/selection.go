package istio

import (
	"fmt"
	"slices"
	"strings"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// This file decides, from the typed VirtualService alone, which routes
// carry the canary and where their stable and canary destinations are.

// role is what a destination is to the canary.
type role int

const (
	roleOther role = iota
	roleStable
	roleCanary
)

// matcher tells the stable and canary destinations apart: by host
// (Services) or, with a DestinationRule, by subset.
type matcher struct {
	// bySubset compares subsets instead of hosts.
	bySubset bool
	// stable and canary are the two Services, or the two subsets.
	stable, canary string
	// namespace resolves short host names.
	namespace string
}

// roleOf says whether d is the stable or the canary destination.
func (m matcher) roleOf(d *networkingv1alpha3.Destination) role {
	if d == nil {
		return roleOther
	}
	if m.bySubset {
		switch d.GetSubset() {
		case m.stable:
			return roleStable
		case m.canary:
			return roleCanary
		}
		return roleOther
	}
	switch {
	case hostNames(d.GetHost(), m.stable, m.namespace):
		return roleStable
	case hostNames(d.GetHost(), m.canary, m.namespace):
		return roleCanary
	}
	return roleOther
}

// describe names the destination of a role in messages.
func (m matcher) describe(r role) string {
	what, name := "host", m.stable
	if m.bySubset {
		what = "subset"
	}
	if r == roleCanary {
		name = m.canary
	}
	return fmt.Sprintf("%s %s", what, name)
}

// hostNames reports whether host names the Service svc of namespace ns.
func hostNames(host, svc, ns string) bool {
	switch host {
	case svc, svc + "." + ns, svc + "." + ns + ".svc", svc + "." + ns + ".svc.cluster.local":
		return true
	}
	return false
}

// routeKind is the list of spec a route is in.
type routeKind string

const (
	kindHTTP routeKind = "http"
	kindTLS  routeKind = "tls"
	kindTCP  routeKind = "tcp"
)

// split is a route that carries both destinations.
type split struct {
	// kind and index place the route in spec.http, spec.tls or spec.tcp.
	kind  routeKind
	index int
	// label names the route in messages.
	label string
	// stable and canary are the indexes of the two destinations in the
	// route's route list.
	stable, canary int
	// stableWeight and canaryWeight are their weights as read.
	stableWeight, canaryWeight int32
}

// path is the JSON pointer of the route.
func (s split) path() string {
	return fmt.Sprintf("/spec/%s/%d", s.kind, s.index)
}

// routeLabel names a route in messages: by name when it has one.
func routeLabel(kind routeKind, index int, name string) string {
	if name != "" {
		return fmt.Sprintf("%s route %q", kind, name)
	}
	return fmt.Sprintf("spec.%s[%d]", kind, index)
}

// findSplit locates the stable and canary destinations among dests (with
// their weights), or says what is missing.
func findSplit(kind routeKind, index int, label string, dests []*networkingv1alpha3.Destination, weights []int32, m matcher) (split, string) {
	s := split{kind: kind, index: index, label: label, stable: -1, canary: -1}
	for i, d := range dests {
		switch m.roleOf(d) {
		case roleStable:
			if s.stable >= 0 {
				return split{}, fmt.Sprintf("%s has more than one destination with %s (stable); keep one", label, m.describe(roleStable))
			}
			s.stable, s.stableWeight = i, weights[i]
		case roleCanary:
			if s.canary >= 0 {
				return split{}, fmt.Sprintf("%s has more than one destination with %s (canary); keep one", label, m.describe(roleCanary))
			}
			s.canary, s.canaryWeight = i, weights[i]
		}
	}
	switch {
	case s.stable < 0 && s.canary < 0:
		return split{}, fmt.Sprintf("%s has neither a destination with %s (stable) nor one with %s (canary); add both, the canary with weight 0",
			label, m.describe(roleStable), m.describe(roleCanary))
	case s.stable < 0:
		return split{}, fmt.Sprintf("%s has no destination with %s (stable) beside the canary one; add it", label, m.describe(roleStable))
	case s.canary < 0:
		return split{}, fmt.Sprintf("%s has no destination with %s (canary) beside the stable one; add it with weight 0", label, m.describe(roleCanary))
	}
	return s, ""
}

// httpSplit finds the split of http route i.
func httpSplit(i int, r *networkingv1alpha3.HTTPRoute, m matcher) (split, string) {
	dests := make([]*networkingv1alpha3.Destination, len(r.GetRoute()))
	weights := make([]int32, len(r.GetRoute()))
	for j, d := range r.GetRoute() {
		dests[j], weights[j] = d.GetDestination(), d.GetWeight()
	}
	return findSplit(kindHTTP, i, routeLabel(kindHTTP, i, r.GetName()), dests, weights, m)
}

// l4Split finds the split of tls or tcp route i, whose destinations are route.
func l4Split(kind routeKind, i int, route []*networkingv1alpha3.RouteDestination, m matcher) (split, string) {
	dests := make([]*networkingv1alpha3.Destination, len(route))
	weights := make([]int32, len(route))
	for j, d := range route {
		dests[j], weights[j] = d.GetDestination(), d.GetWeight()
	}
	return findSplit(kind, i, routeLabel(kind, i, ""), dests, weights, m)
}

// isManaged reports whether an http route is one Ramp added.
func isManaged(name string) bool {
	return strings.HasPrefix(name, trafficrouting.ManagedRouteName(""))
}

// routesField is where the selection is written in a Rollout, for messages.
const routesField = "spec.strategy.canary.trafficRouting.istio.virtualServices[].routes"

// selectRoutes returns the routes of vs that sel selects, each with both
// destinations, or a message saying what is wrong and how to fix it.
func selectRoutes(vs *networkingv1alpha3.VirtualService, sel rampv1alpha1.IstioVirtualService, m matcher) ([]split, string) {
	var out []split
	add := func(s split) {
		if !slices.ContainsFunc(out, func(o split) bool { return o.kind == s.kind && o.index == s.index }) {
			out = append(out, s)
		}
	}
	http := vs.GetHttp()
	switch {
	case len(sel.Routes) > 0:
		for _, name := range sel.Routes {
			found := false
			for i, r := range http {
				if r.GetName() != name {
					continue
				}
				found = true
				s, msg := httpSplit(i, r, m)
				if msg != "" {
					return nil, msg
				}
				add(s)
			}
			if !found {
				return nil, fmt.Sprintf("no http route is named %q (%s); name it in spec.http[].name or fix %s",
					name, httpNames(http), routesField)
			}
		}
	case len(sel.TLSRoutes) == 0 && len(sel.TCPRoutes) == 0:
		var user []int
		for i, r := range http {
			if !isManaged(r.GetName()) {
				user = append(user, i)
			}
		}
		switch len(user) {
		case 0:
			return nil, "has no http route; add one with both destinations, or select tls or tcp routes with tlsRoutes or tcpRoutes"
		case 1:
		default:
			return nil, fmt.Sprintf("has %d http routes (%s); name the ones to weigh in %s", len(user), httpNames(http), routesField)
		}
		s, msg := httpSplit(user[0], http[user[0]], m)
		if msg != "" {
			return nil, msg
		}
		add(s)
	}
	for k, tsel := range sel.TLSRoutes {
		if tsel.Port == 0 && len(tsel.SNIHosts) == 0 {
			return nil, fmt.Sprintf("tlsRoutes[%d] sets neither port nor sniHosts; set one to select a tls route", k)
		}
		found := false
		for i, r := range vs.GetTls() {
			if !tlsSelected(r, tsel) {
				continue
			}
			found = true
			s, msg := l4Split(kindTLS, i, r.GetRoute(), m)
			if msg != "" {
				return nil, msg
			}
			add(s)
		}
		if !found {
			return nil, fmt.Sprintf("no tls route matches port %d and sniHosts %v (tlsRoutes[%d]); fix the selection or spec.tls[].match",
				tsel.Port, tsel.SNIHosts, k)
		}
	}
	for k, tsel := range sel.TCPRoutes {
		found := false
		for i, r := range vs.GetTcp() {
			if !tcpSelected(r, tsel) {
				continue
			}
			found = true
			s, msg := l4Split(kindTCP, i, r.GetRoute(), m)
			if msg != "" {
				return nil, msg
			}
			add(s)
		}
		if !found {
			return nil, fmt.Sprintf("no tcp route matches port %d (tcpRoutes[%d]); fix the selection or spec.tcp[].match", tsel.Port, k)
		}
	}
	return out, ""
}

// managedSplits returns the managed http routes that carry both
// destinations (mirror routes), which follow the selected routes' weights.
func managedSplits(vs *networkingv1alpha3.VirtualService, m matcher) []split {
	var out []split
	for i, r := range vs.GetHttp() {
		if !isManaged(r.GetName()) {
			continue
		}
		if s, msg := httpSplit(i, r, m); msg == "" {
			out = append(out, s)
		}
	}
	return out
}

// httpNames lists the names of the http routes for messages.
func httpNames(http []*networkingv1alpha3.HTTPRoute) string {
	var names []string
	for _, r := range http {
		if r.GetName() != "" && !isManaged(r.GetName()) {
			names = append(names, fmt.Sprintf("%q", r.GetName()))
		}
	}
	if len(names) == 0 {
		return "no http route has a name"
	}
	return "the http routes are " + strings.Join(names, ", ")
}

// tlsSelected reports whether one of r's matches has sel's port (when set)
// and all of sel's SNI hosts.
func tlsSelected(r *networkingv1alpha3.TLSRoute, sel rampv1alpha1.IstioTLSRoute) bool {
	for _, m := range r.GetMatch() {
		if sel.Port != 0 && m.GetPort() != uint32(sel.Port) {
			continue
		}
		hosts := m.GetSniHosts()
		if !slices.ContainsFunc(sel.SNIHosts, func(h string) bool { return !slices.Contains(hosts, h) }) {
			return true
		}
	}
	return false
}

// tcpSelected reports whether one of r's matches has sel's port; without a
// port, sel selects the routes that match any port.
func tcpSelected(r *networkingv1alpha3.TCPRoute, sel rampv1alpha1.IstioTCPRoute) bool {
	if sel.Port == 0 {
		return !slices.ContainsFunc(r.GetMatch(), func(m *networkingv1alpha3.L4MatchAttributes) bool { return m.GetPort() != 0 })
	}
	return slices.ContainsFunc(r.GetMatch(), func(m *networkingv1alpha3.L4MatchAttributes) bool { return m.GetPort() == uint32(sel.Port) })
}
