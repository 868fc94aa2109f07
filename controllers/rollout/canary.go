package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// syncRevision notices a new pod template, an undo, a change to the steps,
// an abort and a retry, and sets the step state of status accordingly.
func (r *Reconciler) syncRevision(_ context.Context, s *scope) error {
	st := &s.rollout.Status
	steps := canarySteps(s.rollout)
	stepHash := stepsHash(steps)
	last := ptr.To(int32(len(steps)))

	switch {
	case st.StableRS == "":
		// The first revision goes straight to full size, without steps.
		st.StableRS, st.CurrentPodHash, st.CurrentStepHash = s.hash, s.hash, stepHash
		resetSteps(st)
		st.CurrentStepIndex = last
		s.event(eventNormal, reasonRolloutUpdated, "Update", "First revision %s: scaling to %d pods without steps", s.hash, s.replicas)
	case st.CurrentPodHash != s.hash:
		previous := st.CurrentPodHash
		st.CurrentPodHash, st.CurrentStepHash = s.hash, stepHash
		resetSteps(st)
		clearAbort(st)
		switch {
		case s.hash == st.StableRS:
			st.CurrentStepIndex = last
			s.event(eventNormal, reasonRolledBack, "Rollback",
				"Back to the stable revision %s: the update to %s is abandoned and its pods scaled down, without steps", s.hash, previous)
		case inRollbackWindow(s):
			st.StableRS = s.hash
			st.CurrentStepIndex = last
			s.stableRS = s.newRS
			s.event(eventNormal, reasonRolledBack, "Rollback",
				"Rolled back to revision %s (within rollbackWindow): promoting it without steps", revisionLabel(s.newRS))
		case instantUndo(s):
			st.StableRS = s.hash
			st.CurrentStepIndex = last
			s.stableRS = s.newRS
			s.event(eventNormal, reasonRolledBack, "Rollback",
				"Rolled back to revision %s, still up within its scale-down delay: switching to it at once", revisionLabel(s.newRS))
		default:
			s.event(eventNormal, reasonRolloutUpdated, "Update", "New revision %s: starting %d steps", s.hash, len(steps))
			s.notifyLast(rampv1alpha1.TriggerRolloutUpdated, 0)
		}
	case st.CurrentStepHash != stepHash:
		st.CurrentStepHash = stepHash
		if st.StableRS != s.hash && !st.Abort {
			resetSteps(st)
			s.event(eventNormal, reasonRolloutUpdated, "Update", "The steps changed: starting again from step 1 of %d", len(steps))
		}
	}

	switch {
	case st.Abort && st.StableRS == s.hash:
		// Nothing in flight to abort.
		clearAbort(st)
		s.event(eventWarning, reasonAborted, "Abort", "Abort ignored: no update is in flight")
	case st.Abort && st.AbortedAt == nil:
		by := st.AbortedBy
		if by == "" {
			by = abortWriter(s.rollout)
		}
		st.Abort = false
		abortUpdate(s, by)
	case !st.Abort && st.AbortedAt != nil:
		clearAbort(st)
		resetSteps(st)
		st.Gate = nil
		s.event(eventNormal, reasonRetried, "Retry", "Retrying the update to revision %s from step 1", s.hash)
	}
	return nil
}

// abortUpdate aborts the update in flight: traffic and pods go back to the
// stable version, the steps and analysis runs are reset, and by (who or
// what aborted, with the reason) goes into status and an Event.
func abortUpdate(s *scope, by string) {
	st := &s.rollout.Status
	if st.Abort {
		return
	}
	steps := canarySteps(s.rollout)
	step := ptr.Deref(st.CurrentStepIndex, 0)
	st.Abort = true
	st.AbortedAt = ptr.To(metav1.NewTime(s.now))
	st.AbortedBy = by
	resetSteps(st)
	where := fmt.Sprintf("at step %d of %d", min(int(step)+1, len(steps)), len(steps))
	if s.rollout.Spec.Strategy.BlueGreen != nil {
		where = "before promotion"
		if st.BlueGreen.ActiveSelector == s.hash {
			where = "after the switch"
		}
	}
	s.event(eventWarning, reasonAborted, "Abort", "Update to revision %s aborted by %s %s: back to the stable revision %s",
		s.hash, by, where, st.StableRS)
	s.notifyLast(rampv1alpha1.TriggerAborted, 0)
}

