package notify

import (
	"strings"
	"testing"
	"time"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func ptr[T any](v T) *T { return &v }

// testMessage is a canary message with every field set.
func testMessage() Message {
	return Message{
		Trigger:         rampv1alpha1.TriggerAborted,
		Namespace:       "shop",
		Rollout:         "web",
		Revision:        7,
		PodTemplateHash: "5d8f7c9b6",
		Images:          []string{"web=registry.example.com/web:1.2.3", "proxy=envoy:1.30"},
		Strategy:        "canary",
		Step:            ptr(int32(2)),
		Steps:           5,
		Weight:          ptr(int32(20)),
		Phase:           "Degraded",
		Reason:          "AnalysisRunFailed",
		Text:            "Aborted: metric error-rate failed: 0.3 > 0.05",
		DashboardURL:    "https://ramp.example.com/rollouts/shop/web",
		Time:            time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
	}
}

func TestTitle(t *testing.T) {
	cases := []struct {
		trigger rampv1alpha1.NotificationTrigger
		want    string
	}{
		{rampv1alpha1.TriggerRolloutUpdated, "shop/web: update started"},
		{rampv1alpha1.TriggerStepCompleted, "shop/web: step 2 of 5 completed"},
		{rampv1alpha1.TriggerPaused, "shop/web: paused, waiting for a person"},
		{rampv1alpha1.TriggerPromoted, "shop/web: promoted"},
		{rampv1alpha1.TriggerAborted, "shop/web: update aborted"},
		{rampv1alpha1.TriggerAnalysisFailed, "shop/web: analysis failed"},
		{rampv1alpha1.TriggerAnalysisInconclusive, "shop/web: analysis inconclusive"},
		{rampv1alpha1.TriggerHealthy, "shop/web: healthy"},
		{rampv1alpha1.TriggerGateWaiting, "shop/web: waiting at a gate"},
		{"SomethingNew", "shop/web: SomethingNew"},
	}
	for _, c := range cases {
		m := testMessage()
		m.Trigger = c.trigger
		if got := m.Title(); got != c.want {
			t.Errorf("Title of %s = %q, want %q", c.trigger, got, c.want)
		}
	}
}

func TestTitleStepWithoutCount(t *testing.T) {
	m := Message{Trigger: rampv1alpha1.TriggerStepCompleted, Rollout: "web", Step: ptr(int32(3))}
	if got, want := m.Title(), "web: step 3 completed"; got != want {
		t.Errorf("Title = %q, want %q", got, want)
	}
	m.Step = nil
	if got, want := m.Title(), "web: step completed"; got != want {
		t.Errorf("Title = %q, want %q", got, want)
	}
}

func TestSummary(t *testing.T) {
	got := testMessage().Summary()
	want := strings.Join([]string{
		"shop/web: update aborted",
		"Aborted: metric error-rate failed: 0.3 > 0.05",
		"Revision: 7",
		"Images: web=registry.example.com/web:1.2.3, proxy=envoy:1.30",
		"Step: 2 of 5",
		"Weight: 20%",
		"Dashboard: https://ramp.example.com/rollouts/shop/web",
	}, "\n")
	if got != want {
		t.Errorf("Summary =\n%s\nwant\n%s", got, want)
	}
}

func TestSummaryLeavesOutUnset(t *testing.T) {
	m := Message{Trigger: rampv1alpha1.TriggerPromoted, Namespace: "shop", Rollout: "web",
		Strategy: "blueGreen", Text: "Promoted revision 3"}
	if got, want := m.Summary(), "shop/web: promoted\nPromoted revision 3"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}
