package v1alpha1

import (
	"k8s.io/apimachinery/pkg/util/intstr"
)

// RolloutStrategy says how a Rollout ships a new version. Set canary or
// blueGreen inline, or name a profile with profileRef; fields set inline
// override the profile's, field by field, and lists are replaced whole.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.canary) && has(self.blueGreen))",message="spec.strategy: set only one of canary or blueGreen"
// +kubebuilder:validation:XValidation:rule="has(self.profileRef) || has(self.canary) || has(self.blueGreen)",message="spec.strategy: set canary or blueGreen, or name a profile in profileRef"
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || !has(self.canary.trafficRouting) || (has(self.canary.canaryService) && has(self.canary.stableService))",message="spec.strategy.canary.trafficRouting needs both canaryService and stableService",fieldPath=`.canary.trafficRouting`
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || !has(self.canary.trafficRouting) || has(self.canary.trafficRouting.gatewayAPI) || has(self.canary.trafficRouting.istio)",message="spec.strategy.canary.trafficRouting needs a router: set gatewayAPI or istio",fieldPath=`.canary.trafficRouting`
// +kubebuilder:validation:XValidation:rule="has(self.profileRef) || !has(self.canary) || !has(self.canary.steps) || self.canary.steps.all(s, !has(s.setHeaderRoute) || (has(self.canary.trafficRouting) && has(self.canary.trafficRouting.managedRoutes) && self.canary.trafficRouting.managedRoutes.exists(r, r.name == s.setHeaderRoute.name)))",message="spec.strategy.canary.steps[].setHeaderRoute.name must be declared in spec.strategy.canary.trafficRouting.managedRoutes",fieldPath=`.canary.steps`
// +kubebuilder:validation:XValidation:rule="has(self.profileRef) || !has(self.canary) || !has(self.canary.steps) || self.canary.steps.all(s, !has(s.setMirrorRoute) || (has(self.canary.trafficRouting) && has(self.canary.trafficRouting.managedRoutes) && self.canary.trafficRouting.managedRoutes.exists(r, r.name == s.setMirrorRoute.name)))",message="spec.strategy.canary.steps[].setMirrorRoute.name must be declared in spec.strategy.canary.trafficRouting.managedRoutes",fieldPath=`.canary.steps`
// +kubebuilder:validation:XValidation:rule="!has(self.blueGreen) || has(self.blueGreen.activeService)",message="spec.strategy.blueGreen.activeService is required",fieldPath=`.blueGreen`
type RolloutStrategy struct {
	// ProfileRef names the RolloutProfile or ClusterRolloutProfile this
	// rollout's strategy comes from. The strategy a revision starts with is
	// kept for that revision: editing the profile changes the next revision,
	// never one in flight.
	// +optional
	ProfileRef *ProfileReference `json:"profileRef,omitempty"`

	// Canary ships a new version by moving traffic to it step by step.
	// +optional
	Canary *CanaryStrategy `json:"canary,omitempty"`

	// BlueGreen runs the new version beside the old one behind a preview
	// Service, then switches the active Service to it at once.
	// +optional
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
}

// ProfileKind is the kind of a strategy profile.
// +kubebuilder:validation:Enum=RolloutProfile;ClusterRolloutProfile
type ProfileKind string

// Profile kinds.
const (
	// ProfileKindNamespaced is a RolloutProfile in the Rollout's namespace.
	ProfileKindNamespaced ProfileKind = "RolloutProfile"
	// ProfileKindCluster is a ClusterRolloutProfile.
	ProfileKindCluster ProfileKind = "ClusterRolloutProfile"
)

// ProfileReference names a strategy profile.
type ProfileReference struct {
	// Kind is RolloutProfile (in the Rollout's namespace, the default) or
	// ClusterRolloutProfile.
	// +kubebuilder:default=RolloutProfile
	// +optional
	Kind ProfileKind `json:"kind,omitempty"`

	// Name of the profile.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`
}

