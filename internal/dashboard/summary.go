package dashboard

import (
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/rolloutinfo"
)

// RolloutSummary is what the list and the detail page show of a Rollout
// at a glance.
type RolloutSummary struct {
	// Namespace of the Rollout.
	Namespace string `json:"namespace"`
	// Name of the Rollout.
	Name string `json:"name"`
	// Strategy is canary or blueGreen: the kind of the effective strategy,
	// spec.strategy over the profile recorded in the status.
	Strategy string `json:"strategy"`
	// Profile is the profile the strategy comes from; null without one.
	Profile *ProfileSummary `json:"profile"`
	// Phase is status.phase: Progressing, Paused, Healthy, Degraded, or
	// empty before the controller wrote one.
	Phase string `json:"phase"`
	// Message is status.message.
	Message string `json:"message"`
	// Step is the canary step, counted from 1, such as "3/8" ("0/8" after
	// an abort); empty without canary steps.
	Step string `json:"step"`
	// SetWeight is the canary weight, in percent, the steps ask for at the
	// current step; null for blue-green.
	SetWeight *int32 `json:"setWeight"`
	// ActualWeight is the canary weight, in percent, last set on the
	// traffic router; null for blue-green and when unknown.
	ActualWeight *int32 `json:"actualWeight"`
	// Images are the images of the live revisions with their roles,
	// newest revision first.
	Images []Image `json:"images"`
	// Ready is the number of ready pods.
	Ready int32 `json:"ready"`
	// Desired is spec.replicas.
	Desired int32 `json:"desired"`
	// Created is when the Rollout was created.
	Created metav1.Time `json:"created"`
}

// ProfileSummary names the RolloutProfile or ClusterRolloutProfile a
// Rollout's strategy comes from.
type ProfileSummary struct {
	// Kind is RolloutProfile or ClusterRolloutProfile.
	Kind string `json:"kind"`
	// Name of the profile.
	Name string `json:"name"`
	// Generation is the profile's generation the controller read for the
	// current revision; 0 when pending.
	Generation int64 `json:"generation"`
	// Default is true when the profile is the namespace's default
	// (a ClusterRolloutProfile's namespaceSelector) rather than named in
	// the Rollout.
	Default bool `json:"default"`
	// Pending is true when spec.strategy.profileRef names a profile that
	// the status does not record yet: the controller has not read it.
	Pending bool `json:"pending"`
}

// Image is a container image and the role of the revision running it.
type Image struct {
	// Image is the image reference.
	Image string `json:"image"`
	// Role is the revision's role (stable, canary, active or preview), or
	// empty before the controller created any ReplicaSet.
	Role string `json:"role"`
}

// Strategies and roles, as the API names them.
const (
	strategyCanary    = "canary"
	strategyBlueGreen = "blueGreen"

	roleStable  = "stable"
	roleCanary  = "canary"
	roleActive  = "active"
	rolePreview = "preview"
	roleOld     = "old"
)

// summarize sums up ro; replicaSets are the ReplicaSets it controls,
// newest revision first (see ownReplicaSets).
func summarize(ro *rampv1alpha1.Rollout, replicaSets []*appsv1.ReplicaSet) RolloutSummary {
	sum := RolloutSummary{
		Namespace: ro.Namespace,
		Name:      ro.Name,
		Strategy:  strategyOf(ro),
		Profile:   profileOf(ro),
		Phase:     string(ro.Status.Phase),
		Message:   ro.Status.Message,
		Step:      stepText(ro),
		Images:    imagesOf(ro, replicaSets),
		Ready:     ro.Status.ReadyReplicas,
		Desired:   ptr.Deref(ro.Spec.Replicas, rampv1alpha1.DefaultReplicas),
		Created:   ro.CreationTimestamp,
	}
	if sum.Strategy == strategyCanary {
		sum.SetWeight = ptr.To(setWeight(ro))
		sum.ActualWeight = actualWeight(ro)
	}
	return sum
}

