package view

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Facts about a Rollout that both get and list show.

// phaseState is the state of a Rollout's phase.
func phaseState(p rampv1alpha1.RolloutPhase) state {
	switch p {
	case rampv1alpha1.RolloutPhaseHealthy:
		return state{iconHealthy, string(p), good}
	case rampv1alpha1.RolloutPhaseProgressing:
		return state{iconBusy, string(p), busy}
	case rampv1alpha1.RolloutPhasePaused:
		return state{iconPaused, string(p), waiting}
	case rampv1alpha1.RolloutPhaseDegraded:
		return state{iconBad, string(p), bad}
	}
	// The controller has not written a phase yet.
	return state{iconUnknown, "Unknown", plain}
}

// strategyName is the strategy a Rollout uses, named as its field:
// canary or blueGreen; a strategy that only names a profile shows the
// profile.
func strategyName(ro *rampv1alpha1.Rollout) string {
	st := ro.Spec.Strategy
	switch {
	case st.BlueGreen != nil:
		return "blueGreen"
	case st.Canary != nil:
		return "canary"
	case st.ProfileRef != nil:
		return "profile " + st.ProfileRef.Name
	}
	return notAvailable
}

// isBlueGreen reports whether ro uses the blue-green strategy.
func isBlueGreen(ro *rampv1alpha1.Rollout) bool {
	return ro.Spec.Strategy.BlueGreen != nil
}

// canarySteps are ro's canary steps; none for other strategies.
func canarySteps(ro *rampv1alpha1.Rollout) []rampv1alpha1.CanaryStep {
	if c := ro.Spec.Strategy.Canary; c != nil && !isBlueGreen(ro) {
		return c.Steps
	}
	return nil
}

// inFlight reports whether an update is under way: the current revision
// is not yet the stable one.
func inFlight(ro *rampv1alpha1.Rollout) bool {
	st := &ro.Status
	return st.CurrentPodHash != "" && st.StableRS != "" && st.CurrentPodHash != st.StableRS
}

// step is the canary step the rollout is at, counted from 1, such as
// "3/8"; ok is false without canary steps. An aborted update shows 0.
func step(ro *rampv1alpha1.Rollout) (text string, ok bool) {
	steps := canarySteps(ro)
	if len(steps) == 0 {
		return "", false
	}
	n := len(steps)
	if ro.Status.Abort {
		return fmt.Sprintf("0/%d", n), true
	}
	i := int(ptr.Deref(ro.Status.CurrentStepIndex, 0))
	return fmt.Sprintf("%d/%d", min(i+1, n), n), true
}

// stepDetail says what the current step does, such as "setWeight 20",
// "aborted" or "" once the steps are done.
func stepDetail(ro *rampv1alpha1.Rollout) string {
	steps := canarySteps(ro)
	i := int(ptr.Deref(ro.Status.CurrentStepIndex, 0))
	switch {
	case ro.Status.Abort:
		return "aborted"
	case i >= len(steps):
		return ""
	}
	s := steps[i]
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight %d", *s.SetWeight)
	case s.Pause != nil && s.Pause.Duration != nil:
		return "pause " + s.Pause.Duration.String()
	case s.Pause != nil:
		return "pause"
	case s.Analysis != nil:
		return "analysis"
	case s.SetCanaryScale != nil:
		return "setCanaryScale"
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute " + s.SetHeaderRoute.Name
	case s.SetMirrorRoute != nil:
		return "setMirrorRoute " + s.SetMirrorRoute.Name
	}
	return ""
}

