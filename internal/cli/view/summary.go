package view

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/rolloutinfo"
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

// strategyName is the strategy a Rollout runs with (its effective
// strategy: spec.strategy over the profile recorded in its status), named
// as its field: canary or blueGreen. A strategy that only names a profile
// the controller has not read yet shows the profile.
func strategyName(ro *rampv1alpha1.Rollout) string {
	st := rolloutinfo.Strategy(ro)
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

// profileLine says which profile the Rollout's strategy comes from, such
// as "RolloutProfile team-canary (generation 3)": the one status.profile
// records, with "namespace default" when it was chosen as the namespace's
// default. A profile spec.strategy.profileRef names that the status does
// not record yet is shown "(not read yet)". Empty without a profile.
func profileLine(ro *rampv1alpha1.Rollout) string {
	var text string
	rec := ro.Status.Profile
	if rec != nil && rec.Name != "" {
		var notes []string
		if rec.Generation != 0 {
			notes = append(notes, "generation "+strconv.FormatInt(rec.Generation, 10))
		}
		if rec.Default {
			notes = append(notes, "namespace default")
		}
		text = profileName(rec.Kind, rec.Name)
		if len(notes) > 0 {
			text += " (" + strings.Join(notes, ", ") + ")"
		}
	}
	ref := ro.Spec.Strategy.ProfileRef
	if ref == nil || (rec != nil && profileName(rec.Kind, rec.Name) == profileName(ref.Kind, ref.Name)) {
		return text
	}
	named := profileName(ref.Kind, ref.Name) + " (not read yet)"
	if text == "" {
		return named
	}
	return text + "; spec names " + named
}

// profileName is a profile's kind and name, such as "RolloutProfile
// team-canary"; an empty kind is RolloutProfile, profileRef's default.
func profileName(kind rampv1alpha1.ProfileKind, name string) string {
	if kind == "" {
		kind = rampv1alpha1.ProfileKindNamespaced
	}
	return clean(string(kind)) + " " + clean(name)
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
	case s.Gate != nil:
		return "gate"
	}
	return ""
}

// gateLine describes the gate the update waits at, or the gate that
// aborted it, such as "step 3, waiting 5m, 4 calls, last answer HTTP 202:
// CHG-42 not approved yet"; "" when neither. The tone says which.
func gateLine(ro *rampv1alpha1.Rollout, now time.Time) (string, tone) {
	gs := ro.Status.Gate
	if gs == nil || gs.PodTemplateHash != ro.Status.CurrentPodHash || ro.Status.StableRS == gs.PodTemplateHash {
		return "", plain
	}
	last := "no answer yet"
	if gs.LastAnswer != "" {
		last = "last answer " + gs.LastAnswer
	}
	calls := fmt.Sprintf("%d calls", gs.Attempts)
	if gs.Attempts == 1 {
		calls = "1 call"
	}
	switch {
	case gs.Decision == rampv1alpha1.GateWaiting && !ro.Status.Abort:
		return fmt.Sprintf("%s, waiting %s, %s, %s", gs.Name, age(gs.StartedAt.Time, now), calls, last), waiting
	case gs.Decision == rampv1alpha1.GateDenied && ro.Status.Abort:
		return fmt.Sprintf("%s, denied after %s: %s", gs.Name, calls, gs.LastAnswer), bad
	case gs.Decision == rampv1alpha1.GateTimedOut && ro.Status.Abort:
		return fmt.Sprintf("%s, no decision in time after %s, %s", gs.Name, calls, last), bad
	}
	return "", plain
}

// setWeight is the canary weight the steps ask for at the current step.
var setWeight = rolloutinfo.SetWeight

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

// isBlueGreen, isCanary, canarySteps, inFlight, step, role, hashOf and
// revisionOf read the Rollout (its effective strategy) as the dashboard
// does.
var (
	isBlueGreen = rolloutinfo.IsBlueGreen
	isCanary    = rolloutinfo.IsCanary
	canarySteps = rolloutinfo.CanarySteps
	inFlight    = rolloutinfo.InFlight
	step        = rolloutinfo.Step
	role        = rolloutinfo.Role
	hashOf      = rolloutinfo.HashOf
	revisionOf  = rolloutinfo.RevisionOf
)
