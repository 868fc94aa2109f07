package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Rollout replaces a Deployment: it runs the pods of a pod template and ships
// every new version of that template step by step, with a canary or a
// blue-green strategy, moving traffic and measuring the new version on the
// way.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rro,categories=ramp
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 200",message="metadata.name must be at most 200 characters: the ReplicaSets and AnalysisRuns of a Rollout are named after it with suffixes, within the 253 characters Kubernetes allows"
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`,description="Number of desired pods"
// +kubebuilder:printcolumn:name="Current",type=integer,JSONPath=`.status.replicas`,description="Number of pods of every revision"
// +kubebuilder:printcolumn:name="Up-to-date",type=integer,JSONPath=`.status.updatedReplicas`,description="Number of pods of the current revision"
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=`.status.availableReplicas`,description="Number of available pods"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`,description="Rollout phase"
// +kubebuilder:printcolumn:name="Step",type=integer,JSONPath=`.status.currentStepIndex`,description="Index of the current canary step"
// +kubebuilder:printcolumn:name="Weight",type=integer,JSONPath=`.status.canary.weights.canary.weight`,description="Percent of traffic sent to the canary"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1,description="What the rollout is doing"
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the rollout.
	// +required
	Spec RolloutSpec `json:"spec"`

	// Status is the observed state of the rollout, written by the controller
	// and by the user actions (promote, abort) of kubectl ramp and the
	// dashboard.
	// +optional
	Status RolloutStatus `json:"status,omitzero"`
}

// RolloutSpec is the desired state of a Rollout.
//
// +kubebuilder:validation:XValidation:rule="has(self.template) != has(self.workloadRef)",message="set exactly one of spec.template or spec.workloadRef"
// +kubebuilder:validation:XValidation:rule="has(self.workloadRef) || has(self.selector)",message="spec.selector is required when spec.template is set",fieldPath=`.selector`
// +kubebuilder:validation:XValidation:rule="!has(self.selector) || !has(self.template) || !has(self.selector.matchLabels) || self.selector.matchLabels.all(k, has(self.template.metadata) && has(self.template.metadata.labels) && k in self.template.metadata.labels && self.template.metadata.labels[k] == self.selector.matchLabels[k])",message="spec.selector.matchLabels must match spec.template.metadata.labels",fieldPath=`.selector`
// +kubebuilder:validation:XValidation:rule="!has(self.selector) || !has(self.template) || !has(self.selector.matchExpressions) || self.selector.matchExpressions.all(e, e.operator == 'In' ? (has(self.template.metadata) && has(self.template.metadata.labels) && e.key in self.template.metadata.labels && has(e.values) && self.template.metadata.labels[e.key] in e.values) : e.operator == 'NotIn' ? !(has(self.template.metadata) && has(self.template.metadata.labels) && e.key in self.template.metadata.labels && has(e.values) && self.template.metadata.labels[e.key] in e.values) : e.operator == 'Exists' ? (has(self.template.metadata) && has(self.template.metadata.labels) && e.key in self.template.metadata.labels) : !(has(self.template.metadata) && has(self.template.metadata.labels) && e.key in self.template.metadata.labels))",message="spec.selector.matchExpressions must match spec.template.metadata.labels",fieldPath=`.selector`
// +kubebuilder:validation:XValidation:rule="!has(self.selector) || has(self.selector.matchLabels) || has(self.selector.matchExpressions)",message="spec.selector must not be empty: set matchLabels or matchExpressions",fieldPath=`.selector`
// +kubebuilder:validation:XValidation:rule="!has(self.progressDeadlineSeconds) || !has(self.minReadySeconds) || self.progressDeadlineSeconds > self.minReadySeconds",message="spec.progressDeadlineSeconds must be greater than spec.minReadySeconds",fieldPath=`.progressDeadlineSeconds`
type RolloutSpec struct {
	// Replicas is the number of pods wanted. The scale subresource writes
	// it, so kubectl scale and HorizontalPodAutoscalers work. Defaults to 1.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Selector selects the pods of this rollout. It must match the labels of
	// the pod template and cannot change after creation. With workloadRef,
	// it defaults to the referenced workload's selector.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.selector is immutable; create a new Rollout to change it"
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`

	// Template is the pod template of the current version. A change to it
	// starts a new revision. Leave it out when workloadRef is set.
	// +optional
	Template *corev1.PodTemplateSpec `json:"template,omitempty"`

	// WorkloadRef takes the pod template (and selector) from an existing
	// workload instead of spec.template: the usual path to migrate a
	// Deployment. Ramp follows changes to that workload's template.
	// +optional
	WorkloadRef *WorkloadRef `json:"workloadRef,omitempty"`

	// MinReadySeconds is how long, in seconds, a new pod must be ready
	// without any container crashing to count as available. Defaults to 0.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`

	// RevisionHistoryLimit is the number of old ReplicaSets kept for undo.
	// Defaults to 10.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`

	// Paused holds the rollout at its current step: no step advances until
	// it is set back to false. Pod counts keep following the step's weight
	// (so a change of spec.replicas is still honored). Defaults to false.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// ProgressDeadlineSeconds is how long, in seconds, an update may make no
	// progress (time spent paused not counted) before the Progressing
	// condition turns False with reason ProgressDeadlineExceeded.
	// Defaults to 600.
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=1
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// ProgressDeadlineAbort aborts the update, as if a person had aborted it,
	// when the progress deadline is exceeded. Defaults to false.
	// +optional
	ProgressDeadlineAbort bool `json:"progressDeadlineAbort,omitempty"`

	// RestartAt asks for every pod created before this time to be replaced,
	// at most maxUnavailable at a time. kubectl ramp restart sets it.
	// +optional
	RestartAt *metav1.Time `json:"restartAt,omitempty"`

	// RollbackWindow lets a change back to one of the last few revisions
	// skip the steps, as an undo does for the stable revision.
	// +optional
	RollbackWindow *RollbackWindowSpec `json:"rollbackWindow,omitempty"`

	// Analysis sets how many finished AnalysisRuns of this rollout are kept.
	// +optional
	Analysis *AnalysisRunHistory `json:"analysis,omitempty"`

	// Strategy says how a new version is shipped: canary or blue-green,
	// written inline or taken from a profile.
	// +required
	Strategy RolloutStrategy `json:"strategy"`
}

