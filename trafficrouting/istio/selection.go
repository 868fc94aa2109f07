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
	roleBaseline
)

// String names the role in messages.
func (r role) String() string {
	switch r {
	case roleStable:
		return "stable"
	case roleCanary:
		return "canary"
	case roleBaseline:
		return "baseline"
	}
	return "other"
}

// matcher tells the stable, canary and baseline destinations apart: by
// host (Services) or, with a DestinationRule, by subset.
type matcher struct {
	// bySubset compares subsets instead of hosts.
	bySubset bool
	// stable and canary are the two Services, or the two subsets.
	stable, canary string
	// baseline is the baseline Service, or subset, that every selected
	// route must list too; "" when the Rollout has no baselineService.
	baseline string
	// namespace resolves short host names.
	namespace string
}

// roleOf says whether d is the stable, the canary or the baseline
// destination.
func (m matcher) roleOf(d *networkingv1alpha3.Destination) role {
	if d == nil {
		return roleOther
	}
	roles := []role{roleStable, roleCanary}
	if m.baseline != "" {
		roles = append(roles, roleBaseline)
	}
	for _, r := range roles {
		name := m.name(r)
		if m.bySubset && d.GetSubset() == name || !m.bySubset && hostNames(d.GetHost(), name, m.namespace) {
			return r
		}
	}
	return roleOther
}

// name is the Service, or subset, of a role ("" for roleOther, and for
// roleBaseline without a baseline).
func (m matcher) name(r role) string {
	switch r {
	case roleStable:
		return m.stable
	case roleCanary:
		return m.canary
	case roleBaseline:
		return m.baseline
	}
	return ""
}

// describe names the destination of a role in messages.
func (m matcher) describe(r role) string {
	what := "host"
	if m.bySubset {
		what = "subset"
	}
	return fmt.Sprintf("%s %s", what, m.name(r))
}

// sameService reports whether two hosts name the same Service of
// namespace ns (or are the same host).
func sameService(a, b, ns string) bool {
	svc, _, _ := strings.Cut(a, ".")
	return a == b || hostNames(a, svc, ns) && hostNames(b, svc, ns)
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

// split is a route that carries both destinations (and maybe the
// baseline's).
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
	// hasBaseline is whether the route lists the baseline destination,
	// at index baseline with weight baselineWeight.
	hasBaseline    bool
	baseline       int
	baselineWeight int32
	// noBaseline, when the matcher has a baseline the route does not
	// list, says what to add (selected routes must list it).
	noBaseline string
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
// their weights), and the baseline one when m has one, or says what is
// wrong. A route without the baseline destination is a split all the
// same, whose noBaseline says what is missing.
func findSplit(kind routeKind, index int, label string, dests []*networkingv1alpha3.Destination, weights []int32, m matcher) (split, string) {
	at := [...]int{roleOther: -1, roleStable: -1, roleCanary: -1, roleBaseline: -1}
	var weight [len(at)]int32
	for i, d := range dests {
		r := m.roleOf(d)
		if r == roleOther {
			continue
		}
		if at[r] >= 0 {
			return split{}, fmt.Sprintf("%s has more than one destination with %s (%s); keep one", label, m.describe(r), r)
		}
		at[r], weight[r] = i, weights[i]
	}
	s := split{kind: kind, index: index, label: label,
		stable: at[roleStable], canary: at[roleCanary], stableWeight: weight[roleStable], canaryWeight: weight[roleCanary],
		hasBaseline: at[roleBaseline] >= 0, baseline: at[roleBaseline], baselineWeight: weight[roleBaseline]}
	switch {
	case s.stable < 0 && s.canary < 0:
		return split{}, fmt.Sprintf("%s has neither a destination with %s (stable) nor one with %s (canary); add both, the canary with weight 0",
			label, m.describe(roleStable), m.describe(roleCanary))
	case s.stable < 0:
		return split{}, fmt.Sprintf("%s has no destination with %s (stable) beside the canary one; add it", label, m.describe(roleStable))
	case s.canary < 0:
		return split{}, fmt.Sprintf("%s has no destination with %s (canary) beside the stable one; add it with weight 0", label, m.describe(roleCanary))
	}
	stableHost := dests[s.stable].GetHost()
	switch {
	case m.baseline == "":
	case !s.hasBaseline:
		what := "host " + m.baseline
		if m.bySubset {
			what = fmt.Sprintf("host %s and subset %s", stableHost, m.baseline)
		}
		s.noBaseline = fmt.Sprintf("%s lists %s (stable) and %s (canary) but not %s (baseline); add a destination with %s, weight 0",
			label, m.describe(roleStable), m.describe(roleCanary), m.describe(roleBaseline), what)
	case m.bySubset && !sameService(dests[s.baseline].GetHost(), stableHost, m.namespace):
		return split{}, fmt.Sprintf("%s sends %s (baseline) to host %s, not to host %s like %s (stable); use host %s for it",
			label, m.describe(roleBaseline), dests[s.baseline].GetHost(), stableHost, m.describe(roleStable), stableHost)
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
// destinations (and the baseline's, when m has one), or a message saying
// what is wrong and how to fix it.
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
	for _, s := range out {
		if s.noBaseline != "" {
			return nil, s.noBaseline
		}
	}
	return out, ""
}

// managedSplits returns the managed http routes that carry both
// destinations (mirror routes), which follow the selected routes' weights;
// they need not list the baseline destination.
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
