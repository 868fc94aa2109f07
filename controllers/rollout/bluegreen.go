package rollout

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// This file holds the blue-green strategy: the new version comes up beside
// the active one behind the preview Service, is checked (pre-promotion
// analysis, a person, or a timer), is scaled to full size, and the active
// Service switches to it; post-promotion analysis then decides whether it
// stays or the active Service switches back to the old version, which is
// kept up for scaleDownDelaySeconds.

// bgStage is where a blue-green update stands.
type bgStage int

const (
	// bgStable: no update in flight.
	bgStable bgStage = iota
	// bgAborted: the update was aborted; the old version is active.
	bgAborted
	// bgPreview: the new version comes up behind the preview Service and
	// waits for its checks and promotion.
	bgPreview
	// bgScaleUp: promoted; the new version grows to full size before the
	// switch.
	bgScaleUp
	// bgSwitched: the active Service selects the new version; the
	// post-promotion analysis runs.
	bgSwitched
)

// blueGreenStage reads the stage from status.
func blueGreenStage(s *scope) bgStage {
	st := &s.rollout.Status
	switch {
	case st.StableRS == s.hash:
		return bgStable
	case st.Abort:
		return bgAborted
	case st.BlueGreen.ActiveSelector == s.hash:
		return bgSwitched
	case st.BlueGreen.ScaleUpPreviewCheckPoint:
		return bgScaleUp
	}
	return bgPreview
}

// previewCount is how many pods the new version runs before promotion.
func previewCount(s *scope) int32 {
	bg := s.rollout.Spec.Strategy.BlueGreen
	return min(ptr.Deref(bg.PreviewReplicaCount, s.replicas), s.replicas)
}

// blueGreenPlan sizes the ReplicaSets for stage: the active version at
// full size (held by its scale-down deadline once it is old), the new one
// at the preview count or full size, the others drained.
func blueGreenPlan(s *scope, stage bgStage) []planEntry {
	switch stage {
	case bgStable:
		return stablePlan(s)
	case bgAborted:
		return abortPlan(s)
	}
	target := previewCount(s)
	if stage != bgPreview {
		target = s.replicas
	}
	if s.stableRS == nil || s.stableRS == s.newRS {
		return withOthers(s, planEntry{rs: s.newRS, target: target})
	}
	return withOthers(s, planEntry{rs: s.stableRS, target: s.replicas}, planEntry{rs: s.newRS, target: target})
}

