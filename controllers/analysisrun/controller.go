// Package analysisrun holds the AnalysisRun reconciler: it takes each
// metric's measurements on schedule through the providers, judges them with
// the metric's conditions and limits, and sets the run's phase with a
// message that names the deciding metric, its value, the condition and the
// limit.
package analysisrun

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Reconciler reconciles AnalysisRuns.
type Reconciler struct {
	// Client reads from the informer cache and writes to the API server.
	Client client.Client
	// APIReader reads Secrets (for arguments and provider settings) straight
	// from the API server.
	APIReader client.Reader
	// Secrets, when set, replaces APIReader for Secrets (tests).
	Secrets analysis.SecretReader
	// Providers take measurements, by provider name (analysis.ProviderName).
	Providers map[string]analysis.Provider
	// Recorder records Events on runs.
	Recorder recorder.EventRecorder
	// Clock tells the time; tests replace it.
	Clock clock.PassiveClock
	// MaxConcurrent is how many runs are reconciled at once. Default 10.
	MaxConcurrent int
	// Async takes each measurement in a goroutine of its own, so that a
	// provider waiting for its timeout holds no worker (see flights); the
	// run is reconciled again when the measurement returns. Without it,
	// measurements are taken in the reconcile (tests).
	Async bool

	flightsOnce sync.Once
	flights     *flights
}

// inFlight returns the measurements under way (Async), made on first use.
func (r *Reconciler) inFlight() *flights {
	r.flightsOnce.Do(func() { r.flights = newFlights() })
	return r.flights
}

// +kubebuilder:rbac:groups=ramp.dev,resources=analysisruns,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ramp.dev,resources=analysisruns/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// measureTimeout bounds one provider call, whatever the provider's own
// timeout says.
const measureTimeout = 2 * time.Minute

// resumeEvery is how often a running measurement is checked when nothing
// it watches changes.
const resumeEvery = 10 * time.Second

// Reconcile takes the measurements that are due and records the verdict.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	run := &rampv1alpha1.AnalysisRun{}
	if err := r.Client.Get(ctx, req.NamespacedName, run); err != nil {
		if apierrors.IsNotFound(err) {
			forgetRunMetrics(req.NamespacedName)
			if r.Async {
				stopFlights(r.inFlight(), req.NamespacedName, "")
			}
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get analysis run: %w", err)
	}
	if !run.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	before := run.DeepCopy()
	now := r.now()
	wake := r.measure(ctx, run, now)
	st := &run.Status
	st.ObservedGeneration = run.Generation
	if st.Phase.Completed() && st.CompletedAt == nil {
		st.CompletedAt = metaTime(now)
		r.stopAll(ctx, run)
		if r.Async {
			stopFlights(r.inFlight(), req.NamespacedName, run.UID)
		}
	}
	setRunConditions(run)
	recordRunMetrics(run)
	if !equality.Semantic.DeepEqual(before.Status, run.Status) {
		patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
		if err := r.Client.Status().Patch(ctx, run, patch); err != nil {
			if apierrors.IsConflict(err) {
				// The run changed under us (spec.terminate, say); its new
				// version is queued. Measurements taken here are taken
				// again, never counted twice.
				return ctrl.Result{}, nil
			}
			return ctrl.Result{}, fmt.Errorf("patch analysis run status: %w", err)
		}
		r.recordEvents(before, run)
		if !before.Status.Phase.Completed() && st.Phase.Completed() {
			countRunFinished(st.Phase)
		}
	}
	if st.Phase.Completed() || wake.IsZero() {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: max(wake.Sub(now), 100*time.Millisecond)}, nil
}

// secretsFor reads Secrets in the run's namespace.
func (r *Reconciler) secretsFor(run *rampv1alpha1.AnalysisRun) analysis.SecretReader {
	if r.Secrets != nil {
		return r.Secrets
	}
	return analysis.NamespaceSecrets{Reader: r.APIReader, Namespace: run.Namespace}
}

