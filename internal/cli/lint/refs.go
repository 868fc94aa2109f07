package lint

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/runtime/schema"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// checkServices checks that the Services a Rollout's strategy names exist.
func (l *linter) checkServices(p *plan) error {
	var refs [][2]string
	if c := p.strategy.Canary; c != nil {
		refs = append(refs, [2]string{"canary.canaryService", c.CanaryService}, [2]string{"canary.stableService", c.StableService})
	}
	if bg := p.strategy.BlueGreen; bg != nil {
		refs = append(refs, [2]string{"blueGreen.activeService", bg.ActiveService}, [2]string{"blueGreen.previewService", bg.PreviewService})
	}
	for _, ref := range refs {
		if ref[1] == "" {
			continue
		}
		if _, err := l.require(p, ref[0], kindService, ref[1]); err != nil {
			return err
		}
	}
	return nil
}

// require looks up the object a strategy field names and reports it at
// the field when it is missing.
func (l *linter) require(p *plan, rel string, gvk schema.GroupVersionKind, name string) (*object, error) {
	o, err := l.index.lookup(l.ctx, gvk, p.namespace, name)
	if err != nil {
		return nil, err
	}
	if o == nil {
		l.report(p.site(rel), Error, "%s", l.index.notFound(gvk, p.namespace, name))
	}
	return o, nil
}

// checkRoutes checks that the routes a canary's trafficRouting names
// exist and carry both of its Services (or both DestinationRule subsets).
func (l *linter) checkRoutes(p *plan) error {
	c := p.strategy.Canary
	if c == nil || c.TrafficRouting == nil {
		return nil
	}
	tr := c.TrafficRouting
	if g := tr.GatewayAPI; g != nil {
		for _, group := range []struct {
			kind   schema.GroupVersionKind
			field  string
			routes []rampv1alpha1.GatewayAPIRoute
		}{
			{kindHTTPRoute, "canary.trafficRouting.gatewayAPI.httpRoutes", g.HTTPRoutes},
			{kindGRPCRoute, "canary.trafficRouting.gatewayAPI.grpcRoutes", g.GRPCRoutes},
		} {
			kind, field := group.kind, group.field
			for i, route := range group.routes {
				name := route.Name
				rel := field + "[" + strconv.Itoa(i) + "].name"
				o, err := l.require(p, rel, kind, name)
				if err != nil {
					return err
				}
				if o != nil && c.StableService != "" && c.CanaryService != "" {
					if msg := gatewayRouteProblem(o.content, c.StableService, c.CanaryService, p.namespace); msg != "" {
						l.report(p.site(rel), Error, "%s: %s", o.describe(kind, name), msg)
					}
				}
			}
		}
	}
	if is := tr.Istio; is != nil {
		m := destinationMatcher{stable: c.StableService, canary: c.CanaryService, namespace: p.namespace}
		if dr := is.DestinationRule; dr != nil {
			m = destinationMatcher{bySubset: true, stable: dr.StableSubsetName, canary: dr.CanarySubsetName}
			o, err := l.require(p, "canary.trafficRouting.istio.destinationRule.name", kindDestinationRule, dr.Name)
			if err != nil {
				return err
			}
			if o != nil {
				for _, s := range [][2]string{{"stableSubsetName", dr.StableSubsetName}, {"canarySubsetName", dr.CanarySubsetName}} {
					if !hasSubset(o.content, s[1]) {
						l.report(p.site("canary.trafficRouting.istio.destinationRule."+s[0]), Error,
							"%s: no subset is named %q; add it to spec.subsets or fix the name", o.describe(kindDestinationRule, dr.Name), s[1])
					}
				}
			}
		}
		for i, vs := range is.VirtualServices {
			rel := "canary.trafficRouting.istio.virtualServices[" + strconv.Itoa(i) + "]"
			o, err := l.require(p, rel+".name", kindVirtualService, vs.Name)
			if err != nil {
				return err
			}
			if o == nil || m.stable == "" || m.canary == "" || len(vs.TLSRoutes) > 0 || len(vs.TCPRoutes) > 0 {
				continue
			}
			for _, problem := range virtualServiceProblems(o.content, vs.Routes, m) {
				l.report(p.site(rel+problem.field), Error, "%s: %s", o.describe(kindVirtualService, vs.Name), problem.msg)
			}
		}
	}
	return nil
}

// gatewayRouteProblem says why a Gateway API route cannot carry the
// canary: no rule of its own lists both Services among its backendRefs.
// Empty when one does.
func gatewayRouteProblem(route map[string]any, stable, canary, ns string) string {
	lonely := ""
	for i, rule := range list(dig(route, "spec", "rules")) {
		if isManagedName(str(rule, "name")) {
			continue
		}
		var hasStable, hasCanary bool
		for _, ref := range list(dig(rule, "backendRefs")) {
			hasStable = hasStable || isServiceRef(ref, stable, ns)
			hasCanary = hasCanary || isServiceRef(ref, canary, ns)
		}
		switch {
		case hasStable && hasCanary:
			return ""
		case lonely == "" && hasStable:
			lonely = fmt.Sprintf(" (rule %d lists only %s: add %s to it)", i, stable, canary)
		case lonely == "" && hasCanary:
			lonely = fmt.Sprintf(" (rule %d lists only %s: add %s to it)", i, canary, stable)
		}
	}
	return fmt.Sprintf("no rule lists both Services %s (stable) and %s (canary) among its backendRefs%s; "+
		"add the missing one, the canary with weight 0", stable, canary, lonely)
}

