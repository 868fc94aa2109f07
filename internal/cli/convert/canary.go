package convert

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// antiAffinityDropped is the warning for antiAffinity, in both strategies.
const antiAffinityDropped = "Ramp adds no anti-affinity between versions; dropped (write podAntiAffinity in spec.template.spec.affinity if you need it)"

// canary converts strategy.canary. Traffic routing is converted first, as
// the steps that need a router are dropped when none is left.
func (c *converter) canary(o *object, namespace string) *rampv1alpha1.CanaryStrategy {
	s := &rampv1alpha1.CanaryStrategy{}
	o.decode("canaryService", &s.CanaryService)
	o.decode("stableService", &s.StableService)
	if tr := o.child("trafficRouting"); tr != nil {
		s.TrafficRouting = c.trafficRouting(tr, namespace)
	}
	stepIndex := c.steps(o, s)
	o.decode("maxSurge", &s.MaxSurge)
	o.decode("maxUnavailable", &s.MaxUnavailable)
	if a := o.child("analysis"); a != nil {
		s.Analysis = c.backgroundAnalysis(a, stepIndex)
	}
	o.decode("dynamicStableScale", &s.DynamicStableScale)
	o.decode("scaleDownDelaySeconds", &s.ScaleDownDelaySeconds)
	o.decode("abortScaleDownDelaySeconds", &s.AbortScaleDownDelaySeconds)
	o.decode("canaryMetadata", &s.CanaryMetadata)
	o.decode("stableMetadata", &s.StableMetadata)
	o.drop("antiAffinity", antiAffinityDropped)
	o.drop("scaleDownDelayRevisionLimit", "Ramp scales every older ReplicaSet down once scaleDownDelaySeconds pass; dropped")
	o.drop("pingPong", "Ramp switches the selectors of canaryService and stableService and has no ping-pong Services; dropped")
	o.drop("minPodsPerReplicaSet", "Ramp sizes each version by its weight alone; dropped")
	o.done()
	if s.TrafficRouting != nil {
		for _, f := range []struct{ name, value string }{{"canaryService", s.CanaryService}, {"stableService", s.StableService}} {
			if f.value == "" {
				c.fail(o.at.key(f.name), "Ramp's trafficRouting needs both canaryService and stableService; add a Service that selects the rollout's pods and name it here")
			}
		}
	}
	return s
}

// stepKinds are the fields of an Argo Rollouts canary step.
var stepKinds = []string{"setWeight", "pause", "analysis", "setCanaryScale", "setHeaderRoute", "setMirrorRoute", "experiment", "plugin"}

// steps converts strategy.canary.steps. Steps Ramp lacks are dropped, so
// it returns the function that maps an Argo step index to the index of
// the same step, or of the next kept one, among the converted steps.
func (c *converter) steps(o *object, s *rampv1alpha1.CanaryStrategy) func(int32) int32 {
	items := o.items("steps")
	newIndex := make([]int32, len(items))
	for i, item := range items {
		newIndex[i] = int32(len(s.Steps))
		step, ok := c.step(item, s.TrafficRouting)
		if !ok {
			continue
		}
		if int(newIndex[i]) != i {
			c.moved(o.at.key("steps").index(len(s.Steps)), item.at)
		}
		s.Steps = append(s.Steps, step)
	}
	return func(i int32) int32 {
		if i < 0 || int(i) >= len(newIndex) {
			return int32(len(s.Steps))
		}
		return newIndex[i]
	}
}

