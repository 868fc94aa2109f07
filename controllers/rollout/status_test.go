package rollout

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

var testNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func testRS(hash string, revision string, spec, available int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "web-" + hash,
			Labels:      map[string]string{rampv1alpha1.LabelPodTemplateHash: hash},
			Annotations: map[string]string{rampv1alpha1.AnnotationRevision: revision},
		},
		Spec:   appsv1.ReplicaSetSpec{Replicas: ptr.To(spec)},
		Status: appsv1.ReplicaSetStatus{Replicas: spec, ReadyReplicas: available, AvailableReplicas: available},
	}
}

// testScope builds a scope of a 4-replica canary rollout with steps
// setWeight 25, pause, setWeight 50, pause 30s.
func testScope(hash string, st rampv1alpha1.RolloutStatus, rss ...*appsv1.ReplicaSet) *scope {
	ro := &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "team", Generation: 3},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas:                ptr.To[int32](4),
			ProgressDeadlineSeconds: ptr.To[int32](600),
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
				Steps: []rampv1alpha1.CanaryStep{setWeight(25), pause(""), setWeight(50), pause("30s")},
			}},
		},
		Status: st,
	}
	s := &scope{rollout: ro, now: testNow, hash: hash, replicas: 4, surge: 1, unavailable: 1,
		selector: labels.SelectorFromSet(labels.Set{"app": "web"}), loaded: true, replicaSets: rss}
	for _, rs := range rss {
		if hashOf(rs) == hash {
			s.newRS = rs
		}
		if hashOf(rs) == st.StableRS {
			s.stableRS = rs
		}
	}
	return s
}

func condition(ro *rampv1alpha1.Rollout, t string) string {
	c := meta.FindStatusCondition(ro.Status.Conditions, t)
	if c == nil {
		return "missing"
	}
	return string(c.Status) + "/" + c.Reason
}