func (r *Reconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

// measure takes every measurement that is due, checks running ones,
// decides each metric and the run, and returns when to come back (zero:
// not before something changes).
func (r *Reconciler) measure(ctx context.Context, run *rampv1alpha1.AnalysisRun, now time.Time) time.Time {
	st := &run.Status
	if st.Phase.Completed() {
		return time.Time{}
	}
	if st.StartedAt == nil {
		st.StartedAt = microTime(now)
	}
	var wake time.Time
	soon := func(t time.Time) {
		if !t.IsZero() && (wake.IsZero() || t.Before(wake)) {
			wake = t
		}
	}
	var args map[string]string
	var argsErr error
	argsRead := false
	var scrub *analysis.Scrubber
	for i := range run.Spec.Metrics {
		m := &run.Spec.Metrics[i]
		s, err := settingsOf(run, m)
		res := resultFor(st, m.Name, s.dryRun)
		if res.Phase.Completed() {
			continue
		}
		if err == nil {
			_, err = analysis.CompileConditions(m)
		}
		if err != nil {
			// A metric that cannot be measured as written ends the run.
			res.Phase = rampv1alpha1.AnalysisPhaseError
			res.Message = err.Error()
			continue
		}
		if run.Spec.Terminate {
			r.stopRunning(ctx, run, m, res)
			decide(m.Name, s, res, true)
			continue
		}
		if running(res) == nil {
			due, ok := dueAt(s, res, st.StartedAt.Time)
			if !ok {
				decide(m.Name, s, res, false)
				continue
			}
			if now.Before(due) {
				soon(due)
				if res.Phase == rampv1alpha1.AnalysisPhasePending && res.Count == 0 {
					res.Phase = rampv1alpha1.AnalysisPhaseRunning
				}
				continue
			}
		}
		if !argsRead {
			args, argsErr = analysis.ArgValues(ctx, run.Spec.Args, r.secretsFor(run))
			scrub = analysis.SecretArgs(run.Spec.Args, args)
			argsRead = true
		}
		if deadline, pending := r.takeMeasurement(ctx, run, m, s, res, measureArgs{values: args, err: argsErr, scrub: scrub}, now); pending {
			// Queued again when the measurement returns; the deadline is
			// only a safety net.
			soon(deadline)
			continue
		}
		decide(m.Name, s, res, false)
		if m := running(res); m != nil && m.ResumeAt != nil {
			soon(m.ResumeAt.Time)
		} else if due, ok := dueAt(s, res, st.StartedAt.Time); ok {
			soon(due)
		}
	}
	verdict(st)
	return wake
}

// measureArgs are a run's argument values (or the error reading them) and
// the scrubber of those that come from Secrets.
type measureArgs struct {
	values map[string]string
	err    error
	scrub  *analysis.Scrubber
}

// takeMeasurement starts a measurement, or checks the running one, and
// records it when it is over. Whatever it records is scrubbed of the
// values of Secret-backed arguments, which a provider or the server it
// asks (echoing a URL or a header) may repeat in a message. pending is
// true while an Async measurement is under way (nothing is recorded yet),
// with the time by which it will have returned.
func (r *Reconciler) takeMeasurement(ctx context.Context, run *rampv1alpha1.AnalysisRun, m *rampv1alpha1.Metric, s settings,
	res *rampv1alpha1.MetricResult, margs measureArgs, now time.Time) (deadline time.Time, pending bool) {
	providerName := analysis.ProviderName(m)
	args, argsErr, scrub := margs.values, margs.err, margs.scrub
	finish := func(phase rampv1alpha1.AnalysisPhase, value, message string, metadata map[string]string) {
		scrub.ScrubMap(metadata)
		record(res, rampv1alpha1.Measurement{
			Phase: phase, Value: scrub.Scrub(value), Message: scrub.Scrub(message), Metadata: metadata,
			StartedAt: microTime(now), FinishedAt: microTime(r.now()),
		}, s.retention)
	}
	if argsErr != nil {
		finish(rampv1alpha1.AnalysisPhaseError, "", argsErr.Error(), nil)
		countMeasurementError(providerName)
		return
	}
	provider, ok := r.Providers[providerName]
	if !ok {
		finish(rampv1alpha1.AnalysisPhaseError, "", fmt.Sprintf("no %q provider in this controller", providerName), nil)
		return
	}
	metric, err := analysis.Substitute(m, args)
	if err != nil {
		finish(rampv1alpha1.AnalysisPhaseError, "", err.Error(), nil)
		return
	}
	req := analysis.Request{Run: run, Metric: metric, Secrets: r.secretsFor(run), Measurement: running(res)}
	mctx, cancel := context.WithTimeout(ctx, measureTimeout)
	defer cancel()
	began := time.Now()
	var out analysis.Result
	var took time.Duration
	switch {
	case req.Measurement != nil:
		// Checking a running measurement (a Job's state) is quick.
		resumer, ok := provider.(analysis.Resumer)
		if !ok {
			finish(rampv1alpha1.AnalysisPhaseError, "", "the measurement was left running by a provider that cannot resume it", nil)
			return
		}
		out, err = resumer.Check(mctx, req)
		took = time.Since(began)
	case r.Async:
		key := keyOf(run, m.Name)
		fl, ok := r.inFlight().Take(key)
		if !ok {
			async := req
			async.Run = run.DeepCopy() // the reconcile goes on changing run
			fl = r.inFlight().Start(key, now, measureTimeout, func(ctx context.Context) measured {
				out, err := provider.Measure(ctx, async)
				return measured{out: out, err: err}
			})
		}
		if !fl.Done {
			return fl.Started.Add(measureTimeout + time.Second), true
		}
		out, err, took = fl.Out.out, fl.Out.err, fl.Took
		now = fl.Started // the measurement began when the flight did
	default:
		out, err = provider.Measure(mctx, req)
		took = time.Since(began)
	}
	observeMeasurement(providerName, took)
	if err != nil {
		countMeasurementError(providerName)
		finish(rampv1alpha1.AnalysisPhaseError, "", err.Error(), out.Metadata)
		return
	}
	if out.Phase == rampv1alpha1.AnalysisPhaseRunning {
		if req.Measurement == nil {
			scrub.ScrubMap(out.Metadata)
			start(res, rampv1alpha1.Measurement{
				Phase: rampv1alpha1.AnalysisPhaseRunning, Value: scrub.Scrub(out.Text), Message: scrub.Scrub(out.Message), Metadata: out.Metadata,
				StartedAt: microTime(now), ResumeAt: microTime(now.Add(resumeEvery)),
			}, s.retention)
		} else {
			req.Measurement.ResumeAt = microTime(now.Add(resumeEvery))
		}
		return
	}
	conds, _ := analysis.CompileConditions(m)
	phase, msg := analysis.Assess(conds, out)
	if out.Message != "" && msg != out.Message {
		msg = joinMessage(msg, out.Message)
	}
	finish(phase, out.Text, msg, out.Metadata)
	if out.Verdict != nil {
		res.Verdict = scrubVerdict(scrub, out.Verdict)
	}
	return time.Time{}, false
}

// scrubVerdict returns v with secret values scrubbed from its texts
// (queries among them).
func scrubVerdict(scrub *analysis.Scrubber, v *rampv1alpha1.JudgeVerdict) *rampv1alpha1.JudgeVerdict {
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var clean rampv1alpha1.JudgeVerdict
	if err := json.Unmarshal([]byte(scrub.Scrub(string(raw))), &clean); err != nil {
		return v
	}
	return &clean
}

func joinMessage(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// stopRunning stops a metric's running measurement, if any, and counts it
// as successful: the run was terminated before it could decide.
func (r *Reconciler) stopRunning(ctx context.Context, run *rampv1alpha1.AnalysisRun, m *rampv1alpha1.Metric, res *rampv1alpha1.MetricResult) {
	cur := running(res)
	if cur == nil {
		return
	}
	if resumer, ok := r.Providers[analysis.ProviderName(m)].(analysis.Resumer); ok {
		if err := resumer.Stop(ctx, analysis.Request{Run: run, Metric: m, Secrets: r.secretsFor(run), Measurement: cur}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Stop a running measurement", "metric", m.Name)
		}
	}
	now := r.now()
	cur.Phase = rampv1alpha1.AnalysisPhaseSuccessful
	cur.Message = "stopped: the run was terminated"
	cur.FinishedAt = microTime(now)
	cur.ResumeAt = nil
	res.Count++
	res.Successful++
}

// stopAll stops the measurements still running once the run is over.
func (r *Reconciler) stopAll(ctx context.Context, run *rampv1alpha1.AnalysisRun) {
	for i := range run.Spec.Metrics {
		m := &run.Spec.Metrics[i]
		res := resultFor(&run.Status, m.Name, false)
		r.stopRunning(ctx, run, m, res)
	}
}

// setRunConditions sets Ready (the run finished) and Reconciling / Stalled.
func setRunConditions(run *rampv1alpha1.AnalysisRun) {
	st := &run.Status
	set := func(t string, ok bool, reason, msg string) {
		s := metav1.ConditionFalse
		if ok {
			s = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: run.Generation})
	}
	done := st.Phase.Completed()
	reason := string(st.Phase)
	if reason == "" {
		reason = string(rampv1alpha1.AnalysisPhasePending)
	}
	set(rampv1alpha1.ConditionReady, done, reason, st.Message)
	set(rampv1alpha1.ConditionReconciling, !done, reason, st.Message)
	set(rampv1alpha1.ConditionStalled, false, reason, st.Message)
}

// recordEvents records the run's end.
func (r *Reconciler) recordEvents(before, run *rampv1alpha1.AnalysisRun) {
	if r.Recorder == nil || before.Status.Phase == run.Status.Phase || !run.Status.Phase.Completed() {
		return
	}
	eventType, reason := "Normal", "AnalysisRunSuccessful"
	switch run.Status.Phase {
	case rampv1alpha1.AnalysisPhaseFailed:
		eventType, reason = "Warning", "AnalysisRunFailed"
	case rampv1alpha1.AnalysisPhaseError:
		eventType, reason = "Warning", "AnalysisRunError"
	case rampv1alpha1.AnalysisPhaseInconclusive:
		eventType, reason = "Warning", "AnalysisRunInconclusive"
	}
	r.Recorder.Eventf(run, nil, eventType, reason, "Analyze", "%s", run.Status.Message)
}
