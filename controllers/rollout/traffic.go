package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// This file holds the canary with a traffic router: the canary runs beside
// a full stable version, the routes move the traffic, and pods follow the
// weight (scaled up before the weight moves to them).

// routed reports whether the rollout moves traffic through routers.
func routed(s *scope) bool {
	return len(s.routers) > 0
}

// buildRouters makes the routers the spec asks for.
func (r *Reconciler) buildRouters(s *scope) {
	c := s.rollout.Spec.Strategy.Canary
	s.routers = nil
	if c.TrafficRouting == nil {
		return
	}
	cfg := trafficrouting.Config{
		Client: newRouteClient(r.Client, &r.routes), Rollout: s.rollout, Routing: c.TrafficRouting,
		StableService: c.StableService, CanaryService: c.CanaryService,
		StableHash: s.rollout.Status.StableRS, CanaryHash: s.hash,
		BaselineService: c.BaselineService, BaselineActive: baselineServes(s),
	}
	if cfg.BaselineActive {
		_, cfg.BaselineHash = baselinePlan(s)
	}
	if cfg.StableHash == "" {
		cfg.StableHash = s.hash
	}
	s.routeConfig = cfg
	for _, p := range r.Routers {
		if router := p.New(cfg); router != nil {
			s.routers = append(s.routers, router)
		}
	}
}

// checkRouters checks, when the rollout has several routers, that every
// one's objects can carry the split before any of them writes: a bad route
// of one router must not leave the others' routes half moved.
func (r *Reconciler) checkRouters(ctx context.Context, s *scope) error {
	if len(s.routers) < 2 {
		return nil
	}
	for _, router := range s.routers {
		if err := router.Check(ctx); err != nil {
			return r.routeError(s, router, err)
		}
	}
	return nil
}

// canaryScaleAt is the setCanaryScale in force at step index, nil when the
// canary follows the traffic weight.
func canaryScaleAt(steps []rampv1alpha1.CanaryStep, index int32) *rampv1alpha1.SetCanaryScale {
	for i := min(int(index), len(steps)-1); i >= 0; i-- {
		if sc := steps[i].SetCanaryScale; sc != nil {
			if sc.MatchTrafficWeight {
				return nil
			}
			return sc
		}
	}
	return nil
}

// percentOf is ceil(percent × replicas / 100).
func percentOf(replicas, percent int32) int32 {
	return int32((int64(replicas)*int64(percent) + 99) / 100)
}

// routedCounts are the canary and stable sizes at weight for a routed
// canary at step index: the canary sized by the weight (or setCanaryScale),
// the stable version at full size, or, with dynamicStableScale, shrunk by
// the weight actually set on the routes.
func routedCounts(s *scope, weight, index int32) (canary, stable int32) {
	c := s.rollout.Spec.Strategy.Canary
	canary = percentOf(s.replicas, weight)
	if sc := canaryScaleAt(c.Steps, index); sc != nil {
		switch {
		case sc.Replicas != nil:
			canary = *sc.Replicas
		case sc.Weight != nil:
			canary = percentOf(s.replicas, *sc.Weight)
		}
	}
	return canary, stableFor(s, routeWeight(s))
}

// stableFor is the size of the stable version while the routes send it
// 100-weight percent of the traffic: full size, or, with
// dynamicStableScale, the rest of the pods beside the weight's share.
func stableFor(s *scope, weight int32) int32 {
	if !ptr.Deref(s.rollout.Spec.Strategy.Canary.DynamicStableScale, false) {
		return s.replicas
	}
	return s.replicas - int32(int64(s.replicas)*int64(weight)/100)
}

// routeWeight is the canary weight last set on the routes (0 when none).
func routeWeight(s *scope) int32 {
	if w := s.rollout.Status.Canary.Weights; w != nil {
		return w.Canary.Weight
	}
	return 0
}

// routedPlan sizes canary and stable for weight at step index. The canary
// runs in addition to the stable version, so the surge allowance grows by
// the canary's size.
func routedPlan(s *scope, weight, index int32) ([]planEntry, int32) {
	canary, stable := routedCounts(s, weight, index)
	return withOthers(s, planEntry{rs: s.newRS, target: canary}, planEntry{rs: s.stableRS, target: stable}), canary
}

