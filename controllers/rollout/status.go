package rollout

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// isHealthy reports whether the stable version is the current one, at full
// size and available, and no other ReplicaSet has pods left.
func isHealthy(s *scope) bool {
	st := &s.rollout.Status
	if s.stalled != nil || s.stableRS == nil || st.StableRS != s.hash {
		return false
	}
	rs := s.stableRS
	if ptr.Deref(rs.Spec.Replicas, 0) != s.replicas || rs.Status.AvailableReplicas < s.replicas ||
		rs.Status.ObservedGeneration < rs.Generation {
		return false
	}
	for _, o := range others(s, rs) {
		if keptForDelay(s, o) {
			// Kept up for its scale-down delay (an instant undo), on
			// purpose.
			continue
		}
		if ptr.Deref(o.Spec.Replicas, 0) != 0 || o.Status.Replicas != 0 {
			return false
		}
	}
	return true
}

// progressSignature is what changes when an update makes progress.
type progressSignature struct {
	currentPodHash, stableRS        string
	step                            int32
	replicas, updated, ready, avail int32
	paused, aborted                 bool
}

func signatureOf(st *rampv1alpha1.RolloutStatus, specPaused bool) progressSignature {
	return progressSignature{
		currentPodHash: st.CurrentPodHash, stableRS: st.StableRS,
		step:     ptr.Deref(st.CurrentStepIndex, 0),
		replicas: st.Replicas, updated: st.UpdatedReplicas, ready: st.ReadyReplicas, avail: st.AvailableReplicas,
		paused: specPaused || len(st.PauseConditions) > 0, aborted: st.Abort,
	}
}

// computeStatus fills in the fields derived from what this reconcile saw:
// pod counts, selector, phase, message, progress deadline and conditions.
func computeStatus(s *scope, before *rampv1alpha1.RolloutStatus) {
	ro := s.rollout
	st := &ro.Status
	if s.loaded {
		st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas = 0, 0, 0, 0
		for _, rs := range s.replicaSets {
			st.Replicas += rs.Status.Replicas
			st.ReadyReplicas += rs.Status.ReadyReplicas
			st.AvailableReplicas += rs.Status.AvailableReplicas
		}
		if s.newRS != nil {
			st.UpdatedReplicas = s.newRS.Status.Replicas
		}
	}
	if s.selector != nil {
		st.Selector = s.selector.String()
	}

	phase, reason, msg := basePhase(s)
	if phase == rampv1alpha1.RolloutPhaseProgressing {
		wasProgressing := before.Phase == rampv1alpha1.RolloutPhaseProgressing ||
			conditionReason(before.Conditions, rampv1alpha1.ConditionProgressing) == rampv1alpha1.ReasonProgressDeadlineExceeded
		if !wasProgressing || st.LastProgressTime == nil || signatureOf(before, false) != signatureOf(st, false) {
			st.LastProgressTime = ptr.To(metav1.NewTime(s.now))
		}
		// lastProgressTime is stored in whole seconds: count from the end of
		// its second, so the deadline never fires early.
		deadline := st.LastProgressTime.Add(time.Second + time.Duration(ptr.Deref(ro.Spec.ProgressDeadlineSeconds,
			rampv1alpha1.DefaultProgressDeadlineSeconds))*time.Second)
		if s.now.After(deadline) {
			phase, reason = rampv1alpha1.RolloutPhaseDegraded, rampv1alpha1.ReasonProgressDeadlineExceeded
			msg = fmt.Sprintf("No progress for %ds (progressDeadlineSeconds): %s",
				ptr.Deref(ro.Spec.ProgressDeadlineSeconds, rampv1alpha1.DefaultProgressDeadlineSeconds), msg)
			if ro.Spec.ProgressDeadlineAbort && st.StableRS != s.hash && !st.Abort {
				st.Abort = true
				st.AbortedBy = "the progress deadline (progressDeadlineAbort)"
				s.requeueAt(s.now)
			}
		} else {
			s.requeueAt(deadline)
		}
	}
	st.Phase, st.Message = phase, msg
	setConditions(s, phase, reason, msg)
}