// setWeight is the canary weight the steps ask for at the current step:
// the last setWeight up to it, 100 once the steps are done or no update is
// in flight, and 0 after an abort.
func setWeight(ro *rampv1alpha1.Rollout) int32 {
	steps := canarySteps(ro)
	i := int(ptr.Deref(ro.Status.CurrentStepIndex, 0))
	switch {
	case ro.Status.Abort:
		return 0
	case !inFlight(ro) || i >= len(steps):
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

// actualWeight is the canary weight last set (status.canary.weights),
// with "(verified)" or "(not verified)" when the traffic router reported
// whether it took effect. Without recorded weights it is 100 when no
// update is in flight, and "-" otherwise.
func actualWeight(ro *rampv1alpha1.Rollout) string {
	w := ro.Status.Canary.Weights
	switch {
	case w != nil && w.Verified == nil:
		return strconv.Itoa(int(w.Canary.Weight))
	case w != nil && *w.Verified:
		return fmt.Sprintf("%d (verified)", w.Canary.Weight)
	case w != nil:
		return fmt.Sprintf("%d (not verified)", w.Canary.Weight)
	case !inFlight(ro):
		return "100"
	}
	return notAvailable
}

// listWeight is the WEIGHT column of list: the canary weight last set,
// "-" for blue-green.
func listWeight(ro *rampv1alpha1.Rollout) string {
	if isBlueGreen(ro) {
		return notAvailable
	}
	if w := ro.Status.Canary.Weights; w != nil {
		return strconv.Itoa(int(w.Canary.Weight))
	}
	if !inFlight(ro) {
		return "100"
	}
	return notAvailable
}

// role is what the revision with pod template hash hash does for ro:
// canary, stable or baseline for a canary; active or preview for a
// blue-green; "" for an old revision.
func role(ro *rampv1alpha1.Rollout, hash string) string {
	st := &ro.Status
	if hash == "" {
		return ""
	}
	if isBlueGreen(ro) {
		switch hash {
		case st.BlueGreen.ActiveSelector:
			return "active"
		case st.BlueGreen.PreviewSelector, st.CurrentPodHash:
			return "preview"
		}
		return ""
	}
	switch hash {
	case st.StableRS:
		return "stable"
	case st.CurrentPodHash:
		return "canary"
	case st.Canary.BaselinePodHash:
		return "baseline"
	}
	return ""
}

// hashOf is a ReplicaSet's pod template hash.
func hashOf(rs *appsv1.ReplicaSet) string {
	return rs.Labels[rampv1alpha1.LabelPodTemplateHash]
}

// revisionOf is a ReplicaSet's revision number; 0 when unknown.
func revisionOf(rs *appsv1.ReplicaSet) int64 {
	n, err := strconv.ParseInt(rs.Annotations[rampv1alpha1.AnnotationRevision], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// desired is spec.replicas with its default of 1.
func desired(ro *rampv1alpha1.Rollout) int32 {
	return ptr.Deref(ro.Spec.Replicas, 1)
}

// replicaCounts sums up the rollout's pod counts on one line.
func replicaCounts(ro *rampv1alpha1.Rollout) string {
	st := &ro.Status
	return fmt.Sprintf("desired %d, current %d, updated %d, ready %d, available %d",
		desired(ro), st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas)
}

// imageRoles lists the images the rollout's ReplicaSets run with their
// roles, such as "web:2.0 (canary)", newest revision first. Images of old
// revisions are left out; before any ReplicaSet exists, the images of
// spec.template are listed without a role.
func imageRoles(ro *rampv1alpha1.Rollout, replicaSets []*appsv1.ReplicaSet) []string {
	var images []string
	roles := map[string][]string{}
	for _, rs := range replicaSets {
		r := role(ro, hashOf(rs))
		if r == "" {
			continue
		}
		for _, c := range rs.Spec.Template.Spec.Containers {
			if _, seen := roles[c.Image]; !seen {
				images = append(images, c.Image)
			}
			if !slices.Contains(roles[c.Image], r) {
				roles[c.Image] = append(roles[c.Image], r)
			}
		}
	}
	if len(images) == 0 && ro.Spec.Template != nil {
		for _, c := range ro.Spec.Template.Spec.Containers {
			images = append(images, c.Image)
		}
	}
	lines := make([]string, 0, len(images))
	for _, img := range images {
		line := clean(img)
		if r := roles[img]; len(r) > 0 {
			line += " (" + strings.Join(r, ", ") + ")"
		}
		lines = append(lines, line)
	}
	return lines
}
