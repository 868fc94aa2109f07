package v1alpha1

import "k8s.io/apimachinery/pkg/util/intstr"

// Defaults applied when a field is left out. Strategy fields have no schema
// defaults (a profile may supply them), so the controller applies these after
// merging the profile.
const (
	DefaultReplicas                   int32 = 1
	DefaultRevisionHistoryLimit       int32 = 10
	DefaultProgressDeadlineSeconds    int32 = 600
	DefaultRunHistoryLimit            int32 = 5
	DefaultScaleDownDelaySeconds      int32 = 30
	DefaultAbortScaleDownDelaySeconds int32 = 30
	DefaultConsecutiveErrorLimit      int32 = 4
	DefaultMeasurementRetention       int32 = 10
	DefaultPrometheusTimeoutSeconds   int32 = 30
	DefaultWebTimeoutSeconds          int32 = 10
	DefaultJudgePassScore             int32 = 95
	DefaultJudgeMarginalScore         int32 = 75
	DefaultJudgeEffectSizePercent     int32 = 10
	DefaultMirrorPercentage           int32 = 100
	DefaultMaxSurgeAndUnavailablePct        = "25%"
)

// DefaultMaxSurge is the default of maxSurge: 25%.
var DefaultMaxSurge = intstr.FromString(DefaultMaxSurgeAndUnavailablePct)

// DefaultMaxUnavailable is the default of maxUnavailable: 25%.
var DefaultMaxUnavailable = intstr.FromString(DefaultMaxSurgeAndUnavailablePct)
