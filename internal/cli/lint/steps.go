package lint

import (
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkSteps checks that a canary's steps do what they seem to: no
// setWeight after the weight reached 100, no pause of zero, no managed
// route that is not declared, no step that needs a traffic router
// without one, no weight that goes down without a stated reason, and a
// background analysis that starts at a step that exists.
func (l *linter) checkSteps(p *plan) {
	c := p.strategy.Canary
	if c == nil {
		return
	}
	declared := map[string]bool{}
	var names []string
	hasRouter := false
	if tr := c.TrafficRouting; tr != nil {
		for _, r := range tr.ManagedRoutes {
			declared[r.Name] = true
			names = append(names, r.Name)
		}
		hasRouter = tr.GatewayAPI != nil || tr.Istio != nil
	}
	full := -1        // the step that set the weight to 100
	last := -1        // the last setWeight step
	rerouted := false // a header or mirror route changed since the last setWeight
	for i, step := range c.Steps {
		rel := "canary.steps[" + strconv.Itoa(i) + "]"
		switch {
		case step.SetWeight != nil:
			w := *step.SetWeight
			switch {
			case full >= 0:
				l.report(p.site(rel+".setWeight"), Error,
					"steps[%d] already sent all traffic to the canary: a later setWeight repeats it or takes traffic back from a canary that was fully live; remove this step or lower steps[%d].setWeight",
					full, full)
			case last >= 0 && w < *c.Steps[last].SetWeight && !rerouted && !l.commented(p, rel):
				l.report(p.site(rel+".setWeight"), Warning,
					"the weight goes down from %d (steps[%d]) to %d; if that is meant, say why in a comment on this step, else fix the order",
					*c.Steps[last].SetWeight, last, w)
			}
			if w == 100 && full < 0 {
				full = i
			}
			last, rerouted = i, false
		case step.Pause != nil:
			if zeroPause(step.Pause.Duration) {
				l.report(p.site(rel+".pause.duration"), Warning,
					"a pause of 0 does nothing: the rollout moves straight on; remove the step, give a duration such as 30s, or leave duration out to wait for kubectl ramp promote")
			}
		case step.SetHeaderRoute != nil:
			rerouted = true
			l.checkManagedRoute(p, rel+".setHeaderRoute", step.SetHeaderRoute.Name, declared, names, hasRouter)
		case step.SetMirrorRoute != nil:
			rerouted = true
			l.checkManagedRoute(p, rel+".setMirrorRoute", step.SetMirrorRoute.Name, declared, names, hasRouter)
		case step.SetCanaryScale != nil:
			if p.rollout && !hasRouter {
				l.needsRouter(p, rel+".setCanaryScale")
			}
		}
	}
	if a := c.Analysis; a != nil && a.StartingStep != nil && *a.StartingStep > 0 && int(*a.StartingStep) >= len(c.Steps) {
		site := p.site("canary.analysis.startingStep")
		if len(c.Steps) == 0 {
			l.report(site, Error, "is %d, but there are no steps: the background analysis would never run; remove startingStep", *a.StartingStep)
			return
		}
		l.report(site, Error,
			"is %d, but the steps end at index %d: the background analysis would never run; lower startingStep to the step it should start at",
			*a.StartingStep, len(c.Steps)-1)
	}
}

// checkManagedRoute checks a setHeaderRoute or setMirrorRoute step: its
// route is declared in managedRoutes, and (in a Rollout) a router adds it.
func (l *linter) checkManagedRoute(p *plan, rel, name string, declared map[string]bool, names []string, hasRouter bool) {
	if p.rollout && !hasRouter {
		l.needsRouter(p, rel)
		return
	}
	if !declared[name] {
		l.report(p.site(rel+".name"), Error,
			"route %q is not declared in spec.strategy.canary.trafficRouting.managedRoutes (declared: %s); declare it there or fix the name",
			name, describeList(names))
	}
}

// needsRouter reports a step of a Rollout that needs a traffic router
// when the Rollout has none: at the step when the Rollout writes it, else
// (the step is the profile's) at the Rollout's trafficRouting, which is
// what is missing.
func (l *linter) needsRouter(p *plan, rel string) {
	step := rel[strings.LastIndexByte(rel, '.')+1:]
	const fix = "needs spec.strategy.canary.trafficRouting with gatewayAPI or istio: without a traffic router the controller stalls the rollout"
	if s := p.site(rel); s.doc == p.owner {
		l.report(s, Error, "%s %s; add trafficRouting or remove the step", step, fix)
		return
	}
	l.report(p.ownerSite("spec.strategy.canary.trafficRouting"), Error, "%s of %s %q (%s) %s; add trafficRouting here",
		step, p.profile.gvk.Kind, p.profile.name, strings.TrimPrefix(rel, "canary."), fix)
}

// zeroPause reports whether a pause duration is written and zero.
func zeroPause(d *intstr.IntOrString) bool {
	if d == nil {
		return false
	}
	if d.Type == intstr.Int {
		return d.IntVal == 0
	}
	if n, err := strconv.Atoi(d.StrVal); err == nil {
		return n == 0
	}
	parsed, err := time.ParseDuration(d.StrVal)
	return err == nil && parsed == 0
}

// commented reports whether the step at rel carries a comment in the
// file: above it, beside it, or beside its setWeight. A comment is where a
// team says why a weight goes down.
func (l *linter) commented(p *plan, rel string) bool {
	s := p.site(rel)
	if s.doc == nil {
		return false
	}
	step := nodeAt(s.doc.node, s.path)
	if step == nil {
		return false
	}
	if step.HeadComment != "" || step.LineComment != "" {
		return true
	}
	for _, n := range step.Content {
		if n.HeadComment != "" || n.LineComment != "" {
			return true
		}
	}
	return false
}
