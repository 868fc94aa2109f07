package rollout

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func setWeight(w int32) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{SetWeight: ptr.To(w)}
}

func pause(d string) rampv1alpha1.CanaryStep {
	p := &rampv1alpha1.RolloutPause{}
	if d != "" {
		p.Duration = ptr.To(intstr.Parse(d))
	}
	return rampv1alpha1.CanaryStep{Pause: p}
}

func TestWeightAt(t *testing.T) {
	steps := []rampv1alpha1.CanaryStep{pause(""), setWeight(20), pause("10"), setWeight(60), pause("")}
	for i, want := range []int32{0, 20, 20, 60, 60, 100, 100} {
		if got := weightAt(steps, int32(i)); got != want {
			t.Errorf("weightAt(%d) = %d, want %d", i, got, want)
		}
	}
}

func TestPauseDuration(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  time.Duration
		timed bool
		err   bool
	}{
		{"", 0, false, false},
		{"30", 30 * time.Second, true, false},
		{"45s", 45 * time.Second, true, false},
		{"1h30m", 90 * time.Minute, true, false},
		{"5x", 0, false, true},
	} {
		step := pause(tc.in)
		if tc.in == "30" {
			step.Pause.Duration = ptr.To(intstr.FromInt32(30))
		}
		d, timed, err := pauseDuration(step.Pause)
		if (err != nil) != tc.err || d != tc.want || timed != tc.timed {
			t.Errorf("pauseDuration(%q) = %v, %v, %v", tc.in, d, timed, err)
		}
	}
}

// stepCase drives advanceSteps from a status and checks the status and
// outcome after one call.
type stepCase struct {
	name      string
	steps     []rampv1alpha1.CanaryStep
	status    rampv1alpha1.RolloutStatus
	reached   map[int32]bool // weights whose pods are in place
	wantIndex int32
	wantW     int32
	wantDone  bool
	wantPause bool // a CanaryPauseStep condition is present
	wantCtrl  bool // controllerPause
	wantWake  time.Duration
	completed string
}

func TestAdvanceSteps(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	started := func(ago time.Duration) []rampv1alpha1.PauseCondition {
		return []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: metav1.NewTime(now.Add(-ago))}}
	}
	steps := []rampv1alpha1.CanaryStep{setWeight(25), pause(""), setWeight(50), pause("5s")}
	for _, tc := range []stepCase{
		{name: "weight not reached holds the step", steps: steps,
			status:    rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](0)},
			wantIndex: 0, wantW: 25, completed: "[]"},
		{name: "weight reached moves to the pause and pauses", steps: steps, reached: map[int32]bool{25: true},
			status:    rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](0)},
			wantIndex: 1, wantW: 25, wantPause: true, wantCtrl: true, completed: "[0]"},
		{name: "indefinite pause waits", steps: steps, reached: map[int32]bool{25: true},
			status:    rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](1), PauseConditions: started(time.Hour), ControllerPause: true},
			wantIndex: 1, wantW: 25, wantPause: true, wantCtrl: true, completed: "[]"},
		{name: "cleared pause means promoted", steps: steps, reached: map[int32]bool{25: true},
			status:    rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](1), ControllerPause: true},
			wantIndex: 2, wantW: 50, completed: "[1]"},
		{name: "timed pause not over asks to wake at its end", steps: steps, reached: map[int32]bool{50: true},
			status:    rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](3), PauseConditions: started(2 * time.Second), ControllerPause: true},
			wantIndex: 3, wantW: 50, wantPause: true, wantCtrl: true, wantWake: 3 * time.Second, completed: "[]"},
		{name: "timed pause over completes the last step", steps: steps, reached: map[int32]bool{50: true},
			status:    rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](3), PauseConditions: started(6 * time.Second), ControllerPause: true},
			wantIndex: 4, wantW: 100, wantDone: true, completed: "[3]"},
		{name: "a new timed pause starts now", steps: steps, reached: map[int32]bool{50: true},
			status:    rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](2)},
			wantIndex: 3, wantW: 50, wantPause: true, wantCtrl: true, wantWake: 5 * time.Second, completed: "[2]"},
		{name: "no steps: done at once", steps: nil,
			status:    rampv1alpha1.RolloutStatus{},
			wantIndex: 0, wantW: 100, wantDone: true, completed: "[]"},
		{name: "zero pause does not stop", steps: []rampv1alpha1.CanaryStep{pause("0s"), setWeight(10)},
			status:    rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](0)},
			wantIndex: 1, wantW: 10, completed: "[0]"},
		{name: "an inconclusive pause does not count as a promotion", steps: steps, reached: map[int32]bool{25: true},
			status: rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](1), ControllerPause: true, PauseConditions: []rampv1alpha1.PauseCondition{
				{Reason: rampv1alpha1.PauseReasonInconclusiveAnalysis, StartTime: metav1.NewTime(now)}}},
			wantIndex: 2, wantW: 50, wantPause: false, completed: "[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.status.DeepCopy()
			out, err := advanceSteps(st, tc.steps, now, stepChecks{reached: func(w, _ int32) bool { return tc.reached[w] }})
			if err != nil {
				t.Fatal(err)
			}
			if got := ptr.Deref(st.CurrentStepIndex, -1); got != tc.wantIndex {
				t.Errorf("currentStepIndex = %d, want %d", got, tc.wantIndex)
			}
			if out.weight != tc.wantW || out.done != tc.wantDone {
				t.Errorf("weight/done = %d/%v, want %d/%v", out.weight, out.done, tc.wantW, tc.wantDone)
			}
			if got := findPause(st, rampv1alpha1.PauseReasonCanaryPauseStep) != nil; got != tc.wantPause {
				t.Errorf("pause condition present = %v, want %v", got, tc.wantPause)
			}
			if st.ControllerPause != tc.wantCtrl {
				t.Errorf("controllerPause = %v, want %v", st.ControllerPause, tc.wantCtrl)
			}
			var wake time.Duration
			if !out.wakeAt.IsZero() {
				wake = out.wakeAt.Sub(now)
			}
			if wake != tc.wantWake {
				t.Errorf("wake in %v, want %v", wake, tc.wantWake)
			}
			if got := fmt.Sprint(out.completed); got != tc.completed {
				t.Errorf("completed %s, want %s", got, tc.completed)
			}
		})
	}
}