// routedReached reports whether a routed canary is at weight: the pods in
// place and available, and the routes set to it.
func routedReached(s *scope, weight, index int32) bool {
	plan, _ := routedPlan(s, weight, index)
	return scaleDone(scaleTargets(plan)) && routeWeight(s) == weight
}

// holdRouted scales for weight and moves the routes to it in the order
// that keeps every version's traffic on pods that are there: a weight
// going up waits for the canary's pods; a weight going down waits for the
// stable version's pods (with dynamicStableScale), and the canary shrinks
// only once the weight has dropped. Until it moves, the routes keep the
// weight last set (re-asserted, to undo any edit by someone else).
func (r *Reconciler) holdRouted(ctx context.Context, s *scope, weight, index int32) error {
	set := routeWeight(s)
	if weight < set && availableOf(s.stableRS) >= stableFor(s, weight) {
		if err := r.setRouteWeight(ctx, s, weight); err != nil {
			return err
		}
		set = weight
	}
	plan, canary := routedPlan(s, weight, index)
	if weight < set {
		// Still waiting for the stable version's pods: the canary keeps
		// its own.
		for i := range plan {
			switch plan[i].rs {
			case s.newRS:
				plan[i].target = max(plan[i].target, ptr.Deref(s.newRS.Spec.Replicas, 0))
			case s.stableRS:
				plan[i].target = stableFor(s, weight)
			}
		}
	}
	if err := r.applyPlanSurge(ctx, s, plan, s.surge+canary); err != nil {
		return err
	}
	if set < weight && availableOf(s.newRS) >= canary {
		set = weight
	}
	if err := r.setRouteWeight(ctx, s, set); err != nil {
		return err
	}
	return r.syncManagedRoutes(ctx, s, ptr.Deref(s.rollout.Status.CurrentStepIndex, 0))
}

// availableOf is the number of available pods of rs (0 for none).
func availableOf(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return rs.Status.AvailableReplicas
}

// setRouteWeight sets weight on every router and records it in status.
func (r *Reconciler) setRouteWeight(ctx context.Context, s *scope, weight int32) error {
	before := s.rollout.Status.Canary.Weights.DeepCopy()
	wasSet := before != nil
	changed := false
	for _, router := range s.routers {
		c, err := router.SetWeight(ctx, weight)
		if err != nil {
			return r.routeError(s, router, err)
		}
		changed = changed || c
	}
	verified, err := r.verifyWeight(ctx, s, weight)
	if err != nil {
		return err
	}
	recordWeights(s, weight, verified)
	sameSplit := wasSet && sameWeights(before, s.rollout.Status.Canary.Weights)
	switch {
	case changed && sameSplit:
		s.event(eventWarning, reasonTrafficDrift, "Route",
			"The routes' weights had been changed by someone else; set back to %d%% canary", weight)
	case changed || (wasSet && !sameSplit):
		// Only a split that moved: a stable rollout re-asserting weight 0
		// on routes already at 0 (its record is cleared each time) is
		// not news.
		s.event(eventNormal, reasonTrafficShifted, "Route", "Sent %d%% of the traffic to the canary (%s)", weight, routerNames(s))
	}
	return nil
}

// verifyWeight asks the routers whether the data plane reports weight; nil
// when none can tell.
func (r *Reconciler) verifyWeight(ctx context.Context, s *scope, weight int32) (*bool, error) {
	var verified *bool
	for _, router := range s.routers {
		v, err := router.VerifyWeight(ctx, weight)
		if err != nil {
			return nil, r.routeError(s, router, err)
		}
		if v != nil {
			both := *v && ptr.Deref(verified, true)
			verified = &both
		}
	}
	return verified, nil
}

