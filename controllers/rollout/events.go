package rollout

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Event reasons of a Rollout. Each transition records one Event with one of
// these, and a note for people.
const (
	reasonRolloutUpdated    = "RolloutUpdated"
	reasonStepCompleted     = "StepCompleted"
	reasonPaused            = "Paused"
	reasonResumed           = "Resumed"
	reasonPromoted          = "Promoted"
	reasonAborted           = "Aborted"
	reasonRetried           = "Retried"
	reasonRolledBack        = "RolledBack"
	reasonScaledReplicaSet  = "ScaledReplicaSet"
	reasonReplicaSetCreated = "ReplicaSetCreated"
	reasonReplicaSetDeleted = "ReplicaSetDeleted"
	reasonAdopted           = "Adopted"
	reasonServiceSwitched   = "ServiceSwitched"
	reasonPodsRestarted     = "PodsRestarted"
	reasonScaledWorkload    = "ScaledWorkload"
	reasonCompleted         = "RolloutCompleted"
	reasonProgressDeadline  = "ProgressDeadlineExceeded"
	reasonInvalidSpec       = "InvalidSpec"
	reasonAnalysisStarted   = "AnalysisRunStarted"
)

const (
	eventNormal  = corev1.EventTypeNormal
	eventWarning = corev1.EventTypeWarning
)

// event is an Event to record once status is written.
type event struct {
	eventType, reason, action, note string
}

// event queues an Event on the rollout.
func (s *scope) event(eventType, reason, action, format string, args ...any) {
	s.events = append(s.events, event{eventType: eventType, reason: reason, action: action, note: fmt.Sprintf(format, args...)})
}

// recordEvents records the queued Events, plus those that follow from the
// status transition from before to now.
func (r *Reconciler) recordEvents(s *scope, before *rampv1alpha1.RolloutStatus) {
	st := &s.rollout.Status
	specPausedBefore := conditionReason(before.Conditions, rampv1alpha1.ConditionPaused) == rampv1alpha1.ReasonSpecPaused &&
		before.Phase == rampv1alpha1.RolloutPhasePaused
	specPausedNow := st.Phase == rampv1alpha1.RolloutPhasePaused &&
		conditionReason(st.Conditions, rampv1alpha1.ConditionPaused) == rampv1alpha1.ReasonSpecPaused
	switch {
	case specPausedNow && !specPausedBefore:
		s.event(eventNormal, reasonPaused, "Pause", "Paused by spec.paused")
	case specPausedBefore && !specPausedNow && st.Phase != rampv1alpha1.RolloutPhaseHealthy:
		s.event(eventNormal, reasonResumed, "Resume", "Resumed: spec.paused is false")
	}
	if st.Phase != before.Phase {
		switch {
		case st.Phase == rampv1alpha1.RolloutPhaseHealthy && before.Phase != "":
			s.event(eventNormal, reasonCompleted, "Complete", "%s", st.Message)
		case s.stalled != nil:
			s.event(eventWarning, reasonInvalidSpec, "Validate", "%s", st.Message)
		case conditionReason(st.Conditions, rampv1alpha1.ConditionProgressing) == reasonProgressDeadline:
			s.event(eventWarning, reasonProgressDeadline, "Progress", "%s", st.Message)
		}
	} else if s.stalled != nil && st.Message != before.Message {
		s.event(eventWarning, reasonInvalidSpec, "Validate", "%s", st.Message)
	}
	if r.Recorder == nil {
		return
	}
	for _, e := range s.events {
		r.Recorder.Eventf(s.rollout, nil, e.eventType, e.reason, e.action, "%s", e.note)
	}
}