// clearAbort forgets an abort.
func clearAbort(st *rampv1alpha1.RolloutStatus) {
	st.Abort = false
	st.AbortedAt = nil
	st.AbortedBy = ""
}

// abortWriter names the tool that set status.abort, from the managed
// fields, for when whoever aborted did not say who they are.
func abortWriter(ro *rampv1alpha1.Rollout) string {
	var who string
	var when time.Time
	for _, mf := range ro.ManagedFields {
		if mf.Subresource != "status" || mf.FieldsV1 == nil {
			continue
		}
		var fields struct {
			Status map[string]json.RawMessage `json:"f:status"`
		}
		if json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields) != nil {
			continue
		}
		if _, ok := fields.Status["f:abort"]; !ok {
			continue
		}
		if mf.Time != nil && mf.Time.After(when) || who == "" {
			who = mf.Manager
			if mf.Time != nil {
				when = mf.Time.Time
			}
		}
	}
	if who == "" {
		return "a status update"
	}
	return who
}

// inRollbackWindow reports whether the current version is one of the
// revisions just before the stable one that spec.rollbackWindow lets the
// rollout return to without steps.
func inRollbackWindow(s *scope) bool {
	window := s.rollout.Spec.RollbackWindow
	if window == nil || window.Revisions <= 0 || s.newRS == nil || s.stableRS == nil {
		return false
	}
	stableRev := revisionOf(s.stableRS)
	older := 0
	// s.replicaSets is newest first.
	for _, rs := range s.replicaSets {
		if revisionOf(rs) >= stableRev {
			continue
		}
		older++
		if older > int(window.Revisions) {
			return false
		}
		if rs == s.newRS {
			return true
		}
	}
	return false
}

// planEntry is a ReplicaSet and the size it should reach.
type planEntry struct {
	rs     *appsv1.ReplicaSet
	target int32
}

// others returns the ReplicaSets other than those given, newest first.
func others(s *scope, except ...*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
next:
	for _, rs := range s.replicaSets {
		for _, e := range except {
			if rs == e {
				continue next
			}
		}
		out = append(out, rs)
	}
	return out
}

// withOthers appends every other ReplicaSet with target 0.
func withOthers(s *scope, entries ...planEntry) []planEntry {
	var except []*appsv1.ReplicaSet
	for _, e := range entries {
		except = append(except, e.rs)
	}
	for _, rs := range others(s, except...) {
		entries = append(entries, planEntry{rs: rs, target: 0})
	}
	return entries
}

// stablePlan runs the stable version at full size and drains the others.
func stablePlan(s *scope) []planEntry {
	return withOthers(s, planEntry{rs: s.stableRS, target: s.replicas})
}

// abortPlan brings the stable version back to full size first, then drains
// the update.
func abortPlan(s *scope) []planEntry {
	entries := []planEntry{{rs: s.stableRS, target: s.replicas}}
	if s.newRS != nil && s.newRS != s.stableRS {
		entries = append(entries, planEntry{rs: s.newRS, target: 0})
	}
	return withOthers(s, entries...)
}

// canaryPlan splits the pods between canary and stable for weight.
func canaryPlan(s *scope, weight int32) []planEntry {
	canary, stable := basicCanaryCounts(s.replicas, weight, s.surge)
	return withOthers(s, planEntry{rs: s.newRS, target: canary}, planEntry{rs: s.stableRS, target: stable})
}

// scaleTargets turns a plan into the planner's input. A ReplicaSet whose
// status is older than its spec (the ReplicaSet controller has not seen
// the last scale yet) counts no available pod: its count may still include
// pods a scale-down is taking away, and scaling another version down on
// the strength of it could leave fewer pods than maxUnavailable allows.
func scaleTargets(plan []planEntry) []scaleTarget {
	out := make([]scaleTarget, len(plan))
	for i, e := range plan {
		cur := ptr.Deref(e.rs.Spec.Replicas, 0)
		available := min(e.rs.Status.AvailableReplicas, cur)
		if e.rs.Status.ObservedGeneration < e.rs.Generation {
			available = 0
		}
		out[i] = scaleTarget{current: cur, available: available, target: e.target}
	}
	return out
}