// reconcileBlueGreen carries out a blue-green update one reconcile at a
// time: it scales the ReplicaSets for the stage, points the Services, and
// moves to the next stage when the checks allow.
func (r *Reconciler) reconcileBlueGreen(ctx context.Context, s *scope) error {
	bg := s.rollout.Spec.Strategy.BlueGreen
	st := &s.rollout.Status
	if !st.Abort {
		if err := r.releaseHold(ctx, s.newRS); err != nil {
			return err
		}
	}
	stage := blueGreenStage(s)
	switch stage {
	case bgAborted:
		delay := seconds(ptr.Deref(bg.AbortScaleDownDelaySeconds, rampv1alpha1.DefaultAbortScaleDownDelaySeconds))
		if bg.AbortScaleDownDelaySeconds != nil && *bg.AbortScaleDownDelaySeconds == 0 {
			delay = -1
		}
		// The active Service goes back first (the old version never
		// scaled down while the update was in flight).
		if err := r.pointBlueGreen(ctx, s, st.StableRS, st.StableRS); err != nil {
			return err
		}
		if err := r.keepUntil(ctx, s, s.newRS, delay); err != nil {
			return err
		}
		return r.applyPlan(ctx, s, blueGreenPlan(s, stage))
	case bgStable:
		return r.holdBlueGreenStable(ctx, s)
	}

	if err := r.applyPlan(ctx, s, blueGreenPlan(s, stage)); err != nil {
		return err
	}
	preview := st.StableRS
	if servingHash(s.newRS) != "" {
		preview = s.hash
	}
	switch stage {
	case bgPreview:
		if err := r.pointBlueGreen(ctx, s, st.StableRS, preview); err != nil {
			return err
		}
		if !previewReady(s) {
			return nil
		}
		if !st.PromoteFull {
			ok, promoted, err := r.blueGreenAnalysis(ctx, s, kindPrePromotion)
			if err != nil || !ok {
				return err
			}
			if g := bg.PrePromotionGate; g != nil && !promoted {
				// A denial aborts the update: the next reconcile takes
				// the active Service back, as after a failed analysis.
				allowed, byPerson, err := r.runGate(s, gatePrePromotion, g, gateRequest(s, nil))
				if err != nil || !allowed {
					return err
				}
				promoted = byPerson
			}
			if !promoted && !promotionGranted(s) {
				return nil
			}
		}
		st.BlueGreen.ScaleUpPreviewCheckPoint = true
		s.event(eventNormal, reasonPromoted, "Promote", "Revision %s promoted: scaling it to %d pods before the active Service switches",
			revisionLabel(s.newRS), s.replicas)
		if err := r.applyPlan(ctx, s, blueGreenPlan(s, bgScaleUp)); err != nil {
			return err
		}
		fallthrough
	case bgScaleUp:
		if availableOf(s.newRS) < s.replicas || ptr.Deref(s.newRS.Spec.Replicas, 0) != s.replicas {
			return r.pointBlueGreen(ctx, s, st.StableRS, preview)
		}
		// Full size and available: the active Service switches (below).
		fallthrough
	case bgSwitched:
		if err := r.pointBlueGreen(ctx, s, s.hash, s.hash); err != nil {
			return err
		}
		ok := true
		if !st.PromoteFull { // promote --full skips the analysis
			var err error
			if ok, _, err = r.blueGreenAnalysis(ctx, s, kindPostPromotion); err != nil {
				return err
			}
		}
		if st.Abort {
			// The post-promotion analysis failed: back to the old version
			// at once, while it is still up.
			return r.reconcileBlueGreen(ctx, s)
		}
		if !ok {
			return nil
		}
		return r.promoteBlueGreen(ctx, s)
	}
	return nil
}

// holdBlueGreenStable runs the stable version: both Services on it, the
// version the active Service leaves kept up for scaleDownDelaySeconds (an
// instant undo), the others drained.
func (r *Reconciler) holdBlueGreenStable(ctx context.Context, s *scope) error {
	st := &s.rollout.Status
	bg := s.rollout.Spec.Strategy.BlueGreen
	if prev := st.BlueGreen.ActiveSelector; prev != "" && prev != s.hash {
		if err := r.keepUntil(ctx, s, s.replicaSetOf(prev), seconds(ptr.Deref(bg.ScaleDownDelaySeconds, rampv1alpha1.DefaultScaleDownDelaySeconds))); err != nil {
			return err
		}
	}
	if err := r.applyPlan(ctx, s, blueGreenPlan(s, bgStable)); err != nil {
		return err
	}
	return r.pointBlueGreen(ctx, s, servingHash(s.stableRS), servingHash(s.stableRS))
}

// promoteBlueGreen makes the new version stable once it is active and its
// post-promotion analysis (if any) succeeded; the old one stays up for
// scaleDownDelaySeconds.
func (r *Reconciler) promoteBlueGreen(ctx context.Context, s *scope) error {
	st := &s.rollout.Status
	bg := s.rollout.Spec.Strategy.BlueGreen
	old := s.stableRS
	st.StableRS = s.hash
	s.stableRS = s.newRS
	resetSteps(st)
	s.event(eventNormal, reasonPromoted, "Promote", "Revision %s is now the stable version; the old one stays up for %s",
		revisionLabel(s.newRS), seconds(ptr.Deref(bg.ScaleDownDelaySeconds, rampv1alpha1.DefaultScaleDownDelaySeconds)))
	s.notifyLast(rampv1alpha1.TriggerPromoted, 0)
	if old != nil && old != s.newRS {
		if err := r.keepUntil(ctx, s, old, seconds(ptr.Deref(bg.ScaleDownDelaySeconds, rampv1alpha1.DefaultScaleDownDelaySeconds))); err != nil {
			return err
		}
	}
	return r.applyPlan(ctx, s, blueGreenPlan(s, bgStable))
}

