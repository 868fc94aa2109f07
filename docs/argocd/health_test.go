// Package argocd tests the Argo CD health check for Rollouts in health.lua.
package argocd

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// health is what the script returns.
type health struct {
	status  string
	message string
}

func TestHealthCheck(t *testing.T) {
	script, err := os.ReadFile("health.lua")
	if err != nil {
		t.Fatalf("read health.lua: %v", err)
	}
	start := metav1.NewTime(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))

	tests := []struct {
		name   string
		modify func(ro *rampv1alpha1.Rollout)
		want   health
	}{
		{
			name: "healthy",
			modify: func(ro *rampv1alpha1.Rollout) {
				setStatus(ro, rampv1alpha1.RolloutPhaseHealthy, rampv1alpha1.ReasonSucceeded,
					"Healthy: 3/3 pods of revision 2 available")
			},
			want: health{"Healthy", "Healthy: 3/3 pods of revision 2 available"},
		},
		{
			name: "progressing",
			modify: func(ro *rampv1alpha1.Rollout) {
				setStatus(ro, rampv1alpha1.RolloutPhaseProgressing, rampv1alpha1.ReasonStepInProgress,
					"At step 1/3 (setWeight 20): canary 1/1 available, stable 3/3 available")
			},
			want: health{"Progressing", "At step 1/3 (setWeight 20): canary 1/1 available, stable 3/3 available"},
		},
		{
			name: "paused at a pause step",
			modify: func(ro *rampv1alpha1.Rollout) {
				setStatus(ro, rampv1alpha1.RolloutPhasePaused, rampv1alpha1.ReasonPaused,
					"Paused at step 2/3 (pause); promote with kubectl ramp promote web")
				ro.Status.ControllerPause = true
				ro.Status.CurrentStepIndex = ptr.To[int32](1)
				ro.Status.PauseConditions = []rampv1alpha1.PauseCondition{
					{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: start},
				}
			},
			want: health{"Suspended", "Paused at step 2/3 (pause); promote with kubectl ramp promote web"},
		},
		{
			name: "paused by spec.paused",
			modify: func(ro *rampv1alpha1.Rollout) {
				ro.Spec.Paused = true
				setStatus(ro, rampv1alpha1.RolloutPhasePaused, rampv1alpha1.ReasonSpecPaused,
					"Paused by spec.paused at step 1/3 (setWeight 20); set it to false (kubectl ramp resume web) to continue")
			},
			want: health{"Suspended", "Paused by spec.paused at step 1/3 (setWeight 20); set it to false (kubectl ramp resume web) to continue"},
		},
		{
			name: "aborted",
			modify: func(ro *rampv1alpha1.Rollout) {
				setStatus(ro, rampv1alpha1.RolloutPhaseDegraded, rampv1alpha1.ReasonAborted,
					"Aborted by kubectl ramp abort by alice; traffic is back on the stable version")
				ro.Status.Abort = true
				ro.Status.AbortedAt = &start
				ro.Status.AbortedBy = "kubectl ramp abort by alice"
			},
			want: health{"Degraded", "Aborted by kubectl ramp abort by alice; traffic is back on the stable version"},
		},
		{
			name: "stalled on an invalid spec",
			modify: func(ro *rampv1alpha1.Rollout) {
				setStatus(ro, rampv1alpha1.RolloutPhaseDegraded, rampv1alpha1.ReasonInvalidSpec,
					"spec.strategy.canary.stableService: Service web-stable not found")
			},
			want: health{"Degraded", "spec.strategy.canary.stableService: Service web-stable not found"},
		},
		{
			name: "stalled condition without a phase message",
			modify: func(ro *rampv1alpha1.Rollout) {
				setStatus(ro, rampv1alpha1.RolloutPhaseProgressing, rampv1alpha1.ReasonProgressing, "")
				setCondition(ro, rampv1alpha1.ConditionStalled, metav1.ConditionTrue, rampv1alpha1.ReasonProfileNotFound,
					"RolloutProfile safe-canary not found")
			},
			want: health{"Degraded", "RolloutProfile safe-canary not found"},
		},
		{
			name: "new spec not yet observed",
			modify: func(ro *rampv1alpha1.Rollout) {
				setStatus(ro, rampv1alpha1.RolloutPhaseHealthy, rampv1alpha1.ReasonSucceeded,
					"Healthy: 3/3 pods of revision 2 available")
				ro.Generation = 5
			},
			want: health{"Progressing", "Waiting for the controller to observe the new spec"},
		},
		{
			name:   "no status yet",
			modify: func(ro *rampv1alpha1.Rollout) {},
			want:   health{"Progressing", "Waiting for the controller to observe the new spec"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ro := newRollout()
			tt.modify(ro)
			got, err := runHealthCheck(string(script), ro)
			if err != nil {
				t.Fatalf("run health.lua: %v", err)
			}
			if got != tt.want {
				t.Errorf("health.lua returned status %q, message %q; want status %q, message %q",
					got.status, got.message, tt.want.status, tt.want.message)
			}
		})
	}
}

