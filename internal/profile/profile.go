// Package profile computes a Rollout's effective strategy: the strategy of
// its RolloutProfile or ClusterRolloutProfile with the Rollout's own
// spec.strategy laid over it. Objects merge field by field and the
// Rollout's value wins; any other value, lists included (steps, templates,
// managed routes), is replaced whole. The controller, kubectl ramp and the
// dashboard all go through this package, so they agree on the result.
package profile

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// MergeValues lays over on base, both decoded JSON: objects merge field by
// field, any other value (lists included) in over replaces base's whole,
// and a null or missing value in over keeps base's.
func MergeValues(base, over any) any {
	bm, bok := base.(map[string]any)
	om, ook := over.(map[string]any)
	if !bok || !ook {
		if over == nil {
			return base
		}
		return over
	}
	out := make(map[string]any, len(bm)+len(om))
	for k, v := range bm {
		out[k] = v
	}
	for k, v := range om {
		out[k] = MergeValues(bm[k], v)
	}
	return out
}

// KindClash says how a Rollout's inline strategy and its profile's, both
// decoded JSON, disagree on canary versus blue-green, in words that follow
// the profile's kind and name; empty when they agree.
func KindClash(own, profile map[string]any) string {
	for _, pair := range [][2]string{{"canary", "blueGreen"}, {"blueGreen", "canary"}} {
		_, ownSets := own[pair[0]]
		_, profileSets := profile[pair[1]]
		if ownSets && profileSets {
			return fmt.Sprintf("holds a %s strategy, but this Rollout writes spec.strategy.%s; write spec.strategy.%s instead, or name a %s profile",
				pair[1], pair[0], pair[1], pair[0])
		}
	}
	return ""
}

// ClashError is a profile whose strategy kind does not fit the Rollout's
// inline strategy.
type ClashError struct {
	// Message is what KindClash said.
	Message string
}

func (e *ClashError) Error() string { return e.Message }

// Effective lays the Rollout's inline strategy over the profile's strategy
// p (nil for none) and returns the strategy the Rollout runs with;
// profileRef is kept as the Rollout wrote it. A profile of the other kind
// gives a *ClashError.
func Effective(inline rampv1alpha1.RolloutStrategy, p *rampv1alpha1.ProfileStrategy) (rampv1alpha1.RolloutStrategy, error) {
	if p == nil {
		return *inline.DeepCopy(), nil
	}
	ref := inline.ProfileRef
	own := inline.DeepCopy()
	own.ProfileRef = nil
	ownMap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(own)
	if err != nil {
		return rampv1alpha1.RolloutStrategy{}, fmt.Errorf("convert spec.strategy: %w", err)
	}
	keepEmptyLists(reflect.ValueOf(own).Elem(), ownMap)
	profileMap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p.DeepCopy())
	if err != nil {
		return rampv1alpha1.RolloutStrategy{}, fmt.Errorf("convert the profile's strategy: %w", err)
	}
	if msg := KindClash(ownMap, profileMap); msg != "" {
		return rampv1alpha1.RolloutStrategy{}, &ClashError{Message: msg}
	}
	merged, _ := MergeValues(profileMap, ownMap).(map[string]any)
	var out rampv1alpha1.RolloutStrategy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(merged, &out); err != nil {
		return rampv1alpha1.RolloutStrategy{}, fmt.Errorf("convert the effective strategy: %w", err)
	}
	if ref != nil {
		out.ProfileRef = ref.DeepCopy()
	}
	return out, nil
}

// keepEmptyLists puts back into m, the decoded JSON of the struct v, the
// lists that v sets but leaves empty, which omitempty dropped: a Rollout
// that writes "steps: []" replaces the profile's steps with none.
func keepEmptyLists(v reflect.Value, m map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "" && fv.Kind() == reflect.Struct:
			keepEmptyLists(fv, m)
		case name == "" || name == "-":
		case fv.Kind() == reflect.Slice && !fv.IsNil() && fv.Len() == 0:
			m[name] = []any{}
		case fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.Struct:
			if sub, ok := m[name].(map[string]any); ok {
				keepEmptyLists(fv.Elem(), sub)
			}
		}
	}
}

// Recorded tells whether the Rollout's status holds a profile record for
// its current revision (status.profile with the hash of
// status.currentPodHash).
func Recorded(ro *rampv1alpha1.Rollout) bool {
	p := ro.Status.Profile
	return p != nil && p.Strategy != nil && p.PodTemplateHash != "" && p.PodTemplateHash == ro.Status.CurrentPodHash
}

// Of returns the strategy the Rollout's current revision runs with, as
// its status records it: spec.strategy over the recorded profile strategy,
// or spec.strategy alone when no profile is recorded. A record that no
// longer fits spec.strategy gives spec.strategy alone.
func Of(ro *rampv1alpha1.Rollout) rampv1alpha1.RolloutStrategy {
	var p *rampv1alpha1.ProfileStrategy
	if ro.Status.Profile != nil {
		p = ro.Status.Profile.Strategy
	}
	st, err := Effective(ro.Spec.Strategy, p)
	if err != nil {
		return *ro.Spec.Strategy.DeepCopy()
	}
	return st
}

// Args returns the analysis arguments of a run: the profile's defaults,
// replaced by the analysis' own of the same name.
func Args(defaults, own []rampv1alpha1.AnalysisRunArgument) []rampv1alpha1.AnalysisRunArgument {
	if len(defaults) == 0 {
		return own
	}
	out := make([]rampv1alpha1.AnalysisRunArgument, 0, len(defaults)+len(own))
	for _, d := range defaults {
		if !slices.ContainsFunc(own, func(a rampv1alpha1.AnalysisRunArgument) bool { return a.Name == d.Name }) {
			out = append(out, *d.DeepCopy())
		}
	}
	for _, a := range own {
		out = append(out, *a.DeepCopy())
	}
	return out
}

// FitsKind tells whether a profile's strategy is of the kind the inline
// strategy writes (any kind when it writes neither).
func FitsKind(inline rampv1alpha1.RolloutStrategy, p rampv1alpha1.ProfileStrategy) bool {
	switch {
	case inline.Canary != nil:
		return p.Canary != nil
	case inline.BlueGreen != nil:
		return p.BlueGreen != nil
	}
	return true
}

// DefaultCandidates are the profiles that may be a namespace default for
// a Rollout that names none and writes inline: those with a
// namespaceSelector, of a kind that fits.
func DefaultCandidates(inline rampv1alpha1.RolloutStrategy, profiles []rampv1alpha1.ClusterRolloutProfile) []*rampv1alpha1.ClusterRolloutProfile {
	var out []*rampv1alpha1.ClusterRolloutProfile
	for i := range profiles {
		p := &profiles[i]
		if p.Spec.NamespaceSelector != nil && FitsKind(inline, p.Spec.Strategy) {
			out = append(out, p)
		}
	}
	return out
}

// Defaults are the candidates (see DefaultCandidates) whose
// namespaceSelector selects a namespace with labels nsLabels, by name. More
// than one is a conflict a person must settle.
func Defaults(candidates []*rampv1alpha1.ClusterRolloutProfile, nsLabels map[string]string) []*rampv1alpha1.ClusterRolloutProfile {
	var out []*rampv1alpha1.ClusterRolloutProfile
	for _, p := range candidates {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.NamespaceSelector)
		if err == nil && sel.Matches(labels.Set(nsLabels)) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *rampv1alpha1.ClusterRolloutProfile) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Names are the profiles' names, for messages.
func Names(profiles []*rampv1alpha1.ClusterRolloutProfile) string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}
