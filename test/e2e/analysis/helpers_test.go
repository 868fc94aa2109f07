package analysise2e

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
	"github.com/rampdev/ramp/test/prometheus"
)

// waitTimeout bounds every wait on the controllers. The waits return as
// soon as the state is reached; the bound only matters when something is
// wrong.
const waitTimeout = 60 * time.Second

// passCondition is the successCondition of the error-rate metric: fewer
// than 5% of the requests failed (an empty result, before Prometheus has
// data, is no success).
const passCondition = "len(result) > 0 && result[0] < 0.05"

// image is the container image of revision v.
func image(v string) string {
	return "registry.example/shop:" + v
}

// errorRateTemplate returns the AnalysisTemplate error-rate (to create
// with fixture.createTemplate) with one metric, error-rate: errorRatioQuery of the service passed as argument
// service, read from the Prometheus at address, measured twice a second
// apart and passing under 5% (passCondition). mutate, when set, changes the
// metric.
func errorRateTemplate(address string, mutate func(*rampv1alpha1.Metric)) *rampv1alpha1.AnalysisTemplate {
	m := rampv1alpha1.Metric{
		Name:             "error-rate",
		Interval:         "1s",
		Count:            ptr.To[int32](2),
		SuccessCondition: passCondition,
		Provider: rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{
			PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: address, Timeout: ptr.To[int32](5)},
			Query:                prometheus.ErrorRatioQuery("{{args.service}}"),
		}},
	}
	if mutate != nil {
		mutate(&m)
	}
	return &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "error-rate"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{
			Args:    []rampv1alpha1.Argument{{Name: "service"}},
			Metrics: []rampv1alpha1.Metric{m},
		},
	}
}

// analysisOf runs the template with argument service set (when not empty).
func analysisOf(template, service string) rampv1alpha1.RolloutAnalysis {
	a := rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: template}}}
	if service != "" {
		a.Args = []rampv1alpha1.AnalysisRunArgument{{Name: "service", Value: ptr.To(service)}}
	}
	return a
}

// analysisStep is the canary step analysis: {templates: [template], args: [service]}.
func analysisStep(template, service string) rampv1alpha1.CanaryStep {
	a := analysisOf(template, service)
	return rampv1alpha1.CanaryStep{Analysis: &a}
}

// fixture is one Rollout under test, in a namespace of its own, with a
// stable and a canary Service.
type fixture struct {
	t   *testing.T
	k8s client.WithWatch
	ns  string
	// ro is the Rollout as the test creates it; change it before create.
	ro *rampv1alpha1.Rollout
}

// newFixture makes a namespace and the Services <name>-stable and
// <name>-canary, and prepares (without creating it) a Rollout of image v1
// with replicas pods, maxSurge 1, maxUnavailable 0 and steps.
func newFixture(t *testing.T, name string, replicas int32, steps ...rampv1alpha1.CanaryStep) *fixture {
	t.Helper()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	return &fixture{t: t, k8s: k8s, ns: ns, ro: framework.NewCanaryWithServices(t, k8s, ns, name, image("v1"), replicas, steps...)}
}

func (f *fixture) name() string          { return f.ro.Name }
func (f *fixture) key() client.ObjectKey { return client.ObjectKeyFromObject(f.ro) }
func (f *fixture) stableService() string { return f.ro.Name + "-stable" }
func (f *fixture) replicas() int32       { return ptr.Deref(f.ro.Spec.Replicas, 1) }

// stepRunName is the name of the run of the analysis step at index of
// revision hash: <rollout>-<hash>-<index>.
func (f *fixture) stepRunName(hash string, index int) string {
	return fmt.Sprintf("%s-%s-%d", f.name(), hash, index)
}

// backgroundRunName is the name of the background run of revision hash.
func (f *fixture) backgroundRunName(hash string) string {
	return fmt.Sprintf("%s-%s-background", f.name(), hash)
}

// createTemplate creates an AnalysisTemplate in the fixture's namespace.
func (f *fixture) createTemplate(tmpl *rampv1alpha1.AnalysisTemplate) {
	f.t.Helper()
	tmpl.Namespace = f.ns
	framework.Create(f.t, f.k8s, tmpl)
}