// CanaryStrategy ships a new version by moving traffic (or, without a
// traffic router, the share of pods) to it step by step.
//
// Fields that a profile may supply have no schema defaults, so that a field
// left out of a Rollout can be told apart from one set to its default; the
// defaults written here are applied after the profile is merged.
//
// +kubebuilder:validation:XValidation:rule="!has(self.canaryService) || !has(self.stableService) || self.canaryService != self.stableService",message="canaryService and stableService must name different Services",fieldPath=`.stableService`
// +kubebuilder:validation:XValidation:rule="!has(self.baselineService) || ((!has(self.canaryService) || self.baselineService != self.canaryService) && (!has(self.stableService) || self.baselineService != self.stableService))",message="baselineService must name a Service of its own, not the canaryService or stableService",fieldPath=`.baselineService`
// +kubebuilder:validation:XValidation:rule="!(has(self.maxSurge) && has(self.maxUnavailable) && (type(self.maxSurge) == int ? self.maxSurge == 0 : self.maxSurge == '0%') && (type(self.maxUnavailable) == int ? self.maxUnavailable == 0 : self.maxUnavailable == '0%'))",message="maxSurge and maxUnavailable cannot both be 0: the rollout could never replace a pod",fieldPath=`.maxUnavailable`
type CanaryStrategy struct {
	// CanaryService is the Service that selects only the canary's pods. The
	// controller sets its selector to the canary's pod template hash.
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +optional
	CanaryService string `json:"canaryService,omitempty"`

	// StableService is the Service that selects only the stable pods. The
	// controller sets its selector to the stable pod template hash.
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +optional
	StableService string `json:"stableService,omitempty"`

	// BaselineService is a Service that selects only the baseline's pods
	// (see baseline): the controller sets its selector to the baseline's
	// pod template hash while it runs, and to the stable one otherwise.
	// With trafficRouting the routes must list it beside the stable and
	// canary Services, and the baseline gets the same weight as the
	// canary (what is left, when the canary has more than half) while it
	// runs, and 0 otherwise. Needs baseline.
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +optional
	BaselineService string `json:"baselineService,omitempty"`

	// Steps are run in order for every new version. Without steps a new
	// version is promoted at once, like a Deployment's rolling update.
	// +kubebuilder:validation:MaxItems=100
	// +listType=atomic
	// +optional
	Steps []CanaryStep `json:"steps,omitempty"`

	// TrafficRouting moves live traffic through a Gateway API route or an
	// Istio VirtualService. Without it, the traffic split is the ratio of
	// canary to stable pods.
	// +optional
	TrafficRouting *RolloutTrafficRouting `json:"trafficRouting,omitempty"`

	// MaxSurge is how many pods, as a count or a percentage of replicas
	// (rounded up), may run above the desired number during an update.
	// Defaults to 25%.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=8
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]{1,3}%$')",message="must be a non-negative count or a percentage such as 25%"
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// MaxUnavailable is how many pods, as a count or a percentage of
	// replicas (rounded down), may be unavailable during an update.
	// Defaults to 25%.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=8
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]{1,3}%$')",message="must be a non-negative count or a percentage such as 25%"
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// Analysis runs in the background from startingStep until the update is
	// promoted; its failure aborts the update at whatever step it is.
	// +optional
	Analysis *RolloutAnalysisBackground `json:"analysis,omitempty"`

	// DynamicStableScale scales the stable ReplicaSet down as traffic moves
	// to the canary (only with trafficRouting). Defaults to false: the
	// stable version stays at full size until promotion.
	// +optional
	DynamicStableScale *bool `json:"dynamicStableScale,omitempty"`

	// ScaleDownDelaySeconds is how long, in seconds, the old stable
	// ReplicaSet stays up after promotion with trafficRouting, so traffic has
	// moved before its pods go. Defaults to 30.
	// +kubebuilder:validation:Minimum=0
	// +optional
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`

	// AbortScaleDownDelaySeconds is how long, in seconds, the canary stays
	// up after an abort with trafficRouting. 0 keeps it up until the next
	// update. Defaults to 30.
	// +kubebuilder:validation:Minimum=0
	// +optional
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`

	// CanaryMetadata labels and annotates the canary's pods while they are
	// the canary. They move when the canary becomes stable.
	// +optional
	CanaryMetadata *PodTemplateMetadata `json:"canaryMetadata,omitempty"`

	// StableMetadata labels and annotates the stable pods.
	// +optional
	StableMetadata *PodTemplateMetadata `json:"stableMetadata,omitempty"`

	// Baseline starts a baseline ReplicaSet of the stable template at the
	// canary's size while an analysis with the judge provider runs, so the
	// canary is compared with fresh pods of the old version. It is removed
	// at promotion or abort. Defaults to false.
	// +optional
	Baseline *bool `json:"baseline,omitempty"`
}

