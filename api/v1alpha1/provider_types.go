package v1alpha1

import (
	batchv1 "k8s.io/api/batch/v1"
)

// PrometheusConnection is how to reach a Prometheus server.
type PrometheusConnection struct {
	// Address of the Prometheus server, such as http://prometheus.monitoring:9090.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^(https?://|\{\{)`
	// +required
	Address string `json:"address"`

	// Timeout of a query, in seconds. Defaults to 30.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=600
	// +optional
	Timeout *int32 `json:"timeout,omitempty"`

	// Headers sent with every query.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	Headers []WebMetricHeader `json:"headers,omitempty"`

	// Authentication sent with every query.
	// +optional
	Authentication *MetricAuthentication `json:"authentication,omitempty"`

	// TLS settings for https addresses.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// PrometheusMetric runs an instant PromQL query. The result is a number for
// a scalar, or a list of numbers for a vector (an empty vector gives an
// empty list).
type PrometheusMetric struct {
	PrometheusConnection `json:",inline"`

	// Query is the PromQL query; {{args.NAME}} is replaced by the argument.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=16384
	// +required
	Query string `json:"query"`
}

// WebMetricHeader is an HTTP header, its value given or read from a Secret.
//
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.valueFrom)",message="set exactly one of value or valueFrom"
type WebMetricHeader struct {
	// Key is the header name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	Key string `json:"key"`

	// Value of the header; in a metric, {{args.NAME}} is replaced by the
	// argument.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Value *string `json:"value,omitempty"`

	// ValueFrom reads the value from a Secret.
	// +optional
	ValueFrom *HeaderValueFrom `json:"valueFrom,omitempty"`
}

// HeaderValueFrom reads a header's value.
type HeaderValueFrom struct {
	// SecretKeyRef reads a key of a Secret in the namespace of the run,
	// Rollout or NotificationConfig.
	// +required
	SecretKeyRef SecretKeyRef `json:"secretKeyRef"`
}

// MetricAuthentication authenticates a provider's requests. Set exactly one
// field.
//
// +kubebuilder:validation:XValidation:rule="has(self.bearerToken) != has(self.basic)",message="set exactly one of bearerToken or basic"
type MetricAuthentication struct {
	// BearerToken sends "Authorization: Bearer <token>" with the token read
	// from a Secret.
	// +optional
	BearerToken *SecretKeyRef `json:"bearerToken,omitempty"`

	// Basic sends HTTP basic authentication read from a Secret.
	// +optional
	Basic *BasicAuth `json:"basic,omitempty"`
}

// BasicAuth is HTTP basic authentication read from Secrets.
type BasicAuth struct {
	// Username is read from this Secret key.
	// +required
	Username SecretKeyRef `json:"username"`

	// Password is read from this Secret key.
	// +required
	Password SecretKeyRef `json:"password"`
}

// TLSConfig configures TLS to a provider.
type TLSConfig struct {
	// InsecureSkipVerify accepts any server certificate. Defaults to false.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`

	// CASecretRef reads PEM certificate authorities to trust from a Secret key.
	// +optional
	CASecretRef *SecretKeyRef `json:"caSecretRef,omitempty"`

	// ServerName overrides the name checked in the server certificate.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServerName string `json:"serverName,omitempty"`
}

// JobMetric runs a Job per measurement: Successful when it completes,
// Failed when it fails.
type JobMetric struct {
	// Metadata is added to the Job.
	// +optional
	Metadata *PodTemplateMetadata `json:"metadata,omitempty"`

	// Spec of the Job. Without activeDeadlineSeconds the Job gets 600 (10
	// minutes), so that a Job that never finishes fails the measurement
	// instead of holding the analysis.
	// +required
	Spec batchv1.JobSpec `json:"spec"`
}