// start creates the Rollout, waits until its first revision is Healthy and
// returns that revision's hash.
func (f *fixture) start() string {
	f.t.Helper()
	framework.Create(f.t, f.k8s, f.ro.DeepCopy())
	ro := f.waitRollout("the first revision to be Healthy", func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS != ""
	})
	return ro.Status.StableRS
}

// get reads the Rollout.
func (f *fixture) get() *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.Get(f.t, f.k8s, f.key(), &rampv1alpha1.Rollout{})
}

// setImage starts revision v, waits until the controller has seen it and
// returns its hash.
func (f *fixture) setImage(v string) string {
	f.t.Helper()
	ro := f.ro.DeepCopy()
	framework.SetImage(f.t, f.k8s, ro, image(v))
	gen := ro.Generation
	got := f.waitRollout(fmt.Sprintf("status.observedGeneration to reach %d", gen), func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration >= gen
	})
	return got.Status.CurrentPodHash
}

// observed reports whether status was computed from the current spec.
func observed(r *rampv1alpha1.Rollout) bool {
	return r.Generation > 0 && r.Status.ObservedGeneration == r.Generation
}

// waitRollout waits until cond holds for the Rollout and returns it.
func (f *fixture) waitRollout(what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.WaitRollout(f.t, f.k8s, f.key(), waitTimeout, what, cond)
}

// waitHealthyAt waits until revision hash is the stable, Healthy one.
func (f *fixture) waitHealthyAt(hash string) *rampv1alpha1.Rollout {
	f.t.Helper()
	return f.waitRollout(fmt.Sprintf("revision %s to be stable and Healthy", hash), func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy &&
			r.Status.StableRS == hash && r.Status.CurrentPodHash == hash
	})
}

// waitPausedAt waits until revision hash is paused at step index.
func (f *fixture) waitPausedAt(hash string, index int32) *rampv1alpha1.Rollout {
	f.t.Helper()
	return f.waitRollout(fmt.Sprintf("revision %s to pause at step index %d", hash, index), func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.CurrentPodHash == hash && framework.StepIndex(r) == index &&
			r.Status.Phase == rampv1alpha1.RolloutPhasePaused
	})
}

// waitAbortedBack waits until the update to hash is aborted (phase
// Degraded, status.abort) and the pods are back: the canary ReplicaSet at
// 0, the stable one at full size, the stable Service on the stable hash.
// It returns the aborted Rollout.
func (f *fixture) waitAbortedBack(hash, stable string) *rampv1alpha1.Rollout {
	f.t.Helper()
	ro := f.waitRollout(fmt.Sprintf("the update to %s to be aborted (phase Degraded)", hash), func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.CurrentPodHash == hash && r.Status.Abort &&
			r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded
	})
	if ro.Status.StableRS != stable {
		f.t.Errorf("status.stableRS = %q after the abort, want %q", ro.Status.StableRS, stable)
	}
	f.waitRS(hash, 0)
	f.waitRS(stable, f.replicas())
	framework.WaitServiceSelects(f.t, f.k8s, f.ns, f.stableService(), stable, waitTimeout)
	return ro
}

// waitRS waits until the ReplicaSet of revision hash runs n pods, all of
// them available (for n = 0: none left).
func (f *fixture) waitRS(hash string, n int32) {
	f.t.Helper()
	framework.WaitReplicaSet(f.t, f.k8s, f.ns, f.name(), hash, waitTimeout,
		fmt.Sprintf("ReplicaSet %s to run %d available pods", framework.ReplicaSetName(f.name(), hash), n), framework.ReplicaSetAt(n))
}

// waitRun waits until cond holds for the AnalysisRun name and returns it.
func (f *fixture) waitRun(name, what string, cond func(*rampv1alpha1.AnalysisRun) bool) *rampv1alpha1.AnalysisRun {
	f.t.Helper()
	return framework.WaitObject(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: name}, &rampv1alpha1.AnalysisRun{},
		waitTimeout, fmt.Sprintf("AnalysisRun %s: %s", name, what), cond, describeRun)
}

