package dashboard

import (
	"fmt"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// RolloutSummary is what the list and the detail page show of a Rollout
// at a glance.
type RolloutSummary struct {
	// Namespace of the Rollout.
	Namespace string `json:"namespace"`
	// Name of the Rollout.
	Name string `json:"name"`
	// Strategy is canary or blueGreen.
	Strategy string `json:"strategy"`
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

// strategyOf is blueGreen for a blue-green Rollout and canary otherwise
// (a strategy that only names a profile counts as canary, the default).
func strategyOf(ro *rampv1alpha1.Rollout) string {
	if ro.Spec.Strategy.BlueGreen != nil {
		return strategyBlueGreen
	}
	return strategyCanary
}

// canarySteps are ro's canary steps; none for other strategies.
func canarySteps(ro *rampv1alpha1.Rollout) []rampv1alpha1.CanaryStep {
	if c := ro.Spec.Strategy.Canary; c != nil && ro.Spec.Strategy.BlueGreen == nil {
		return c.Steps
	}
	return nil
}

// inFlight reports whether an update is under way: the current revision
// is not (yet) the stable one.
func inFlight(ro *rampv1alpha1.Rollout) bool {
	st := &ro.Status
	return st.CurrentPodHash != "" && st.StableRS != "" && st.CurrentPodHash != st.StableRS
}

// stepIndex is the index of the current canary step.
func stepIndex(ro *rampv1alpha1.Rollout) int {
	return int(ptr.Deref(ro.Status.CurrentStepIndex, 0))
}

// stepText is the current canary step counted from 1, as kubectl ramp
// shows it: "3/8", "0/8" after an abort, "" without steps.
func stepText(ro *rampv1alpha1.Rollout) string {
	n := len(canarySteps(ro))
	switch {
	case n == 0:
		return ""
	case ro.Status.Abort:
		return fmt.Sprintf("0/%d", n)
	}
	return fmt.Sprintf("%d/%d", min(stepIndex(ro)+1, n), n)
}

// setWeight is the canary weight the steps ask for at the current step:
// the last setWeight up to it, 100 once the steps are done or no update
// is in flight, and 0 after an abort.
func setWeight(ro *rampv1alpha1.Rollout) int32 {
	steps := canarySteps(ro)
	i := stepIndex(ro)
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

// roleOf is what the revision with pod template hash hash does for ro:
// stable or canary for a canary, active or preview for a blue-green, old
// otherwise.
func roleOf(ro *rampv1alpha1.Rollout, hash string) string {
	st := &ro.Status
	switch {
	case hash == "":
		return roleOld
	case ro.Spec.Strategy.BlueGreen != nil && hash == st.BlueGreen.ActiveSelector:
		return roleActive
	case ro.Spec.Strategy.BlueGreen != nil && (hash == st.BlueGreen.PreviewSelector || hash == st.CurrentPodHash):
		return rolePreview
	case ro.Spec.Strategy.BlueGreen != nil:
		return roleOld
	case hash == st.StableRS:
		return roleStable
	case hash == st.CurrentPodHash:
		return roleCanary
	}
	return roleOld
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
