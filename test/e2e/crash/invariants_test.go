package crash

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// world is the state of the namespace at one point of the timeline.
type world struct {
	rollouts map[string]*rampv1alpha1.Rollout
	sets     map[string]*appsv1.ReplicaSet
	services map[string]*corev1.Service
	routes   map[string]*gatewayv1.HTTPRoute
}

// follows is what the checker keeps about one Rollout across the timeline.
type follows struct {
	// armed is set once the Rollout has been Healthy: the first revision
	// scales up from nothing, so the availability invariants start there.
	armed bool
	// hash and step are the update in progress and its step index.
	hash string
	step int32
	// levels are the canary weights (routed) or canary replica counts
	// (replica-based canary) seen during the update of hash, in order.
	levels []int32
	// aborted and done end the checks of the update of hash.
	aborted, done bool
}

// checker replays a timeline and collects every invariant violation.
type checker struct {
	specs      map[string]rolloutSpec
	w          world
	f          map[string]*follows
	violations []string
	checks     int
	updates    int
}

func newChecker(specs map[string]rolloutSpec) *checker {
	return &checker{
		specs: specs,
		w: world{rollouts: map[string]*rampv1alpha1.Rollout{}, sets: map[string]*appsv1.ReplicaSet{},
			services: map[string]*corev1.Service{}, routes: map[string]*gatewayv1.HTTPRoute{}},
		f: map[string]*follows{},
	}
}

func (c *checker) violate(r record, format string, args ...any) {
	c.violations = append(c.violations, fmt.Sprintf("rv %d (%T %s): %s", r.rv, r.obj, r.obj.GetName(), fmt.Sprintf(format, args...)))
}

// replay applies each record in order and checks the Rollouts it touches.
func (c *checker) replay(recs []record) {
	for _, r := range recs {
		name := c.apply(r)
		if name == "" {
			continue
		}
		c.check(r, name)
	}
}

// apply puts r into the world and returns the Rollout it belongs to.
func (c *checker) apply(r record) string {
	name := r.obj.GetName()
	switch o := r.obj.(type) {
	case *rampv1alpha1.Rollout:
		put(c.w.rollouts, name, o, r.deleted)
		return name
	case *appsv1.ReplicaSet:
		put(c.w.sets, name, o, r.deleted)
		for _, ref := range o.OwnerReferences {
			if ref.Kind == "Rollout" {
				return ref.Name
			}
		}
	case *corev1.Service:
		put(c.w.services, name, o, r.deleted)
		return rolloutOfService(name)
	case *gatewayv1.HTTPRoute:
		put(c.w.routes, name, o, r.deleted)
		return name
	}
	return ""
}

func put[T any](m map[string]*T, name string, obj *T, deleted bool) {
	if deleted {
		delete(m, name)
	} else {
		m[name] = obj
	}
}

// rolloutOfService is the Rollout a Service of the suite serves: Services
// are named <rollout>-<role>.
func rolloutOfService(name string) string {
	i := strings.LastIndex(name, "-")
	if i < 0 {
		return ""
	}
	return name[:i]
}

// setsOf returns the live ReplicaSets of Rollout name, baselines aside.
func (c *checker) setsOf(name string) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range c.w.sets {
		if rs.DeletionTimestamp != nil || rs.Labels[rampv1alpha1.LabelBaseline] != "" {
			continue
		}
		for _, ref := range rs.OwnerReferences {
			if ref.Kind == "Rollout" && ref.Name == name {
				out = append(out, rs)
			}
		}
	}
	return out
}

// describe sums up the Rollout's status and versions, for violations.
func (c *checker) describe(name string) string {
	var parts []string
	if ro := c.w.rollouts[name]; ro != nil {
		parts = append(parts, fmt.Sprintf("rollout %s stable %s current %s step %d abort %v",
			ro.Status.Phase, ro.Status.StableRS, ro.Status.CurrentPodHash, ptr.Deref(ro.Status.CurrentStepIndex, -1), ro.Status.Abort))
	}
	for _, rs := range c.setsOf(name) {
		parts = append(parts, fmt.Sprintf("%s %d/%d available/desired", rs.Labels[rampv1alpha1.LabelPodTemplateHash],
			rs.Status.AvailableReplicas, ptr.Deref(rs.Spec.Replicas, 0)))
	}
	slices.Sort(parts[min(1, len(parts)):])
	return strings.Join(parts, ", ")
}

// setOfHash returns the ReplicaSet of Rollout name with pod template hash.
func (c *checker) setOfHash(name, hash string) *appsv1.ReplicaSet {
	for _, rs := range c.setsOf(name) {
		if rs.Labels[rampv1alpha1.LabelPodTemplateHash] == hash {
			return rs
		}
	}
	return nil
}

// check checks the invariants of Rollout name after record r.
func (c *checker) check(r record, name string) {
	spec, ok := c.specs[name]
	ro := c.w.rollouts[name]
	if !ok || ro == nil {
		return
	}
	f := c.f[name]
	if f == nil {
		f = &follows{}
		c.f[name] = f
	}
	if !f.armed {
		f.armed = ro.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && ro.Status.StableRS != ""
		if !f.armed {
			return
		}
	}
	c.checks++
	c.checkAvailable(r, name, spec)
	c.checkServices(r, name, spec)
	c.checkRoute(r, name, spec)
	c.checkDuplicates(r, name)
	c.checkSteps(r, name, spec, ro, f)
}

