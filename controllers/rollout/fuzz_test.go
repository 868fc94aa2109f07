package rollout

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// fuzzSteps decodes a step list from fuzz bytes, two bytes a step: the
// kind, then its value. Weights stay within 0 to 100 as the CRD requires;
// pause durations may be negative, zero, or the text duration (which may
// not parse), as a user can write them.
func fuzzSteps(data []byte, duration string) []rampv1alpha1.CanaryStep {
	var steps []rampv1alpha1.CanaryStep
	for len(data) >= 2 && len(steps) < 32 {
		kind, v := data[0], data[1]
		data = data[2:]
		switch kind % 8 {
		case 0:
			steps = append(steps, setWeight(int32(v)%101))
		case 1:
			steps = append(steps, pause(""))
		case 2:
			step := pause("")
			step.Pause.Duration = ptr.To(intstr.FromInt32(int32(int8(v))))
			steps = append(steps, step)
		case 3:
			step := pause("")
			step.Pause.Duration = ptr.To(intstr.FromString(duration))
			steps = append(steps, step)
		case 4:
			steps = append(steps, rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{}})
		case 5:
			sc := &rampv1alpha1.SetCanaryScale{}
			switch v % 3 {
			case 0:
				sc.Replicas = ptr.To(int32(v))
			case 1:
				sc.Weight = ptr.To(int32(v) % 101)
			default:
				sc.MatchTrafficWeight = true
			}
			steps = append(steps, rampv1alpha1.CanaryStep{SetCanaryScale: sc})
		case 6:
			steps = append(steps, rampv1alpha1.CanaryStep{SetHeaderRoute: &rampv1alpha1.SetHeaderRoute{Name: "header"}})
		default:
			steps = append(steps, rampv1alpha1.CanaryStep{SetMirrorRoute: &rampv1alpha1.SetMirrorRoute{Name: "mirror"}})
		}
	}
	return steps
}

// encodeSteps is the inverse of fuzzSteps for the seeds: setWeight steps
// as their weight, pauses as "" (indefinite) or a duration text.
func encodeSteps(steps ...any) []byte {
	var out []byte
	for _, s := range steps {
		switch v := s.(type) {
		case int:
			out = append(out, 0, byte(v))
		case string:
			if v == "" {
				out = append(out, 1, 0)
			} else {
				out = append(out, 3, 0)
			}
		case rampv1alpha1.CanaryStep:
			switch {
			case v.Analysis != nil:
				out = append(out, 4, 0)
			case v.SetCanaryScale != nil:
				out = append(out, 5, 0)
			}
		}
	}
	return out
}

// fuzzPhases are the analysis phases a step's run may report; the last
// entry stands for a failure to start or read the run.
var fuzzPhases = []rampv1alpha1.AnalysisPhase{
	"", rampv1alpha1.AnalysisPhasePending, rampv1alpha1.AnalysisPhaseRunning, rampv1alpha1.AnalysisPhaseSuccessful,
	rampv1alpha1.AnalysisPhaseFailed, rampv1alpha1.AnalysisPhaseError, rampv1alpha1.AnalysisPhaseInconclusive, "unavailable",
}

var errFuzzAnalysis = errors.New("the analysis run cannot be read")