// WorkloadRef names a workload whose pod template a Rollout runs.
type WorkloadRef struct {
	// APIVersion of the workload. Only apps/v1 is supported.
	// +kubebuilder:validation:Enum=apps/v1
	// +kubebuilder:default="apps/v1"
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the workload. Only Deployment is supported.
	// +kubebuilder:validation:Enum=Deployment
	// +required
	Kind string `json:"kind"`

	// Name of the workload, in the Rollout's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// ScaleDown says when the referenced Deployment is scaled to zero once
	// the Rollout is serving: never (the default; you scale it yourself),
	// onsuccess (when the Rollout is first Healthy) or progressively (step
	// by step as the Rollout's pods become available).
	// +kubebuilder:validation:Enum=never;onsuccess;progressively
	// +kubebuilder:default=never
	// +optional
	ScaleDown WorkloadScaleDown `json:"scaleDown,omitempty"`
}

// WorkloadScaleDown says when a referenced workload is scaled to zero.
type WorkloadScaleDown string

// Values of WorkloadRef.ScaleDown.
const (
	// ScaleDownNever leaves the referenced workload as it is.
	ScaleDownNever WorkloadScaleDown = "never"
	// ScaleDownOnSuccess scales the workload to zero once the Rollout is Healthy.
	ScaleDownOnSuccess WorkloadScaleDown = "onsuccess"
	// ScaleDownProgressively scales the workload down as the Rollout's pods become available.
	ScaleDownProgressively WorkloadScaleDown = "progressively"
)

// RollbackWindowSpec sets the fast rollback window.
type RollbackWindowSpec struct {
	// Revisions is how many revisions before the stable one may be returned
	// to without walking the steps. Defaults to 0 (only the stable revision).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Revisions int32 `json:"revisions,omitempty"`
}

// AnalysisRunHistory sets how many finished AnalysisRuns are kept.
type AnalysisRunHistory struct {
	// SuccessfulRunHistoryLimit is the number of successful AnalysisRuns kept.
	// Defaults to 5.
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=0
	// +optional
	SuccessfulRunHistoryLimit *int32 `json:"successfulRunHistoryLimit,omitempty"`

	// UnsuccessfulRunHistoryLimit is the number of failed, errored or
	// inconclusive AnalysisRuns kept. Defaults to 5. (A run stopped because
	// the update moved on ends Successful and counts as successful.)
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=0
	// +optional
	UnsuccessfulRunHistoryLimit *int32 `json:"unsuccessfulRunHistoryLimit,omitempty"`
}