// checkAvailable: the available pods of all the Rollout's versions never
// fall below replicas - maxUnavailable.
func (c *checker) checkAvailable(r record, name string, spec rolloutSpec) {
	var available int32
	for _, rs := range c.setsOf(name) {
		available += rs.Status.AvailableReplicas
	}
	if want := spec.replicas - spec.maxUnavailable; available < want {
		c.violate(r, "%s has %d available pods, fewer than replicas - maxUnavailable = %d (%s)", name, available, want, c.describe(name))
	}
}

// checkServices: the stable (canary) or active (blue-green) Service never
// selects a version with no available pods.
func (c *checker) checkServices(r record, name string, spec rolloutSpec) {
	svc := c.w.services[name+"-"+spec.servingRole()]
	if svc == nil {
		return
	}
	hash := svc.Spec.Selector[rampv1alpha1.LabelPodTemplateHash]
	if hash == "" {
		return
	}
	if rs := c.setOfHash(name, hash); rs == nil || rs.Status.AvailableReplicas == 0 {
		c.violate(r, "Service %s selects version %s, which has no available pods (%s)", svc.Name, hash, c.describe(name))
	}
}

// checkRoute: the HTTPRoute's weights sum to 100 and no weight goes to a
// Service whose version has no ready pods.
func (c *checker) checkRoute(r record, name string, spec rolloutSpec) {
	if spec.kind != kindRouted {
		return
	}
	route := c.w.routes[name]
	if route == nil {
		return
	}
	for _, rule := range route.Spec.Rules {
		var sum int32
		for _, ref := range rule.BackendRefs {
			w := ptr.Deref(ref.Weight, 1)
			sum += w
			if w == 0 {
				continue
			}
			svc := c.w.services[string(ref.Name)]
			if svc == nil {
				c.violate(r, "HTTPRoute %s sends weight %d to Service %s, which does not exist", name, w, ref.Name)
				continue
			}
			hash := svc.Spec.Selector[rampv1alpha1.LabelPodTemplateHash]
			if hash == "" {
				continue
			}
			if rs := c.setOfHash(name, hash); rs == nil || rs.Status.ReadyReplicas == 0 {
				c.violate(r, "HTTPRoute %s sends weight %d to Service %s, whose version %s has no ready pods", name, w, ref.Name, hash)
			}
		}
		if sum != 100 {
			c.violate(r, "HTTPRoute %s weights sum to %d, not 100", name, sum)
		}
	}
}

// checkDuplicates: never two live ReplicaSets of one Rollout for the same
// pod template (every update of the suite has an image of its own).
func (c *checker) checkDuplicates(r record, name string) {
	seen := map[string]string{}
	for _, rs := range c.setsOf(name) {
		image := rs.Spec.Template.Spec.Containers[0].Image
		if other, ok := seen[image]; ok {
			c.violate(r, "ReplicaSets %s and %s of %s both run %s", other, rs.Name, name, image)
		}
		seen[image] = rs.Name
	}
}

// checkSteps: within one update the step index never goes back, and by
// the time the update is promoted every weight of its steps was applied
// in order (none skipped).
func (c *checker) checkSteps(r record, name string, spec rolloutSpec, ro *rampv1alpha1.Rollout, f *follows) {
	if spec.kind == kindBlueGreen {
		return
	}
	hash := ro.Status.CurrentPodHash
	if hash != f.hash {
		f.hash, f.step, f.levels, f.aborted, f.done = hash, -1, nil, false, false
	}
	switch {
	case f.done:
		return
	case ro.Status.Abort:
		f.aborted = true // an aborted update goes no further
		return
	case hash == ro.Status.StableRS:
		if f.step >= 0 && !f.aborted {
			c.finishUpdate(r, name, spec, f)
		}
		f.done = true
		return
	}
	if i := ptr.Deref(ro.Status.CurrentStepIndex, 0); ro.Status.ObservedGeneration == ro.Generation {
		if i < f.step {
			c.violate(r, "%s went back from step %d to step %d during update %s", name, f.step, i, hash)
		}
		f.step = max(f.step, i)
	}
	level := c.canaryLevel(name, spec, hash)
	if level >= 0 && (len(f.levels) == 0 || f.levels[len(f.levels)-1] != level) {
		f.levels = append(f.levels, level)
	}
}

// canaryLevel is the canary's weight on the route (routed) or its
// ReplicaSet's desired pods (replica-based), -1 when unknown.
func (c *checker) canaryLevel(name string, spec rolloutSpec, hash string) int32 {
	if spec.kind == kindRouted {
		route := c.w.routes[name]
		if route == nil || len(route.Spec.Rules) == 0 {
			return -1
		}
		for _, ref := range route.Spec.Rules[0].BackendRefs {
			if string(ref.Name) == name+"-canary" {
				return ptr.Deref(ref.Weight, 1)
			}
		}
		return -1
	}
	if rs := c.setOfHash(name, hash); rs != nil {
		return ptr.Deref(rs.Spec.Replicas, 0)
	}
	return -1
}

// finishUpdate checks a promoted update: the canary levels seen must hold
// every level of its steps, in order.
func (c *checker) finishUpdate(r record, name string, spec rolloutSpec, f *follows) {
	c.updates++
	want := spec.levels()
	at := 0
	for _, l := range f.levels {
		if at < len(want) && l == want[at] {
			at++
		}
	}
	if at < len(want) {
		c.violate(r, "update %s of %s skipped a step: canary levels seen %v, steps want %v in order", f.hash, name, f.levels, want)
	}
}

// percentOf is weight percent of n pods, rounded up, as a replica-based
// canary sizes itself.
func percentOf(weight, n int32) int32 {
	return (n*weight + 99) / 100
}
