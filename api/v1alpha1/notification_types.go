package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NotificationConfig tells people what the Rollouts of its namespace do:
// which transitions (triggers) are sent, to which receivers (a generic
// webhook, Slack, Microsoft Teams or Google Chat), for which Rollouts.
// Webhook URLs, tokens and signing keys are read from Secrets of the same
// namespace when a message is sent; they never appear in Events, metrics
// or logs. A delivery that fails after its retries is reported as a
// Warning Event on the config and in ramp_notifications_sent_total.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rnotify,categories=ramp
// +kubebuilder:printcolumn:name="Subscription",type=string,JSONPath=`.spec.subscription`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type NotificationConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says what is sent, where and for which Rollouts.
	// +required
	Spec NotificationConfigSpec `json:"spec"`
}

// NotificationTrigger is a transition of a Rollout that can be sent.
// +kubebuilder:validation:Enum=RolloutUpdated;StepCompleted;Paused;Promoted;Aborted;AnalysisFailed;AnalysisInconclusive;Healthy;GateWaiting
type NotificationTrigger string

// Notification triggers.
const (
	// TriggerRolloutUpdated: a new revision started rolling out.
	TriggerRolloutUpdated NotificationTrigger = "RolloutUpdated"
	// TriggerStepCompleted: a canary step completed.
	TriggerStepCompleted NotificationTrigger = "StepCompleted"
	// TriggerPaused: the update waits for a person (a pause step without a
	// duration, spec.paused, an inconclusive analysis, a blue-green pause).
	TriggerPaused NotificationTrigger = "Paused"
	// TriggerPromoted: the new revision became stable (or active).
	TriggerPromoted NotificationTrigger = "Promoted"
	// TriggerAborted: the update was aborted and traffic went back to the
	// stable version; the message says why.
	TriggerAborted NotificationTrigger = "Aborted"
	// TriggerAnalysisFailed: an analysis of the update failed or errored.
	TriggerAnalysisFailed NotificationTrigger = "AnalysisFailed"
	// TriggerAnalysisInconclusive: an analysis was inconclusive.
	TriggerAnalysisInconclusive NotificationTrigger = "AnalysisInconclusive"
	// TriggerHealthy: the Rollout finished its update and is Healthy.
	TriggerHealthy NotificationTrigger = "Healthy"
	// TriggerGateWaiting: a gate began waiting for its approval service.
	TriggerGateWaiting NotificationTrigger = "GateWaiting"
)

// DefaultNotificationTriggers are sent when spec.triggers is left out:
// what people act on, without the chatter of every step.
var DefaultNotificationTriggers = []NotificationTrigger{
	TriggerPaused, TriggerPromoted, TriggerAborted, TriggerAnalysisFailed, TriggerAnalysisInconclusive, TriggerHealthy,
}

// NotificationSubscription says which Rollouts of the namespace a config
// sends about.
// +kubebuilder:validation:Enum=Namespace;Annotation
type NotificationSubscription string

const (
	// SubscriptionNamespace sends about every Rollout of the namespace.
	SubscriptionNamespace NotificationSubscription = "Namespace"
	// SubscriptionAnnotation sends about the Rollouts whose
	// AnnotationNotify names the config.
	SubscriptionAnnotation NotificationSubscription = "Annotation"
)

// AnnotationNotify on a Rollout names, comma-separated, the
// NotificationConfigs of its namespace with subscription Annotation that
// send about it.
const AnnotationNotify = "ramp.dev/notify"

// NotificationConfigSpec says what is sent, where and for which Rollouts.
type NotificationConfigSpec struct {
	// Subscription is Namespace (every Rollout of the namespace, the
	// default) or Annotation (only Rollouts whose ramp.dev/notify
	// annotation names this config).
	// +kubebuilder:default=Namespace
	// +optional
	Subscription NotificationSubscription `json:"subscription,omitempty"`

	// Triggers are the transitions sent. Left out: Paused, Promoted,
	// Aborted, AnalysisFailed, AnalysisInconclusive and Healthy.
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	// +optional
	Triggers []NotificationTrigger `json:"triggers,omitempty"`

	// DashboardURL is the address people reach Ramp's dashboard at (such
	// as https://ramp.example.com); messages link to the Rollout's page
	// under it.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	DashboardURL string `json:"dashboardURL,omitempty"`

	// Receivers get every message of this config.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +required
	Receivers []NotificationReceiver `json:"receivers"`
}

// NotificationReceiver is where messages go. Set exactly one of webhook,
// slack, msteams or googlechat.
//
// +kubebuilder:validation:XValidation:rule="(has(self.webhook) ? 1 : 0) + (has(self.slack) ? 1 : 0) + (has(self.msteams) ? 1 : 0) + (has(self.googlechat) ? 1 : 0) == 1",message="set exactly one of webhook, slack, msteams or googlechat"
type NotificationReceiver struct {
	// Name of the receiver, as reported in Events and metrics.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`

	// Webhook posts each message as JSON (see docs/notifications.md for
	// its fields), optionally signed.
	// +optional
	Webhook *WebhookReceiver `json:"webhook,omitempty"`

	// Slack posts to a Slack incoming webhook.
	// +optional
	Slack *ChatReceiver `json:"slack,omitempty"`

	// MSTeams posts to a Microsoft Teams incoming webhook (workflow).
	// +optional
	MSTeams *ChatReceiver `json:"msteams,omitempty"`

	// GoogleChat posts to a Google Chat space's incoming webhook.
	// +optional
	GoogleChat *ChatReceiver `json:"googlechat,omitempty"`
}

// WebhookReceiver posts messages as JSON to a URL.
//
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.urlFrom)",message="set exactly one of url or urlFrom"
type WebhookReceiver struct {
	// URL to post to.
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	URL string `json:"url,omitempty"`

	// URLFrom reads the URL from a Secret, for URLs that carry a token.
	// +optional
	URLFrom *HeaderValueFrom `json:"urlFrom,omitempty"`

	// Headers sent with each message; values may come from Secrets.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Headers []WebMetricHeader `json:"headers,omitempty"`

	// SigningKeyFrom reads a key from a Secret to sign each message:
	// X-Ramp-Signature carries sha256=HMAC-SHA256(key, timestamp + "." +
	// body) in hex, and X-Ramp-Timestamp the timestamp (Unix seconds).
	// +optional
	SigningKeyFrom *HeaderValueFrom `json:"signingKeyFrom,omitempty"`
}

// ChatReceiver posts to a chat service's incoming webhook, whose URL is a
// secret: it is read from a Secret.
type ChatReceiver struct {
	// URLFrom reads the incoming webhook's URL from a Secret.
	// +required
	URLFrom HeaderValueFrom `json:"urlFrom"`
}

// NotificationConfigList is a list of NotificationConfigs.
//
// +kubebuilder:object:root=true
type NotificationConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NotificationConfig `json:"items"`
}