// FuzzAdvanceSteps drives the canary step machine from arbitrary steps and
// step state (including a currentStepIndex written by hand), and checks
// what a user would see: the step index stays within the steps and never
// goes back, the steps reported completed are exactly those it moved past,
// the weight held is that of the step it stopped at (100 once done), and
// the weights sent to the routers are each 0 to 100 and sum to 100.
func FuzzAdvanceSteps(f *testing.F) {
	analysis := rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{}}
	scale := rampv1alpha1.CanaryStep{SetCanaryScale: &rampv1alpha1.SetCanaryScale{Replicas: ptr.To[int32](0)}}
	// The cases of TestAdvanceSteps, TestAnalysisStep and TestWeightAt.
	steps := encodeSteps(25, "", 50, "5s")
	f.Add(steps, "5s", int32(0), uint32(0), false, uint8(0), int64(0), uint8(0), int32(25))
	f.Add(steps, "5s", int32(0), uint32(1), false, uint8(0), int64(0), uint8(0), int32(25))
	f.Add(steps, "5s", int32(1), uint32(1), true, uint8(1), int64(3600), uint8(0), int32(25))
	f.Add(steps, "5s", int32(1), uint32(1), true, uint8(0), int64(0), uint8(0), int32(50))
	f.Add(steps, "5s", int32(3), uint32(0xf), true, uint8(1), int64(2), uint8(0), int32(50))
	f.Add(steps, "5s", int32(3), uint32(0xf), true, uint8(1), int64(6), uint8(0), int32(100))
	f.Add(steps, "5s", int32(2), uint32(0xf), false, uint8(0), int64(0), uint8(0), int32(50))
	f.Add([]byte{}, "", int32(0), uint32(0), false, uint8(0), int64(0), uint8(0), int32(0))
	f.Add(encodeSteps("0s", 10), "0s", int32(0), uint32(0), false, uint8(0), int64(0), uint8(0), int32(10))
	f.Add(steps, "5s", int32(1), uint32(1), true, uint8(2), int64(0), uint8(0), int32(50))
	f.Add(encodeSteps(20, analysis, 60), "", int32(1), uint32(1), false, uint8(0), int64(0), uint8(2), int32(20))
	f.Add(encodeSteps(20, analysis, 60), "", int32(1), uint32(1), false, uint8(0), int64(0), uint8(3), int32(20))
	f.Add(encodeSteps(20, analysis, 60), "", int32(1), uint32(1), false, uint8(0), int64(0), uint8(6), int32(20))
	f.Add(encodeSteps(20, analysis, 60), "", int32(1), uint32(1), true, uint8(0), int64(0), uint8(6), int32(20))
	f.Add(encodeSteps(20, analysis, 60), "", int32(1), uint32(1), false, uint8(0), int64(0), uint8(7), int32(20))
	f.Add(encodeSteps("", 20, "10", 60, ""), "10", int32(6), uint32(0), false, uint8(0), int64(0), uint8(0), int32(100))
	f.Add(encodeSteps(10, scale, 20), "", int32(0), uint32(7), false, uint8(0), int64(0), uint8(0), int32(-1))
	f.Add(encodeSteps(10, "", 20), "5x", int32(1), uint32(7), false, uint8(0), int64(0), uint8(0), int32(101))

	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte, duration string, start int32, reachedMask uint32, controllerPause bool,
		pauses uint8, pauseAge int64, phase uint8, routeWeight int32) {
		steps := fuzzSteps(data, duration)
		st := &rampv1alpha1.RolloutStatus{CurrentStepIndex: ptr.To(start), ControllerPause: controllerPause}
		began := metav1.NewTime(now.Add(-time.Duration(pauseAge%(1<<20)) * time.Second))
		if pauses&1 != 0 {
			st.PauseConditions = append(st.PauseConditions, rampv1alpha1.PauseCondition{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: began})
		}
		if pauses&2 != 0 {
			st.PauseConditions = append(st.PauseConditions, rampv1alpha1.PauseCondition{Reason: rampv1alpha1.PauseReasonInconclusiveAnalysis, StartTime: began})
		}
		last := int32(len(steps))
		checks := stepChecks{
			reached: func(weight, index int32) bool {
				if index < 0 || index >= last {
					t.Fatalf("asked whether step %d of %d is reached", index, last)
				}
				if weight != weightAt(steps, index) {
					t.Fatalf("asked whether weight %d is reached at step %d, whose weight is %d", weight, index, weightAt(steps, index))
				}
				return reachedMask>>(index%32)&1 != 0
			},
			analyze: func(index int32, _ *rampv1alpha1.RolloutAnalysis) (rampv1alpha1.AnalysisPhase, error) {
				if index < 0 || index >= last || steps[index].Analysis == nil {
					t.Fatalf("asked for the analysis of step %d, which is not an analysis step", index)
				}
				p := fuzzPhases[int(phase)%len(fuzzPhases)]
				if p == "unavailable" {
					return "", errFuzzAnalysis
				}
				return p, nil
			},
		}

		out, err := advanceSteps(st, steps, now, checks)

		// The weights the routers are given, for the weight held and for
		// any weight at all (Config.Weights clamps it).
		for _, active := range []bool{false, true} {
			cfg := trafficrouting.Config{BaselineService: "web-baseline", BaselineActive: active}
			checkSplit(t, cfg, out.weight)
			checkSplit(t, cfg, routeWeight)
			checkSplit(t, trafficrouting.Config{BaselineActive: active}, routeWeight)
		}

		if st.CurrentStepIndex == nil {
			t.Fatal("advanceSteps left currentStepIndex unset")
		}
		index := *st.CurrentStepIndex
		if start > last {
			// Past the end (an index written by hand, or steps removed
			// without a reset): done where it is, nothing completed.
			if index != start || !out.done || out.weight != 100 || err != nil || len(out.completed) > 0 {
				t.Fatalf("from step %d of %d: moved to %d, done %v, weight %d, completed %v, error %v",
					start, last, index, out.done, out.weight, out.completed, err)
			}
			return
		}
		if index < 0 || index > last {
			t.Fatalf("currentStepIndex %d (from %d) is outside the %d steps", index, start, last)
		}
		from := max(start, 0)
		if index < from {
			t.Fatalf("the steps went back from %d to %d", from, index)
		}
		var want []int32
		for i := from; i < index; i++ {
			want = append(want, i)
		}
		if !slices.Equal(out.completed, want) {
			t.Fatalf("steps %v reported completed, moving from %d to %d", out.completed, from, index)
		}
		if out.weight < 0 || out.weight > 100 {
			t.Fatalf("canary weight %d is not a percentage", out.weight)
		}
		switch {
		case err != nil:
			var parse *durationError
			if !errors.As(err, &parse) && !errors.Is(err, errFuzzAnalysis) {
				t.Fatalf("the steps failed with %v, neither a pause duration that does not parse nor the analysis run", err)
			}
			if out.done || index == last {
				t.Fatalf("an error (%v) came with the steps done", err)
			}
		case out.done:
			if index != last || out.weight != 100 {
				t.Fatalf("done at step %d of %d with weight %d, want the end and 100", index, last, out.weight)
			}
		default:
			if index == last {
				t.Fatalf("at the end of the %d steps but not done", last)
			}
			if want := weightAt(steps, index); out.weight != want {
				t.Fatalf("holding weight %d at step %d, whose weight is %d", out.weight, index, want)
			}
		}
		if out.pausedAt != -1 && (out.pausedAt != index || out.done) {
			t.Fatalf("paused at step %d but stopped at step %d (done %v)", out.pausedAt, index, out.done)
		}
		if out.resumedAt != -1 && !slices.Contains(out.completed, out.resumedAt) {
			t.Fatalf("resumed past step %d, which is not among the completed %v", out.resumedAt, out.completed)
		}
		if !out.wakeAt.IsZero() && (!out.wakeAt.After(now) || out.done) {
			t.Fatalf("asked to wake at %v, now %v (done %v)", out.wakeAt, now, out.done)
		}
	})
}