// basePhase decides phase, reason and message, leaving the progress
// deadline aside.
func basePhase(s *scope) (rampv1alpha1.RolloutPhase, string, string) {
	ro := s.rollout
	st := &ro.Status
	switch {
	case s.denied != "":
		return rampv1alpha1.RolloutPhaseDegraded, rampv1alpha1.ReasonPermissionDenied, s.denied
	case s.stalled != nil:
		return rampv1alpha1.RolloutPhaseDegraded, s.stalled.reason, s.stalled.message
	case st.Abort && strings.HasPrefix(st.AbortedBy, analysisAbortPrefix):
		return rampv1alpha1.RolloutPhaseDegraded, rampv1alpha1.ReasonAnalysisFailed, abortMessage(s)
	case st.Abort && strings.HasPrefix(st.AbortedBy, gateAbortPrefix):
		return rampv1alpha1.RolloutPhaseDegraded, rampv1alpha1.ReasonGateDenied, abortMessage(s)
	case st.Abort:
		return rampv1alpha1.RolloutPhaseDegraded, rampv1alpha1.ReasonAborted, abortMessage(s)
	case isHealthy(s):
		return rampv1alpha1.RolloutPhaseHealthy, rampv1alpha1.ReasonSucceeded,
			fmt.Sprintf("Healthy: %d/%d pods of revision %s available", s.stableRS.Status.AvailableReplicas, s.replicas, revisionLabel(s.stableRS))
	case ro.Spec.Paused:
		return rampv1alpha1.RolloutPhasePaused, rampv1alpha1.ReasonSpecPaused,
			fmt.Sprintf("Paused by spec.paused at %s; set it to false (kubectl ramp resume %s) to continue", stepLabel(s), ro.Name)
	case findPause(st, rampv1alpha1.PauseReasonInconclusiveAnalysis) != nil:
		return rampv1alpha1.RolloutPhasePaused, rampv1alpha1.ReasonAnalysisInconclusive, pauseMessage(s)
	case findPause(st, rampv1alpha1.PauseReasonGate) != nil:
		return rampv1alpha1.RolloutPhasePaused, rampv1alpha1.ReasonGateWaiting, pauseMessage(s)
	case len(st.PauseConditions) > 0:
		return rampv1alpha1.RolloutPhasePaused, rampv1alpha1.ReasonPaused, pauseMessage(s)
	}
	return rampv1alpha1.RolloutPhaseProgressing, progressReason(s), progressMessage(s)
}

// stepLabel names the current step, such as "step 3/6 (setWeight 50)".
func stepLabel(s *scope) string {
	if s.rollout.Spec.Strategy.BlueGreen != nil {
		return blueGreenLabel(s)
	}
	steps := canarySteps(s.rollout)
	i := ptr.Deref(s.rollout.Status.CurrentStepIndex, 0)
	if int(i) >= len(steps) {
		return fmt.Sprintf("the end of its %d steps", len(steps))
	}
	return fmt.Sprintf("step %d/%d (%s)", i+1, len(steps), describeStep(steps[i]))
}

// podCounts describes the canary and stable pods, such as
// "canary 1/1 available, stable 3/3 available".
func podCounts(s *scope) string {
	var parts []string
	newRole, stableRole := "canary", "stable"
	if s.rollout.Spec.Strategy.BlueGreen != nil {
		newRole, stableRole = "preview", "active"
		if s.rollout.Status.BlueGreen.ActiveSelector == s.hash {
			newRole, stableRole = "active", "previous"
		}
	}
	if s.newRS != nil && s.newRS != s.stableRS {
		parts = append(parts, fmt.Sprintf("%s %d/%d available", newRole, s.newRS.Status.AvailableReplicas, ptr.Deref(s.newRS.Spec.Replicas, 0)))
	}
	if s.stableRS != nil {
		parts = append(parts, fmt.Sprintf("%s %d/%d available", stableRole, s.stableRS.Status.AvailableReplicas, ptr.Deref(s.stableRS.Spec.Replicas, 0)))
	}
	var old int32
	for _, o := range others(s, s.newRS, s.stableRS) {
		old += o.Status.Replicas
	}
	if old > 0 {
		parts = append(parts, fmt.Sprintf("%d old pods terminating", old))
	}
	if w := s.rollout.Status.Canary.Weights; w != nil && routed(s) {
		parts = append(parts, fmt.Sprintf("traffic %d%% canary", w.Canary.Weight))
	}
	return strings.Join(parts, ", ")
}

func abortMessage(s *scope) string {
	st := &s.rollout.Status
	return fmt.Sprintf("Update to revision %s aborted by %s: back on the stable revision %s (%s); run kubectl ramp retry %s to start it again",
		s.hash, st.AbortedBy, st.StableRS, podCounts(s), s.rollout.Name)
}

