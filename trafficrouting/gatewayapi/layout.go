package gatewayapi

import (
	"strconv"
	"strings"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// Gateway API's limits on a route's rules (HTTPRoute and GRPCRoute alike).
const (
	maxRules   = 16
	maxMatches = 128
)

// managedPrefix starts the name of every rule Ramp adds.
var managedPrefix = trafficrouting.ManagedRouteName("")

// isManaged reports whether a rule's name marks it as Ramp's.
func isManaged(ruleName string) bool {
	return strings.HasPrefix(ruleName, managedPrefix)
}

// managedRuleName names the rule the managed route name adds for the
// weighted rule i (i counts the weighted rules, not all rules, so the name
// does not change when rules are added before it).
func managedRuleName(name string, i int) string {
	return trafficrouting.ManagedRouteName(name) + "-" + strconv.Itoa(i)
}

// ownerOf returns the managed route a managed rule belongs to: its name
// less the prefix and the "-<index>" suffix. ok is false for a rule whose
// name has no such suffix.
func ownerOf(ruleName string) (owner string, ok bool) {
	rest := strings.TrimPrefix(ruleName, managedPrefix)
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 || i == len(rest)-1 {
		return "", false
	}
	for _, c := range rest[i+1:] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return rest[:i], true
}

// wantRule is a managed rule as it should be.
type wantRule struct {
	name string
	// value is the gatewayv1.HTTPRouteRule or gatewayv1.GRPCRouteRule.
	value any
}

// desiredManaged lists the managed rules route r should start with when
// the managed route name has the rules set (none removes it) and every
// other managed route keeps the rules it has: grouped by managed route in
// the order of declared, then the managed routes not declared, in the
// order they are found.
func desiredManaged(r *route, declared []rampv1alpha1.ManagedRoute, name string, set []wantRule) []wantRule {
	groups := map[string][]wantRule{}
	var order []string
	seen := map[string]bool{}
	addGroup := func(key string) {
		if !seen[key] {
			seen[key] = true
			order = append(order, key)
		}
	}
	for _, d := range declared {
		addGroup(d.Name)
	}
	addGroup(name)
	for _, rule := range r.rules {
		if !isManaged(rule.name) {
			continue
		}
		key, ok := ownerOf(rule.name)
		if !ok {
			// Not a name Ramp gives: a group of its own, kept where it is
			// among the managed rules until RemoveManagedRoutes.
			key = "\x00" + rule.name
		}
		addGroup(key)
		groups[key] = append(groups[key], wantRule{name: rule.name, value: rule.value})
	}
	groups[name] = set
	var out []wantRule
	for _, key := range order {
		out = append(out, groups[key]...)
	}
	return out
}

// layoutOps returns the operations that make r's rules the managed rules
// want followed by the user's rules, in their order (the user's rules are
// never moved or rewritten). A managed rule already in place and as
// wanted is kept; the others are removed (last first, so that the indexes
// of the earlier ones hold), then the missing ones are added at their
// final index, first first.
func layoutOps(r *route, want []wantRule) []patchOp {
	kept := make([]bool, len(want))
	var removes []int
	next := 0
	afterUser := false
	for i, rule := range r.rules {
		if !isManaged(rule.name) {
			afterUser = true
			continue
		}
		keep := false
		if !afterUser {
			for q := next; q < len(want); q++ {
				if want[q].name == rule.name && sameRule(want[q].value, rule.value) {
					kept[q], next, keep = true, q+1, true
					break
				}
			}
		}
		if !keep {
			removes = append(removes, i)
		}
	}
	var ops []patchOp
	for k := len(removes) - 1; k >= 0; k-- {
		ops = append(ops, patchOp{Op: "remove", Path: rulePath(removes[k])})
	}
	for q, w := range want {
		if !kept[q] {
			ops = append(ops, patchOp{Op: "add", Path: rulePath(q), Value: w.value})
		}
	}
	return ops
}

// checkLimits returns a RouteError when r would hold more rules or
// matches than Gateway API allows once its managed rules are want.
func checkLimits(r *route, want []wantRule) error {
	users, matches := 0, 0
	for _, rule := range r.rules {
		if !isManaged(rule.name) {
			users++
			matches += rule.matches
		}
	}
	for _, w := range want {
		matches += matchCount(w.value)
	}
	if total := users + len(want); total > maxRules {
		return r.routeError("adding Ramp's managed rules would make %d rules (%d of its own, %d managed), "+
			"but a %s holds at most %d; merge some of its rules, or set useHeaderRoutes: false for it in %s",
			total, users, len(want), r.kind, maxRules, r.specField())
	}
	if matches > maxMatches {
		return r.routeError("adding Ramp's managed rules would make %d matches in its rules, "+
			"but a %s holds at most %d; use fewer matches in its weighted rules or in the step's match, "+
			"or set useHeaderRoutes: false for it in %s", matches, r.kind, maxMatches, r.specField())
	}
	return nil
}