// checkSplit checks the traffic split of cfg for a canary weight.
func checkSplit(t *testing.T, cfg trafficrouting.Config, weight int32) {
	t.Helper()
	stable, canary, baseline := cfg.Weights(weight)
	for _, w := range []int32{stable, canary, baseline} {
		if w < 0 || w > 100 {
			t.Fatalf("weight %d (baseline %q, active %v) splits as stable %d, canary %d, baseline %d: not percentages",
				weight, cfg.BaselineService, cfg.BaselineActive, stable, canary, baseline)
		}
	}
	if stable+canary+baseline != 100 {
		t.Fatalf("weight %d splits as stable %d, canary %d, baseline %d: the sum is not 100", weight, stable, canary, baseline)
	}
	if want := min(max(weight, 0), 100); canary != want {
		t.Fatalf("weight %d gives the canary %d, want %d", weight, canary, want)
	}
	wantBaseline := int32(0)
	if cfg.BaselineService != "" && cfg.BaselineActive {
		wantBaseline = min(canary, 100-canary)
	}
	if baseline != wantBaseline {
		t.Fatalf("weight %d gives the baseline %d, want %d (as much as the canary, at most what is left)", weight, baseline, wantBaseline)
	}
}

// FuzzPodTemplateHash hashes arbitrary pod templates and checks the
// properties the controller relies on to name ReplicaSets: the same
// template (copied, or read back from the API server as JSON) gives the
// same hash, the hash is a valid label value, and two different positive
// collision counts give different hashes while 0, a negative count and
// none give the same one.
func FuzzPodTemplateHash(f *testing.F) {
	// The templates of TestPodTemplateHash, and edge values.
	f.Add("nginx:1.27", "app", "web", "app", "", "", int32(0), int32(1), false)
	f.Add("nginx:1.28", "app", "web", "app", "--port=80", "LEVEL=debug", int32(1), int32(2), true)
	f.Add("", "", "", "", "", "", int32(-1), int32(0), false)
	f.Add("registry.example.com/team/web@sha256:0123", "tier", "front", "sidecar", "<&>", "\u00e9=\u2603", int32(2147483647), int32(-2147483648), true)
	f.Add("\xff\xfe", "a/b", "\x00", "x", "\"", "=", int32(255), int32(256), false)

	f.Fuzz(func(t *testing.T, image, labelKey, labelValue, container, arg, env string, countA, countB int32, initContainer bool) {
		tmpl := hashTemplate(image)
		tmpl.Labels[labelKey] = labelValue
		tmpl.Annotations = map[string]string{labelKey: arg}
		c := &tmpl.Spec.Containers[0]
		c.Name = container
		c.Args = []string{arg}
		name, value, _ := strings.Cut(env, "=")
		c.Env = []corev1.EnvVar{{Name: name, Value: value}}
		if initContainer {
			tmpl.Spec.InitContainers = []corev1.Container{{Name: "init-" + container, Image: image}}
		}

		hash := func(tmpl *corev1.PodTemplateSpec, count *int32) string {
			t.Helper()
			h, err := podTemplateHash(tmpl, count)
			if err != nil {
				t.Fatalf("podTemplateHash: %v", err)
			}
			return h
		}
		plain := hash(tmpl, nil)
		if errs := validation.IsValidLabelValue(plain); len(errs) > 0 || plain == "" {
			t.Fatalf("hash %q is not a valid label value: %v", plain, errs)
		}
		if again := hash(tmpl.DeepCopy(), nil); again != plain {
			t.Fatalf("a copy of the template hashes to %s, the template to %s", again, plain)
		}
		if validUTF8(image, labelKey, labelValue, container, arg, env) {
			// The API server hands the template back as JSON; invalid
			// UTF-8 never gets that far (it is replaced on the way in).
			data, err := json.Marshal(tmpl)
			if err != nil {
				t.Fatal(err)
			}
			var read corev1.PodTemplateSpec
			if err := json.Unmarshal(data, &read); err != nil {
				t.Fatal(err)
			}
			if again := hash(&read, nil); again != plain {
				t.Fatalf("the template read back from JSON hashes to %s, the template to %s: every reconcile would make a new ReplicaSet", again, plain)
			}
		}
		a, b := hash(tmpl, &countA), hash(tmpl, &countB)
		for _, h := range []string{a, b} {
			if errs := validation.IsValidLabelValue(h); len(errs) > 0 {
				t.Fatalf("hash %q is not a valid label value: %v", h, errs)
			}
		}
		switch {
		case countA <= 0 && a != plain:
			t.Fatalf("collision count %d changes the hash from %s to %s", countA, plain, a)
		case countA > 0 && a == plain:
			t.Fatalf("collision count %d gives the hash of no collision, %s", countA, a)
		case countA > 0 && countB > 0 && countA != countB && a == b:
			t.Fatalf("collision counts %d and %d give the same hash %s: the controller could not get past a collision", countA, countB, a)
		}
	})
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
