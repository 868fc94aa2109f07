package dashboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// TestSummaryStates checks the step, weights and timeline of a canary in each
// state.
func TestSummaryStates(t *testing.T) {
	for _, tc := range []struct {
		name         string
		change       func(*rampv1alpha1.Rollout)
		step         string
		set, actual  *int32
		states       string
		pauseReason  string
		pauseSinceAt *time.Time
	}{
		{
			name: "paused at step 2", change: func(*rampv1alpha1.Rollout) {},
			step: "2/5", set: ptr.To[int32](20), actual: ptr.To[int32](20),
			states: "done current next next next", pauseReason: "CanaryPauseStep", pauseSinceAt: ptr.To(epoch.Add(-5 * time.Minute)),
		},
		{
			name: "step 3 without weights recorded", change: func(ro *rampv1alpha1.Rollout) {
				ro.Status.CurrentStepIndex = ptr.To[int32](2)
				ro.Status.PauseConditions = nil
				ro.Status.Canary.Weights = nil
			},
			step: "3/5", set: ptr.To[int32](50), states: "done done current next next",
		},
		{
			name: "aborted", change: func(ro *rampv1alpha1.Rollout) {
				ro.Status.Abort = true
				ro.Status.PauseConditions = nil
				ro.Status.Canary.Weights.Canary.Weight = 0
			},
			step: "0/5", set: ptr.To[int32](0), actual: ptr.To[int32](0), states: "next next next next next",
		},
		{
			name: "healthy", change: func(ro *rampv1alpha1.Rollout) {
				ro.Status.StableRS = ro.Status.CurrentPodHash
				ro.Status.CurrentStepIndex = ptr.To[int32](5)
				ro.Status.PauseConditions = nil
				ro.Status.Canary.Weights = nil
			},
			step: "5/5", set: ptr.To[int32](100), actual: ptr.To[int32](100), states: "done done done done done",
		},
		{
			name: "paused by spec.paused", change: func(ro *rampv1alpha1.Rollout) {
				ro.Spec.Paused = true
				ro.Status.CurrentStepIndex = ptr.To[int32](2)
				ro.Status.PauseConditions = nil
				ro.Status.Conditions = []metav1.Condition{{Type: rampv1alpha1.ConditionPaused, Status: metav1.ConditionTrue,
					LastTransitionTime: metav1.NewTime(epoch.Add(-time.Minute))}}
			},
			step: "3/5", set: ptr.To[int32](50), actual: ptr.To[int32](20), states: "done done current next next",
			pauseReason: "SpecPaused", pauseSinceAt: ptr.To(epoch.Add(-time.Minute)),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := webRollout()
			tc.change(ro)
			sum := summarize(ro, nil)
			if sum.Step != tc.step || !ptrEqual(sum.SetWeight, tc.set) || !ptrEqual(sum.ActualWeight, tc.actual) {
				t.Errorf("step %q set %v actual %v, want %q %v %v", sum.Step,
					ptr.Deref(sum.SetWeight, -1), ptr.Deref(sum.ActualWeight, -1), tc.step, ptr.Deref(tc.set, -1), ptr.Deref(tc.actual, -1))
			}
			var states []string
			var reason string
			var since *metav1.Time
			for _, s := range stepsOf(ro) {
				states = append(states, s.State)
				if s.State == stepCurrent {
					reason, since = s.PauseReason, s.Since
				}
			}
			if got := fmt.Sprint(states); got != "["+tc.states+"]" {
				t.Errorf("states %s, want [%s]", got, tc.states)
			}
			if reason != tc.pauseReason || (since == nil) != (tc.pauseSinceAt == nil) || (since != nil && !since.Time.Equal(*tc.pauseSinceAt)) {
				t.Errorf("pause %q since %v, want %q since %v", reason, since, tc.pauseReason, tc.pauseSinceAt)
			}
		})
	}
}

// TestBlueGreenRoles checks the roles and images of a blue-green update.
func TestBlueGreenRoles(t *testing.T) {
	ro := apiRollout()
	ro.Status.CurrentPodHash = "ddd"
	ro.Status.BlueGreen.PreviewSelector = "ddd"
	rss := []*appsv1.ReplicaSet{
		replicaSet(ro, "ddd", 8, 2, "shop/api:1.5"),
		replicaSet(ro, "ccc", 7, 2, "shop/api:1.4"),
		replicaSet(ro, "bbb", 6, 0, "shop/api:1.3"),
	}
	var roles []string
	for _, rs := range rss {
		roles = append(roles, roleOf(ro, hashOf(rs)))
	}
	if want := []string{"preview", "active", "old"}; !slices.Equal(roles, want) {
		t.Errorf("roles %v, want %v", roles, want)
	}
	want := []Image{{"shop/api:1.5", "preview"}, {"shop/api:1.4", "active"}}
	if got := imagesOf(ro, rss); !slices.Equal(got, want) {
		t.Errorf("images %v, want %v", got, want)
	}
	if sum := summarize(ro, rss); sum.SetWeight != nil || sum.ActualWeight != nil || sum.Step != "" || sum.Strategy != "blueGreen" {
		t.Errorf("blue-green summary %+v", sum)
	}
}