// RolloutPhase is the summary state of a Rollout.
// +kubebuilder:validation:Enum=Progressing;Paused;Healthy;Degraded
type RolloutPhase string

// Rollout phases.
const (
	// RolloutPhaseProgressing means an update is moving forward.
	RolloutPhaseProgressing RolloutPhase = "Progressing"
	// RolloutPhasePaused means the rollout waits for a person or a timer.
	RolloutPhasePaused RolloutPhase = "Paused"
	// RolloutPhaseHealthy means every pod runs the current revision and is available.
	RolloutPhaseHealthy RolloutPhase = "Healthy"
	// RolloutPhaseDegraded means the update was aborted or cannot progress.
	RolloutPhaseDegraded RolloutPhase = "Degraded"
)

// RolloutStatus is the observed state of a Rollout.
type RolloutStatus struct {
	// ObservedGeneration is the metadata.generation this status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase sums up the rollout: Progressing, Paused, Healthy or Degraded.
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`

	// Message says in plain words what the rollout is doing or why it stopped.
	// +optional
	Message string `json:"message,omitempty"`

	// CurrentPodHash is the pod template hash of the current revision.
	// +optional
	CurrentPodHash string `json:"currentPodHash,omitempty"`

	// StableRS is the pod template hash of the stable revision, the one that
	// serves traffic when no update is in flight.
	// +optional
	StableRS string `json:"stableRS,omitempty"`

	// CurrentStepIndex is the index of the canary step being run; it equals
	// the number of steps once all are done.
	// +kubebuilder:validation:Minimum=0
	// +optional
	CurrentStepIndex *int32 `json:"currentStepIndex,omitempty"`

	// CurrentStepHash is a hash of the step list, used to notice a change to
	// the steps and restart them.
	// +optional
	CurrentStepHash string `json:"currentStepHash,omitempty"`

	// PauseConditions are the reasons the rollout waits. Clearing them
	// (kubectl ramp promote) moves on to the next step.
	// +listType=atomic
	// +optional
	PauseConditions []PauseCondition `json:"pauseConditions,omitempty"`

	// ControllerPause is true when the controller itself paused the rollout
	// (for example at a pause step), as opposed to spec.paused.
	// +optional
	ControllerPause bool `json:"controllerPause,omitempty"`

	// Abort, set by kubectl ramp abort or by a failed analysis, sends all
	// traffic back to the stable version and scales the update down.
	// Clearing it (kubectl ramp retry) restarts the update from step 0.
	// +optional
	Abort bool `json:"abort,omitempty"`

	// AbortedAt is when the update was aborted.
	// +optional
	AbortedAt *metav1.Time `json:"abortedAt,omitempty"`

	// AbortedBy says who or what aborted the update, such as
	// "kubectl ramp abort by alice", "analysis run web-7d6f-2 failed" or
	// "progress deadline". Whoever sets abort sets it too; when it is left
	// empty the controller names the tool that wrote abort.
	// +optional
	AbortedBy string `json:"abortedBy,omitempty"`

	// PromoteFull, set by kubectl ramp promote --full, skips the remaining
	// steps and analyses and promotes the update at once.
	// +optional
	PromoteFull bool `json:"promoteFull,omitempty"`

	// Canary is the state of a canary update.
	// +optional
	Canary CanaryStatus `json:"canary,omitzero"`

	// BlueGreen is the state of a blue-green update.
	// +optional
	BlueGreen BlueGreenStatus `json:"blueGreen,omitzero"`

	// Gate is the gate the update waits at, or last waited at, with the
	// service's last answer.
	// +optional
	Gate *GateStatus `json:"gate,omitempty"`

	// Profile says which profile, and which generation of it, the current
	// revision's strategy came from.
	// +optional
	Profile *ProfileStatus `json:"profile,omitempty"`

	// Replicas is the number of pods of every revision, counting terminating ones out.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// UpdatedReplicas is the number of pods of the current revision.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`

	// ReadyReplicas is the number of ready pods.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// AvailableReplicas is the number of pods ready for at least minReadySeconds.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`

	// Selector is the label selector of the rollout's pods in string form,
	// read by the scale subresource and by HorizontalPodAutoscalers.
	// +optional
	Selector string `json:"selector,omitempty"`

	// CollisionCount counts pod template hash collisions; it is mixed into
	// the hash to get a fresh name when one happens.
	// +optional
	CollisionCount *int32 `json:"collisionCount,omitempty"`

	// LastProgressTime is when the update last made progress (a step, a
	// revision, or a change in pod counts). The progress deadline counts
	// from it; time spent paused is not counted.
	// +optional
	LastProgressTime *metav1.Time `json:"lastProgressTime,omitempty"`

	// RestartedAt is the last spec.restartAt that was carried out.
	// +optional
	RestartedAt *metav1.Time `json:"restartedAt,omitempty"`

	// WorkloadObservedGeneration is the generation of the referenced
	// workload last read.
	// +optional
	WorkloadObservedGeneration int64 `json:"workloadObservedGeneration,omitempty"`

	// Conditions include the kstatus conditions Ready, Reconciling and
	// Stalled, so kubectl wait, Argo CD and Flux understand a Rollout, plus
	// Progressing, Available, Paused and Completed.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// PauseReason says why a rollout is paused.
// +kubebuilder:validation:Enum=CanaryPauseStep;BlueGreenPause;InconclusiveAnalysis;ProgressDeadline;Gate
type PauseReason string

// Pause reasons.
const (
	// PauseReasonCanaryPauseStep is a pause step of a canary.
	PauseReasonCanaryPauseStep PauseReason = "CanaryPauseStep"
	// PauseReasonBlueGreenPause waits for a blue-green promotion.
	PauseReasonBlueGreenPause PauseReason = "BlueGreenPause"
	// PauseReasonInconclusiveAnalysis waits for a person after an inconclusive analysis.
	PauseReasonInconclusiveAnalysis PauseReason = "InconclusiveAnalysis"
	// PauseReasonProgressDeadline waits after the progress deadline passed.
	PauseReasonProgressDeadline PauseReason = "ProgressDeadline"
	// PauseReasonGate waits for a gate's approval service (status.gate).
	PauseReasonGate PauseReason = "Gate"
)

// PauseCondition is one reason a rollout waits, with when it started.
type PauseCondition struct {
	// Reason the rollout waits.
	// +required
	Reason PauseReason `json:"reason"`

	// StartTime is when the wait began.
	// +required
	StartTime metav1.Time `json:"startTime"`
}

// CanaryStatus is the state of a canary update.
type CanaryStatus struct {
	// Weights are the traffic weights last set through the traffic router.
	// +optional
	Weights *TrafficWeights `json:"weights,omitempty"`

	// CurrentStepAnalysisRun is the name of the AnalysisRun of the current analysis step.
	// +optional
	CurrentStepAnalysisRun string `json:"currentStepAnalysisRun,omitempty"`

	// CurrentBackgroundAnalysisRun is the name of the background AnalysisRun.
	// +optional
	CurrentBackgroundAnalysisRun string `json:"currentBackgroundAnalysisRun,omitempty"`

	// BaselinePodHash is the pod template hash of the baseline
	// ReplicaSet compared with the canary, when strategy.canary.baseline is set.
	// +optional
	BaselinePodHash string `json:"baselinePodHash,omitempty"`

	// HeaderRoutes are the names of the header routes currently set.
	// +listType=set
	// +optional
	HeaderRoutes []string `json:"headerRoutes,omitempty"`

	// MirrorRoutes are the names of the mirror routes currently set.
	// +listType=set
	// +optional
	MirrorRoutes []string `json:"mirrorRoutes,omitempty"`
}

// TrafficWeights are the weights last set on the traffic router.
type TrafficWeights struct {
	// Canary is the share of traffic of the canary version.
	// +required
	Canary WeightDestination `json:"canary"`

	// Stable is the share of traffic of the stable version.
	// +required
	Stable WeightDestination `json:"stable"`

	// Baseline is the share of traffic of the baseline, with
	// strategy.canary.baselineService.
	// +optional
	Baseline *WeightDestination `json:"baseline,omitempty"`

	// Verified is true when the data plane reported the weights as set,
	// false when it reported something else, and absent when the router
	// cannot tell.
	// +optional
	Verified *bool `json:"verified,omitempty"`
}

// WeightDestination is one version's share of traffic.
type WeightDestination struct {
	// Weight is the percent of traffic, 0 to 100.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Weight int32 `json:"weight"`

	// PodTemplateHash is the pod template hash of the version.
	// +optional
	PodTemplateHash string `json:"podTemplateHash,omitempty"`

	// ServiceName is the Service that carries this version's traffic.
	// +optional
	ServiceName string `json:"serviceName,omitempty"`
}

// BlueGreenStatus is the state of a blue-green update.
type BlueGreenStatus struct {
	// ActiveSelector is the pod template hash the active Service selects.
	// +optional
	ActiveSelector string `json:"activeSelector,omitempty"`

	// PreviewSelector is the pod template hash the preview Service selects.
	// +optional
	PreviewSelector string `json:"previewSelector,omitempty"`

	// PrePromotionAnalysisRun is the name of the pre-promotion AnalysisRun.
	// +optional
	PrePromotionAnalysisRun string `json:"prePromotionAnalysisRun,omitempty"`

	// PostPromotionAnalysisRun is the name of the post-promotion AnalysisRun.
	// +optional
	PostPromotionAnalysisRun string `json:"postPromotionAnalysisRun,omitempty"`

	// ScaleUpPreviewCheckPoint is true once the preview ReplicaSet was scaled
	// up to full size ahead of the switch.
	// +optional
	ScaleUpPreviewCheckPoint bool `json:"scaleUpPreviewCheckPoint,omitempty"`
}

// ProfileStatus says which profile a revision's strategy came from.
type ProfileStatus struct {
	// Kind is RolloutProfile or ClusterRolloutProfile.
	// +required
	Kind ProfileKind `json:"kind"`

	// Name of the profile.
	// +required
	Name string `json:"name"`

	// Generation of the profile that was read.
	// +optional
	Generation int64 `json:"generation,omitempty"`

	// Default is true when the profile was chosen by namespace default
	// rather than named in the Rollout.
	// +optional
	Default bool `json:"default,omitempty"`

	// PodTemplateHash is the revision this record belongs to. The
	// controller reads the profile when a revision starts and uses this
	// record until the next one: editing or deleting the profile never
	// changes a revision in flight.
	// +optional
	PodTemplateHash string `json:"podTemplateHash,omitempty"`

	// Strategy is the profile's strategy as it was read. The effective
	// strategy is spec.strategy laid over it, field by field (lists
	// replaced whole); kubectl ramp explain-strategy prints it.
	// +optional
	Strategy *ProfileStrategy `json:"strategy,omitempty"`

	// Args are the profile's default analysis arguments as they were read.
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []AnalysisRunArgument `json:"args,omitempty"`
}

// +kubebuilder:object:root=true

// RolloutList is a list of Rollouts.
type RolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Rollouts.
	Items []Rollout `json:"items"`
}