func TestComputeStatus(t *testing.T) {
	for _, tc := range []struct {
		name       string
		scope      *scope
		before     rampv1alpha1.RolloutStatus
		wantPhase  rampv1alpha1.RolloutPhase
		wantMsg    []string
		wantConds  map[string]string
		wantCounts [4]int32 // replicas, updated, ready, available
	}{
		{
			name:      "healthy",
			scope:     testScope("aaa", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "aaa"}, testRS("aaa", "1", 4, 4)),
			wantPhase: rampv1alpha1.RolloutPhaseHealthy,
			wantMsg:   []string{"Healthy: 4/4 pods of revision 1 (aaa) available"},
			wantConds: map[string]string{"Ready": "True/Succeeded", "Reconciling": "False/Succeeded", "Stalled": "False/Succeeded",
				"Completed": "True/Succeeded", "Available": "True/Available", "Paused": "False/Succeeded"},
			wantCounts: [4]int32{4, 4, 4, 4},
		},
		{
			name:       "old pods left: still progressing",
			scope:      testScope("aaa", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "aaa"}, testRS("aaa", "2", 4, 4), testRS("bbb", "1", 1, 1)),
			wantPhase:  rampv1alpha1.RolloutPhaseProgressing,
			wantMsg:    []string{"Rolling out revision 2 (aaa)", "1 old pods terminating"},
			wantConds:  map[string]string{"Ready": "False/Progressing", "Reconciling": "True/Progressing", "Completed": "False/Progressing"},
			wantCounts: [4]int32{5, 4, 5, 5},
		},
		{
			name: "paused at an indefinite pause",
			scope: testScope("bbb", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "bbb", CurrentStepIndex: ptr.To[int32](1),
				PauseConditions: []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: metav1.NewTime(testNow)}}},
				testRS("bbb", "2", 1, 1), testRS("aaa", "1", 3, 3)),
			wantPhase:  rampv1alpha1.RolloutPhasePaused,
			wantMsg:    []string{"Paused at step 2/4 (pause)", "canary 1/1 available, stable 3/3 available", "kubectl ramp promote web"},
			wantConds:  map[string]string{"Paused": "True/Paused", "Reconciling": "True/Paused", "Ready": "False/Paused"},
			wantCounts: [4]int32{4, 1, 4, 4},
		},
		{
			name: "timed pause says until when",
			scope: testScope("bbb", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "bbb", CurrentStepIndex: ptr.To[int32](3),
				PauseConditions: []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: metav1.NewTime(testNow)}}},
				testRS("bbb", "2", 2, 2), testRS("aaa", "1", 2, 2)),
			wantPhase: rampv1alpha1.RolloutPhasePaused,
			wantMsg:   []string{"Paused at step 4/4 (pause 30s) until 2026-01-01T12:00:30Z"},
		},
		{
			name: "aborted names who",
			scope: testScope("bbb", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "bbb", Abort: true, AbortedBy: "alice"},
				testRS("bbb", "2", 0, 0), testRS("aaa", "1", 4, 4)),
			wantPhase: rampv1alpha1.RolloutPhaseDegraded,
			wantMsg:   []string{"aborted by alice", "back on the stable revision aaa", "kubectl ramp retry web"},
			wantConds: map[string]string{"Stalled": "True/Aborted", "Ready": "False/Aborted", "Reconciling": "False/Aborted", "Progressing": "False/Aborted"},
		},
		{
			name: "progressing at a step",
			scope: testScope("bbb", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "bbb", CurrentStepIndex: ptr.To[int32](2)},
				testRS("bbb", "2", 2, 1), testRS("aaa", "1", 3, 3)),
			before:    rampv1alpha1.RolloutStatus{Phase: rampv1alpha1.RolloutPhaseProgressing},
			wantPhase: rampv1alpha1.RolloutPhaseProgressing,
			wantMsg:   []string{"Updating to revision 2 (bbb) at step 3/4 (setWeight 50): canary 1/2 available"},
			wantConds: map[string]string{"Progressing": "True/StepInProgress", "Available": "True/Available"},
		},
		{
			name: "too few available pods",
			scope: testScope("bbb", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "bbb", CurrentStepIndex: ptr.To[int32](2)},
				testRS("bbb", "2", 2, 0), testRS("aaa", "1", 2, 2)),
			wantPhase: rampv1alpha1.RolloutPhaseProgressing,
			wantConds: map[string]string{"Available": "False/Unavailable"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			computeStatus(tc.scope, &tc.before)
			ro := tc.scope.rollout
			if ro.Status.Phase != tc.wantPhase {
				t.Errorf("phase %s, want %s (message %q)", ro.Status.Phase, tc.wantPhase, ro.Status.Message)
			}
			for _, w := range tc.wantMsg {
				if !strings.Contains(ro.Status.Message, w) {
					t.Errorf("message %q lacks %q", ro.Status.Message, w)
				}
			}
			for typ, want := range tc.wantConds {
				if got := condition(ro, typ); got != want {
					t.Errorf("condition %s = %s, want %s", typ, got, want)
				}
			}
			for _, c := range ro.Status.Conditions {
				if c.ObservedGeneration != 3 {
					t.Errorf("condition %s has observedGeneration %d", c.Type, c.ObservedGeneration)
				}
			}
			if tc.wantCounts != [4]int32{} {
				st := ro.Status
				if got := [4]int32{st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas}; got != tc.wantCounts {
					t.Errorf("counts %v, want %v", got, tc.wantCounts)
				}
			}
			if ro.Status.Selector != "app=web" {
				t.Errorf("selector %q", ro.Status.Selector)
			}
		})
	}
}

func TestStalledStatus(t *testing.T) {
	s := testScope("aaa", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "aaa", Replicas: 4, AvailableReplicas: 4})
	s.loaded = false
	_ = stall(s, "spec.strategy.canary.canaryService: Service %q not found", "web-canary")
	computeStatus(s, &rampv1alpha1.RolloutStatus{})
	ro := s.rollout
	if ro.Status.Phase != rampv1alpha1.RolloutPhaseDegraded || condition(ro, "Stalled") != "True/InvalidSpec" {
		t.Errorf("phase %s, Stalled %s", ro.Status.Phase, condition(ro, "Stalled"))
	}
	if !strings.Contains(ro.Status.Message, `spec.strategy.canary.canaryService: Service "web-canary" not found`) {
		t.Errorf("message %q", ro.Status.Message)
	}
	if ro.Status.Replicas != 4 || ro.Status.AvailableReplicas != 4 {
		t.Error("a stall before the ReplicaSets were read reset the pod counts")
	}
}