// newRollout returns a canary Rollout at generation 4 with an empty status.
func newRollout() *rampv1alpha1.Rollout {
	return &rampv1alpha1.Rollout{
		TypeMeta:   metav1.TypeMeta{APIVersion: "ramp.dev/v1alpha1", Kind: "Rollout"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Generation: 4},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
				Steps: []rampv1alpha1.CanaryStep{
					{SetWeight: ptr.To[int32](20)},
					{Pause: &rampv1alpha1.RolloutPause{}},
					{SetWeight: ptr.To[int32](60)},
				},
			}},
		},
	}
}

// setStatus gives the rollout the phase, message and kstatus conditions the
// controller would write for them, observed at the current generation.
func setStatus(ro *rampv1alpha1.Rollout, phase rampv1alpha1.RolloutPhase, reason, msg string) {
	st := &ro.Status
	st.ObservedGeneration = ro.Generation
	st.Phase, st.Message = phase, msg
	st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas = 3, 3, 3, 3
	truth := func(ok bool) metav1.ConditionStatus {
		if ok {
			return metav1.ConditionTrue
		}
		return metav1.ConditionFalse
	}
	healthy := phase == rampv1alpha1.RolloutPhaseHealthy
	stalled := phase == rampv1alpha1.RolloutPhaseDegraded
	setCondition(ro, rampv1alpha1.ConditionReady, truth(healthy), reason, msg)
	setCondition(ro, rampv1alpha1.ConditionReconciling, truth(!healthy && !stalled), reason, msg)
	setCondition(ro, rampv1alpha1.ConditionStalled, truth(stalled), reason, msg)
	setCondition(ro, rampv1alpha1.ConditionPaused, truth(phase == rampv1alpha1.RolloutPhasePaused), reason, msg)
}

// setCondition adds or replaces the condition of the given type.
func setCondition(ro *rampv1alpha1.Rollout, typ string, status metav1.ConditionStatus, reason, msg string) {
	c := metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg,
		ObservedGeneration: ro.Generation, LastTransitionTime: metav1.NewTime(time.Unix(0, 0).UTC()),
	}
	for i := range ro.Status.Conditions {
		if ro.Status.Conditions[i].Type == typ {
			ro.Status.Conditions[i] = c
			return
		}
	}
	ro.Status.Conditions = append(ro.Status.Conditions, c)
}

// runHealthCheck runs the script as Argo CD does: the object, as it reads in
// JSON, in the global obj, and the health in the returned table.
func runHealthCheck(script string, ro *rampv1alpha1.Rollout) (health, error) {
	raw, err := json.Marshal(ro)
	if err != nil {
		return health{}, fmt.Errorf("marshal rollout: %w", err)
	}
	var obj any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return health{}, fmt.Errorf("unmarshal rollout: %w", err)
	}

	state := lua.NewState()
	defer state.Close()
	value, err := toLua(state, obj)
	if err != nil {
		return health{}, err
	}
	state.SetGlobal("obj", value)
	if err := state.DoString(script); err != nil {
		return health{}, fmt.Errorf("run script: %w", err)
	}
	hs, ok := state.Get(-1).(*lua.LTable)
	if !ok {
		return health{}, fmt.Errorf("script returned %s, want a table", state.Get(-1).Type())
	}
	return health{
		status:  lua.LVAsString(hs.RawGetString("status")),
		message: lua.LVAsString(hs.RawGetString("message")),
	}, nil
}

// toLua converts a value decoded from JSON into a Lua value: objects and
// arrays become tables (arrays indexed from 1), null becomes nil.
func toLua(state *lua.LState, v any) (lua.LValue, error) {
	switch v := v.(type) {
	case nil:
		return lua.LNil, nil
	case bool:
		return lua.LBool(v), nil
	case float64:
		return lua.LNumber(v), nil
	case string:
		return lua.LString(v), nil
	case []any:
		t := state.NewTable()
		for _, e := range v {
			lv, err := toLua(state, e)
			if err != nil {
				return nil, err
			}
			t.Append(lv)
		}
		return t, nil
	case map[string]any:
		t := state.NewTable()
		for k, e := range v {
			lv, err := toLua(state, e)
			if err != nil {
				return nil, err
			}
			t.RawSetString(k, lv)
		}
		return t, nil
	}
	return nil, fmt.Errorf("unexpected JSON value of type %T", v)
}