// GateDecision is what a gate's service decided.
// +kubebuilder:validation:Enum=Waiting;Allowed;Denied;TimedOut
type GateDecision string

// Gate decisions.
const (
	// GateWaiting: no decision yet; the service is asked again.
	GateWaiting GateDecision = "Waiting"
	// GateAllowed: the service allowed the update (or a person promoted
	// past the gate).
	GateAllowed GateDecision = "Allowed"
	// GateDenied: the service denied the update, which was aborted.
	GateDenied GateDecision = "Denied"
	// GateTimedOut: no decision within the gate's timeout; the update was
	// aborted.
	GateTimedOut GateDecision = "TimedOut"
)

// GateStatus is the state of the gate an update waits at.
type GateStatus struct {
	// Name says which gate: "step N" for a canary step (counted from 1)
	// or "prePromotion" for blue-green.
	// +required
	Name string `json:"name"`

	// PodTemplateHash is the revision the gate was asked about.
	// +required
	PodTemplateHash string `json:"podTemplateHash"`

	// Decision is Waiting, Allowed, Denied or TimedOut.
	// +required
	Decision GateDecision `json:"decision"`

	// StartedAt is when the gate was first asked.
	// +required
	StartedAt metav1.Time `json:"startedAt"`

	// LastCheckedAt is when the service last answered (or failed to).
	// +optional
	LastCheckedAt *metav1.Time `json:"lastCheckedAt,omitempty"`

	// Attempts is the number of calls made.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`

	// LastAnswer is the service's last answer: the HTTP status and its
	// message, or why the call failed.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	LastAnswer string `json:"lastAnswer,omitempty"`
}