// recordWeights writes the weight set on the routes into status.
func recordWeights(s *scope, weight int32, verified *bool) {
	c := s.rollout.Spec.Strategy.Canary
	st := &s.rollout.Status
	stable, canary, baseline := s.routeConfig.Weights(weight)
	st.Canary.Weights = &rampv1alpha1.TrafficWeights{
		Canary:   rampv1alpha1.WeightDestination{Weight: canary, PodTemplateHash: s.hash, ServiceName: c.CanaryService},
		Stable:   rampv1alpha1.WeightDestination{Weight: stable, PodTemplateHash: st.StableRS, ServiceName: c.StableService},
		Verified: verified,
	}
	if c.BaselineService != "" {
		st.Canary.Weights.Baseline = &rampv1alpha1.WeightDestination{
			Weight: baseline, PodTemplateHash: s.routeConfig.BaselineHash, ServiceName: c.BaselineService,
		}
	}
}

// sameWeights tells whether two recorded splits send the same shares to
// the same places.
func sameWeights(a, b *rampv1alpha1.TrafficWeights) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := a.DeepCopy(), b.DeepCopy()
	x.Verified, y.Verified = nil, nil
	return equality.Semantic.DeepEqual(x, y)
}

func routerNames(s *scope) string {
	names := make([]string, 0, len(s.routers))
	for _, router := range s.routers {
		names = append(names, router.Name())
	}
	return strings.Join(names, ", ")
}

// routeError stalls on a route that cannot carry the traffic, and passes
// other errors on (the next reconcile retries).
func (r *Reconciler) routeError(s *scope, router trafficrouting.Router, err error) error {
	var re *trafficrouting.RouteError
	if errors.As(err, &re) {
		return stallWith(s, rampv1alpha1.ReasonRouteError, "spec.strategy.canary.trafficRouting.%s: %v", router.Name(), re)
	}
	return fmt.Errorf("%s: %w", router.Name(), err)
}

// syncManagedRoutes makes the header and mirror routes what the steps up
// to index asked for: each declared managed route holds what the last
// setHeaderRoute or setMirrorRoute step naming it says (a step without
// match, or none, removes it).
func (r *Reconciler) syncManagedRoutes(ctx context.Context, s *scope, index int32) error {
	c := s.rollout.Spec.Strategy.Canary
	if c.TrafficRouting == nil {
		return nil
	}
	st := &s.rollout.Status
	var headers, mirrors []string
	for _, m := range c.TrafficRouting.ManagedRoutes {
		header, mirror := lastRouteStep(c.Steps, index, m.Name)
		for _, router := range s.routers {
			var err error
			if mirror != nil {
				_, err = router.SetMirrorRoute(ctx, mirror)
			} else {
				_, err = router.SetHeaderRoute(ctx, header)
			}
			if err != nil {
				return r.routeError(s, router, err)
			}
		}
		switch {
		case mirror != nil && len(mirror.Match) > 0:
			mirrors = append(mirrors, m.Name)
		case mirror == nil && len(header.Match) > 0:
			headers = append(headers, m.Name)
		}
	}
	st.Canary.HeaderRoutes, st.Canary.MirrorRoutes = headers, mirrors
	return nil
}

// lastRouteStep finds the last setHeaderRoute or setMirrorRoute step naming
// route at or before index: one of the two is set. Without one, it is a
// setHeaderRoute without match, which removes the route.
func lastRouteStep(steps []rampv1alpha1.CanaryStep, index int32, route string) (*rampv1alpha1.SetHeaderRoute, *rampv1alpha1.SetMirrorRoute) {
	header := &rampv1alpha1.SetHeaderRoute{Name: route}
	var mirror *rampv1alpha1.SetMirrorRoute
	for i := 0; i < len(steps) && i <= int(index); i++ {
		if h := steps[i].SetHeaderRoute; h != nil && h.Name == route {
			header, mirror = h, nil
		}
		if m := steps[i].SetMirrorRoute; m != nil && m.Name == route {
			mirror = m
		}
	}
	return header, mirror
}

// resetRoutes sends all traffic to the stable Service and removes the
// managed routes.
func (r *Reconciler) resetRoutes(ctx context.Context, s *scope) error {
	if err := r.setRouteWeight(ctx, s, 0); err != nil {
		return err
	}
	for _, router := range s.routers {
		if _, err := router.RemoveManagedRoutes(ctx); err != nil {
			return r.routeError(s, router, err)
		}
	}
	st := &s.rollout.Status
	st.Canary.HeaderRoutes, st.Canary.MirrorRoutes = nil, nil
	return nil
}

