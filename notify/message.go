// Package notify delivers notifications about Rollouts to chat services
// (Slack, Microsoft Teams, Google Chat) and to generic webhooks.
//
// A Message describes one transition of a Rollout. A Sender formats it for
// each receiver (see the Kind constants), optionally signs it (see Sign and
// Verify) and posts it from a few background workers, retrying failed
// attempts with exponential backoff without ever blocking the caller.
//
// Receiver URLs, header values and signing keys are secrets: the package
// never logs them and scrubs them from every error it returns.
package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Message is one notification about a Rollout.
//
// The JSON form of a Message is what webhook receivers get (with a "title"
// field added, see KindWebhook).
type Message struct {
	// Trigger is the transition the message is about.
	Trigger rampv1alpha1.NotificationTrigger `json:"trigger"`
	// Namespace of the Rollout.
	Namespace string `json:"namespace"`
	// Rollout is the Rollout's name.
	Rollout string `json:"rollout"`
	// Revision is the revision number of the update.
	Revision int64 `json:"revision,omitempty"`
	// PodTemplateHash is the pod template hash of the update's revision.
	PodTemplateHash string `json:"podTemplateHash,omitempty"`
	// Images are the update's images as "container=image", in template
	// order.
	Images []string `json:"images,omitempty"`
	// Strategy is "canary" or "blueGreen".
	Strategy string `json:"strategy"`
	// Step is the 1-based canary step, canary only.
	Step *int32 `json:"step,omitempty"`
	// Steps is the number of canary steps.
	Steps int32 `json:"steps,omitempty"`
	// Weight is the canary's traffic weight in percent.
	Weight *int32 `json:"weight,omitempty"`
	// Phase is the Rollout's phase after the transition.
	Phase string `json:"phase"`
	// Reason is a short reason, such as "AnalysisRunFailed" or "PauseStep".
	Reason string `json:"reason"`
	// Text is the human sentence, such as "Aborted: metric error-rate
	// failed: 0.3 ...".
	Text string `json:"message"`
	// DashboardURL links to the Rollout's page on Ramp's dashboard, already
	// built; empty when there is no dashboard.
	DashboardURL string `json:"dashboardURL,omitempty"`
	// Time is when the transition happened.
	Time time.Time `json:"time"`
}

// Title is a one-line summary such as "shop/web: update aborted": the
// Rollout and a fixed wording per trigger.
func (m Message) Title() string {
	return m.rolloutName() + ": " + m.event()
}

// rolloutName is "namespace/name", or the name alone without a namespace.
func (m Message) rolloutName() string {
	if m.Namespace == "" {
		return m.Rollout
	}
	return m.Namespace + "/" + m.Rollout
}

// event is the fixed wording of the message's trigger.
func (m Message) event() string {
	switch m.Trigger {
	case rampv1alpha1.TriggerRolloutUpdated:
		return "update started"
	case rampv1alpha1.TriggerStepCompleted:
		if s := m.stepText(); s != "" {
			return "step " + s + " completed"
		}
		return "step completed"
	case rampv1alpha1.TriggerPaused:
		return "paused, waiting for a person"
	case rampv1alpha1.TriggerPromoted:
		return "promoted"
	case rampv1alpha1.TriggerAborted:
		return "update aborted"
	case rampv1alpha1.TriggerAnalysisFailed:
		return "analysis failed"
	case rampv1alpha1.TriggerAnalysisInconclusive:
		return "analysis inconclusive"
	case rampv1alpha1.TriggerHealthy:
		return "healthy"
	case rampv1alpha1.TriggerGateWaiting:
		return "waiting at a gate"
	case "":
		return "notification"
	default:
		return string(m.Trigger)
	}
}

// stepText is "2 of 5" (or "2" when the number of steps is unknown), empty
// without a step.
func (m Message) stepText() string {
	if m.Step == nil {
		return ""
	}
	s := strconv.FormatInt(int64(*m.Step), 10)
	if m.Steps > 0 {
		s += " of " + strconv.FormatInt(int64(m.Steps), 10)
	}
	return s
}

// weightText is "20%", empty without a weight.
func (m Message) weightText() string {
	if m.Weight == nil {
		return ""
	}
	return strconv.FormatInt(int64(*m.Weight), 10) + "%"
}

// fact is a labeled detail of a message, shown by chat formats.
type fact struct {
	name  string
	value string
}

// facts are the message's revision, images, step and weight, only those
// set, in that order.
func (m Message) facts() []fact {
	var fs []fact
	if m.Revision != 0 {
		fs = append(fs, fact{"Revision", strconv.FormatInt(m.Revision, 10)})
	}
	if len(m.Images) > 0 {
		fs = append(fs, fact{"Images", strings.Join(m.Images, ", ")})
	}
	if s := m.stepText(); s != "" {
		fs = append(fs, fact{"Step", s})
	}
	if w := m.weightText(); w != "" {
		fs = append(fs, fact{"Weight", w})
	}
	return fs
}

// Summary is the message as plain text over several lines: the title, the
// message text, then the revision, images, step, weight and dashboard link,
// each only when set.
func (m Message) Summary() string {
	var b strings.Builder
	b.WriteString(m.Title())
	if m.Text != "" {
		b.WriteString("\n")
		b.WriteString(m.Text)
	}
	for _, f := range m.facts() {
		fmt.Fprintf(&b, "\n%s: %s", f.name, f.value)
	}
	if m.DashboardURL != "" {
		b.WriteString("\nDashboard: ")
		b.WriteString(m.DashboardURL)
	}
	return b.String()
}
