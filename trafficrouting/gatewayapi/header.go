package gatewayapi

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// condition is one header condition in Gateway API's terms: an exact value
// or an RE2 regular expression.
type condition struct {
	name  string
	regex bool
	value string
}

// toCondition turns a Ramp string match on a header into a Gateway API
// condition: a prefix becomes the regular expression ^<quoted prefix>.*,
// as Gateway API has no prefix match for headers.
func toCondition(header string, m rampv1alpha1.StringMatch) (condition, error) {
	switch {
	case m.Exact != nil:
		return condition{name: header, value: *m.Exact}, nil
	case m.Prefix != nil:
		return condition{name: header, regex: true, value: "^" + regexp.QuoteMeta(*m.Prefix) + ".*"}, nil
	case m.Regex != nil:
		return condition{name: header, regex: true, value: *m.Regex}, nil
	}
	return condition{}, fmt.Errorf("header %q: set one of exact, prefix or regex", header)
}

// headerConditions converts a setHeaderRoute step's match.
func headerConditions(route string, match []rampv1alpha1.HeaderRoutingMatch) ([]condition, error) {
	conds := make([]condition, 0, len(match))
	for i, m := range match {
		c, err := toCondition(m.HeaderName, m.HeaderValue)
		if err != nil {
			return nil, fmt.Errorf("setHeaderRoute %s: match[%d]: %w", route, i, err)
		}
		for _, prev := range conds {
			if strings.EqualFold(prev.name, c.name) {
				return nil, fmt.Errorf("setHeaderRoute %s: match[%d]: header %q is already matched; "+
					"Gateway API takes one condition per header, so combine them in one regex", route, i, m.HeaderName)
			}
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// headerRules builds the rules of a header route for r: for each weighted
// rule, a copy of it that also requires the conditions and sends to the
// canary backendRef alone. Copying the rule's filters, timeouts and retry
// keeps what the user's rule does to a request (rewrites, header changes,
// authentication) for the requests this rule takes. A match of the rule
// that requires one of the headers with another condition takes none of
// the requests the step asks for, and is left out (and a rule left with no
// match is too).
func (rt *router) headerRules(r *route, ws []weighted, name string, conds []condition) []wantRule {
	out := make([]wantRule, 0, len(ws))
	for i, w := range ws {
		ruleName := managedRuleName(name, i)
		var rule any
		switch v := r.rules[w.rule].value.(type) {
		case gatewayv1.HTTPRouteRule:
			c := v.DeepCopy()
			c.Name = ptr.To(gatewayv1.SectionName(ruleName))
			if len(c.Matches) == 0 {
				c.Matches = []gatewayv1.HTTPRouteMatch{{}}
			}
			matches := c.Matches[:0]
			for _, m := range c.Matches {
				if headers, ok := withHTTPHeaders(m.Headers, conds); ok {
					m.Headers = headers
					matches = append(matches, m)
				}
			}
			if len(matches) == 0 {
				continue
			}
			c.Matches = matches
			canary := *v.BackendRefs[w.canary].DeepCopy()
			canary.Weight = ptr.To[int32](1)
			c.BackendRefs = []gatewayv1.HTTPBackendRef{canary}
			rule = *c
		case gatewayv1.GRPCRouteRule:
			c := v.DeepCopy()
			c.Name = ptr.To(gatewayv1.SectionName(ruleName))
			if len(c.Matches) == 0 {
				c.Matches = []gatewayv1.GRPCRouteMatch{{}}
			}
			matches := c.Matches[:0]
			for _, m := range c.Matches {
				if headers, ok := withGRPCHeaders(m.Headers, conds); ok {
					m.Headers = headers
					matches = append(matches, m)
				}
			}
			if len(matches) == 0 {
				continue
			}
			c.Matches = matches
			canary := *v.BackendRefs[w.canary].DeepCopy()
			canary.Weight = ptr.To[int32](1)
			c.BackendRefs = []gatewayv1.GRPCBackendRef{canary}
			rule = *c
		}
		out = append(out, wantRule{name: ruleName, value: withDefaults(rule)})
	}
	return out
}

// withHTTPHeaders adds the conditions to a match's header conditions. ok
// is false when the match already requires one of the headers with
// another condition: no request the match takes has the header as the
// step asks (Gateway API keeps one condition per header).
func withHTTPHeaders(have []gatewayv1.HTTPHeaderMatch, conds []condition) (_ []gatewayv1.HTTPHeaderMatch, ok bool) {
	out := slices.Clone(have)
	for _, c := range conds {
		typ := gatewayv1.HeaderMatchExact
		if c.regex {
			typ = gatewayv1.HeaderMatchRegularExpression
		}
		i := slices.IndexFunc(have, func(h gatewayv1.HTTPHeaderMatch) bool { return strings.EqualFold(string(h.Name), c.name) })
		switch {
		case i < 0:
			out = append(out, gatewayv1.HTTPHeaderMatch{Type: ptr.To(typ), Name: gatewayv1.HTTPHeaderName(c.name), Value: c.value})
		case ptr.Deref(have[i].Type, gatewayv1.HeaderMatchExact) != typ || have[i].Value != c.value:
			return nil, false
		}
	}
	return out, true
}

// withGRPCHeaders is withHTTPHeaders for a GRPCRoute match.
func withGRPCHeaders(have []gatewayv1.GRPCHeaderMatch, conds []condition) (_ []gatewayv1.GRPCHeaderMatch, ok bool) {
	out := slices.Clone(have)
	for _, c := range conds {
		typ := gatewayv1.GRPCHeaderMatchExact
		if c.regex {
			typ = gatewayv1.GRPCHeaderMatchRegularExpression
		}
		i := slices.IndexFunc(have, func(h gatewayv1.GRPCHeaderMatch) bool { return strings.EqualFold(string(h.Name), c.name) })
		switch {
		case i < 0:
			out = append(out, gatewayv1.GRPCHeaderMatch{Type: ptr.To(typ), Name: gatewayv1.GRPCHeaderName(c.name), Value: c.value})
		case ptr.Deref(have[i].Type, gatewayv1.GRPCHeaderMatchExact) != typ || have[i].Value != c.value:
			return nil, false
		}
	}
	return out, true
}