// pointBlueGreen points the active and preview Services at their hashes
// (an empty hash leaves a Service as it is) and records them in status.
func (r *Reconciler) pointBlueGreen(ctx context.Context, s *scope, active, preview string) error {
	bg := s.rollout.Spec.Strategy.BlueGreen
	st := &s.rollout.Status
	if active != "" {
		if err := r.pointService(ctx, s, bg.ActiveService, "active", active); err != nil {
			return err
		}
		st.BlueGreen.ActiveSelector = active
	}
	if bg.PreviewService != "" && preview != "" {
		if err := r.pointService(ctx, s, bg.PreviewService, "preview", preview); err != nil {
			return err
		}
	}
	if preview != "" {
		st.BlueGreen.PreviewSelector = preview
	}
	return nil
}

// previewReady reports whether the new version runs its preview pods, all
// available.
func previewReady(s *scope) bool {
	n := previewCount(s)
	return s.newRS != nil && ptr.Deref(s.newRS.Spec.Replicas, 0) >= n && availableOf(s.newRS) >= n
}

// blueGreenAnalysis starts or reads the pre- or post-promotion analysis;
// ok is true once it succeeded (or when there is none). A failed or
// errored run aborts the update; an inconclusive one pauses the rollout
// until a person promotes (ok and promoted: the person accepted the
// version) or aborts.
func (r *Reconciler) blueGreenAnalysis(ctx context.Context, s *scope, kind string) (ok, promoted bool, err error) {
	bg := s.rollout.Spec.Strategy.BlueGreen
	st := &s.rollout.Status
	a, current, field := bg.PrePromotionAnalysis, &st.BlueGreen.PrePromotionAnalysisRun, "spec.strategy.blueGreen.prePromotionAnalysis"
	if kind == kindPostPromotion {
		a, current, field = bg.PostPromotionAnalysis, &st.BlueGreen.PostPromotionAnalysisRun, "spec.strategy.blueGreen.postPromotionAnalysis"
	}
	if a == nil {
		return true, false, nil
	}
	run, err := r.ensureRun(ctx, s, current, kind, 0, a, field)
	if err != nil {
		return false, false, err
	}
	switch run.Status.Phase {
	case rampv1alpha1.AnalysisPhaseSuccessful:
		return true, false, nil
	case rampv1alpha1.AnalysisPhaseFailed, rampv1alpha1.AnalysisPhaseError:
		abortForRun(s, run)
	case rampv1alpha1.AnalysisPhaseInconclusive:
		switch {
		case findPause(st, rampv1alpha1.PauseReasonInconclusiveAnalysis) != nil:
		case st.ControllerPause:
			// A person cleared the pause: promoted past the run.
			st.ControllerPause = false
			return true, true, nil
		default:
			addPause(s, rampv1alpha1.PauseReasonInconclusiveAnalysis)
			s.event(eventNormal, reasonPaused, "Pause", "Paused: analysis run %s is inconclusive: %s", run.Name, run.Status.Message)
			s.notifyLast(rampv1alpha1.TriggerAnalysisInconclusive, 0)
		}
	}
	return false, false, nil
}

// promotionGranted reports whether the preview may be promoted now: at
// once with auto-promotion; after autoPromotionSeconds (a BlueGreenPause
// that ends by itself); or, without auto-promotion, once a person cleared
// the BlueGreenPause the rollout waits in.
func promotionGranted(s *scope) bool {
	bg := s.rollout.Spec.Strategy.BlueGreen
	st := &s.rollout.Status
	auto := ptr.Deref(bg.AutoPromotionEnabled, true)
	wait := time.Duration(ptr.Deref(bg.AutoPromotionSeconds, 0)) * time.Second
	if auto && wait == 0 {
		return true
	}
	pause := findPause(st, rampv1alpha1.PauseReasonBlueGreenPause)
	switch {
	case pause == nil && !st.ControllerPause:
		addPause(s, rampv1alpha1.PauseReasonBlueGreenPause)
		if !auto {
			s.event(eventNormal, reasonPaused, "Pause", "Paused before the active Service switches to revision %s: waiting for kubectl ramp promote %s",
				revisionLabel(s.newRS), s.rollout.Name)
			s.notifyLast(rampv1alpha1.TriggerPaused, 0)
		}
		if auto {
			s.requeueAt(autoPromotionAt(findPause(st, rampv1alpha1.PauseReasonBlueGreenPause), wait))
		}
		return false
	case pause == nil:
		// A person promoted.
		st.ControllerPause = false
		return true
	case auto && !s.now.Before(autoPromotionAt(pause, wait)):
		removePause(st, rampv1alpha1.PauseReasonBlueGreenPause)
		st.ControllerPause = false
		return true
	case auto:
		s.requeueAt(autoPromotionAt(pause, wait))
	}
	return false
}

