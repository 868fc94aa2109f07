package rollout

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// bgScope is testScope for a 4-replica blue-green rollout.
func bgScope(hash string, st rampv1alpha1.RolloutStatus, bg rampv1alpha1.BlueGreenStrategy, rss ...*appsv1.ReplicaSet) *scope {
	s := testScope(hash, st, rss...)
	if bg.ActiveService == "" {
		bg.ActiveService = "web-active"
	}
	s.rollout.Spec.Strategy = rampv1alpha1.RolloutStrategy{BlueGreen: &bg}
	s.surge, s.unavailable = s.replicas, 0
	return s
}

func describePlan(plan []planEntry) string {
	var out []string
	for _, e := range plan {
		out = append(out, fmt.Sprintf("%s=%d", hashOf(e.rs), e.target))
	}
	return strings.Join(out, " ")
}

func TestBlueGreenStageAndPlan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		st      rampv1alpha1.RolloutStatus
		preview *int32
		stage   bgStage
		plan    string
	}{
		{"stable", rampv1alpha1.RolloutStatus{StableRS: "new"}, nil, bgStable, "new=4 old=0"},
		{"preview at full size by default", rampv1alpha1.RolloutStatus{StableRS: "old"}, nil, bgPreview, "old=4 new=4"},
		{"preview with previewReplicaCount", rampv1alpha1.RolloutStatus{StableRS: "old"}, ptr.To[int32](1), bgPreview, "old=4 new=1"},
		{"previewReplicaCount above replicas", rampv1alpha1.RolloutStatus{StableRS: "old"}, ptr.To[int32](9), bgPreview, "old=4 new=4"},
		{"promoted: scale up before the switch", rampv1alpha1.RolloutStatus{StableRS: "old",
			BlueGreen: rampv1alpha1.BlueGreenStatus{ScaleUpPreviewCheckPoint: true}}, ptr.To[int32](1), bgScaleUp, "old=4 new=4"},
		{"switched: the old version stays at full size", rampv1alpha1.RolloutStatus{StableRS: "old",
			BlueGreen: rampv1alpha1.BlueGreenStatus{ActiveSelector: "new", ScaleUpPreviewCheckPoint: true}}, ptr.To[int32](1), bgSwitched, "old=4 new=4"},
		{"aborted", rampv1alpha1.RolloutStatus{StableRS: "old", Abort: true,
			BlueGreen: rampv1alpha1.BlueGreenStatus{ActiveSelector: "new"}}, nil, bgAborted, "old=4 new=0"},
	} {
		old, fresh := testRS("old", "1", 4, 4), testRS("new", "2", 1, 1)
		s := bgScope("new", tc.st, rampv1alpha1.BlueGreenStrategy{PreviewReplicaCount: tc.preview}, fresh, old)
		stage := blueGreenStage(s)
		if stage != tc.stage {
			t.Errorf("%s: stage %d, want %d", tc.name, stage, tc.stage)
		}
		if got := describePlan(blueGreenPlan(s, stage)); got != tc.plan {
			t.Errorf("%s: plan %q, want %q", tc.name, got, tc.plan)
		}
	}
}

func TestPromotionGranted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		auto    *bool
		seconds *int32
		pause   *time.Duration // a BlueGreenPause started this long ago
		ctrl    bool           // status.controllerPause
		granted bool
		paused  bool // a BlueGreenPause is there afterwards
		requeue time.Duration
	}{
		{name: "auto-promotion", granted: true},
		{name: "manual: pauses", auto: ptr.To(false), paused: true},
		{name: "manual: waits in the pause", auto: ptr.To(false), pause: ptr.To(time.Hour), ctrl: true, paused: true},
		{name: "manual: promoted", auto: ptr.To(false), ctrl: true, granted: true},
		// The pause's start is stored in whole seconds: the wait counts
		// from the end of that second.
		{name: "timed: pauses and wakes up at the end", seconds: ptr.To[int32](30), paused: true, requeue: 31 * time.Second},
		{name: "timed: still waiting", seconds: ptr.To[int32](30), pause: ptr.To(10 * time.Second), ctrl: true, paused: true,
			requeue: 21 * time.Second},
		{name: "timed: not a second early", seconds: ptr.To[int32](30), pause: ptr.To(30 * time.Second), ctrl: true, paused: true,
			requeue: time.Second},
		{name: "timed: time is up", seconds: ptr.To[int32](30), pause: ptr.To(31 * time.Second), ctrl: true, granted: true},
		{name: "timed: promoted early", seconds: ptr.To[int32](30), ctrl: true, granted: true},
	} {
		st := rampv1alpha1.RolloutStatus{StableRS: "old", ControllerPause: tc.ctrl}
		if tc.pause != nil {
			st.PauseConditions = []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonBlueGreenPause,
				StartTime: metav1.NewTime(testNow.Add(-*tc.pause))}}
		}
		s := bgScope("new", st, rampv1alpha1.BlueGreenStrategy{AutoPromotionEnabled: tc.auto, AutoPromotionSeconds: tc.seconds})
		granted := promotionGranted(s)
		paused := findPause(&s.rollout.Status, rampv1alpha1.PauseReasonBlueGreenPause) != nil
		if granted != tc.granted || paused != tc.paused || s.requeueAfter != tc.requeue {
			t.Errorf("%s: granted %v, paused %v, requeue in %v; want %v, %v, %v", tc.name, granted, paused, s.requeueAfter,
				tc.granted, tc.paused, tc.requeue)
		}
	}
}

