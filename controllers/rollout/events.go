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
	reasonTrafficShifted    = "TrafficShifted"
	reasonTrafficDrift      = "TrafficDrift"
	reasonPermissionDenied  = rampv1alpha1.ReasonPermissionDenied
	reasonGateWaiting       = rampv1alpha1.ReasonGateWaiting
	reasonGateAllowed       = "GateAllowed"
)

const (
	eventNormal  = corev1.EventTypeNormal
	eventWarning = corev1.EventTypeWarning
)

// event is an Event to record once status is written, and, with a
// trigger, a notification to send (an event without a reason is a
// notification only).
type event struct {
	eventType, reason, action, note string
	// trigger, when set, sends the event as a notification (see
	// notification.go); step is the canary step it is about, counted from
	// 1 (0: the current one).
	trigger rampv1alpha1.NotificationTrigger
	step    int32
}

// sideEffects are the reasons of Events about a write already made to
// another object (a ReplicaSet scaled, a run created): they are recorded
// even when the status write that follows fails, because a retry will not
// make that write again. Events about status transitions are recorded only
// with their status, so a retry does not repeat them.
var sideEffects = map[string]bool{
	reasonScaledReplicaSet: true, reasonReplicaSetCreated: true, reasonReplicaSetDeleted: true,
	reasonAdopted: true, reasonServiceSwitched: true, reasonPodsRestarted: true,
	reasonScaledWorkload: true, reasonAnalysisStarted: true, reasonTrafficShifted: true, reasonTrafficDrift: true,
	// A refusal is reported even when the status write is what was refused.
	reasonPermissionDenied: true,
}

// event queues an Event on the rollout.
func (s *scope) event(eventType, reason, action, format string, args ...any) {
	s.events = append(s.events, event{eventType: eventType, reason: reason, action: action, note: fmt.Sprintf(format, args...)})
}

// notifyLast makes the Event queued last a notification with trigger
// too, about step (counted from 1; 0 for the current step).
func (s *scope) notifyLast(trigger rampv1alpha1.NotificationTrigger, step int32) {
	if n := len(s.events); n > 0 {
		s.events[n-1].trigger, s.events[n-1].step = trigger, step
	}
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
		s.notifyLast(rampv1alpha1.TriggerPaused, 0)
	case specPausedBefore && !specPausedNow && st.Phase != rampv1alpha1.RolloutPhaseHealthy:
		s.event(eventNormal, reasonResumed, "Resume", "Resumed: spec.paused is false")
	}
	if st.Phase != before.Phase {
		switch {
		case st.Phase == rampv1alpha1.RolloutPhaseHealthy && before.Phase != "":
			s.event(eventNormal, reasonCompleted, "Complete", "%s", st.Message)
			s.notifyLast(rampv1alpha1.TriggerHealthy, 0)
		case s.stalled != nil:
			s.event(eventWarning, reasonInvalidSpec, "Validate", "%s", st.Message)
		case conditionReason(st.Conditions, rampv1alpha1.ConditionProgressing) == reasonProgressDeadline:
			s.event(eventWarning, reasonProgressDeadline, "Progress", "%s", st.Message)
		}
	} else if s.stalled != nil && st.Message != before.Message {
		s.event(eventWarning, reasonInvalidSpec, "Validate", "%s", st.Message)
	}
	r.emit(s, false)
}

// emit records the queued Events; with onlySideEffects, only those about
// writes already made. Notifications go with the status transitions, so a
// retried reconcile does not send them twice.
func (r *Reconciler) emit(s *scope, onlySideEffects bool) {
	for _, e := range s.events {
		if onlySideEffects && !sideEffects[e.reason] {
			continue
		}
		if r.Recorder != nil && e.reason != "" {
			r.Recorder.Eventf(s.rollout, nil, e.eventType, e.reason, e.action, "%s", e.note)
		}
		if r.Notifier != nil && e.trigger != "" && !onlySideEffects {
			r.Notifier.Notify(s.rollout, notification(s, e))
		}
	}
}
