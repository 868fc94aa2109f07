package rollout

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/gate"
	"github.com/rampdev/ramp/notify"
)

// TestGateStep walks a gate through its life: asked at once, asked again
// every retryInterval while the service has not decided, and passed,
// aborted or timed out on its answers.
func TestGateStep(t *testing.T) {
	g := &rampv1alpha1.RolloutGate{RetryInterval: "30s", Timeout: "10m", Webhook: rampv1alpha1.GateWebhook{URL: "http://approve"}}
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	waiting := &gate.Answer{Decision: rampv1alpha1.GateWaiting, Text: "HTTP 202: CHG-42 not approved yet"}
	st := &rampv1alpha1.RolloutStatus{}

	plan, err := gateStep(st, "step 3", "abc", g, t0, nil, false)
	if err != nil || !plan.started || !plan.call || plan.allowed || plan.abort != "" {
		t.Fatalf("a new gate: %+v, %v; want it started and asked", plan, err)
	}
	if st.Gate == nil || st.Gate.Decision != rampv1alpha1.GateWaiting || !st.Gate.StartedAt.Time.Equal(t0) ||
		findPause(st, rampv1alpha1.PauseReasonGate) == nil || !st.ControllerPause {
		t.Fatalf("a new gate's status: %+v", st)
	}

	plan, _ = gateStep(st, "step 3", "abc", g, t0.Add(time.Second), nil, true)
	if plan.call || plan.allowed || !plan.wake.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("a call under way: %+v; want no new call, a wake-up at the timeout", plan)
	}

	plan, _ = gateStep(st, "step 3", "abc", g, t0.Add(2*time.Second), waiting, false)
	if plan.call || plan.allowed || !plan.wake.Equal(t0.Add(32*time.Second)) {
		t.Errorf("after no decision: %+v; want the next call after retryInterval", plan)
	}
	if st.Gate.Attempts != 1 || st.Gate.LastAnswer != waiting.Text || !st.Gate.LastCheckedAt.Time.Equal(t0.Add(2*time.Second)) {
		t.Errorf("after no decision, status.gate is %+v", st.Gate)
	}
	if plan, _ = gateStep(st, "step 3", "abc", g, t0.Add(32*time.Second), nil, false); !plan.call {
		t.Errorf("after retryInterval: %+v; want a call", plan)
	}

	allowed := *st
	allowed.Gate = st.Gate.DeepCopy()
	allowed.PauseConditions = append([]rampv1alpha1.PauseCondition(nil), st.PauseConditions...)
	plan, _ = gateStep(&allowed, "step 3", "abc", g, t0.Add(40*time.Second),
		&gate.Answer{Decision: rampv1alpha1.GateAllowed, Text: "allowed: CHG-42 approved"}, false)
	if !plan.allowed || plan.abort != "" || allowed.Gate.Decision != rampv1alpha1.GateAllowed || allowed.Gate.Attempts != 2 ||
		findPause(&allowed, rampv1alpha1.PauseReasonGate) != nil || allowed.ControllerPause {
		t.Errorf("allowed: %+v, status %+v", plan, allowed)
	}
	// Decided: later reconciles change nothing, whatever holds controllerPause.
	allowed.ControllerPause = true
	if plan, _ = gateStep(&allowed, "step 3", "abc", g, t0.Add(time.Hour), nil, false); !plan.allowed || !allowed.ControllerPause {
		t.Errorf("an allowed gate later: %+v, controllerPause %v", plan, allowed.ControllerPause)
	}

	denied := *st
	denied.Gate = st.Gate.DeepCopy()
	plan, _ = gateStep(&denied, "step 3", "abc", g, t0.Add(40*time.Second),
		&gate.Answer{Decision: rampv1alpha1.GateDenied, Text: "denied: load test failed"}, false)
	if plan.allowed || !strings.Contains(plan.abort, "denied: load test failed") || !strings.Contains(plan.abort, "step 3") ||
		denied.Gate.Decision != rampv1alpha1.GateDenied {
		t.Errorf("denied: %+v, status.gate %+v", plan, denied.Gate)
	}

	late := *st
	late.Gate = st.Gate.DeepCopy()
	plan, _ = gateStep(&late, "step 3", "abc", g, t0.Add(10*time.Minute), nil, true)
	if plan.allowed || !strings.Contains(plan.abort, "no decision within 10m0s") || !strings.Contains(plan.abort, waiting.Text) ||
		late.Gate.Decision != rampv1alpha1.GateTimedOut {
		t.Errorf("timed out: %+v, status.gate %+v", plan, late.Gate)
	}

	promoted := *st
	promoted.Gate = st.Gate.DeepCopy()
	promoted.PauseConditions = nil // kubectl ramp promote
	plan, _ = gateStep(&promoted, "step 3", "abc", g, t0.Add(50*time.Second), nil, true)
	if !plan.allowed || !plan.resumed || promoted.ControllerPause || promoted.Gate.Decision != rampv1alpha1.GateAllowed {
		t.Errorf("promoted past: %+v, status %+v", plan, promoted)
	}

	// The retried update asks again; so does a new revision.
	if plan, _ = gateStep(&denied, "step 3", "abc", g, t0.Add(time.Hour), nil, false); !plan.started || denied.Gate.Attempts != 0 {
		t.Errorf("after a retry: %+v, status.gate %+v", plan, denied.Gate)
	}
	if plan, _ = gateStep(&allowed, "step 3", "def", g, t0.Add(time.Hour), nil, false); !plan.started || allowed.Gate.PodTemplateHash != "def" {
		t.Errorf("a new revision: %+v, status.gate %+v", plan, allowed.Gate)
	}
}

