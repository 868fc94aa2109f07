package gatewayapi

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// httpMethods are the methods an HTTPRoute match can name.
var httpMethods = []gatewayv1.HTTPMethod{
	gatewayv1.HTTPMethodGet, gatewayv1.HTTPMethodHead, gatewayv1.HTTPMethodPost,
	gatewayv1.HTTPMethodPut, gatewayv1.HTTPMethodDelete, gatewayv1.HTTPMethodConnect,
	gatewayv1.HTTPMethodOptions, gatewayv1.HTTPMethodTrace, gatewayv1.HTTPMethodPatch,
}

// mirrorRules builds the rules of a mirror route for the HTTPRoute r: for
// each weighted rule, a copy of it (same filters, same backendRefs and
// weights) whose matches are its first match narrowed by each of the
// step's matches, with a RequestMirror filter to the canary Service on the
// port the rule uses for it. A step match that the rule's first match does
// not take (another method, a path outside its path, another condition on
// a header it matches) is left out of that rule's copy, and a rule left
// with no match is too: those requests do not go through that rule. One rule per weighted rule holds one match
// per step match: matches of a rule are alternatives, so this is the same
// as a rule per step match and spends fewer of the route's 16 rules.
func (rt *router) mirrorRules(r *route, ws []weighted, step *rampv1alpha1.SetMirrorRoute) ([]wantRule, error) {
	percent := ptr.Deref(step.Percentage, 100)
	out := make([]wantRule, 0, len(ws))
	for i, w := range ws {
		v, ok := r.rules[w.rule].value.(gatewayv1.HTTPRouteRule)
		if !ok {
			continue
		}
		base := gatewayv1.HTTPRouteMatch{}
		if len(v.Matches) > 0 {
			base = *v.Matches[0].DeepCopy()
		}
		ruleName := managedRuleName(step.Name, i)
		c := v.DeepCopy()
		c.Name = ptr.To(gatewayv1.SectionName(ruleName))
		c.Matches = make([]gatewayv1.HTTPRouteMatch, 0, len(step.Match))
		for j, m := range step.Match {
			narrowed, ok, err := narrow(base, m)
			if err != nil {
				return nil, r.routeError("setMirrorRoute %s: match[%d]: %v", step.Name, j, err)
			}
			if ok {
				c.Matches = append(c.Matches, narrowed)
			}
		}
		if len(c.Matches) == 0 {
			continue
		}
		canary := v.BackendRefs[w.canary]
		c.Filters = append(c.Filters, gatewayv1.HTTPRouteFilter{
			Type: gatewayv1.HTTPRouteFilterRequestMirror,
			RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{
				BackendRef: gatewayv1.BackendObjectReference{
					Name:      canary.Name,
					Namespace: canary.Namespace,
					Port:      canary.Port,
				},
				Percent: ptr.To(percent),
			},
		})
		out = append(out, wantRule{name: ruleName, value: withDefaults(*c)})
	}
	return out, nil
}

// narrow returns the rule's match base further restricted by the step's
// match m. ok is false when m would widen base (another method, a path
// outside base's, another condition on a header base matches): the rule
// does not carry those requests. An error is a step match Gateway API
// cannot express.
func narrow(base gatewayv1.HTTPRouteMatch, m rampv1alpha1.RouteMatch) (_ gatewayv1.HTTPRouteMatch, ok bool, err error) {
	out := *base.DeepCopy()
	within := true
	if m.Method != nil {
		if m.Method.Exact == nil || !slices.Contains(httpMethods, gatewayv1.HTTPMethod(*m.Method.Exact)) {
			return out, false, fmt.Errorf("method: Gateway API matches a method exactly; use exact with one of %v", httpMethods)
		}
		method := gatewayv1.HTTPMethod(*m.Method.Exact)
		within = out.Method == nil || *out.Method == method
		out.Method = &method
	}
	if m.Path != nil {
		path, err := toPathMatch(*m.Path)
		if err != nil {
			return out, false, err
		}
		within = within && pathWithin(out.Path, path)
		out.Path = &path
	}
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	slices.Sort(names) // a map's order is random: keep the rule the same call after call
	conds := make([]condition, 0, len(names))
	for _, name := range names {
		c, err := toCondition(name, m.Headers[name])
		if err != nil {
			return out, false, err
		}
		for _, prev := range conds {
			if strings.EqualFold(prev.name, c.name) {
				return out, false, fmt.Errorf("header %q is matched twice; combine the conditions in one regex", name)
			}
		}
		conds = append(conds, c)
	}
	headers, fits := withHTTPHeaders(out.Headers, conds)
	if !within || !fits {
		return out, false, nil
	}
	out.Headers = headers
	return out, true, nil
}

// toPathMatch turns a Ramp string match on the path into a Gateway API
// path match. A prefix becomes PathPrefix, which matches whole path
// elements: prefix /api takes /api and /api/v1, not /apiv1.
func toPathMatch(m rampv1alpha1.StringMatch) (gatewayv1.HTTPPathMatch, error) {
	switch {
	case m.Exact != nil:
		return gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchExact), Value: ptr.To(*m.Exact)}, nil
	case m.Prefix != nil:
		return gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(*m.Prefix)}, nil
	case m.Regex != nil:
		return gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchRegularExpression), Value: ptr.To(*m.Regex)}, nil
	}
	return gatewayv1.HTTPPathMatch{}, fmt.Errorf("path: set one of exact, prefix or regex")
}

// pathWithin reports whether every path step takes is also taken by rule
// (nil takes every path), as far as can be told without comparing regular
// expressions: only an equal match is within a regular expression or an
// exact path.
func pathWithin(rule *gatewayv1.HTTPPathMatch, step gatewayv1.HTTPPathMatch) bool {
	if rule == nil {
		return true
	}
	ruleType := ptr.Deref(rule.Type, gatewayv1.PathMatchPathPrefix)
	ruleValue := ptr.Deref(rule.Value, "/")
	if ruleType == *step.Type && ruleValue == *step.Value {
		return true
	}
	if ruleType != gatewayv1.PathMatchPathPrefix || *step.Type == gatewayv1.PathMatchRegularExpression {
		return false
	}
	prefix := strings.TrimSuffix(ruleValue, "/")
	return prefix == "" || *step.Value == prefix || strings.HasPrefix(*step.Value, prefix+"/")
}
