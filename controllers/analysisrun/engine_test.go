package analysisrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rampdev/ramp/analysis"
	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// scripted is a provider that returns a scripted sequence of values or
// errors, and counts its calls.
type scripted struct {
	values []any // float64, error, or analysis.Result
	calls  int
	checks int
	stops  int
}

func (p *scripted) next() (analysis.Result, error) {
	if p.calls >= len(p.values) {
		return analysis.Result{}, errors.New("script ran out")
	}
	v := p.values[p.calls]
	p.calls++
	switch v := v.(type) {
	case error:
		return analysis.Result{}, v
	case analysis.Result:
		return v, nil
	case float64:
		return analysis.Result{Value: v, Text: fmt.Sprint(v)}, nil
	}
	return analysis.Result{}, fmt.Errorf("bad script value %v", v)
}

func (p *scripted) Measure(context.Context, analysis.Request) (analysis.Result, error) {
	return p.next()
}

func (p *scripted) Check(context.Context, analysis.Request) (analysis.Result, error) {
	p.checks++
	return p.next()
}

func (p *scripted) Stop(context.Context, analysis.Request) error {
	p.stops++
	return nil
}

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// harness runs the reconciler on one run with a fake client and clock.
type harness struct {
	t        *testing.T
	clock    *clocktesting.FakeClock
	client   client.Client
	r        *Reconciler
	provider *scripted
	key      types.NamespacedName
	patches  int
	failNext bool
}

func newHarness(t *testing.T, spec rampv1alpha1.AnalysisRunSpec, values ...any) *harness {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := rampv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	run := &rampv1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web-abc-2", Generation: 1}, Spec: spec}
	h := &harness{t: t, clock: clocktesting.NewFakeClock(t0), provider: &scripted{values: values}, key: client.ObjectKeyFromObject(run)}
	h.client = fake.NewClientBuilder().WithScheme(scheme).WithObjects(run).WithStatusSubresource(run).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
				if h.failNext {
					h.failNext = false
					return errors.New("the API server went away")
				}
				h.patches++
				return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
			},
		}).Build()
	h.r = &Reconciler{Client: h.client, Clock: h.clock, Secrets: analysistest.Secrets{},
		Providers: map[string]analysis.Provider{"web": h.provider, "job": h.provider}}
	return h
}

// reconcile runs one reconcile and returns the requeue delay.
func (h *harness) reconcile() time.Duration {
	h.t.Helper()
	res, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: h.key})
	if err != nil {
		h.t.Logf("reconcile error: %v", err)
	}
	return res.RequeueAfter
}

func (h *harness) run() *rampv1alpha1.AnalysisRun {
	h.t.Helper()
	run := &rampv1alpha1.AnalysisRun{}
	if err := h.client.Get(context.Background(), h.key, run); err != nil {
		h.t.Fatal(err)
	}
	return run
}

// until reconciles, moving the clock to each requested wake-up, until the
// run completes or max rounds pass.
func (h *harness) until(max int) *rampv1alpha1.AnalysisRun {
	h.t.Helper()
	for i := 0; i < max; i++ {
		wait := h.reconcile()
		run := h.run()
		if run.Status.Phase.Completed() {
			return run
		}
		if wait == 0 {
			h.t.Fatalf("run %s asks for no wake-up: %+v", run.Status.Phase, run.Status)
		}
		h.clock.Step(wait)
	}
	return h.run()
}

func webMetric(name string) rampv1alpha1.Metric {
	return rampv1alpha1.Metric{Name: name, Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: "http://svc/{{args.path}}"}}}
}

func spec(metrics ...rampv1alpha1.Metric) rampv1alpha1.AnalysisRunSpec {
	return rampv1alpha1.AnalysisRunSpec{Metrics: metrics, Args: []rampv1alpha1.Argument{{Name: "path", Value: ptr.To("health")}}}
}

func TestSingleMeasurement(t *testing.T) {
	m := webMetric("ok")
	m.SuccessCondition = "result == 1"
	h := newHarness(t, spec(m), 1.0)
	finished := testutil.ToFloat64(metricRunsFinished.WithLabelValues("Successful"))
	if wait := h.reconcile(); wait != 0 {
		t.Errorf("a finished run asks for a wake-up in %v", wait)
	}
	run := h.run()
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseSuccessful || run.Status.MetricResults[0].Count != 1 {
		t.Fatalf("status %+v", run.Status)
	}
	if run.Status.CompletedAt == nil || run.Status.RunSummary.Successful != 1 {
		t.Errorf("completedAt/summary %+v", run.Status)
	}
	h.reconcile()
	if h.provider.calls != 1 || h.patches != 1 {
		t.Errorf("a finished run was measured again (%d calls) or written again (%d patches)", h.provider.calls, h.patches)
	}
	if got := testutil.ToFloat64(metricRunsFinished.WithLabelValues("Successful")) - finished; got != 1 {
		t.Errorf("ramp_analysis_runs_finished_total{phase=Successful} went up by %v, want 1", got)
	}
}