// applyPlan scales each ReplicaSet one move of the planner towards its
// target. Scale-downs are written before scale-ups, so the API server never
// holds more pods than the planner allowed, even for a moment or when a
// later write fails.
func (r *Reconciler) applyPlan(ctx context.Context, s *scope, plan []planEntry) error {
	return r.applyPlanSurge(ctx, s, plan, s.surge)
}

// applyPlanSurge is applyPlan with another surge allowance (a routed
// canary runs beside a full stable version).
func (r *Reconciler) applyPlanSurge(ctx context.Context, s *scope, plan []planEntry, surge int32) error {
	if err := r.syncTemplateMetadata(ctx, s); err != nil {
		return err
	}
	for i := range plan {
		// A version kept up after a promotion or an abort waits for its
		// scale-down deadline.
		if plan[i].target < ptr.Deref(plan[i].rs.Spec.Replicas, 0) && heldUp(s, plan[i].rs) {
			plan[i].target = ptr.Deref(plan[i].rs.Spec.Replicas, 0)
		}
	}
	next := planScale(scaleTargets(plan), s.replicas, surge, s.unavailable)
	for _, down := range []bool{true, false} {
		for i, e := range plan {
			if (next[i] < ptr.Deref(e.rs.Spec.Replicas, 0)) != down {
				continue
			}
			if err := r.scaleReplicaSet(ctx, s, e.rs, next[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// reconcileStrategy walks the canary steps and scales the ReplicaSets (and,
// with a traffic router, sets the routes) for the step the rollout is at.
func (r *Reconciler) reconcileStrategy(ctx context.Context, s *scope) error {
	if s.rollout.Spec.Strategy.BlueGreen != nil {
		return r.reconcileBlueGreen(ctx, s)
	}
	st := &s.rollout.Status
	steps := s.rollout.Spec.Strategy.Canary.Steps
	if s.stableRS == nil && st.StableRS != s.hash {
		// The stable ReplicaSet is gone: nothing to fall back to, so the
		// current version becomes stable.
		s.event(eventWarning, reasonRolloutUpdated, "Promote",
			"The stable ReplicaSet (hash %s) no longer exists: promoting revision %s", st.StableRS, s.hash)
		st.StableRS = s.hash
		st.CurrentStepIndex = ptr.To(int32(len(steps)))
		s.stableRS = s.newRS
	}
	r.buildRouters(s)
	if s.rollout.Spec.Strategy.Canary.TrafficRouting != nil && !routed(s) {
		return stall(s, "spec.strategy.canary.trafficRouting: no router of this controller handles it; set gatewayAPI or istio")
	}
	if err := r.checkRouters(ctx, s); err != nil {
		return err
	}
	if !st.Abort {
		if err := r.releaseHold(ctx, s.newRS); err != nil {
			return err
		}
	}
	switch {
	case st.StableRS == s.hash:
		return r.holdStable(ctx, s)
	case st.Abort:
		return r.holdAborted(ctx, s)
	case s.rollout.Spec.Paused:
		// Hold the weight of the current step, without moving on.
		index := ptr.Deref(st.CurrentStepIndex, 0)
		return r.hold(ctx, s, weightAt(steps, index), index)
	}

	// A routed step that sets its weight in this reconcile is done at once
	// (its pods were ready): the next step starts in the same reconcile,
	// so the step's status is written once, not once per reconcile.
	for range len(steps) + 1 {
		again, err := r.stepOnce(ctx, s)
		if err != nil || !again {
			return err
		}
	}
	return nil
}

// stepOnce advances the steps as far as the state allows and holds the
// rollout at the step it stops at. again is true when that hold moved a
// routed weight that the step now has reached, so that stepping once more
// moves on.
func (r *Reconciler) stepOnce(ctx context.Context, s *scope) (again bool, err error) {
	st := &s.rollout.Status
	steps := s.rollout.Spec.Strategy.Canary.Steps
	var out stepOutcome
	if st.PromoteFull {
		out.done = true
	} else {
		var err error
		out, err = advanceSteps(st, steps, s.now, stepChecks{
			reached: func(weight, index int32) bool { return r.reached(s, weight, index) },
			analyze: func(index int32, a *rampv1alpha1.RolloutAnalysis) (rampv1alpha1.AnalysisPhase, error) {
				return r.stepAnalysis(ctx, s, index, a)
			},
			gate: func(index int32, g *rampv1alpha1.RolloutGate) (bool, error) {
				allowed, _, err := r.runGate(s, fmt.Sprintf("step %d", index+1), g, gateRequest(s, ptr.To(index+1)))
				return allowed, err
			},
		})
		if err != nil {
			return false, r.stepError(s, err)
		}
		if !out.done {
			if err := r.backgroundAnalysis(ctx, s, &out); err != nil {
				return false, r.stepError(s, err)
			}
		}
	}
	if st.Abort {
		// An analysis failed: back to the stable version.
		return false, r.holdAborted(ctx, s)
	}
	for _, i := range out.completed {
		s.event(eventNormal, reasonStepCompleted, "Step", "Step %d of %d completed (%s)", i+1, len(steps), describeStep(steps[i]))
		s.notifyLast(rampv1alpha1.TriggerStepCompleted, i+1)
	}
	if out.resumedAt >= 0 {
		s.event(eventNormal, reasonResumed, "Resume", "Promoted past the pause at step %d of %d", out.resumedAt+1, len(steps))
	}
	if out.pausedAt >= 0 {
		s.event(eventNormal, reasonPaused, "Pause", "Paused at step %d of %d (%s)", out.pausedAt+1, len(steps), describeStep(steps[out.pausedAt]))
		switch {
		case findPause(st, rampv1alpha1.PauseReasonInconclusiveAnalysis) != nil:
			s.notifyLast(rampv1alpha1.TriggerAnalysisInconclusive, out.pausedAt+1)
		case steps[out.pausedAt].Pause != nil && steps[out.pausedAt].Pause.Duration == nil:
			// A pause without a duration waits for a person.
			s.notifyLast(rampv1alpha1.TriggerPaused, out.pausedAt+1)
		}
	}
	if !out.wakeAt.IsZero() {
		s.requeueAt(out.wakeAt)
	}
	last := int32(len(steps))
	if !out.done {
		index := ptr.Deref(st.CurrentStepIndex, 0)
		before := routeWeight(s)
		if err := r.hold(ctx, s, out.weight, index); err != nil {
			return false, err
		}
		moved := routed(s) && routeWeight(s) != before && routedReached(s, out.weight, index)
		return moved && out.pausedAt < 0 && out.wakeAt.IsZero(), nil
	}
	if routed(s) && !routedReached(s, 100, last) {
		// Before the canary becomes stable, all traffic goes to it, at
		// full size.
		return false, r.hold(ctx, s, 100, last)
	}
	return false, r.promote(ctx, s)
}

// reached reports whether the pods (and, with a router, the routes) are at
// weight for step index.
func (r *Reconciler) reached(s *scope, weight, index int32) bool {
	if routed(s) {
		return routedReached(s, weight, index)
	}
	return scaleDone(scaleTargets(canaryPlan(s, weight)))
}

// hold keeps the rollout at weight for step index.
func (r *Reconciler) hold(ctx context.Context, s *scope, weight, index int32) error {
	if routed(s) {
		return r.holdRouted(ctx, s, weight, index)
	}
	setWeights(s, weight)
	return r.applyPlan(ctx, s, canaryPlan(s, weight))
}

// holdStable runs the stable version: all traffic to it, no managed
// routes, the others drained (an old version kept up for its scale-down
// delay first).
func (r *Reconciler) holdStable(ctx context.Context, s *scope) error {
	if routed(s) {
		if err := r.resetRoutes(ctx, s); err != nil {
			return err
		}
		s.rollout.Status.Canary.Weights = nil
	} else {
		setWeights(s, -1)
	}
	return r.applyPlan(ctx, s, stablePlan(s))
}

// holdAborted sends everything back to the stable version: with a router
// the weight returns to 0 at once (once the stable version is at full size,
// with dynamicStableScale) and the canary stays up for
// abortScaleDownDelaySeconds.
func (r *Reconciler) holdAborted(ctx context.Context, s *scope) error {
	c := s.rollout.Spec.Strategy.Canary
	if !routed(s) {
		setWeights(s, 0)
		return r.applyPlan(ctx, s, abortPlan(s))
	}
	stableReady := s.stableRS != nil && s.stableRS.Status.AvailableReplicas >= s.replicas
	if !ptr.Deref(c.DynamicStableScale, false) || stableReady {
		if err := r.resetRoutes(ctx, s); err != nil {
			return err
		}
		delay := seconds(ptr.Deref(c.AbortScaleDownDelaySeconds, rampv1alpha1.DefaultAbortScaleDownDelaySeconds))
		if c.AbortScaleDownDelaySeconds != nil && *c.AbortScaleDownDelaySeconds == 0 {
			delay = -1
		}
		if err := r.keepUntil(ctx, s, s.newRS, delay); err != nil {
			return err
		}
	} else if err := r.setRouteWeight(ctx, s, routeWeight(s)); err != nil {
		return err
	}
	plan, canary := abortPlan(s), int32(0)
	if s.newRS != nil {
		canary = ptr.Deref(s.newRS.Spec.Replicas, 0)
	}
	if routeWeight(s) > 0 {
		// The routes still send the canary traffic (the stable version
		// is growing back first): it keeps its pods.
		for i := range plan {
			if plan[i].rs == s.newRS {
				plan[i].target = canary
			}
		}
	}
	return r.applyPlanSurge(ctx, s, plan, s.surge+canary)
}

// promote makes the update the stable version once every step is done.
// With a router, the stable Service is switched to it first, then the
// routes send all traffic through the stable Service, and the old version
// stays up for scaleDownDelaySeconds.
func (r *Reconciler) promote(ctx context.Context, s *scope) error {
	st := &s.rollout.Status
	steps := s.rollout.Spec.Strategy.Canary.Steps
	full := st.PromoteFull
	old := s.stableRS
	st.StableRS = s.hash
	st.CurrentStepIndex = ptr.To(int32(len(steps)))
	st.PromoteFull = false
	st.PauseConditions = nil
	st.ControllerPause = false
	st.Canary.CurrentStepAnalysisRun = ""
	st.Canary.CurrentBackgroundAnalysisRun = ""
	s.stableRS = s.newRS
	how := "after its last step"
	if full {
		how = "at once (promote --full)"
	}
	s.event(eventNormal, reasonPromoted, "Promote", "Revision %s promoted %s: it is now the stable version", revisionLabel(s.newRS), how)
	s.notifyLast(rampv1alpha1.TriggerPromoted, 0)
	// The stable Service selects the new version before the old one
	// drains: were the controller stopped between the two, the Service
	// would otherwise select a version with no pods until it came back.
	if err := r.reconcileServices(ctx, s); err != nil {
		return err
	}
	if routed(s) {
		c := s.rollout.Spec.Strategy.Canary
		if err := r.keepUntil(ctx, s, old, seconds(ptr.Deref(c.ScaleDownDelaySeconds, rampv1alpha1.DefaultScaleDownDelaySeconds))); err != nil {
			return err
		}
		// The routers now take the new version as the stable one (a
		// DestinationRule's stable subset selects it before the weights
		// send everything there).
		r.buildRouters(s)
	}
	return r.holdStable(ctx, s)
}

// stepError turns an error from the steps into a stall when it is one
// already, or a stall naming the step when it is about the spec.
func (r *Reconciler) stepError(s *scope, err error) error {
	if errors.Is(err, errStalled) {
		return err
	}
	var parse *durationError
	if errors.As(err, &parse) {
		return stall(s, "spec.strategy.canary.steps[%d].pause.duration: %v", ptr.Deref(s.rollout.Status.CurrentStepIndex, 0), err)
	}
	return err
}

// setWeights records the canary weight in force in status.canary.weights;
// a negative weight (no update in flight) clears them. Without a traffic
// router the weight is the share of pods the step asks for, so verified is
// left out.
func setWeights(s *scope, weight int32) {
	st := &s.rollout.Status
	if weight < 0 {
		st.Canary.Weights = nil
		return
	}
	c := s.rollout.Spec.Strategy.Canary
	st.Canary.Weights = &rampv1alpha1.TrafficWeights{
		Canary: rampv1alpha1.WeightDestination{Weight: weight, PodTemplateHash: s.hash, ServiceName: c.CanaryService},
		Stable: rampv1alpha1.WeightDestination{Weight: 100 - weight, PodTemplateHash: st.StableRS, ServiceName: c.StableService},
	}
}

// revisionLabel names a ReplicaSet's revision for messages.
func revisionLabel(rs *appsv1.ReplicaSet) string {
	if rs == nil {
		return "?"
	}
	return fmt.Sprintf("%s (%s)", rs.Annotations[rampv1alpha1.AnnotationRevision], hashOf(rs))
}