func pauseMessage(s *scope) string {
	st := &s.rollout.Status
	steps := canarySteps(s.rollout)
	if cond := findPause(st, rampv1alpha1.PauseReasonBlueGreenPause); cond != nil {
		return blueGreenPauseMessage(s, cond)
	}
	i := ptr.Deref(st.CurrentStepIndex, 0)
	if cond := findPause(st, rampv1alpha1.PauseReasonCanaryPauseStep); cond != nil && int(i) < len(steps) {
		if d, timed, _ := pauseDuration(steps[i].Pause); timed {
			return fmt.Sprintf("Paused at %s until %s (%s)", stepLabel(s),
				cond.StartTime.Add(d).UTC().Format(time.RFC3339), podCounts(s))
		}
		return fmt.Sprintf("Paused at %s (%s): run kubectl ramp promote %s to continue", stepLabel(s), podCounts(s), s.rollout.Name)
	}
	if findPause(st, rampv1alpha1.PauseReasonGate) != nil && st.Gate != nil {
		return gateWaitMessage(s)
	}
	if findPause(st, rampv1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		for _, name := range []string{st.Canary.CurrentStepAnalysisRun, st.Canary.CurrentBackgroundAnalysisRun,
			st.BlueGreen.PrePromotionAnalysisRun, st.BlueGreen.PostPromotionAnalysisRun} {
			if run := s.runNamed(name); run != nil && run.Status.Phase == rampv1alpha1.AnalysisPhaseInconclusive {
				return fmt.Sprintf("Paused (InconclusiveAnalysis) at %s: analysis run %s is inconclusive: %s; run kubectl ramp promote %s to go on or kubectl ramp abort %s to roll back",
					stepLabel(s), run.Name, run.Status.Message, s.rollout.Name, s.rollout.Name)
			}
		}
	}
	reasons := make([]string, 0, len(st.PauseConditions))
	for _, c := range st.PauseConditions {
		reasons = append(reasons, string(c.Reason))
	}
	return fmt.Sprintf("Paused (%s) at %s", strings.Join(reasons, ", "), stepLabel(s))
}

func progressReason(s *scope) string {
	st := &s.rollout.Status
	switch {
	case st.StableRS == s.hash:
		return rampv1alpha1.ReasonProgressing
	case s.newRS == nil || ptr.Deref(st.CurrentStepIndex, 0) == 0 && s.newRS.Status.Replicas == 0:
		return rampv1alpha1.ReasonNewRevision
	}
	return rampv1alpha1.ReasonStepInProgress
}

func progressMessage(s *scope) string {
	st := &s.rollout.Status
	if st.StableRS == s.hash {
		if s.stableRS == nil {
			return fmt.Sprintf("Creating the ReplicaSet of revision %s", s.hash)
		}
		return fmt.Sprintf("Rolling out revision %s: %d/%d pods available (%s)", revisionLabel(s.stableRS),
			s.stableRS.Status.AvailableReplicas, s.replicas, podCounts(s))
	}
	return fmt.Sprintf("Updating to revision %s at %s: %s", revisionLabel(s.newRS), stepLabel(s), podCounts(s))
}

// conditionReason returns the reason of the condition of type t, or "".
func conditionReason(conds []metav1.Condition, t string) string {
	if c := meta.FindStatusCondition(conds, t); c != nil {
		return c.Reason
	}
	return ""
}

// setConditions sets the kstatus conditions (Ready, Reconciling, Stalled)
// and Progressing, Available, Paused and Completed from the phase.
func setConditions(s *scope, phase rampv1alpha1.RolloutPhase, reason, msg string) {
	ro := s.rollout
	set := func(t string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&ro.Status.Conditions, metav1.Condition{
			Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: ro.Generation,
		})
	}
	healthy := phase == rampv1alpha1.RolloutPhaseHealthy
	stalled := phase == rampv1alpha1.RolloutPhaseDegraded
	working := phase == rampv1alpha1.RolloutPhaseProgressing || phase == rampv1alpha1.RolloutPhasePaused

	set(rampv1alpha1.ConditionReady, healthy, reason, msg)
	set(rampv1alpha1.ConditionReconciling, working, reason, msg)
	set(rampv1alpha1.ConditionStalled, stalled, reason, msg)
	set(rampv1alpha1.ConditionProgressing, !stalled, reason, msg)
	set(rampv1alpha1.ConditionPaused, phase == rampv1alpha1.RolloutPhasePaused, reason, msg)
	set(rampv1alpha1.ConditionCompleted, healthy, reason, msg)

	minAvailable := s.replicas - s.unavailable
	if ro.Status.AvailableReplicas >= minAvailable {
		set(rampv1alpha1.ConditionAvailable, true, rampv1alpha1.ReasonAvailable,
			fmt.Sprintf("%d pods available, at least %d needed", ro.Status.AvailableReplicas, minAvailable))
	} else {
		set(rampv1alpha1.ConditionAvailable, false, rampv1alpha1.ReasonUnavailable,
			fmt.Sprintf("%d pods available, fewer than the %d needed (replicas - maxUnavailable)", ro.Status.AvailableReplicas, minAvailable))
	}
}
