package v1alpha1

// Condition types of a Rollout. Ready, Reconciling and Stalled follow kstatus,
// so kubectl wait, Argo CD and Flux read a Rollout's health without custom
// code.
const (
	// ConditionReady is True when the rollout is Healthy: every pod runs the
	// current revision and is available, and no update is in flight.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the controller works towards the
	// spec (an update is in flight or status lags the spec).
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the controller cannot make progress
	// without a change by a person, such as an invalid spec.
	ConditionStalled = "Stalled"
	// ConditionProgressing is True while an update moves forward, and False
	// with reason ProgressDeadlineExceeded when it stopped moving.
	ConditionProgressing = "Progressing"
	// ConditionAvailable is True when at least replicas - maxUnavailable pods
	// are available.
	ConditionAvailable = "Available"
	// ConditionPaused is True while the rollout waits for a person or a timer.
	ConditionPaused = "Paused"
	// ConditionCompleted is True once the current revision is fully promoted.
	ConditionCompleted = "Completed"
)

// Condition reasons. Every condition the controller sets carries one of
// these, and a message for people.
const (
	// ReasonSucceeded: the update finished and the rollout is healthy.
	ReasonSucceeded = "Succeeded"
	// ReasonProgressing: an update is moving forward.
	ReasonProgressing = "Progressing"
	// ReasonNewRevision: a new pod template started a new revision.
	ReasonNewRevision = "NewRevision"
	// ReasonStepInProgress: the current step waits for its replica counts,
	// weights or analysis.
	ReasonStepInProgress = "StepInProgress"
	// ReasonPaused: the rollout waits at a pause step or for promotion.
	ReasonPaused = "Paused"
	// ReasonSpecPaused: spec.paused is true.
	ReasonSpecPaused = "SpecPaused"
	// ReasonAborted: the update was aborted by a person or by a failed analysis.
	ReasonAborted = "Aborted"
	// ReasonAnalysisFailed: an analysis failed or errored and the update was
	// rolled back (the Stalled and Ready conditions carry it).
	ReasonAnalysisFailed = "AnalysisFailed"
	// ReasonAnalysisInconclusive: an analysis was inconclusive and the
	// rollout waits for a person (the Paused condition carries it).
	ReasonAnalysisInconclusive = "AnalysisInconclusive"
	// ReasonGateWaiting: the update waits for a gate's approval service
	// (the Paused condition carries it).
	ReasonGateWaiting = "GateWaiting"
	// ReasonGateDenied: a gate's service denied the update, or gave no
	// decision in time, and the update was rolled back.
	ReasonGateDenied = "GateDenied"
	// ReasonProgressDeadlineExceeded: no progress within progressDeadlineSeconds.
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	// ReasonInvalidSpec: the spec cannot be carried out; the message names the field.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonProfileNotFound: the named profile does not exist.
	ReasonProfileNotFound = "ProfileNotFound"
	// ReasonRouteError: a traffic route is missing or does not reference the Services.
	ReasonRouteError = "RouteError"
	// ReasonPermissionDenied: the API server refused a request of the
	// controller (its RBAC lacks a permission); the message names the verb
	// and the resource. The controller retries with back-off.
	ReasonPermissionDenied = "PermissionDenied"
	// ReasonAvailable: enough pods are available.
	ReasonAvailable = "Available"
	// ReasonUnavailable: fewer pods than replicas - maxUnavailable are available.
	ReasonUnavailable = "Unavailable"
	// ReasonObserved: the controller has not yet acted on the latest spec.
	ReasonObserved = "Observed"
)
