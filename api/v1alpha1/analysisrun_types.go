package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnalysisRun is one run of the metrics of one or more AnalysisTemplates,
// created by a Rollout for a step, for background analysis or around a
// blue-green promotion. Its phase is the worst phase of its metrics.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rar,categories=ramp
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`,description="Phase of the run"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1,description="Why the run ended as it did"
type AnalysisRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec holds the metrics to measure and the resolved arguments.
	// +required
	Spec AnalysisRunSpec `json:"spec"`

	// Status holds the measurements and the verdict.
	// +optional
	Status AnalysisRunStatus `json:"status,omitzero"`
}

// AnalysisRunSpec is what a run measures.
//
// +kubebuilder:validation:XValidation:rule="!has(self.dryRun) || self.dryRun.all(d, d.metricName == '*' || self.metrics.exists(m, m.name == d.metricName))",message="dryRun[].metricName must name a metric of spec.metrics, or be *",fieldPath=`.dryRun`
type AnalysisRunSpec struct {
	// Metrics to measure.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +required
	Metrics []Metric `json:"metrics"`

	// Args are the arguments, with values from the Rollout and the
	// templates. Secret references stay references; their values are read
	// at measurement time.
	// +kubebuilder:validation:MaxItems=128
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []Argument `json:"args,omitempty"`

	// DryRun lists metrics that are measured and reported but never fail the run.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=metricName
	// +optional
	DryRun []DryRun `json:"dryRun,omitempty"`

	// MeasurementRetention sets how many measurements are kept per metric
	// (10 by default).
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=metricName
	// +optional
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`

	// Terminate stops the run: no further measurement is taken, running
	// Jobs are stopped, and metrics not yet decided count as Successful.
	// +optional
	Terminate bool `json:"terminate,omitempty"`
}

// AnalysisPhase is the phase of a run, a metric or a measurement.
// +kubebuilder:validation:Enum=Pending;Running;Successful;Failed;Error;Inconclusive
type AnalysisPhase string

// Analysis phases. Ordered from best to worst for a finished run:
// Successful, Inconclusive, Error, Failed.
const (
	// AnalysisPhasePending has not started.
	AnalysisPhasePending AnalysisPhase = "Pending"
	// AnalysisPhaseRunning is measuring.
	AnalysisPhaseRunning AnalysisPhase = "Running"
	// AnalysisPhaseSuccessful passed.
	AnalysisPhaseSuccessful AnalysisPhase = "Successful"
	// AnalysisPhaseFailed failed its conditions beyond the failure limit.
	AnalysisPhaseFailed AnalysisPhase = "Failed"
	// AnalysisPhaseError could not be measured beyond the error limit.
	AnalysisPhaseError AnalysisPhase = "Error"
	// AnalysisPhaseInconclusive matched neither condition beyond the inconclusive limit.
	AnalysisPhaseInconclusive AnalysisPhase = "Inconclusive"
)

// Completed reports whether the phase is final.
func (p AnalysisPhase) Completed() bool {
	switch p {
	case AnalysisPhaseSuccessful, AnalysisPhaseFailed, AnalysisPhaseError, AnalysisPhaseInconclusive:
		return true
	}
	return false
}