// isServiceRef reports whether a backendRef points at the Service svc of
// namespace ns.
func isServiceRef(ref any, svc, ns string) bool {
	if g := str(ref, "group"); g != "" {
		return false
	}
	if k := str(ref, "kind"); k != "" && k != "Service" {
		return false
	}
	if n := str(ref, "namespace"); n != "" && n != ns {
		return false
	}
	return str(ref, "name") == svc
}

// isManagedName reports whether a rule or route name is one Ramp adds.
func isManagedName(name string) bool {
	prefix := trafficrouting.ManagedRouteName("")
	return len(name) >= len(prefix) && name[:len(prefix)] == prefix
}

// hasSubset reports whether a DestinationRule declares the subset.
func hasSubset(dr map[string]any, subset string) bool {
	for _, s := range list(dig(dr, "spec", "subsets")) {
		if str(s, "name") == subset {
			return true
		}
	}
	return false
}

// destinationMatcher tells the stable and canary destinations of a
// VirtualService apart: by host (the Services) or by DestinationRule
// subset.
type destinationMatcher struct {
	bySubset       bool
	stable, canary string
	namespace      string
}

// what names the kind of destination for messages.
func (m destinationMatcher) what() string {
	if m.bySubset {
		return "subset"
	}
	return "host"
}

// holds reports whether destination d is the stable or the canary one.
func (m destinationMatcher) holds(d any, want string) bool {
	if m.bySubset {
		return str(d, "subset") == want
	}
	switch str(d, "host") {
	case want, want + "." + m.namespace, want + "." + m.namespace + ".svc", want + "." + m.namespace + ".svc.cluster.local":
		return true
	}
	return false
}

// routeProblem is what is wrong with a route, and the field (relative to
// the route's entry in the Rollout) to report it at.
type routeProblem struct {
	field, msg string
}

// virtualServiceProblems says why a VirtualService cannot carry the
// canary: a route named in routes is missing or lacks a destination, or,
// with no routes named, it has not exactly one http route of the user's.
func virtualServiceProblems(vs map[string]any, routes []string, m destinationMatcher) []routeProblem {
	http := list(dig(vs, "spec", "http"))
	var names []string
	var own []int
	for i, r := range http {
		if n := str(r, "name"); !isManagedName(n) {
			own = append(own, i)
			if n != "" {
				names = append(names, n)
			}
		}
	}
	if len(routes) == 0 {
		switch len(own) {
		case 0:
			return []routeProblem{{".name", "it has no http route; add one with both destinations, the canary with weight 0"}}
		case 1:
			if msg := destinationProblem(http[own[0]], "its http route", m); msg != "" {
				return []routeProblem{{".name", msg}}
			}
			return nil
		}
		return []routeProblem{{".name", fmt.Sprintf("it has %d http routes (named %s); name the ones to weigh in routes", len(own), describeList(names))}}
	}
	var out []routeProblem
	for k, name := range routes {
		field := ".routes[" + strconv.Itoa(k) + "]"
		found := false
		for _, r := range http {
			if str(r, "name") != name {
				continue
			}
			found = true
			if msg := destinationProblem(r, fmt.Sprintf("its http route %q", name), m); msg != "" {
				out = append(out, routeProblem{field, msg})
			}
		}
		if !found {
			out = append(out, routeProblem{field, fmt.Sprintf("no http route is named %q (the named ones are %s); name the route in spec.http[].name or fix routes", name, describeList(names))})
		}
	}
	return out
}

// destinationProblem says which destination an http route lacks; empty
// when it has both.
func destinationProblem(route any, label string, m destinationMatcher) string {
	var hasStable, hasCanary bool
	for _, rd := range list(dig(route, "route")) {
		d := dig(rd, "destination")
		hasStable = hasStable || m.holds(d, m.stable)
		hasCanary = hasCanary || m.holds(d, m.canary)
	}
	switch {
	case !hasStable && !hasCanary:
		return fmt.Sprintf("%s has neither a destination with %s %s (stable) nor one with %s %s (canary); add both, the canary with weight 0",
			label, m.what(), m.stable, m.what(), m.canary)
	case !hasStable:
		return fmt.Sprintf("%s has no destination with %s %s (stable); add it", label, m.what(), m.stable)
	case !hasCanary:
		return fmt.Sprintf("%s has no destination with %s %s (canary); add it with weight 0", label, m.what(), m.canary)
	}
	return ""
}

// dig walks maps along keys; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// list returns v as a list, or nil.
func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// str returns the string at keys in v, or "".
func str(v any, keys ...string) string {
	s, _ := dig(v, keys...).(string)
	return s
}
