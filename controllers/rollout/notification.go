package rollout

import (
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/notify"
)

// Notifier sends notifications about Rollouts to the receivers of the
// NotificationConfigs that subscribe to them. Notify must return at once:
// it runs in the reconcile, after the status write the transition is part
// of. ro is read during the call only.
type Notifier interface {
	Notify(ro *rampv1alpha1.Rollout, m notify.Message)
}

// notification is the message of event e (which has a trigger).
func notification(s *scope, e event) notify.Message {
	ro := s.rollout
	st := &ro.Status
	m := notify.Message{
		Trigger: e.trigger, Namespace: ro.Namespace, Rollout: ro.Name, PodTemplateHash: s.hash,
		Strategy: "canary", Phase: string(st.Phase), Reason: e.reason, Text: e.note, Time: s.now,
	}
	if m.Reason == "" {
		m.Reason = string(e.trigger)
	}
	if s.newRS != nil {
		m.Revision = revisionOf(s.newRS)
	}
	if s.template != nil {
		for _, c := range s.template.Spec.Containers {
			m.Images = append(m.Images, c.Name+"="+c.Image)
		}
	}
	if ro.Spec.Strategy.BlueGreen != nil {
		m.Strategy = "blueGreen"
		return m
	}
	steps := int32(len(canarySteps(ro)))
	m.Steps = steps
	switch step := e.step; {
	case step > 0:
		m.Step = ptr.To(step)
	case st.StableRS != s.hash && ptr.Deref(st.CurrentStepIndex, 0) < steps:
		m.Step = ptr.To(ptr.Deref(st.CurrentStepIndex, 0) + 1)
	}
	if w := st.Canary.Weights; w != nil {
		m.Weight = ptr.To(w.Canary.Weight)
	}
	return m
}