// strategyOf is blueGreen for a Rollout whose effective strategy is
// blue-green (inline or from its profile) and canary otherwise (a strategy
// that only names a profile not read yet counts as canary, the default).
func strategyOf(ro *rampv1alpha1.Rollout) string {
	if rolloutinfo.IsBlueGreen(ro) {
		return strategyBlueGreen
	}
	return strategyCanary
}

// profileOf names the profile ro's strategy comes from: the one
// status.profile records, or, when spec.strategy.profileRef names another
// or the status records none yet, the named one as pending; nil without a
// profile.
func profileOf(ro *rampv1alpha1.Rollout) *ProfileSummary {
	kindOf := func(k rampv1alpha1.ProfileKind) string {
		if k == "" {
			return string(rampv1alpha1.ProfileKindNamespaced)
		}
		return string(k)
	}
	rec, ref := ro.Status.Profile, ro.Spec.Strategy.ProfileRef
	if rec != nil && rec.Name != "" && (ref == nil || (kindOf(ref.Kind) == kindOf(rec.Kind) && ref.Name == rec.Name)) {
		return &ProfileSummary{Kind: kindOf(rec.Kind), Name: rec.Name, Generation: rec.Generation, Default: rec.Default}
	}
	if ref != nil {
		return &ProfileSummary{Kind: kindOf(ref.Kind), Name: ref.Name, Pending: true}
	}
	return nil
}

// actualWeight is the canary weight last set on the traffic router; 100
// when none was recorded and no update is in flight; nil when unknown.
func actualWeight(ro *rampv1alpha1.Rollout) *int32 {
	if w := ro.Status.Canary.Weights; w != nil {
		return ptr.To(w.Canary.Weight)
	}
	if !inFlight(ro) {
		return ptr.To[int32](100)
	}
	return nil
}

// imagesOf lists the images of ro's live (not old) revisions with their
// roles, newest revision first, once per image and role. Before any
// ReplicaSet exists, the images of spec.template are listed without role.
func imagesOf(ro *rampv1alpha1.Rollout, replicaSets []*appsv1.ReplicaSet) []Image {
	images := []Image{}
	for _, rs := range replicaSets {
		role := roleOf(ro, hashOf(rs))
		if role == roleOld {
			continue
		}
		for _, c := range rs.Spec.Template.Spec.Containers {
			img := Image{Image: c.Image, Role: role}
			if !slices.Contains(images, img) {
				images = append(images, img)
			}
		}
	}
	if len(images) == 0 && ro.Spec.Template != nil {
		for _, c := range ro.Spec.Template.Spec.Containers {
			images = append(images, Image{Image: c.Image})
		}
	}
	return images
}

// sortNewestFirst orders ReplicaSets by revision, newest first, then by
// name.
func sortNewestFirst(rss []*appsv1.ReplicaSet) {
	slices.SortStableFunc(rss, func(a, b *appsv1.ReplicaSet) int {
		if ra, rb := revisionOf(a), revisionOf(b); ra != rb {
			if ra > rb {
				return -1
			}
			return 1
		}
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
}

// canarySteps, inFlight, stepIndex, setWeight, hashOf and revisionOf read
// the Rollout as kubectl ramp does.
var (
	canarySteps = rolloutinfo.CanarySteps
	inFlight    = rolloutinfo.InFlight
	stepIndex   = rolloutinfo.StepIndex
	setWeight   = rolloutinfo.SetWeight
	hashOf      = rolloutinfo.HashOf
	revisionOf  = rolloutinfo.RevisionOf
)

// stepText is the current canary step counted from 1, as kubectl ramp
// shows it: "3/8", "0/8" after an abort, "" without steps.
func stepText(ro *rampv1alpha1.Rollout) string {
	text, _ := rolloutinfo.Step(ro)
	return text
}

// roleOf is what the revision with pod template hash hash does for ro:
// stable or canary for a canary (a baseline counts as old), active or
// preview for a blue-green, old otherwise.
func roleOf(ro *rampv1alpha1.Rollout, hash string) string {
	switch r := rolloutinfo.Role(ro, hash); r {
	case "", rolloutinfo.RoleBaseline:
		return roleOld
	default:
		return r
	}
}