// waitRunPhase waits until the AnalysisRun name reaches phase.
func (f *fixture) waitRunPhase(name string, phase rampv1alpha1.AnalysisPhase) *rampv1alpha1.AnalysisRun {
	f.t.Helper()
	return f.waitRun(name, "phase "+string(phase), func(r *rampv1alpha1.AnalysisRun) bool { return r.Status.Phase == phase })
}

// runs lists the AnalysisRuns of the Rollout, by name.
func (f *fixture) runs() map[string]*rampv1alpha1.AnalysisRun {
	f.t.Helper()
	list := framework.List(f.t, f.k8s, &rampv1alpha1.AnalysisRunList{}, client.InNamespace(f.ns),
		client.MatchingLabels{rampv1alpha1.LabelRollout: f.name()})
	out := map[string]*rampv1alpha1.AnalysisRun{}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

// waitEvent waits until an Event with reason whose note contains every one
// of words has been recorded about obj, and returns its note.
func (f *fixture) waitEvent(obj client.Object, reason string, words ...string) string {
	f.t.Helper()
	var note string
	framework.WaitEvents(f.t, f.k8s, obj, reason, waitTimeout, fmt.Sprintf("an Event %s naming %q", reason, words),
		func(evs []eventsv1.Event) (bool, string) {
			notes := make([]string, 0, len(evs))
			for _, e := range evs {
				if containsAll(e.Note, words...) {
					note = e.Note
					return true, e.Note
				}
				notes = append(notes, e.Note)
			}
			return false, fmt.Sprintf("notes of the %s Events: %q", reason, notes)
		})
	return note
}

// metricResult returns the run's result for metric, or nil.
func metricResult(run *rampv1alpha1.AnalysisRun, metric string) *rampv1alpha1.MetricResult {
	for i := range run.Status.MetricResults {
		if run.Status.MetricResults[i].Name == metric {
			return &run.Status.MetricResults[i]
		}
	}
	return nil
}

// describeRun sums up a run for failure messages: phase, message, and each
// metric's counts and measurements.
func describeRun(run *rampv1alpha1.AnalysisRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "phase %q, terminate %v, message %q", run.Status.Phase, run.Spec.Terminate, run.Status.Message)
	for _, res := range run.Status.MetricResults {
		fmt.Fprintf(&b, "; metric %s: phase %q, count %d (successful %d, failed %d, inconclusive %d, error %d, consecutive errors %d), message %q, measurements [",
			res.Name, res.Phase, res.Count, res.Successful, res.Failed, res.Inconclusive, res.Error, res.ConsecutiveError, res.Message)
		for i, m := range res.Measurements {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %q", m.Phase, m.Value)
			if m.Message != "" {
				fmt.Fprintf(&b, " (%s)", m.Message)
			}
		}
		b.WriteString("]")
	}
	return b.String()
}

// containsAll reports whether s contains every one of words.
func containsAll(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// checkContains fails the test for each of words that what (named for the
// message) does not contain.
func checkContains(t *testing.T, what, s string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not name %q: %q", what, w, s)
		}
	}
}

// bracketed matches a measured one-element vector, such as [0.3].
var bracketed = regexp.MustCompile(`\[([-+0-9.eE]+)\]`)

// checkValueNear fails the test unless s carries a measured value, written
// as a vector like [0.3], within 0.05 of want.
func checkValueNear(t *testing.T, what, s string, want float64) {
	t.Helper()
	for _, m := range bracketed.FindAllStringSubmatch(s, -1) {
		if v, err := strconv.ParseFloat(m[1], 64); err == nil && math.Abs(v-want) <= 0.05 {
			return
		}
	}
	t.Errorf("%s does not carry a measured value near %g (like [%g]): %q", what, want, want, s)
}

// dumpPrometheusOnFailure writes the server's log to the test log when the
// test failed.
func dumpPrometheusOnFailure(t *testing.T, srv *prometheus.Server) {
	t.Cleanup(func() {
		if t.Failed() {
			var b strings.Builder
			srv.DumpLogs(&b)
			t.Log(b.String())
		}
	})
}

// joinQuoted writes strings quoted, comma-separated.
func joinQuoted(ss []string) string {
	q := make([]string, 0, len(ss))
	for _, s := range ss {
		q = append(q, strconv.Quote(s))
	}
	return "[" + strings.Join(q, ", ") + "]"
}