// CanaryStep is one step of a canary. Set exactly one of its fields.
//
// +kubebuilder:validation:XValidation:rule="(has(self.setWeight) ? 1 : 0) + (has(self.pause) ? 1 : 0) + (has(self.analysis) ? 1 : 0) + (has(self.setCanaryScale) ? 1 : 0) + (has(self.setHeaderRoute) ? 1 : 0) + (has(self.setMirrorRoute) ? 1 : 0) + (has(self.gate) ? 1 : 0) == 1",message="a step sets exactly one of setWeight, pause, analysis, setCanaryScale, setHeaderRoute, setMirrorRoute or gate"
type CanaryStep struct {
	// SetWeight sends this percent of traffic (0 to 100) to the canary.
	// Without trafficRouting it sets the share of canary pods.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	SetWeight *int32 `json:"setWeight,omitempty"`

	// Pause waits for duration, or until promoted when duration is left out.
	// +optional
	Pause *RolloutPause `json:"pause,omitempty"`

	// Analysis runs AnalysisTemplates and waits until they succeed.
	// +optional
	Analysis *RolloutAnalysis `json:"analysis,omitempty"`

	// SetCanaryScale sizes the canary apart from its traffic weight.
	// +optional
	SetCanaryScale *SetCanaryScale `json:"setCanaryScale,omitempty"`

	// SetHeaderRoute sends requests that match headers to the canary. Name a
	// route declared in trafficRouting.managedRoutes; without match the
	// route is removed.
	// +optional
	SetHeaderRoute *SetHeaderRoute `json:"setHeaderRoute,omitempty"`

	// SetMirrorRoute copies matching requests to the canary (responses are
	// dropped). Name a route declared in trafficRouting.managedRoutes;
	// without match the route is removed.
	// +optional
	SetMirrorRoute *SetMirrorRoute `json:"setMirrorRoute,omitempty"`

	// Gate holds the step until an external service (a change ticket, a
	// load test) allows the update to go on; a denial aborts it.
	// +optional
	Gate *RolloutGate `json:"gate,omitempty"`
}

// RolloutGate holds an update until a webhook allows it. The controller
// posts the update's details to the webhook every retryInterval: an answer
// of HTTP 200 with {"allow": true} lets the update go on; HTTP 200 with
// {"allow": false} denies it, and the update is aborted with the answer's
// "message"; any other answer (such as 202 while a person has not decided,
// or an error) is asked again after retryInterval. Without a decision
// within timeout the update is aborted. A person can promote past a
// waiting gate.
type RolloutGate struct {
	// Webhook is the approval service.
	// +required
	Webhook GateWebhook `json:"webhook"`

	// RetryInterval is the time between calls while the service has not
	// decided. Defaults to 10s.
	// +optional
	RetryInterval DurationString `json:"retryInterval,omitempty"`

	// Timeout is how long the gate waits for a decision before the update
	// is aborted. Defaults to 1h.
	// +optional
	Timeout DurationString `json:"timeout,omitempty"`
}

// GateWebhook is the approval service of a gate.
type GateWebhook struct {
	// URL the update's details are posted to.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^https?://`
	// +required
	URL string `json:"url"`

	// Headers sent with each call; values may come from Secrets of the
	// Rollout's namespace.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Headers []WebMetricHeader `json:"headers,omitempty"`

	// Timeout bounds one call. Defaults to 10s.
	// +optional
	Timeout DurationString `json:"timeout,omitempty"`
}

// RolloutPause is a pause step.
type RolloutPause struct {
	// Duration of the pause: a number of seconds (30) or a duration string
	// (30s, 5m, 1h). Left out, the rollout waits until promoted.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : (self.matches('^([0-9]+|([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+)$'))",message="must be a number of seconds or a duration such as 30s, 5m or 1h30m"
	// +optional
	Duration *intstr.IntOrString `json:"duration,omitempty"`
}

// SetCanaryScale sizes the canary ReplicaSet apart from its traffic weight.
// Set exactly one of replicas, weight or matchTrafficWeight.
//
// +kubebuilder:validation:XValidation:rule="(has(self.replicas) ? 1 : 0) + (has(self.weight) ? 1 : 0) + (has(self.matchTrafficWeight) && self.matchTrafficWeight ? 1 : 0) == 1",message="setCanaryScale sets exactly one of replicas, weight or matchTrafficWeight: true"
type SetCanaryScale struct {
	// Replicas is an exact number of canary pods.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Weight is a percent (0 to 100) of spec.replicas, rounded up.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Weight *int32 `json:"weight,omitempty"`

	// MatchTrafficWeight goes back to sizing the canary by its traffic weight.
	// +optional
	MatchTrafficWeight bool `json:"matchTrafficWeight,omitempty"`
}