// WebMetric calls an HTTP endpoint. The result is the JSON answer, or the
// value at jsonPath in it.
type WebMetric struct {
	// URL to call; {{args.NAME}} is replaced by the argument.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^(https?://|\{\{)`
	// +required
	URL string `json:"url"`

	// Method of the request. Defaults to GET.
	// +kubebuilder:validation:Enum=GET;POST;PUT
	// +optional
	Method string `json:"method,omitempty"`

	// Headers sent with the request.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	Headers []WebMetricHeader `json:"headers,omitempty"`

	// Body sent with POST and PUT requests.
	// +kubebuilder:validation:MaxLength=65536
	// +optional
	Body string `json:"body,omitempty"`

	// JSONPath picks the result out of the JSON answer, such as {$.data.ok}.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	JSONPath string `json:"jsonPath,omitempty"`

	// TimeoutSeconds bounds the request. Defaults to 10.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=600
	// +optional
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`

	// Authentication sent with the request.
	// +optional
	Authentication *MetricAuthentication `json:"authentication,omitempty"`

	// TLS settings for https URLs.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// JudgeMetric compares the canary with the stable (or baseline) version:
// every query runs as a Prometheus range query once per version, and each
// pair of series is judged with rank and dispersion tests (Value queries) or
// a proportion test (Ratio queries). The measurement's value is a score from
// 0 to 100; at or above passScore it succeeds, below marginalScore it fails,
// and between the two it is inconclusive.
//
// +kubebuilder:validation:XValidation:rule="!has(self.passScore) || !has(self.marginalScore) || self.marginalScore <= self.passScore",message="marginalScore must not be greater than passScore",fieldPath=`.marginalScore`
type JudgeMetric struct {
	PrometheusConnection `json:",inline"`

	// Window of data compared, ending at the measurement. Defaults to 5m.
	// +optional
	Window DurationString `json:"window,omitempty"`

	// Step is the resolution of the range queries. Defaults to 15s.
	// +optional
	Step DurationString `json:"step,omitempty"`

	// Compare says which version the canary is compared with: Stable, or
	// Baseline (needs strategy.canary.baseline). Defaults to Baseline when
	// the rollout runs one, else Stable.
	// +kubebuilder:validation:Enum=Stable;Baseline
	// +optional
	Compare string `json:"compare,omitempty"`

	// PassScore is the lowest score that passes, 0 to 100. Defaults to 95.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	PassScore *int32 `json:"passScore,omitempty"`

	// MarginalScore is the lowest score that is inconclusive rather than a
	// failure, 0 to 100 and at most passScore. Defaults to 75.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MarginalScore *int32 `json:"marginalScore,omitempty"`

	// Queries are the compared metrics.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +required
	Queries []JudgeQuery `json:"queries"`
}

// JudgeQuery is one metric compared by the judge. In every query,
// {{version.podHash}} is replaced by the pod template hash of the version
// being measured and {{args.NAME}} by the argument.
//
// +kubebuilder:validation:XValidation:rule="self.kind == 'Ratio' ? (has(self.errorQuery) && has(self.totalQuery) && !has(self.query)) : (has(self.query) && !has(self.errorQuery) && !has(self.totalQuery))",message="a Value query sets query; a Ratio query sets errorQuery and totalQuery"
type JudgeQuery struct {
	// Name of the metric, shown in the verdict.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Kind is Value (compare the distributions of samples, such as latency)
	// or Ratio (compare errors over requests as proportions).
	// +kubebuilder:validation:Enum=Value;Ratio
	// +kubebuilder:default=Value
	// +optional
	Kind string `json:"kind,omitempty"`

	// Query is the PromQL range query of a Value metric.
	// +kubebuilder:validation:MaxLength=16384
	// +optional
	Query string `json:"query,omitempty"`

	// ErrorQuery counts errors over the window for a Ratio metric.
	// +kubebuilder:validation:MaxLength=16384
	// +optional
	ErrorQuery string `json:"errorQuery,omitempty"`

	// TotalQuery counts requests over the window for a Ratio metric.
	// +kubebuilder:validation:MaxLength=16384
	// +optional
	TotalQuery string `json:"totalQuery,omitempty"`

	// Direction says which change is bad: Increase (the default, such as
	// latency or errors), Decrease (such as throughput) or Either.
	// +kubebuilder:validation:Enum=Increase;Decrease;Either
	// +kubebuilder:default=Increase
	// +optional
	Direction string `json:"direction,omitempty"`

	// EffectSize is the smallest relative change, in percent, that counts as
	// a regression, so tiny but significant shifts pass. Defaults to 10.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	// +optional
	EffectSize *int32 `json:"effectSize,omitempty"`

	// Weight of the metric in the score. Defaults to 1.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Weight *int32 `json:"weight,omitempty"`

	// Group gathers metrics in the verdict, such as latency or errors.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Group string `json:"group,omitempty"`

	// Critical fails the whole verdict when this metric fails, whatever the score.
	// +optional
	Critical bool `json:"critical,omitempty"`
}