// AnalysisRunStatus is the state of a run.
type AnalysisRunStatus struct {
	// ObservedGeneration is the metadata.generation this status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase is the worst phase of the metrics (dry-run metrics aside).
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`

	// Message explains the phase from the deciding metric: its name, the
	// measured value, the condition and the limit.
	// +optional
	Message string `json:"message,omitempty"`

	// StartedAt is when the first measurement was scheduled (with
	// microseconds, as measurement schedules may be below a second).
	// +optional
	StartedAt *metav1.MicroTime `json:"startedAt,omitempty"`

	// CompletedAt is when the run reached a final phase.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`

	// MetricResults hold each metric's measurements and counts.
	// +listType=map
	// +listMapKey=name
	// +optional
	MetricResults []MetricResult `json:"metricResults,omitempty"`

	// RunSummary counts metrics by phase.
	// +optional
	RunSummary RunSummary `json:"runSummary,omitzero"`

	// DryRunSummary counts dry-run metrics by phase.
	// +optional
	DryRunSummary *RunSummary `json:"dryRunSummary,omitempty"`

	// Conditions include Ready (the run finished), Reconciling and Stalled.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// RunSummary counts metrics by phase.
type RunSummary struct {
	// Count of metrics.
	// +optional
	Count int32 `json:"count,omitempty"`
	// Successful metrics.
	// +optional
	Successful int32 `json:"successful,omitempty"`
	// Failed metrics.
	// +optional
	Failed int32 `json:"failed,omitempty"`
	// Inconclusive metrics.
	// +optional
	Inconclusive int32 `json:"inconclusive,omitempty"`
	// Error metrics.
	// +optional
	Error int32 `json:"error,omitempty"`
}

// MetricResult is the state of one metric of a run.
type MetricResult struct {
	// Name of the metric.
	// +required
	Name string `json:"name"`

	// Phase of the metric.
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`

	// Message explains the phase: the value, the condition and the limit.
	// +optional
	Message string `json:"message,omitempty"`

	// DryRun is true when the metric never fails the run.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`

	// Measurements are the most recent measurements, oldest first, at most
	// the metric's measurement retention.
	// +listType=atomic
	// +optional
	Measurements []Measurement `json:"measurements,omitempty"`

	// Count is the number of measurements taken, including those no longer kept.
	// +optional
	Count int32 `json:"count,omitempty"`

	// Successful is the number of successful measurements.
	// +optional
	Successful int32 `json:"successful,omitempty"`

	// Failed is the number of failed measurements.
	// +optional
	Failed int32 `json:"failed,omitempty"`

	// Inconclusive is the number of inconclusive measurements.
	// +optional
	Inconclusive int32 `json:"inconclusive,omitempty"`

	// Error is the number of measurements that could not be taken.
	// +optional
	Error int32 `json:"error,omitempty"`

	// ConsecutiveError is the number of errors in a row since the last
	// measurement that could be taken.
	// +optional
	ConsecutiveError int32 `json:"consecutiveError,omitempty"`

	// Verdict explains a judge measurement metric by metric.
	// +optional
	Verdict *JudgeVerdict `json:"verdict,omitempty"`
}

// Measurement is one measurement of a metric.
type Measurement struct {
	// Phase of the measurement: Running, Successful, Failed, Inconclusive or Error.
	// +required
	Phase AnalysisPhase `json:"phase"`

	// Message explains an Error or Failed measurement.
	// +optional
	Message string `json:"message,omitempty"`

	// StartedAt is when the measurement began.
	// +optional
	StartedAt *metav1.MicroTime `json:"startedAt,omitempty"`

	// FinishedAt is when the measurement ended.
	// +optional
	FinishedAt *metav1.MicroTime `json:"finishedAt,omitempty"`

	// ResumeAt is when a running measurement (such as a Job) is checked again.
	// +optional
	ResumeAt *metav1.MicroTime `json:"resumeAt,omitempty"`

	// Value is the measured value as text, such as 0.012 or [0.01,0.02].
	// +optional
	Value string `json:"value,omitempty"`

	// Metadata holds provider details, such as the Job name.
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}

// JudgeVerdict explains a judge measurement.
type JudgeVerdict struct {
	// Score from 0 to 100.
	// +optional
	Score int32 `json:"score"`

	// Compared says with which version the canary was compared and which
	// pod template hashes.
	// +optional
	Compared string `json:"compared,omitempty"`

	// Metrics hold each compared metric's classification and why.
	// +listType=atomic
	// +optional
	Metrics []JudgeMetricVerdict `json:"metrics,omitempty"`
}

// JudgeMetricVerdict explains one compared metric. Numbers are written as
// text so they keep their precision and can be NaN.
type JudgeMetricVerdict struct {
	// Name of the metric.
	// +required
	Name string `json:"name"`

	// Group of the metric.
	// +optional
	Group string `json:"group,omitempty"`

	// Classification is Pass, High, Low or NoData.
	// +kubebuilder:validation:Enum=Pass;High;Low;NoData
	// +required
	Classification string `json:"classification"`

	// Critical is true when this metric alone fails the verdict.
	// +optional
	Critical bool `json:"critical,omitempty"`

	// CanaryMedian is the canary's median (or error ratio).
	// +optional
	CanaryMedian string `json:"canaryMedian,omitempty"`

	// ControlMedian is the stable or baseline median (or error ratio).
	// +optional
	ControlMedian string `json:"controlMedian,omitempty"`

	// Estimate is the estimated shift, canary minus control.
	// +optional
	Estimate string `json:"estimate,omitempty"`

	// Interval is the confidence interval of the estimate, such as [0.1, 0.4].
	// +optional
	Interval string `json:"interval,omitempty"`

	// PValue of the test.
	// +optional
	PValue string `json:"pValue,omitempty"`

	// EffectSize is the relative change, in percent.
	// +optional
	EffectSize string `json:"effectSize,omitempty"`

	// Reason explains the classification in plain words.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// +kubebuilder:object:root=true

// AnalysisRunList is a list of AnalysisRuns.
type AnalysisRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the AnalysisRuns.
	Items []AnalysisRun `json:"items"`
}