// SetHeaderRoute adds or removes a managed route that sends requests whose
// headers match to the canary.
type SetHeaderRoute struct {
	// Name of the route, declared in trafficRouting.managedRoutes.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`

	// Match lists header conditions; all must hold. Left out, the route is removed.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Match []HeaderRoutingMatch `json:"match,omitempty"`
}

// HeaderRoutingMatch matches one request header.
type HeaderRoutingMatch struct {
	// HeaderName is the name of the header.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	HeaderName string `json:"headerName"`

	// HeaderValue is how the header's value must match.
	// +required
	HeaderValue StringMatch `json:"headerValue"`
}

// StringMatch matches a string exactly, by prefix or by regular
// expression. Set exactly one.
//
// +kubebuilder:validation:XValidation:rule="(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) == 1",message="set exactly one of exact, prefix or regex"
type StringMatch struct {
	// Exact matches the whole string.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Exact *string `json:"exact,omitempty"`

	// Prefix matches the start of the string.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Prefix *string `json:"prefix,omitempty"`

	// Regex matches an RE2 regular expression.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Regex *string `json:"regex,omitempty"`
}

// SetMirrorRoute adds or removes a managed route that copies matching
// requests to the canary.
type SetMirrorRoute struct {
	// Name of the route, declared in trafficRouting.managedRoutes.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`

	// Match lists request conditions; a request is mirrored when any entry
	// holds (within an entry, all fields must hold). Left out, the route is
	// removed.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Match []RouteMatch `json:"match,omitempty"`

	// Percentage of matching requests mirrored, 0 to 100. Defaults to 100.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Percentage *int32 `json:"percentage,omitempty"`
}

// RouteMatch matches a request by method, path and headers.
type RouteMatch struct {
	// Method matches the HTTP method.
	// +optional
	Method *StringMatch `json:"method,omitempty"`

	// Path matches the request path.
	// +optional
	Path *StringMatch `json:"path,omitempty"`

	// Headers match request headers by name.
	// +kubebuilder:validation:MaxProperties=16
	// +optional
	Headers map[string]StringMatch `json:"headers,omitempty"`
}