// scaleDownDeadline reads when an old ReplicaSet kept up may be scaled
// down; ok is false when it has no deadline.
func scaleDownDeadline(rs *appsv1.ReplicaSet) (time.Time, bool) {
	v, ok := rs.Annotations[rampv1alpha1.AnnotationScaleDownDeadline]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// keepUntil marks rs to stay up until delay has passed: an old stable
// version after promotion, a canary after an abort. A delay of -1 keeps it
// up until the next update. A ReplicaSet marked already keeps its mark: the
// delay runs from the promotion or the abort, not from the last reconcile.
func (r *Reconciler) keepUntil(ctx context.Context, s *scope, rs *appsv1.ReplicaSet, delay time.Duration) error {
	if rs == nil || ptr.Deref(rs.Spec.Replicas, 0) == 0 {
		return nil
	}
	if _, ok := rs.Annotations[rampv1alpha1.AnnotationScaleDownDeadline]; ok {
		return nil
	}
	value := keepForever
	if delay >= 0 {
		value = ceilSecond(s.now.Add(delay)).UTC().Format(time.RFC3339)
	}
	return r.annotateDeadline(ctx, rs, fmt.Sprintf("%q", value))
}

// releaseHold removes the scale-down deadline of a ReplicaSet that is in
// use again (the update, retried or rolled back to), so that a later
// promotion or abort starts its delay afresh.
func (r *Reconciler) releaseHold(ctx context.Context, rs *appsv1.ReplicaSet) error {
	if rs == nil {
		return nil
	}
	if _, ok := rs.Annotations[rampv1alpha1.AnnotationScaleDownDeadline]; !ok {
		return nil
	}
	return r.annotateDeadline(ctx, rs, "null")
}

// annotateDeadline writes the scale-down deadline annotation of rs: a JSON
// string, or null to remove it.
func (r *Reconciler) annotateDeadline(ctx context.Context, rs *appsv1.ReplicaSet, value string) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%s}}}`, rampv1alpha1.AnnotationScaleDownDeadline, value)
	if err := r.Client.Patch(ctx, rs, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("set the scale-down deadline of replica set %s: %w", rs.Name, err)
	}
	return nil
}

// ceilSecond rounds t up to a whole second, as times are written in
// whole seconds: a deadline never comes early.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// keepForever is the scale-down deadline of a ReplicaSet kept up until the
// next update (abortScaleDownDelaySeconds: 0).
const keepForever = "never"

// heldUp reports whether rs must stay at its size for now, asking for a
// reconcile at its deadline.
func heldUp(s *scope, rs *appsv1.ReplicaSet) bool {
	if rs.Annotations[rampv1alpha1.AnnotationScaleDownDeadline] == keepForever {
		// Kept until the next update: while this aborted update stays.
		return hashOf(rs) == s.hash && s.rollout.Status.Abort
	}
	deadline, ok := scaleDownDeadline(rs)
	if !ok || !s.now.Before(deadline) {
		return false
	}
	s.requeueAt(deadline)
	return true
}

// seconds turns a number of seconds into a duration.
func seconds(n int32) time.Duration {
	return time.Duration(n) * time.Second
}

// indexRoutes indexes Rollouts by the objects their routers read, as
// trafficrouting.ObjectRef.IndexKey.
const indexRoutes = "ramp.dev/routes"

// routesIndex is the indexer function of indexRoutes.
func (r *Reconciler) routesIndex(obj client.Object) []string {
	ro, ok := obj.(*rampv1alpha1.Rollout)
	if !ok || ro.Spec.Strategy.Canary == nil || ro.Spec.Strategy.Canary.TrafficRouting == nil {
		return nil
	}
	var keys []string
	for _, p := range r.Routers {
		for _, ref := range p.Objects(ro.Spec.Strategy.Canary.TrafficRouting) {
			keys = append(keys, ref.IndexKey())
		}
	}
	return keys
}