// autoPromotionAt is when a BlueGreenPause promotes by itself: wait after
// it started. Its start is stored in whole seconds, so the count starts at
// the end of that second: never early.
func autoPromotionAt(pause *rampv1alpha1.PauseCondition, wait time.Duration) time.Time {
	return pause.StartTime.Add(time.Second + wait)
}

// addPause adds a pause of reason started now, and marks it as the
// controller's.
func addPause(s *scope, reason rampv1alpha1.PauseReason) {
	st := &s.rollout.Status
	st.PauseConditions = append(st.PauseConditions, rampv1alpha1.PauseCondition{Reason: reason, StartTime: metav1.NewTime(s.now)})
	st.ControllerPause = true
}

// replicaSetOf returns the rollout's ReplicaSet of hash, or nil.
func (s *scope) replicaSetOf(hash string) *appsv1.ReplicaSet {
	for _, rs := range s.replicaSets {
		if hashOf(rs) == hash {
			return rs
		}
	}
	return nil
}

// instantUndo reports whether the update goes back to a blue-green
// version that is still up within its scale-down delay, fully available:
// it becomes active again at once, without preview, analysis or pause.
func instantUndo(s *scope) bool {
	if s.rollout.Spec.Strategy.BlueGreen == nil || s.newRS == nil {
		return false
	}
	deadline, ok := scaleDownDeadline(s.newRS)
	return ok && s.now.Before(deadline) && ptr.Deref(s.newRS.Spec.Replicas, 0) == s.replicas &&
		availableOf(s.newRS) >= s.replicas
}

// keptForDelay reports whether rs stays up only for its scale-down delay,
// which has not passed: it does not make the rollout unhealthy.
func keptForDelay(s *scope, rs *appsv1.ReplicaSet) bool {
	deadline, ok := scaleDownDeadline(rs)
	return ok && s.now.Before(deadline)
}

// blueGreenLabel says where a blue-green update stands, for messages.
func blueGreenLabel(s *scope) string {
	switch blueGreenStage(s) {
	case bgPreview:
		return fmt.Sprintf("the preview (%s)", previewState(s))
	case bgScaleUp:
		return fmt.Sprintf("the scale-up before the switch (%d/%d available)", availableOf(s.newRS), s.replicas)
	case bgSwitched:
		if run := s.rollout.Status.BlueGreen.PostPromotionAnalysisRun; run != "" {
			return fmt.Sprintf("the post-promotion analysis (analysis run %s)", run)
		}
		return "the switch"
	}
	return "the stable version"
}

// previewState describes the preview ReplicaSet, such as
// "preview web-7d6459646d ready 3/3".
func previewState(s *scope) string {
	if s.newRS == nil {
		return "preview not created yet"
	}
	return fmt.Sprintf("preview %s ready %d/%d", s.newRS.Name, availableOf(s.newRS), previewCount(s))
}

// blueGreenPauseMessage is the message of a rollout waiting in a
// BlueGreenPause.
func blueGreenPauseMessage(s *scope, cond *rampv1alpha1.PauseCondition) string {
	bg := s.rollout.Spec.Strategy.BlueGreen
	if ptr.Deref(bg.AutoPromotionEnabled, true) {
		at := autoPromotionAt(cond, seconds(ptr.Deref(bg.AutoPromotionSeconds, 0)))
		return fmt.Sprintf("Waiting for promotion: %s; promoting automatically at %s, or now with kubectl ramp promote %s",
			previewState(s), at.UTC().Format(time.RFC3339), s.rollout.Name)
	}
	return fmt.Sprintf("Waiting for promotion: %s; run kubectl ramp promote %s to switch the active Service %s to it",
		previewState(s), s.rollout.Name, bg.ActiveService)
}