// step converts one canary step; ok is false when it is dropped.
func (c *converter) step(o *object, routing *rampv1alpha1.RolloutTrafficRouting) (step rampv1alpha1.CanaryStep, ok bool) {
	var kinds []string
	for _, k := range o.keys() {
		if slices.Contains(stepKinds, k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) > 1 {
		c.fail(o.at, "a step sets one of %s, not several (%s)", strings.Join(stepKinds, ", "), strings.Join(kinds, ", "))
		return step, false
	}
	defer o.done()
	if len(kinds) == 0 {
		if len(o.m) == 0 {
			c.warn(o.at, "an empty step does nothing; dropped")
		}
		return step, false
	}
	kind := kinds[0]
	at := o.at.key(kind)
	switch kind {
	case "setWeight":
		if o.decode(kind, &step.SetWeight) && step.SetWeight != nil {
			step.SetWeight = c.weight(at, *step.SetWeight)
		}
		return step, step.SetWeight != nil
	case "pause":
		if p := o.child(kind); p != nil {
			step.Pause = c.pause(p)
		} else {
			step.Pause = &rampv1alpha1.RolloutPause{}
		}
		return step, true
	case "analysis":
		if a := o.child(kind); a != nil {
			step.Analysis = c.rolloutAnalysis(a)
		}
		return step, step.Analysis != nil
	case "setCanaryScale":
		if sc := o.child(kind); sc != nil {
			step.SetCanaryScale = c.setCanaryScale(sc, routing)
		}
		return step, step.SetCanaryScale != nil
	case "setHeaderRoute", "setMirrorRoute":
		return c.routeStep(o, kind, routing)
	case "experiment":
		o.drop(kind, "Ramp runs no experiments; step dropped (to compare the canary with fresh pods of the stable version, set strategy.canary.baseline and use a judge metric)")
	case "plugin":
		o.drop(kind, "Ramp has no step plugins; step dropped")
	}
	return step, false
}

// weight converts a setWeight, scaled to a percentage when Argo
// Rollouts' maxTrafficWeight was set.
func (c *converter) weight(at path, w int32) *int32 {
	max := int64(100)
	if c.maxWeight != 0 {
		max = int64(c.maxWeight)
	}
	if w < 0 || int64(w) > max {
		c.fail(at, "must be from 0 to %d, not %d", max, w)
		return &w
	}
	if max == 100 {
		return &w
	}
	scaled := int32((int64(w)*100 + max/2) / max)
	if int64(scaled)*max != int64(w)*100 {
		c.warn(at, "%d of %d is not a whole percentage; rounded to %d", w, max, scaled)
	}
	return &scaled
}

// routeStep converts a setHeaderRoute or setMirrorRoute step. Both need a
// traffic router and a route declared in managedRoutes.
func (c *converter) routeStep(o *object, kind string, routing *rampv1alpha1.RolloutTrafficRouting) (step rampv1alpha1.CanaryStep, ok bool) {
	at := o.at.key(kind)
	if routing == nil {
		o.drop(kind, "needs trafficRouting, and the Rollout has none that Ramp supports; step dropped")
		return step, false
	}
	var name string
	if kind == "setHeaderRoute" {
		ok = o.decode(kind, &step.SetHeaderRoute) && step.SetHeaderRoute != nil
		if ok {
			name = step.SetHeaderRoute.Name
		}
	} else {
		ok = o.decode(kind, &step.SetMirrorRoute) && step.SetMirrorRoute != nil
		if ok {
			name = step.SetMirrorRoute.Name
		}
	}
	if ok && !slices.ContainsFunc(routing.ManagedRoutes, func(r rampv1alpha1.ManagedRoute) bool { return r.Name == name }) {
		c.fail(at.key("name"), "route %q is not declared in trafficRouting.managedRoutes; add it there", name)
	}
	return step, ok
}

// setCanaryScale converts a setCanaryScale step, keeping the one form
// Argo Rollouts would act on.
func (c *converter) setCanaryScale(o *object, routing *rampv1alpha1.RolloutTrafficRouting) *rampv1alpha1.SetCanaryScale {
	sc := &rampv1alpha1.SetCanaryScale{}
	for k := range o.m {
		o.used[k] = true
	}
	if !c.decodeValue(o.at, o.m, sc) {
		return nil
	}
	switch {
	case sc.MatchTrafficWeight && (sc.Replicas != nil || sc.Weight != nil):
		c.warn(o.at, "matchTrafficWeight: true wins over replicas and weight, as in Argo Rollouts; replicas and weight dropped")
		sc = &rampv1alpha1.SetCanaryScale{MatchTrafficWeight: true}
	case sc.Replicas != nil && sc.Weight != nil:
		c.warn(o.at.key("weight"), "Argo Rollouts uses replicas when both are set; weight dropped")
		sc.Weight = nil
	case !sc.MatchTrafficWeight && sc.Replicas == nil && sc.Weight == nil:
		c.warn(o.at, "sets none of replicas, weight or matchTrafficWeight: true; step dropped")
		return nil
	}
	if routing == nil {
		c.warn(o.at, "Argo Rollouts ignores setCanaryScale without trafficRouting and Ramp refuses it; step dropped")
		return nil
	}
	if sc.Weight != nil && (*sc.Weight < 0 || *sc.Weight > 100) {
		c.fail(o.at.key("weight"), "must be a percentage from 0 to 100, not %d", *sc.Weight)
	}
	return sc
}

// pauseDurationPattern is the form of a pause duration Ramp accepts.
var pauseDurationPattern = regexp.MustCompile(`^([0-9]+|([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+)$`)

// pause converts a pause step.
func (c *converter) pause(o *object) *rampv1alpha1.RolloutPause {
	p := &rampv1alpha1.RolloutPause{}
	if v, ok := o.take("duration"); ok {
		at := o.at.key("duration")
		switch d := v.(type) {
		case int64:
			if d < 0 || d > math.MaxInt32 {
				c.fail(at, "must be a number of seconds from 0 to %d, not %d", math.MaxInt32, d)
			}
			p.Duration = ptrTo(intstr.FromInt32(int32(d)))
		case string:
			if s, ok := normalDuration(d, pauseDurationPattern); ok {
				p.Duration = ptrTo(intstr.FromString(s))
			} else {
				c.fail(at, "%q is not a duration: write a number of seconds or a duration such as 30s, 5m or 1h", d)
			}
		default:
			c.fail(at, "must be a number of seconds or a duration such as 30s, not %s", describe(v))
		}
	}
	o.done()
	return p
}

// normalDuration returns s in a form that matches pattern: as written
// when it does, else as Go prints the duration. ok is false when s is not
// a non-negative duration.
func normalDuration(s string, pattern *regexp.Regexp) (string, bool) {
	if pattern.MatchString(s) && len(s) <= 32 {
		return s, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return "", false
	}
	out := d.String()
	return out, pattern.MatchString(out)
}

// ptrTo returns a pointer to v.
func ptrTo[T any](v T) *T { return &v }