// PodTemplateMetadata is extra labels and annotations for pods.
type PodTemplateMetadata struct {
	// Labels added to the pods.
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations added to the pods.
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// BlueGreenStrategy runs the new version beside the old one behind a
// preview Service, then switches the active Service to it at once.
//
// +kubebuilder:validation:XValidation:rule="!has(self.previewService) || !has(self.activeService) || self.previewService != self.activeService",message="activeService and previewService must name different Services",fieldPath=`.previewService`
// +kubebuilder:validation:XValidation:rule="!has(self.autoPromotionSeconds) || !has(self.autoPromotionEnabled) || self.autoPromotionEnabled",message="autoPromotionSeconds has no effect when autoPromotionEnabled is false; remove one of them",fieldPath=`.autoPromotionSeconds`
type BlueGreenStrategy struct {
	// ActiveService is the Service that serves production traffic; the
	// controller points it at the active version. Required.
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +optional
	ActiveService string `json:"activeService,omitempty"`

	// PreviewService is a Service that selects the new version before it is
	// promoted, for checks by people or analysis.
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +optional
	PreviewService string `json:"previewService,omitempty"`

	// AutoPromotionEnabled promotes the new version as soon as it is ready
	// (and its pre-promotion analysis succeeded). When false the rollout
	// pauses with reason BlueGreenPause until promoted. Defaults to true.
	// +optional
	AutoPromotionEnabled *bool `json:"autoPromotionEnabled,omitempty"`

	// AutoPromotionSeconds waits this many seconds after the new version is
	// ready before promoting it. Defaults to 0.
	// +kubebuilder:validation:Minimum=0
	// +optional
	AutoPromotionSeconds *int32 `json:"autoPromotionSeconds,omitempty"`

	// PreviewReplicaCount is the number of pods of the new version before
	// promotion. Defaults to spec.replicas.
	// +kubebuilder:validation:Minimum=0
	// +optional
	PreviewReplicaCount *int32 `json:"previewReplicaCount,omitempty"`

	// ScaleDownDelaySeconds is how long, in seconds, the old version stays
	// up after the switch, so an undo is instant. Defaults to 30.
	// +kubebuilder:validation:Minimum=0
	// +optional
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`

	// AbortScaleDownDelaySeconds is how long, in seconds, the preview stays
	// up after an abort. 0 keeps it up until the next update. Defaults to 30.
	// +kubebuilder:validation:Minimum=0
	// +optional
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`

	// PrePromotionAnalysis must succeed before the active Service switches.
	// +optional
	PrePromotionAnalysis *RolloutAnalysis `json:"prePromotionAnalysis,omitempty"`

	// PostPromotionAnalysis runs after the switch; if it fails, the active
	// Service switches back to the old version while it is still up.
	// +optional
	PostPromotionAnalysis *RolloutAnalysis `json:"postPromotionAnalysis,omitempty"`

	// PrePromotionGate must allow the update before the active Service
	// switches (after any prePromotionAnalysis); a denial aborts it.
	// +optional
	PrePromotionGate *RolloutGate `json:"prePromotionGate,omitempty"`

	// ActiveMetadata labels and annotates the active pods.
	// +optional
	ActiveMetadata *PodTemplateMetadata `json:"activeMetadata,omitempty"`

	// PreviewMetadata labels and annotates the preview pods.
	// +optional
	PreviewMetadata *PodTemplateMetadata `json:"previewMetadata,omitempty"`
}

// RolloutAnalysis runs AnalysisTemplates, merged into one AnalysisRun.
type RolloutAnalysis struct {
	// Templates to run; their metrics are merged into one AnalysisRun.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +required
	Templates []AnalysisTemplateRef `json:"templates"`

	// Args are passed to the templates' arguments.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []AnalysisRunArgument `json:"args,omitempty"`

	// DryRun lists metrics that are measured and reported but never fail the run.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=metricName
	// +optional
	DryRun []DryRun `json:"dryRun,omitempty"`

	// MeasurementRetention overrides how many measurements are kept per metric.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=metricName
	// +optional
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
}

// RolloutAnalysisBackground is an analysis run in the background of a canary.
type RolloutAnalysisBackground struct {
	RolloutAnalysis `json:",inline"`

	// StartingStep is the index of the step from which the background
	// analysis runs. Defaults to 0 (from the start of the update).
	// +kubebuilder:validation:Minimum=0
	// +optional
	StartingStep *int32 `json:"startingStep,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate or ClusterAnalysisTemplate.
type AnalysisTemplateRef struct {
	// TemplateName is the name of the template.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	TemplateName string `json:"templateName"`

	// ClusterScope names a ClusterAnalysisTemplate instead of an
	// AnalysisTemplate in the Rollout's namespace. Defaults to false.
	// +optional
	ClusterScope bool `json:"clusterScope,omitempty"`
}

// AnalysisRunArgument passes a value to a template argument.
//
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.valueFrom)",message="set exactly one of value or valueFrom"
type AnalysisRunArgument struct {
	// Name of the template argument.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Value of the argument.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Value *string `json:"value,omitempty"`

	// ValueFrom takes the value from the rollout.
	// +optional
	ValueFrom *ArgumentValueFrom `json:"valueFrom,omitempty"`
}

// ArgumentValueFrom takes an argument's value from the rollout. Set exactly
// one field.
//
// +kubebuilder:validation:XValidation:rule="has(self.podTemplateHashValue) != has(self.fieldRef)",message="set exactly one of podTemplateHashValue or fieldRef"
type ArgumentValueFrom struct {
	// PodTemplateHashValue is the pod template hash of the Stable or the
	// Latest (canary) version.
	// +kubebuilder:validation:Enum=Stable;Latest
	// +optional
	PodTemplateHashValue *string `json:"podTemplateHashValue,omitempty"`

	// FieldRef reads a field of the Rollout, such as metadata.name or
	// metadata.labels['app'].
	// +optional
	FieldRef *FieldRef `json:"fieldRef,omitempty"`
}

// FieldRef points at a field of an object.
type FieldRef struct {
	// FieldPath is the path of the field, such as metadata.name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +required
	FieldPath string `json:"fieldPath"`
}

// DryRun names metrics (or "*" for all) that never fail the run.
type DryRun struct {
	// MetricName is the metric's name, or "*" for every metric.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	MetricName string `json:"metricName"`
}

// MeasurementRetention sets how many measurements of a metric are kept.
type MeasurementRetention struct {
	// MetricName is the metric's name, or "*" for every metric.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	MetricName string `json:"metricName"`

	// Limit is the number of most recent measurements kept, 1 to 100.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +required
	Limit int32 `json:"limit"`
}