func TestScheduleAndCount(t *testing.T) {
	m := webMetric("rate")
	m.Interval, m.InitialDelay, m.Count = "1m", "30s", ptr.To[int32](3)
	m.SuccessCondition = "result < 0.05"
	h := newHarness(t, spec(m), 0.01, 0.02, 0.03)

	if wait := h.reconcile(); wait != 30*time.Second || h.provider.calls != 0 {
		t.Fatalf("initialDelay: first wake-up in %v after %d calls, want 30s and none", wait, h.provider.calls)
	}
	h.clock.Step(30 * time.Second)
	if wait := h.reconcile(); wait != time.Minute || h.provider.calls != 1 {
		t.Fatalf("after the first measurement: wake-up in %v, %d calls; want 1m, 1", wait, h.provider.calls)
	}
	h.clock.Step(59 * time.Second)
	if wait := h.reconcile(); wait != time.Second || h.provider.calls != 1 {
		t.Fatalf("one second early: wake-up in %v, %d calls; want 1s and no measurement", wait, h.provider.calls)
	}
	run := h.until(10)
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseSuccessful || h.provider.calls != 3 {
		t.Fatalf("phase %s after %d calls", run.Status.Phase, h.provider.calls)
	}
	if got := run.Status.MetricResults[0].Message; got != "metric rate passed: 3 of 3 measurements successful" {
		t.Errorf("message %q", got)
	}
}

func TestFailureLimitMessage(t *testing.T) {
	m := webMetric("error-rate")
	m.Interval, m.Count, m.FailureLimit = "10s", ptr.To[int32](5), ptr.To[int32](1)
	m.SuccessCondition = "result[0] < 0.05"
	h := newHarness(t, spec(m), analysis.Result{Value: []float64{0.01}, Text: "[0.01]"},
		analysis.Result{Value: []float64{0.12}, Text: "[0.12]"}, analysis.Result{Value: []float64{0.2}, Text: "[0.2]"})
	run := h.until(10)
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseFailed {
		t.Fatalf("phase %s", run.Status.Phase)
	}
	want := `metric error-rate failed: 2 of 3 measurements failed, more than failureLimit 1; last: successCondition "result[0] < 0.05" is false for [0.2]`
	if run.Status.Message != want {
		t.Errorf("message\n got %q\nwant %q", run.Status.Message, want)
	}
	if h.provider.calls != 3 {
		t.Errorf("measured %d times; the run should stop at the failure", h.provider.calls)
	}
}

func TestConsecutiveErrors(t *testing.T) {
	m := webMetric("flaky")
	m.Interval, m.Count, m.ConsecutiveErrorLimit = "5s", ptr.To[int32](10), ptr.To[int32](2)
	boom := errors.New("GET http://svc/health answered 500 Internal Server Error")
	h := newHarness(t, spec(m), boom, boom, 1.0, boom, boom, boom)
	run := h.until(20)
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseError {
		t.Fatalf("phase %s", run.Status.Phase)
	}
	res := run.Status.MetricResults[0]
	if res.Error != 5 || res.ConsecutiveError != 3 || res.Successful != 1 {
		t.Errorf("counts %+v", res)
	}
	if !strings.Contains(run.Status.Message, "3 measurements in a row could not be taken, more than consecutiveErrorLimit 2; last error: GET http://svc/health answered 500") {
		t.Errorf("message %q", run.Status.Message)
	}
}

// TestNothingMeasuredIsNoPass: a metric whose every measurement failed to
// be taken, though within consecutiveErrorLimit, ends in Error, not
// Successful: nothing was measured to pass.
func TestNothingMeasuredIsNoPass(t *testing.T) {
	m := webMetric("error-rate")
	m.Interval, m.Count = "1s", ptr.To[int32](3)
	m.SuccessCondition = "result[0] < 0.05"
	// A scalar result: result[0] cannot be evaluated.
	h := newHarness(t, spec(m), 0.01, 0.01, 0.01)
	run := h.until(10)
	res := run.Status.MetricResults[0]
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseError || res.Error != 3 || res.Successful != 0 ||
		!strings.Contains(res.Message, "none of its 3 measurements succeeded, 3 could not be taken; last error: ") {
		t.Errorf("phase %s, counts %+v, message %q; want Error saying nothing was measured", run.Status.Phase, res, res.Message)
	}
}

