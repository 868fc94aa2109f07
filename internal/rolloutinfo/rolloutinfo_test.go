package rolloutinfo

import (
	"testing"

	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestStepWeightRole(t *testing.T) {
	steps := []rampv1alpha1.CanaryStep{{SetWeight: ptr.To[int32](20)}, {Pause: &rampv1alpha1.RolloutPause{}}, {SetWeight: ptr.To[int32](50)}}
	canary := func(st rampv1alpha1.RolloutStatus) *rampv1alpha1.Rollout {
		return &rampv1alpha1.Rollout{Spec: rampv1alpha1.RolloutSpec{Strategy: rampv1alpha1.RolloutStrategy{
			Canary: &rampv1alpha1.CanaryStrategy{Steps: steps}}}, Status: st}
	}
	for _, tc := range []struct {
		name   string
		ro     *rampv1alpha1.Rollout
		step   string
		weight int32
		roles  map[string]string
	}{
		{"at the pause", canary(rampv1alpha1.RolloutStatus{StableRS: "a", CurrentPodHash: "b", CurrentStepIndex: ptr.To[int32](1)}),
			"2/3", 20, map[string]string{"a": RoleStable, "b": RoleCanary, "c": ""}},
		{"aborted", canary(rampv1alpha1.RolloutStatus{StableRS: "a", CurrentPodHash: "b", Abort: true, CurrentStepIndex: ptr.To[int32](0)}),
			"0/3", 0, map[string]string{"a": RoleStable}},
		{"stable", canary(rampv1alpha1.RolloutStatus{StableRS: "a", CurrentPodHash: "a", CurrentStepIndex: ptr.To[int32](3)}),
			"3/3", 100, map[string]string{"a": RoleStable}},
		{"blue-green", &rampv1alpha1.Rollout{Spec: rampv1alpha1.RolloutSpec{Strategy: rampv1alpha1.RolloutStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{}}},
			Status: rampv1alpha1.RolloutStatus{StableRS: "a", CurrentPodHash: "b",
				BlueGreen: rampv1alpha1.BlueGreenStatus{ActiveSelector: "a", PreviewSelector: "b"}}},
			"", 100, map[string]string{"a": RoleActive, "b": RolePreview, "c": ""}},
	} {
		step, _ := Step(tc.ro)
		if step != tc.step {
			t.Errorf("%s: step %q, want %q", tc.name, step, tc.step)
		}
		if !IsBlueGreen(tc.ro) {
			if w := SetWeight(tc.ro); w != tc.weight {
				t.Errorf("%s: set weight %d, want %d", tc.name, w, tc.weight)
			}
		}
		for hash, want := range tc.roles {
			if got := Role(tc.ro, hash); got != want {
				t.Errorf("%s: role of %s %q, want %q", tc.name, hash, got, want)
			}
		}
	}
}

// TestStrategyFromProfile: a Rollout that names a profile and writes only
// its Services reads its steps and kind from the profile strategy the
// status records.
func TestStrategyFromProfile(t *testing.T) {
	five := []rampv1alpha1.CanaryStep{
		{SetWeight: ptr.To[int32](10)}, {Pause: &rampv1alpha1.RolloutPause{}}, {SetWeight: ptr.To[int32](40)},
		{Pause: &rampv1alpha1.RolloutPause{}}, {SetWeight: ptr.To[int32](80)},
	}
	ro := &rampv1alpha1.Rollout{
		Spec: rampv1alpha1.RolloutSpec{Strategy: rampv1alpha1.RolloutStrategy{
			ProfileRef: &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary"},
			Canary:     &rampv1alpha1.CanaryStrategy{CanaryService: "web-canary", StableService: "web"},
		}},
		Status: rampv1alpha1.RolloutStatus{
			StableRS: "a", CurrentPodHash: "b", CurrentStepIndex: ptr.To[int32](1),
			Profile: &rampv1alpha1.ProfileStatus{
				Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary", Generation: 3, PodTemplateHash: "b",
				Strategy: &rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: five}},
			},
		},
	}
	if step, ok := Step(ro); !ok || step != "2/5" {
		t.Errorf("step %q (%v), want 2/5 from the profile's steps", step, ok)
	}
	if w := SetWeight(ro); w != 10 {
		t.Errorf("set weight %d, want 10", w)
	}
	if IsBlueGreen(ro) || !IsCanary(ro) {
		t.Errorf("a canary profile reads as blue-green %v, canary %v", IsBlueGreen(ro), IsCanary(ro))
	}
	if got := Strategy(ro).Canary.CanaryService; got != "web-canary" {
		t.Errorf("the Rollout's own canaryService was lost in the merge: %q", got)
	}

	ro.Spec.Strategy.Canary = nil
	ro.Status.Profile.Strategy = &rampv1alpha1.ProfileStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{}}
	ro.Status.BlueGreen = rampv1alpha1.BlueGreenStatus{ActiveSelector: "a", PreviewSelector: "b"}
	if !IsBlueGreen(ro) || IsCanary(ro) || CanarySteps(ro) != nil {
		t.Errorf("a blue-green profile does not read as blue-green")
	}
	if got := Role(ro, "b"); got != RolePreview {
		t.Errorf("role of the new revision %q, want %q", got, RolePreview)
	}
}
