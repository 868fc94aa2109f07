package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnalysisTemplate describes how to measure a version: metrics taken from
// Prometheus, Jobs, HTTP endpoints or the statistical judge, and the
// conditions that make each measurement a success or a failure.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rat,categories=ramp
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec holds the metrics and arguments.
	// +required
	Spec AnalysisTemplateSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// AnalysisTemplateList is a list of AnalysisTemplates.
type AnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the AnalysisTemplates.
	Items []AnalysisTemplate `json:"items"`
}

// ClusterAnalysisTemplate is an AnalysisTemplate that every namespace may
// use, written by a platform team.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=rcat,categories=ramp
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterAnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec holds the metrics and arguments.
	// +required
	Spec AnalysisTemplateSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// ClusterAnalysisTemplateList is a list of ClusterAnalysisTemplates.
type ClusterAnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ClusterAnalysisTemplates.
	Items []ClusterAnalysisTemplate `json:"items"`
}

// AnalysisTemplateSpec holds the metrics of a template and the arguments
// they are written against.
//
// +kubebuilder:validation:XValidation:rule="!has(self.dryRun) || self.dryRun.all(d, d.metricName == '*' || self.metrics.exists(m, m.name == d.metricName))",message="dryRun[].metricName must name a metric of spec.metrics, or be *",fieldPath=`.dryRun`
// +kubebuilder:validation:XValidation:rule="!has(self.measurementRetention) || self.measurementRetention.all(d, d.metricName == '*' || self.metrics.exists(m, m.name == d.metricName))",message="measurementRetention[].metricName must name a metric of spec.metrics, or be *",fieldPath=`.measurementRetention`
type AnalysisTemplateSpec struct {
	// Metrics to measure.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +required
	Metrics []Metric `json:"metrics"`

	// Args are the arguments the metrics refer to as {{args.NAME}}.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []Argument `json:"args,omitempty"`

	// DryRun lists metrics that are measured and reported but never fail the run.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=metricName
	// +optional
	DryRun []DryRun `json:"dryRun,omitempty"`

	// MeasurementRetention sets how many measurements are kept per metric.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=metricName
	// +optional
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
}

// Argument is a template argument. A value left out must be passed by the
// Rollout.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.value) && has(self.valueFrom))",message="set at most one of value or valueFrom"
type Argument struct {
	// Name of the argument, used as {{args.NAME}}.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][-A-Za-z0-9_.]*$`
	// +required
	Name string `json:"name"`

	// Value is the default value.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Value *string `json:"value,omitempty"`

	// ValueFrom reads the value from a Secret or a field of the Rollout,
	// when the run is created. Secret values never appear in status, events
	// or logs.
	// +optional
	ValueFrom *ValueFrom `json:"valueFrom,omitempty"`
}

// ValueFrom reads an argument's value. Set exactly one field.
//
// +kubebuilder:validation:XValidation:rule="has(self.secretKeyRef) != has(self.fieldRef)",message="set exactly one of secretKeyRef or fieldRef"
type ValueFrom struct {
	// SecretKeyRef reads a key of a Secret in the run's namespace.
	// +optional
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`

	// FieldRef reads a field of the Rollout, such as metadata.name.
	// +optional
	FieldRef *FieldRef `json:"fieldRef,omitempty"`
}

// SecretKeyRef names a key of a Secret in the same namespace.
type SecretKeyRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Key in the Secret's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Key string `json:"key"`
}

// DurationString is a duration such as 30s, 5m or 1h30m.
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$')",message="must be a duration such as 30s, 5m or 1h30m"
type DurationString string

// Metric is one measurement taken on a schedule and judged by its conditions.
//
// +kubebuilder:validation:XValidation:rule="!has(self.count) || self.count <= 1 || has(self.interval)",message="a metric with count greater than 1 needs an interval",fieldPath=`.count`
type Metric struct {
	// Name of the metric, unique in the template.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	// +required
	Name string `json:"name"`

	// Interval between measurements. Left out, the metric is measured once.
	// +optional
	Interval DurationString `json:"interval,omitempty"`

	// InitialDelay before the first measurement.
	// +optional
	InitialDelay DurationString `json:"initialDelay,omitempty"`

	// Count is the number of measurements to take. Left out with an
	// interval, measurements go on until the run is terminated (background
	// analysis); left out without one, a single measurement is taken.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Count *int32 `json:"count,omitempty"`

	// SuccessCondition is an expression on result that must be true for a
	// measurement to succeed, such as "result[0] < 0.05".
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	SuccessCondition string `json:"successCondition,omitempty"`

	// FailureCondition is an expression on result that, when true, fails
	// the measurement, such as "result[0] >= 0.05".
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	FailureCondition string `json:"failureCondition,omitempty"`

	// FailureLimit is how many failed measurements are tolerated; one more
	// fails the metric. -1 never fails it. Defaults to 0.
	// +kubebuilder:validation:Minimum=-1
	// +optional
	FailureLimit *int32 `json:"failureLimit,omitempty"`

	// InconclusiveLimit is how many inconclusive measurements are tolerated;
	// one more makes the metric Inconclusive. -1 never does. Defaults to 0.
	// +kubebuilder:validation:Minimum=-1
	// +optional
	InconclusiveLimit *int32 `json:"inconclusiveLimit,omitempty"`

	// ConsecutiveErrorLimit is how many measurement errors in a row are
	// tolerated; one more makes the metric Error. -1 never does.
	// Defaults to 4.
	// +kubebuilder:validation:Minimum=-1
	// +optional
	ConsecutiveErrorLimit *int32 `json:"consecutiveErrorLimit,omitempty"`

	// Provider takes the measurement. Set exactly one provider.
	// +required
	Provider MetricProvider `json:"provider"`
}

// MetricProvider takes a measurement. Set exactly one field.
//
// +kubebuilder:validation:XValidation:rule="(has(self.prometheus) ? 1 : 0) + (has(self.job) ? 1 : 0) + (has(self.web) ? 1 : 0) + (has(self.judge) ? 1 : 0) == 1",message="a metric's provider sets exactly one of prometheus, job, web or judge"
type MetricProvider struct {
	// Prometheus runs an instant query.
	// +optional
	Prometheus *PrometheusMetric `json:"prometheus,omitempty"`

	// Job runs a Kubernetes Job; the measurement succeeds when it completes.
	// +optional
	Job *JobMetric `json:"job,omitempty"`

	// Web calls an HTTP endpoint and reads its JSON answer.
	// +optional
	Web *WebMetric `json:"web,omitempty"`

	// Judge compares the canary with the stable (or baseline) version
	// statistically over Prometheus range queries.
	// +optional
	Judge *JudgeMetric `json:"judge,omitempty"`
}