// TestDescribeStep checks the description of each kind of step.
func TestDescribeStep(t *testing.T) {
	for want, step := range map[string]rampv1alpha1.CanaryStep{
		"setWeight 20":                      {SetWeight: ptr.To[int32](20)},
		"pause":                             {Pause: &rampv1alpha1.RolloutPause{}},
		"pause 45s":                         {Pause: &rampv1alpha1.RolloutPause{Duration: ptr.To(intstr.FromInt32(45))}},
		"pause 1h":                          {Pause: &rampv1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("1h"))}},
		"analysis a, b":                     {Analysis: &rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "a"}, {TemplateName: "b"}}}},
		"setCanaryScale replicas 2":         {SetCanaryScale: &rampv1alpha1.SetCanaryScale{Replicas: ptr.To[int32](2)}},
		"setCanaryScale weight 10":          {SetCanaryScale: &rampv1alpha1.SetCanaryScale{Weight: ptr.To[int32](10)}},
		"setCanaryScale matchTrafficWeight": {SetCanaryScale: &rampv1alpha1.SetCanaryScale{MatchTrafficWeight: true}},
		"setHeaderRoute beta":               {SetHeaderRoute: &rampv1alpha1.SetHeaderRoute{Name: "beta"}},
		"setMirrorRoute shadow":             {SetMirrorRoute: &rampv1alpha1.SetMirrorRoute{Name: "shadow"}},
		"unknown step":                      {},
	} {
		if got := describeStep(step); got != want {
			t.Errorf("describeStep = %q, want %q", got, want)
		}
	}
}

// TestSummaryProfile: a Rollout that takes its strategy from a profile
// shows the profile's steps and kind, as the status records them, and
// names the profile.
func TestSummaryProfile(t *testing.T) {
	profiled := func() *rampv1alpha1.Rollout {
		ro := webRollout()
		steps := ro.Spec.Strategy.Canary.Steps
		ro.Spec.Strategy = rampv1alpha1.RolloutStrategy{
			ProfileRef: &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary"},
			Canary:     &rampv1alpha1.CanaryStrategy{CanaryService: "web-canary", StableService: "web"},
		}
		ro.Status.Profile = &rampv1alpha1.ProfileStatus{
			Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary", Generation: 3, PodTemplateHash: ro.Status.CurrentPodHash,
			Strategy: &rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: steps}},
		}
		return ro
	}

	ro := profiled()
	sum := summarize(ro, nil)
	if sum.Strategy != "canary" || sum.Step != "2/5" || !ptrEqual(sum.SetWeight, ptr.To[int32](20)) || len(stepsOf(ro)) != 5 {
		t.Errorf("canary from a profile: strategy %q step %q set %v, %d steps; want canary 2/5 20, 5 steps",
			sum.Strategy, sum.Step, ptr.Deref(sum.SetWeight, -1), len(stepsOf(ro)))
	}
	if want := (ProfileSummary{Kind: "RolloutProfile", Name: "team-canary", Generation: 3}); sum.Profile == nil || *sum.Profile != want {
		t.Errorf("profile %+v, want %+v", sum.Profile, want)
	}
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"profile":{"kind":"RolloutProfile","name":"team-canary","generation":3,"default":false,"pending":false}`; !strings.Contains(string(b), want) {
		t.Errorf("the summary's JSON lacks %s: %s", want, b)
	}

	// Named but not read yet: pending, and no steps to show.
	ro = profiled()
	ro.Spec.Strategy.Canary = nil
	ro.Status.Profile = nil
	sum = summarize(ro, nil)
	if want := (ProfileSummary{Kind: "RolloutProfile", Name: "team-canary", Pending: true}); sum.Profile == nil || *sum.Profile != want {
		t.Errorf("profile not read yet %+v, want %+v", sum.Profile, want)
	}
	if sum.Step != "" || len(stepsOf(ro)) != 0 {
		t.Errorf("a profile not read yet shows step %q and %d steps", sum.Step, len(stepsOf(ro)))
	}

	// A namespace default that is blue-green.
	api := apiRollout()
	api.Spec.Strategy.BlueGreen = nil
	api.Status.Profile = &rampv1alpha1.ProfileStatus{
		Kind: rampv1alpha1.ProfileKindCluster, Name: "platform", Generation: 2, Default: true, PodTemplateHash: "ccc",
		Strategy: &rampv1alpha1.ProfileStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{}},
	}
	sum = summarize(api, nil)
	if want := (ProfileSummary{Kind: "ClusterRolloutProfile", Name: "platform", Generation: 2, Default: true}); sum.Strategy != "blueGreen" ||
		sum.SetWeight != nil || sum.Profile == nil || *sum.Profile != want {
		t.Errorf("blue-green namespace default: strategy %q set %v profile %+v, want blueGreen, no weight, %+v",
			sum.Strategy, sum.SetWeight, sum.Profile, want)
	}
}
