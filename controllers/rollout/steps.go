package rollout

import (
	"fmt"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// This file holds the canary step machine: pure functions of the steps, the
// step state in status and the time.

// weightAt is the canary weight in force at step index: that of the last
// setWeight step at or before it, 0 before the first, 100 after the last
// step.
func weightAt(steps []rampv1alpha1.CanaryStep, index int32) int32 {
	if int(index) >= len(steps) {
		return 100
	}
	for i := index; i >= 0; i-- {
		if w := steps[i].SetWeight; w != nil {
			return *w
		}
	}
	return 0
}

// pauseDuration parses a pause step's duration: a number of seconds or a Go
// duration string. ok is false for a pause without duration.
func pauseDuration(p *rampv1alpha1.RolloutPause) (d time.Duration, ok bool, err error) {
	if p == nil || p.Duration == nil {
		return 0, false, nil
	}
	if p.Duration.Type == intstr.Int {
		return time.Duration(p.Duration.IntVal) * time.Second, true, nil
	}
	if n, err := strconv.Atoi(p.Duration.StrVal); err == nil {
		return time.Duration(n) * time.Second, true, nil
	}
	d, err = time.ParseDuration(p.Duration.StrVal)
	if err != nil {
		return 0, false, &durationError{value: p.Duration.StrVal, err: err}
	}
	return d, true, nil
}

// stepOutcome is what advanceSteps decided.
type stepOutcome struct {
	// weight is the canary weight to hold now.
	weight int32
	// done is true once every step is complete: the update is promoted.
	done bool
	// wakeAt is when a timed pause ends; zero when none.
	wakeAt time.Time
	// completed are the indexes of the steps completed in this call.
	completed []int32
	// pausedAt is the index of a pause step that began in this call; -1 when none.
	pausedAt int32
	// resumedAt is the index of a pause step a person promoted past in
	// this call; -1 when none.
	resumedAt int32
	// now is the time of the call.
	now time.Time
}

// stepChecks tell advanceSteps about the world.
type stepChecks struct {
	// reached reports whether the pods (and routes) are at a weight for a
	// step and available.
	reached func(weight, index int32) bool
	// analyze starts or reads the analysis of step index and returns the
	// phase of its run (Pending or Running while it measures).
	analyze func(index int32, a *rampv1alpha1.RolloutAnalysis) (rampv1alpha1.AnalysisPhase, error)
	// gate runs the gate of step index and reports whether it allows the
	// update to go on (a denial aborts the update, which the caller sees).
	gate func(index int32, g *rampv1alpha1.RolloutGate) (bool, error)
}

// advanceSteps moves status.currentStepIndex past every step that is
// complete, and says which weight to hold. It changes only the step fields
// of st: currentStepIndex, pauseConditions and controllerPause.
func advanceSteps(st *rampv1alpha1.RolloutStatus, steps []rampv1alpha1.CanaryStep, now time.Time, checks stepChecks) (stepOutcome, error) {
	out := stepOutcome{pausedAt: -1, resumedAt: -1, now: now}
	// The CRD lets a status patch set a negative currentStepIndex; start
	// such a rollout from the first step instead of indexing out of steps.
	index := max(ptr.Deref(st.CurrentStepIndex, 0), 0)
	for int(index) < len(steps) {
		step := steps[index]
		out.weight = weightAt(steps, index)
		switch {
		case step.SetWeight != nil, step.SetCanaryScale != nil:
			if !checks.reached(out.weight, index) {
				st.CurrentStepIndex = ptr.To(index)
				return out, nil
			}
		case step.Analysis != nil:
			st.CurrentStepIndex = ptr.To(index)
			phase, err := checks.analyze(index, step.Analysis)
			if err != nil {
				return out, err
			}
			if !analysisStepDone(st, phase, index, &out) {
				return out, nil
			}
		case step.Gate != nil:
			st.CurrentStepIndex = ptr.To(index)
			allowed, err := checks.gate(index, step.Gate)
			if err != nil || !allowed {
				return out, err
			}
		case step.Pause != nil:
			wait, err := pauseStep(st, step.Pause, index, now, &out)
			if err != nil || wait {
				st.CurrentStepIndex = ptr.To(index)
				return out, err
			}
		default:
			// Header and mirror routes are set after the steps advance
			// (syncManagedRoutes), from the steps up to the current one.
		}
		out.completed = append(out.completed, index)
		index++
	}
	st.CurrentStepIndex = ptr.To(index)
	out.weight = 100
	out.done = true
	return out, nil
}

// analysisStepDone decides an analysis step from its run's phase: a
// successful run completes it; an inconclusive one pauses the rollout (reason
// InconclusiveAnalysis) until a person promotes, which completes it; any other
// phase waits (a failed run aborts the update, which the caller does).
func analysisStepDone(st *rampv1alpha1.RolloutStatus, phase rampv1alpha1.AnalysisPhase, index int32, out *stepOutcome) bool {
	switch phase {
	case rampv1alpha1.AnalysisPhaseSuccessful:
		return true
	case rampv1alpha1.AnalysisPhaseInconclusive:
		return inconclusivePause(st, index, out)
	}
	return false
}

// inconclusivePause pauses for an inconclusive analysis and reports true
// once a person has promoted past it.
func inconclusivePause(st *rampv1alpha1.RolloutStatus, index int32, out *stepOutcome) bool {
	if findPause(st, rampv1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return false
	}
	if st.ControllerPause {
		st.ControllerPause = false
		out.resumedAt = index
		return true
	}
	st.PauseConditions = append(st.PauseConditions, rampv1alpha1.PauseCondition{
		Reason: rampv1alpha1.PauseReasonInconclusiveAnalysis, StartTime: metav1.NewTime(out.now),
	})
	st.ControllerPause = true
	out.pausedAt = index
	return false
}

// pauseStep runs a pause step. It returns true while the rollout must wait.
func pauseStep(st *rampv1alpha1.RolloutStatus, p *rampv1alpha1.RolloutPause, index int32, now time.Time, out *stepOutcome) (bool, error) {
	d, timed, err := pauseDuration(p)
	if err != nil {
		return true, err
	}
	cond := findPause(st, rampv1alpha1.PauseReasonCanaryPauseStep)
	if cond == nil {
		if st.ControllerPause {
			// We paused here and a person cleared the pause: promoted.
			st.ControllerPause = false
			out.resumedAt = index
			return false, nil
		}
		if timed && d <= 0 {
			return false, nil
		}
		st.PauseConditions = append(st.PauseConditions, rampv1alpha1.PauseCondition{
			Reason:    rampv1alpha1.PauseReasonCanaryPauseStep,
			StartTime: metav1.NewTime(now),
		})
		st.ControllerPause = true
		out.pausedAt = index
		cond = &st.PauseConditions[len(st.PauseConditions)-1]
	}
	if !timed {
		return true, nil
	}
	end := cond.StartTime.Add(d)
	if now.Before(end) {
		out.wakeAt = end
		return true, nil
	}
	removePause(st, rampv1alpha1.PauseReasonCanaryPauseStep)
	st.ControllerPause = false
	return false, nil
}

// findPause returns the pause condition with reason, or nil.
func findPause(st *rampv1alpha1.RolloutStatus, reason rampv1alpha1.PauseReason) *rampv1alpha1.PauseCondition {
	for i := range st.PauseConditions {
		if st.PauseConditions[i].Reason == reason {
			return &st.PauseConditions[i]
		}
	}
	return nil
}

// removePause drops the pause conditions with reason.
func removePause(st *rampv1alpha1.RolloutStatus, reason rampv1alpha1.PauseReason) {
	out := st.PauseConditions[:0]
	for _, c := range st.PauseConditions {
		if c.Reason != reason {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	st.PauseConditions = out
}

// resetSteps starts the steps again from the first, dropping pauses and
// forgetting the analysis runs (which are then stopped).
func resetSteps(st *rampv1alpha1.RolloutStatus) {
	st.CurrentStepIndex = ptr.To[int32](0)
	st.PauseConditions = nil
	st.ControllerPause = false
	st.PromoteFull = false
	st.Canary.CurrentStepAnalysisRun = ""
	st.Canary.CurrentBackgroundAnalysisRun = ""
	st.BlueGreen.PrePromotionAnalysisRun = ""
	st.BlueGreen.PostPromotionAnalysisRun = ""
	st.BlueGreen.ScaleUpPreviewCheckPoint = false
}

// canarySteps returns the canary steps of ro (none for blue-green).
func canarySteps(ro *rampv1alpha1.Rollout) []rampv1alpha1.CanaryStep {
	if c := ro.Spec.Strategy.Canary; c != nil {
		return c.Steps
	}
	return nil
}

// describeStep says in a few words what a step does, for messages.
func describeStep(step rampv1alpha1.CanaryStep) string {
	switch {
	case step.SetWeight != nil:
		return fmt.Sprintf("setWeight %d", *step.SetWeight)
	case step.Pause != nil:
		if step.Pause.Duration == nil {
			return "pause"
		}
		return "pause " + step.Pause.Duration.String()
	case step.Analysis != nil:
		return "analysis"
	case step.SetCanaryScale != nil:
		return "setCanaryScale"
	case step.SetHeaderRoute != nil:
		return "setHeaderRoute " + step.SetHeaderRoute.Name
	case step.SetMirrorRoute != nil:
		return "setMirrorRoute " + step.SetMirrorRoute.Name
	case step.Gate != nil:
		return "gate"
	}
	return "step"
}

// durationError is a pause duration that does not parse.
type durationError struct {
	value string
	err   error
}

func (e *durationError) Error() string { return fmt.Sprintf("pause duration %q: %v", e.value, e.err) }
func (e *durationError) Unwrap() error { return e.err }