func TestInstantUndo(t *testing.T) {
	for _, tc := range []struct {
		name      string
		deadline  string
		available int32
		want      bool
	}{
		{"kept up, within its delay", testNow.Add(time.Minute).Format(time.RFC3339), 4, true},
		{"delay over", testNow.Add(-time.Second).Format(time.RFC3339), 4, false},
		{"no deadline", "", 4, false},
		{"not all available", testNow.Add(time.Minute).Format(time.RFC3339), 3, false},
	} {
		old := testRS("old", "1", 4, tc.available)
		if tc.deadline != "" {
			old.Annotations[rampv1alpha1.AnnotationScaleDownDeadline] = tc.deadline
		}
		s := bgScope("old", rampv1alpha1.RolloutStatus{StableRS: "new"}, rampv1alpha1.BlueGreenStrategy{}, testRS("new", "2", 4, 4), old)
		if got := instantUndo(s); got != tc.want {
			t.Errorf("%s: instantUndo = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBlueGreenMessages(t *testing.T) {
	old, fresh := testRS("old", "1", 4, 4), testRS("new", "2", 3, 3)
	s := bgScope("new", rampv1alpha1.RolloutStatus{StableRS: "old", ControllerPause: true,
		PauseConditions: []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonBlueGreenPause, StartTime: metav1.NewTime(testNow)}}},
		rampv1alpha1.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false), PreviewReplicaCount: ptr.To[int32](3)}, fresh, old)
	computeStatus(s, &rampv1alpha1.RolloutStatus{})
	st := &s.rollout.Status
	if st.Phase != rampv1alpha1.RolloutPhasePaused || !strings.Contains(st.Message, "Waiting for promotion: preview web-new ready 3/3") ||
		!strings.Contains(st.Message, "kubectl ramp promote web") {
		t.Errorf("phase %s, message %q", st.Phase, st.Message)
	}
	// After the switch the old version kept for its delay does not stop
	// the rollout from being Healthy.
	old.Annotations[rampv1alpha1.AnnotationScaleDownDeadline] = testNow.Add(time.Minute).Format(time.RFC3339)
	fresh = testRS("new", "2", 4, 4)
	s = bgScope("new", rampv1alpha1.RolloutStatus{StableRS: "new"}, rampv1alpha1.BlueGreenStrategy{}, fresh, old)
	computeStatus(s, &rampv1alpha1.RolloutStatus{})
	if s.rollout.Status.Phase != rampv1alpha1.RolloutPhaseHealthy {
		t.Errorf("with the old version kept for its delay: phase %s (%s), want Healthy", s.rollout.Status.Phase, s.rollout.Status.Message)
	}
	old.Annotations[rampv1alpha1.AnnotationScaleDownDeadline] = testNow.Add(-time.Second).Format(time.RFC3339)
	computeStatus(s, &rampv1alpha1.RolloutStatus{})
	if s.rollout.Status.Phase == rampv1alpha1.RolloutPhaseHealthy {
		t.Errorf("with the old version past its delay and still up: Healthy, want not")
	}
}

func TestCeilSecond(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[time.Time]time.Time{
		at:                             at,
		at.Add(time.Nanosecond):        at.Add(time.Second),
		at.Add(999 * time.Millisecond): at.Add(time.Second),
	} {
		if got := ceilSecond(in); !got.Equal(want) {
			t.Errorf("ceilSecond(%s) = %s, want %s", in.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
	}
}

func TestWrittenVersions(t *testing.T) {
	var w writtenVersions
	key := types.NamespacedName{Namespace: "team", Name: "web"}
	if w.stale(key, "5") {
		t.Error("stale before any write")
	}
	w.record(key, "10")
	for rv, want := range map[string]bool{"9": true, "10": false, "11": false, "100": false, "not-a-number": false} {
		if got := w.stale(key, rv); got != want {
			t.Errorf("after writing 10, stale(%q) = %v, want %v", rv, got, want)
		}
	}
	w.forget(key)
	if w.stale(key, "9") {
		t.Error("stale after forget")
	}
}