func TestInconclusive(t *testing.T) {
	m := webMetric("latency")
	m.SuccessCondition, m.FailureCondition = "result < 100", "result > 500"
	h := newHarness(t, spec(m), 300.0)
	run := h.until(3)
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseInconclusive ||
		!strings.Contains(run.Status.Message, `neither successCondition "result < 100" nor failureCondition "result > 500" holds for 300`) {
		t.Errorf("phase %s message %q", run.Status.Phase, run.Status.Message)
	}
}

func TestDryRun(t *testing.T) {
	bad, good := webMetric("new-metric"), webMetric("old-metric")
	bad.SuccessCondition, good.SuccessCondition = "result < 1", "result < 1"
	s := spec(bad, good)
	s.DryRun = []rampv1alpha1.DryRun{{MetricName: "new-metric"}}
	h := newHarness(t, s, 5.0, 0.5)
	run := h.until(3)
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("a dry-run metric decided the run: %s %q", run.Status.Phase, run.Status.Message)
	}
	if run.Status.DryRunSummary == nil || run.Status.DryRunSummary.Failed != 1 || !run.Status.MetricResults[0].DryRun {
		t.Errorf("dry run not reported: %+v", run.Status)
	}
}

func TestRetention(t *testing.T) {
	m := webMetric("steady")
	m.Interval, m.Count = "1s", ptr.To[int32](6)
	s := spec(m)
	s.MeasurementRetention = []rampv1alpha1.MeasurementRetention{{MetricName: "steady", Limit: 2}}
	h := newHarness(t, s, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
	run := h.until(20)
	res := run.Status.MetricResults[0]
	if res.Count != 6 || len(res.Measurements) != 2 || res.Measurements[1].Value != "6" {
		t.Errorf("count %d, kept %d measurements (%+v)", res.Count, len(res.Measurements), res.Measurements)
	}
}

func TestTerminateStopsRunningMeasurement(t *testing.T) {
	m := rampv1alpha1.Metric{Name: "smoke", Provider: rampv1alpha1.MetricProvider{Job: &rampv1alpha1.JobMetric{}}}
	h := newHarness(t, spec(m), analysis.Result{Phase: rampv1alpha1.AnalysisPhaseRunning, Metadata: map[string]string{"job": "smoke-1"}},
		analysis.Result{Phase: rampv1alpha1.AnalysisPhaseRunning})
	if wait := h.reconcile(); wait != resumeEvery {
		t.Fatalf("a running Job measurement asks for a check in %v, want %v", wait, resumeEvery)
	}
	h.clock.Step(resumeEvery)
	h.reconcile()
	if h.provider.checks != 1 {
		t.Fatalf("running measurement checked %d times", h.provider.checks)
	}
	run := h.run()
	run.Spec.Terminate = true
	if err := h.client.Update(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	h.reconcile()
	run = h.run()
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseSuccessful || h.provider.stops != 1 {
		t.Errorf("phase %s after terminate, %d stops", run.Status.Phase, h.provider.stops)
	}
	if !strings.Contains(run.Status.Message, "All 1 metrics passed") || !strings.Contains(run.Status.MetricResults[0].Message, "run terminated") {
		t.Errorf("messages %q / %q", run.Status.Message, run.Status.MetricResults[0].Message)
	}
}

func TestBadConditionEndsRun(t *testing.T) {
	m := webMetric("broken")
	m.SuccessCondition = "result <"
	h := newHarness(t, spec(m), 1.0)
	h.reconcile()
	run := h.run()
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseError || h.provider.calls != 0 {
		t.Fatalf("phase %s after %d measurements", run.Status.Phase, h.provider.calls)
	}
	if !strings.Contains(run.Status.Message, `metric broken: successCondition: cannot parse "result <"`) {
		t.Errorf("message %q", run.Status.Message)
	}
	if wait := h.reconcile(); wait != 0 {
		t.Errorf("a broken run asks for a wake-up in %v (hot loop)", wait)
	}
}

// TestNoDoubleCounting loses the status write of a measurement (as when the
// controller dies right after measuring) and checks the measurement is
// taken again and counted once.
func TestNoDoubleCounting(t *testing.T) {
	m := webMetric("once")
	m.Interval, m.Count = "10s", ptr.To[int32](2)
	h := newHarness(t, spec(m), 1.0, 1.0, 1.0)
	h.failNext = true
	h.reconcile()
	if run := h.run(); run.Status.MetricResults != nil {
		t.Fatalf("status written despite the failure: %+v", run.Status)
	}
	run := h.until(10)
	if res := run.Status.MetricResults[0]; res.Count != 2 || run.Status.Phase != rampv1alpha1.AnalysisPhaseSuccessful {
		t.Errorf("count %d phase %s", res.Count, run.Status.Phase)
	}
}

func TestMissingArgument(t *testing.T) {
	m := webMetric("needs-arg")
	s := rampv1alpha1.AnalysisRunSpec{Metrics: []rampv1alpha1.Metric{m}, Args: []rampv1alpha1.Argument{{Name: "path"}}}
	h := newHarness(t, s)
	h.reconcile()
	res := h.run().Status.MetricResults[0]
	if res.Error != 1 || !strings.Contains(res.Measurements[0].Message, "argument path has no value") {
		t.Errorf("result %+v", res)
	}
}

// TestSecretArgumentScrubbed feeds a measurement error and a result that
// repeat the value of an argument read from a Secret (as a server echoing
// its URL would): the run records "[redacted]" in their place, in the
// measurement, the metric's message and the run's message.
func TestSecretArgumentScrubbed(t *testing.T) {
	const secret = "tok-3f9a2c"
	m := webMetric("rate")
	m.SuccessCondition = "result < 1"
	m.Count = ptr.To[int32](2)
	m.Interval = "1s"
	m.FailureLimit = ptr.To[int32](1)
	s := rampv1alpha1.AnalysisRunSpec{Metrics: []rampv1alpha1.Metric{m}, Args: []rampv1alpha1.Argument{
		{Name: "path", ValueFrom: &rampv1alpha1.ValueFrom{SecretKeyRef: &rampv1alpha1.SecretKeyRef{Name: "api", Key: "token"}}},
	}}
	h := newHarness(t, s,
		errors.New("GET http://svc/?key="+secret+" answered 500: unknown key "+secret),
		analysis.Result{Value: 2, Text: "2", Message: "echo " + secret, Metadata: map[string]string{"url": "http://svc/" + secret}})
	h.r.Secrets = analysistest.Secrets{"api": {"token": secret}}
	run := h.until(5)
	raw := fmt.Sprintf("%+v", run.Status)
	if strings.Contains(raw, secret) {
		t.Fatalf("the Secret's value is in the run's status: %s", raw)
	}
	if !strings.Contains(run.Status.MetricResults[0].Measurements[0].Message, "unknown key [redacted]") ||
		run.Status.MetricResults[0].Measurements[1].Metadata["url"] != "http://svc/[redacted]" {
		t.Errorf("measurements %+v: want the value replaced by [redacted]", run.Status.MetricResults[0].Measurements)
	}
}

// blocking is a provider whose measurement waits until released.
type blocking struct{ release chan struct{} }

func (p *blocking) Measure(ctx context.Context, _ analysis.Request) (analysis.Result, error) {
	select {
	case <-p.release:
		return analysis.Result{Value: 0, Text: "0"}, nil
	case <-ctx.Done():
		return analysis.Result{}, ctx.Err()
	}
}

// TestAsyncMeasurementHoldsNoWorker: with Async, a reconcile whose
// measurement hangs returns at once without recording anything, asking to
// come back only at the measurement's deadline; when the measurement
// returns, the run is queued again and the next reconcile records it.
func TestAsyncMeasurementHoldsNoWorker(t *testing.T) {
	m := webMetric("rate")
	m.SuccessCondition = "result < 1"
	h := newHarness(t, spec(m))
	p := &blocking{release: make(chan struct{})}
	h.r.Providers["web"] = p
	h.r.Async = true

	began := time.Now()
	wait := h.reconcile()
	if elapsed := time.Since(began); elapsed > time.Second {
		t.Fatalf("the reconcile waited %s for the measurement", elapsed)
	}
	if wait < measureTimeout {
		t.Errorf("asked to come back in %s while the measurement is under way, want its deadline (%s): no polling", wait, measureTimeout)
	}
	if res := h.run().Status.MetricResults; len(res) > 0 && len(res[0].Measurements) > 0 {
		t.Fatalf("a measurement under way was recorded: %+v", res[0].Measurements)
	}
	h.reconcile() // again while under way: no second measurement starts
	close(p.release)
	select {
	case ev := <-h.r.inFlight().Events():
		if ev.Object.GetName() != h.key.Name {
			t.Errorf("queued %s, want the run %s", ev.Object.GetName(), h.key.Name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run was not queued when its measurement returned")
	}
	h.reconcile()
	run := h.run()
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseSuccessful || run.Status.MetricResults[0].Count != 1 {
		t.Fatalf("after the measurement returned: %+v", run.Status)
	}
}