func TestResetSteps(t *testing.T) {
	st := &rampv1alpha1.RolloutStatus{
		CurrentStepIndex: ptr.To[int32](3), ControllerPause: true, PromoteFull: true,
		PauseConditions: []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonCanaryPauseStep}},
	}
	resetSteps(st)
	if *st.CurrentStepIndex != 0 || st.ControllerPause || st.PromoteFull || st.PauseConditions != nil {
		t.Errorf("resetSteps left %+v", st)
	}
}

func TestAnalysisStep(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	analysis := rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{}}
	steps := []rampv1alpha1.CanaryStep{setWeight(20), analysis, setWeight(60)}
	run := func(phase rampv1alpha1.AnalysisPhase, st *rampv1alpha1.RolloutStatus) (stepOutcome, *rampv1alpha1.RolloutStatus) {
		out, err := advanceSteps(st, steps, now, stepChecks{
			reached: func(w, _ int32) bool { return w == 20 },
			analyze: func(int32, *rampv1alpha1.RolloutAnalysis) (rampv1alpha1.AnalysisPhase, error) { return phase, nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, st
	}
	start := func() *rampv1alpha1.RolloutStatus {
		return &rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To[int32](1)}
	}

	if out, st := run(rampv1alpha1.AnalysisPhaseRunning, start()); *st.CurrentStepIndex != 1 || out.weight != 20 || len(st.PauseConditions) != 0 {
		t.Errorf("running analysis: index %d weight %d pauses %v", *st.CurrentStepIndex, out.weight, st.PauseConditions)
	}
	if _, st := run(rampv1alpha1.AnalysisPhaseSuccessful, start()); *st.CurrentStepIndex != 2 {
		t.Errorf("successful analysis: index %d", *st.CurrentStepIndex)
	}
	if _, st := run(rampv1alpha1.AnalysisPhaseFailed, start()); *st.CurrentStepIndex != 1 {
		t.Errorf("failed analysis moved on to %d", *st.CurrentStepIndex)
	}
	out, st := run(rampv1alpha1.AnalysisPhaseInconclusive, start())
	if *st.CurrentStepIndex != 1 || findPause(st, rampv1alpha1.PauseReasonInconclusiveAnalysis) == nil || !st.ControllerPause || out.pausedAt != 1 {
		t.Fatalf("inconclusive analysis did not pause: %+v", st)
	}
	// Still inconclusive: keeps waiting.
	if _, st := run(rampv1alpha1.AnalysisPhaseInconclusive, st); *st.CurrentStepIndex != 1 {
		t.Errorf("index %d", *st.CurrentStepIndex)
	}
	// A person promotes (clears the pause): the step completes.
	st.PauseConditions = nil
	if out, st := run(rampv1alpha1.AnalysisPhaseInconclusive, st); *st.CurrentStepIndex != 2 || st.ControllerPause || out.resumedAt != 1 {
		t.Errorf("promoted past inconclusive: %+v", st)
	}
}