func TestPermissionDeniedStatus(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "replicasets"}, "",
		errors.New(`User "system:serviceaccount:ramp-system:ramp-controller" cannot create resource "replicasets" in API group "apps" in the namespace "team"`))
	for name, err := range map[string]error{
		"not forbidden": apierrors.NewConflict(schema.GroupResource{Resource: "rollouts"}, "web", errors.New("changed")),
		"plain":         errors.New("boom"),
	} {
		if _, ok := permissionDenied(fmt.Errorf("create replica set: %w", err)); ok {
			t.Errorf("%s: taken for a permission error", name)
		}
	}
	msg, ok := permissionDenied(fmt.Errorf("create replica set: %w", forbidden))
	if !ok {
		t.Fatal("a wrapped Forbidden error was not recognized")
	}
	for _, want := range []string{"cannot create resource \"replicasets\" in API group \"apps\"", "Grant this permission"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}

	// A healthy rollout whose cleanup is refused says so, instead of Healthy.
	s := testScope("aaa", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "aaa"}, testRS("aaa", "1", 4, 4))
	s.denied = msg
	computeStatus(s, &rampv1alpha1.RolloutStatus{})
	ro := s.rollout
	if ro.Status.Phase != rampv1alpha1.RolloutPhaseDegraded || condition(ro, "Stalled") != "True/PermissionDenied" ||
		condition(ro, "Ready") != "False/PermissionDenied" || ro.Status.Message != msg {
		t.Errorf("phase %s, Stalled %s, Ready %s, message %q", ro.Status.Phase, condition(ro, "Stalled"), condition(ro, "Ready"), ro.Status.Message)
	}
}

func TestProgressDeadline(t *testing.T) {
	inFlight := func() *scope {
		return testScope("bbb", rampv1alpha1.RolloutStatus{StableRS: "aaa", CurrentPodHash: "bbb", CurrentStepIndex: ptr.To[int32](0),
			Phase: rampv1alpha1.RolloutPhaseProgressing, UpdatedReplicas: 1, Replicas: 5, ReadyReplicas: 4, AvailableReplicas: 4},
			testRS("bbb", "2", 1, 0), testRS("aaa", "1", 4, 4))
	}

	// Progress just now: the deadline is ahead and a wake-up is asked for.
	s := inFlight()
	s.rollout.Status.LastProgressTime = ptr.To(metav1.NewTime(testNow.Add(-time.Minute)))
	before := s.rollout.Status.DeepCopy()
	computeStatus(s, before)
	if s.rollout.Status.Phase != rampv1alpha1.RolloutPhaseProgressing || s.requeueAfter != 9*time.Minute+time.Second {
		t.Errorf("phase %s, requeue %v; want Progressing and a wake-up at the deadline", s.rollout.Status.Phase, s.requeueAfter)
	}

	// No progress past the deadline.
	s = inFlight()
	s.rollout.Status.LastProgressTime = ptr.To(metav1.NewTime(testNow.Add(-11 * time.Minute)))
	before = s.rollout.Status.DeepCopy()
	computeStatus(s, before)
	if s.rollout.Status.Phase != rampv1alpha1.RolloutPhaseDegraded || condition(s.rollout, "Progressing") != "False/ProgressDeadlineExceeded" {
		t.Errorf("phase %s, Progressing %s", s.rollout.Status.Phase, condition(s.rollout, "Progressing"))
	}
	if !strings.Contains(s.rollout.Status.Message, "No progress for 600s (progressDeadlineSeconds)") || s.rollout.Status.Abort {
		t.Errorf("message %q, abort %v", s.rollout.Status.Message, s.rollout.Status.Abort)
	}

	// With progressDeadlineAbort the update is aborted.
	s = inFlight()
	s.rollout.Spec.ProgressDeadlineAbort = true
	s.rollout.Status.LastProgressTime = ptr.To(metav1.NewTime(testNow.Add(-11 * time.Minute)))
	before = s.rollout.Status.DeepCopy()
	computeStatus(s, before)
	if !s.rollout.Status.Abort || !strings.Contains(s.rollout.Status.AbortedBy, "progress deadline") {
		t.Errorf("abort %v by %q", s.rollout.Status.Abort, s.rollout.Status.AbortedBy)
	}

	// Coming back from a pause restarts the clock.
	s = inFlight()
	s.rollout.Status.LastProgressTime = ptr.To(metav1.NewTime(testNow.Add(-time.Hour)))
	before = s.rollout.Status.DeepCopy()
	before.Phase = rampv1alpha1.RolloutPhasePaused
	computeStatus(s, before)
	if s.rollout.Status.Phase != rampv1alpha1.RolloutPhaseProgressing || !s.rollout.Status.LastProgressTime.Time.Equal(testNow) {
		t.Errorf("phase %s, last progress %v; want the clock restarted after a pause", s.rollout.Status.Phase, s.rollout.Status.LastProgressTime)
	}
}
