// Package rolloutinfo reads what a Rollout's spec and status mean for the
// people and tools that show it (kubectl ramp, the dashboard): the step
// it is at, the weight its steps ask for, what role each revision plays.
// Pure functions of the API types. The strategy read is always the
// effective one (spec.strategy over the profile recorded in the status,
// see package profile), never spec.strategy alone.
package rolloutinfo

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/profile"
)

// Roles of a revision. An old revision has none ("").
const (
	RoleStable   = "stable"
	RoleCanary   = "canary"
	RoleBaseline = "baseline"
	RoleActive   = "active"
	RolePreview  = "preview"
)

// Strategy is the strategy ro's current revision runs with: spec.strategy
// laid over the profile strategy recorded in its status (profile.Of).
func Strategy(ro *rampv1alpha1.Rollout) rampv1alpha1.RolloutStrategy {
	if p := ro.Status.Profile; p == nil || p.Strategy == nil {
		// Nothing to merge: spare the conversions profile.Of makes.
		return ro.Spec.Strategy
	}
	return profile.Of(ro)
}

// IsBlueGreen reports whether ro uses the blue-green strategy, inline or
// from its profile.
func IsBlueGreen(ro *rampv1alpha1.Rollout) bool {
	return Strategy(ro).BlueGreen != nil
}

// IsCanary reports whether ro uses the canary strategy, inline or from
// its profile.
func IsCanary(ro *rampv1alpha1.Rollout) bool {
	st := Strategy(ro)
	return st.Canary != nil && st.BlueGreen == nil
}

// CanarySteps are ro's canary steps, inline or from its profile; none for
// other strategies.
func CanarySteps(ro *rampv1alpha1.Rollout) []rampv1alpha1.CanaryStep {
	if st := Strategy(ro); st.Canary != nil && st.BlueGreen == nil {
		return st.Canary.Steps
	}
	return nil
}

// InFlight reports whether an update is under way: the current revision
// is not yet the stable one.
func InFlight(ro *rampv1alpha1.Rollout) bool {
	st := &ro.Status
	return st.CurrentPodHash != "" && st.StableRS != "" && st.CurrentPodHash != st.StableRS
}

// StepIndex is the index of the current canary step (0 when unset).
func StepIndex(ro *rampv1alpha1.Rollout) int {
	return int(ptr.Deref(ro.Status.CurrentStepIndex, 0))
}

// Step is the canary step the rollout is at, counted from 1, such as
// "3/8"; ok is false without canary steps. An aborted update shows 0.
func Step(ro *rampv1alpha1.Rollout) (text string, ok bool) {
	n := len(CanarySteps(ro))
	switch {
	case n == 0:
		return "", false
	case ro.Status.Abort:
		return fmt.Sprintf("0/%d", n), true
	}
	return fmt.Sprintf("%d/%d", min(StepIndex(ro)+1, n), n), true
}

// SetWeight is the canary weight the steps ask for at the current step:
// the last setWeight up to it, 100 once the steps are done or no update is
// in flight, and 0 after an abort.
func SetWeight(ro *rampv1alpha1.Rollout) int32 {
	steps := CanarySteps(ro)
	i := StepIndex(ro)
	switch {
	case ro.Status.Abort:
		return 0
	case !InFlight(ro) || i >= len(steps):
		return 100
	}
	var w int32
	for _, s := range steps[:i+1] {
		if s.SetWeight != nil {
			w = *s.SetWeight
		}
	}
	return w
}

// Role is what the revision with pod template hash hash does for ro:
// stable, canary or baseline for a canary; active or preview for a
// blue-green; "" for an old revision.
func Role(ro *rampv1alpha1.Rollout, hash string) string {
	st := &ro.Status
	if hash == "" {
		return ""
	}
	if IsBlueGreen(ro) {
		switch hash {
		case st.BlueGreen.ActiveSelector:
			return RoleActive
		case st.BlueGreen.PreviewSelector, st.CurrentPodHash:
			return RolePreview
		}
		return ""
	}
	switch hash {
	case st.StableRS:
		return RoleStable
	case st.CurrentPodHash:
		return RoleCanary
	case st.Canary.BaselinePodHash:
		return RoleBaseline
	}
	return ""
}

// HashOf is a ReplicaSet's pod template hash.
func HashOf(rs *appsv1.ReplicaSet) string {
	return rs.Labels[rampv1alpha1.LabelPodTemplateHash]
}

// RevisionOf is a ReplicaSet's revision number; 0 when unknown.
func RevisionOf(rs *appsv1.ReplicaSet) int64 {
	n, err := strconv.ParseInt(rs.Annotations[rampv1alpha1.AnnotationRevision], 10, 64)
	if err != nil {
		return 0
	}
	return n
}
