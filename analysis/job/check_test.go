package job

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestCheck(t *testing.T) {
	job := func(conds ...batchv1.JobCondition) *batchv1.Job {
		return &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "web-smoke-1"},
			Status:     batchv1.JobStatus{Conditions: conds},
		}
	}
	meta := map[string]string{"job": "web-smoke-1"}
	tests := []struct {
		name     string
		existing *batchv1.Job
		want     analysis.Result
		wantErr  string
	}{
		{name: "complete", existing: job(batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}),
			want: analysis.Result{Phase: rampv1alpha1.AnalysisPhaseSuccessful, Text: "job web-smoke-1 succeeded", Metadata: meta}},
		{name: "failed", existing: job(
			batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"},
			batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}),
			want: analysis.Result{
				Phase:    rampv1alpha1.AnalysisPhaseFailed,
				Message:  "job web-smoke-1 failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
				Text:     "job web-smoke-1 failed",
				Metadata: meta,
			}},
		{name: "running", existing: job(),
			want: analysis.Result{Phase: rampv1alpha1.AnalysisPhaseRunning, Text: "job web-smoke-1 running", Metadata: meta}},
		{name: "failing but pods not yet terminated", existing: job(batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded"}),
			want: analysis.Result{Phase: rampv1alpha1.AnalysisPhaseRunning, Text: "job web-smoke-1 running", Metadata: meta}},
		{name: "conditions not true", existing: job(
			batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionFalse},
			batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionUnknown}),
			want: analysis.Result{Phase: rampv1alpha1.AnalysisPhaseRunning, Text: "job web-smoke-1 running", Metadata: meta}},
		{name: "missing", wantErr: "job web-smoke-1 no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []client.Object
			if tt.existing != nil {
				objs = append(objs, tt.existing)
			}
			c := newClient(t, nil, objs...)
			res, err := New(c).Check(context.Background(), analysis.Request{
				Run: newRun("web"), Metric: newMetric("smoke", nil),
				Measurement: &rampv1alpha1.Measurement{Phase: rampv1alpha1.AnalysisPhaseRunning, Metadata: map[string]string{"job": "web-smoke-1"}},
			})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Check error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			assertResult(t, res, tt.want)
		})
	}
}

func TestCheckWithoutJobName(t *testing.T) {
	c := newClient(t, nil)
	_, err := New(c).Check(context.Background(), analysis.Request{
		Run: newRun("web"), Metric: newMetric("smoke", nil),
		Measurement: &rampv1alpha1.Measurement{Phase: rampv1alpha1.AnalysisPhaseRunning},
	})
	want := `measurement has no "job" in its metadata, so its job is unknown`
	if err == nil || err.Error() != want {
		t.Fatalf("Check error %v, want %q", err, want)
	}
}

func TestStop(t *testing.T) {
	existing := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "web-smoke-1"}}
	other := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "web-smoke-2"}}
	tests := []struct {
		name     string
		existing []client.Object
	}{
		{name: "deletes the job", existing: []client.Object{existing, other}},
		{name: "job already gone", existing: []client.Object{other}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var propagation []metav1.DeletionPropagation
			funcs := &interceptor.Funcs{Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
				o := (&client.DeleteOptions{}).ApplyOptions(opts)
				if o.PropagationPolicy != nil {
					propagation = append(propagation, *o.PropagationPolicy)
				}
				return c.Delete(ctx, obj, opts...)
			}}
			c := newClient(t, funcs, tt.existing...)
			err := New(c).Stop(context.Background(), analysis.Request{
				Run: newRun("web"), Metric: newMetric("smoke", nil),
				Measurement: &rampv1alpha1.Measurement{Phase: rampv1alpha1.AnalysisPhaseRunning, Metadata: map[string]string{"job": "web-smoke-1"}},
			})
			if err != nil {
				t.Fatalf("Stop: %v", err)
			}
			var jobs batchv1.JobList
			if err := c.List(context.Background(), &jobs); err != nil {
				t.Fatal(err)
			}
			if len(jobs.Items) != 1 || jobs.Items[0].Name != "web-smoke-2" {
				t.Fatalf("jobs left: %v, want only web-smoke-2", jobNames(jobs.Items))
			}
			if len(propagation) != 1 || propagation[0] != metav1.DeletePropagationBackground {
				t.Fatalf("delete propagation %v, want Background so the pods go too", propagation)
			}
		})
	}
}

func TestStopError(t *testing.T) {
	funcs := &interceptor.Funcs{Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
		return apierrors.NewForbidden(batchv1.Resource("jobs"), obj.GetName(), errors.New("ramp-controller cannot delete jobs"))
	}}
	err := New(newClient(t, funcs)).Stop(context.Background(), analysis.Request{
		Run:         newRun("web"),
		Measurement: &rampv1alpha1.Measurement{Metadata: map[string]string{"job": "web-smoke-1"}},
	})
	want := `delete job web-smoke-1: jobs.batch "web-smoke-1" is forbidden: ramp-controller cannot delete jobs`
	if err == nil || err.Error() != want {
		t.Fatalf("Stop error %v, want %q", err, want)
	}
}

func jobNames(jobs []batchv1.Job) []string {
	names := make([]string, 0, len(jobs))
	for _, j := range jobs {
		names = append(names, j.Name)
	}
	return names
}

// A Job gets a deadline when its spec sets none, and a Job still running
// a minute past its deadline (the Job controller did not fail it) ends the
// measurement with an error that says so.
func TestJobDeadline(t *testing.T) {
	c := newClient(t, nil)
	p := New(c)
	if _, err := p.Measure(context.Background(), analysis.Request{Run: newRun("web"), Metric: newMetric("smoke", nil)}); err != nil {
		t.Fatal(err)
	}
	j := getJob(t, c, "web-smoke-1")
	if d := ptr.Deref(j.Spec.ActiveDeadlineSeconds, 0); d != DefaultDeadlineSeconds {
		t.Fatalf("activeDeadlineSeconds %d, want the default %d", d, DefaultDeadlineSeconds)
	}
	started := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	req := analysis.Request{Run: newRun("web"), Metric: newMetric("smoke", nil), Measurement: &rampv1alpha1.Measurement{
		Phase: rampv1alpha1.AnalysisPhaseRunning, StartedAt: ptr.To(metav1.NewMicroTime(started)), Metadata: map[string]string{"job": "web-smoke-1"},
	}}
	p.now = func() time.Time { return started.Add(10*time.Minute + 30*time.Second) }
	if res, err := p.Check(context.Background(), req); err != nil || res.Phase != rampv1alpha1.AnalysisPhaseRunning {
		t.Fatalf("30 s past the deadline: %v, %v; want still running, for the Job controller to fail it", res, err)
	}
	p.now = func() time.Time { return started.Add(11*time.Minute + time.Second) }
	_, err := p.Check(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "did not finish within its activeDeadlineSeconds (600s)") {
		t.Fatalf("a minute past the deadline: %v, want an error naming the deadline", err)
	}
}