func TestGateDefaults(t *testing.T) {
	retry, timeout, call, err := gateTimes(&rampv1alpha1.RolloutGate{})
	if err != nil || retry != 10*time.Second || timeout != time.Hour || call != 10*time.Second {
		t.Errorf("defaults %v %v %v %v", retry, timeout, call, err)
	}
	st := &rampv1alpha1.RolloutStatus{}
	if _, err := gateStep(st, "step 1", "abc", &rampv1alpha1.RolloutGate{RetryInterval: "0s"}, time.Now(), nil, false); err == nil ||
		!strings.Contains(err.Error(), "retryInterval") {
		t.Errorf("a zero retryInterval: %v; want an error naming it", err)
	}
}

// TestGateAdvanceSteps: a gate step holds the steps until it allows.
func TestGateAdvanceSteps(t *testing.T) {
	steps := []rampv1alpha1.CanaryStep{{SetWeight: ptr.To[int32](20)}, {Gate: &rampv1alpha1.RolloutGate{}}, {SetWeight: ptr.To[int32](60)}}
	allow := false
	checks := stepChecks{
		reached: func(int32, int32) bool { return true },
		gate:    func(int32, *rampv1alpha1.RolloutGate) (bool, error) { return allow, nil },
	}
	st := &rampv1alpha1.RolloutStatus{}
	out, err := advanceSteps(st, steps, metav1.Now().Time, checks)
	if err != nil || out.done || *st.CurrentStepIndex != 1 || out.weight != 20 {
		t.Fatalf("at the gate: %+v, index %d, %v", out, *st.CurrentStepIndex, err)
	}
	allow = true
	if out, _ = advanceSteps(st, steps, metav1.Now().Time, checks); !out.done {
		t.Errorf("after the gate allowed: %+v", out)
	}
}

// notes is a fake Notifier.
type notes struct{ got []notify.Message }

func (n *notes) Notify(_ *rampv1alpha1.Rollout, m notify.Message) { n.got = append(n.got, m) }

// TestEmitNotifies: the transitions queued with a trigger are sent once the
// status is written, with the update's details; nothing is sent when only
// the side effects of a failed status write are recorded.
func TestEmitNotifies(t *testing.T) {
	ro := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: rampv1alpha1.RolloutSpec{Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
			Steps: []rampv1alpha1.CanaryStep{{SetWeight: ptr.To[int32](20)}, {Pause: &rampv1alpha1.RolloutPause{}}, {SetWeight: ptr.To[int32](60)}}}}},
		Status: rampv1alpha1.RolloutStatus{Phase: rampv1alpha1.RolloutPhasePaused, StableRS: "old", CurrentStepIndex: ptr.To[int32](1),
			Canary: rampv1alpha1.CanaryStatus{Weights: &rampv1alpha1.TrafficWeights{Canary: rampv1alpha1.WeightDestination{Weight: 20}}}},
	}
	s := &scope{rollout: ro, hash: "new", now: time.Now()}
	s.event(eventNormal, reasonScaledReplicaSet, "Scale", "Scaled up")
	s.event(eventNormal, reasonStepCompleted, "Step", "Step 1 of 3 completed (setWeight 20)")
	s.notifyLast(rampv1alpha1.TriggerStepCompleted, 1)
	s.event(eventNormal, reasonPaused, "Pause", "Paused at step 2 of 3 (pause)")
	s.notifyLast(rampv1alpha1.TriggerPaused, 2)

	n := &notes{}
	r := &Reconciler{Notifier: n}
	r.emit(s, true)
	if len(n.got) != 0 {
		t.Fatalf("notifications sent with the side effects of a failed write: %+v", n.got)
	}
	r.emit(s, false)
	if len(n.got) != 2 || n.got[0].Trigger != rampv1alpha1.TriggerStepCompleted || n.got[1].Trigger != rampv1alpha1.TriggerPaused {
		t.Fatalf("notifications %+v; want StepCompleted then Paused", n.got)
	}
	m := n.got[1]
	if m.Rollout != "web" || m.Namespace != "shop" || m.PodTemplateHash != "new" || *m.Step != 2 || m.Steps != 3 ||
		*m.Weight != 20 || m.Phase != "Paused" || m.Reason != reasonPaused || m.Text != "Paused at step 2 of 3 (pause)" {
		t.Errorf("the Paused notification %+v", m)
	}
	if *n.got[0].Step != 1 {
		t.Errorf("the StepCompleted notification is about step %d, want 1", *n.got[0].Step)
	}
}
