// Package job is the analysis provider that runs a Kubernetes Job per
// measurement: the measurement is Successful when the Job completes and
// Failed when it fails.
//
// Each Job is created in the run's namespace, controlled by the AnalysisRun
// (so it goes when the run goes), and named <run>-<metric>-<n> after the
// measurement number n, cut and suffixed with a hash when that is too long
// for a Job name. Because the name only depends on the run's status, a
// controller that restarts after creating a Job but before recording the
// measurement finds and uses the same Job.
package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Labels on every Job the provider creates.
const (
	// LabelAnalysisRun is the name of the AnalysisRun the Job measures for
	// (cut and suffixed with a hash beyond 63 characters).
	LabelAnalysisRun = "ramp.dev/analysis-run"
	// LabelMetric is the name of the metric the Job measures (cut and
	// suffixed with a hash beyond 63 characters).
	LabelMetric = "ramp.dev/metric"
)

// MetadataJob is the key of the Job's name in a measurement's metadata.
const MetadataJob = "job"

// Provider runs a Job per measurement. It implements analysis.Resumer.
type Provider struct {
	client client.Client
	// now tells the time; tests replace it.
	now func() time.Time
}

var _ analysis.Resumer = (*Provider)(nil)

// New returns a Provider that creates, reads and deletes Jobs with c. Reads
// may come from a cache.
func New(c client.Client) *Provider {
	return &Provider{client: c, now: time.Now}
}

// Measure creates the Job of the next measurement of req.Metric and returns
// Phase Running with the Job's name in the metadata. A Job of that name
// already controlled by the run (created before a controller restart) is
// used as it is; one that belongs to anything else is an error.
func (p *Provider) Measure(ctx context.Context, req analysis.Request) (analysis.Result, error) {
	if req.Run == nil || req.Metric == nil {
		return analysis.Result{}, errors.New("job provider: no run or metric to measure")
	}
	spec := req.Metric.Provider.Job
	if spec == nil {
		return analysis.Result{}, fmt.Errorf("metric %q has no job provider", req.Metric.Name)
	}
	run := req.Run
	name := jobName(run.Name, req.Metric.Name, measurementNumber(run, req.Metric.Name))

	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: run.Namespace,
			Name:      name,
			Labels:    map[string]string{},
			OwnerReferences: []metav1.OwnerReference{
				*metav1.NewControllerRef(run, rampv1alpha1.GroupVersion.WithKind("AnalysisRun")),
			},
		},
		Spec: *spec.Spec.DeepCopy(),
	}
	if spec.Metadata != nil {
		for k, v := range spec.Metadata.Labels {
			job.Labels[k] = v
		}
		if len(spec.Metadata.Annotations) > 0 {
			job.Annotations = make(map[string]string, len(spec.Metadata.Annotations))
			for k, v := range spec.Metadata.Annotations {
				job.Annotations[k] = v
			}
		}
	}
	job.Labels[LabelAnalysisRun] = labelValue(run.Name)
	job.Labels[LabelMetric] = labelValue(req.Metric.Name)
	if job.Spec.ActiveDeadlineSeconds == nil {
		// A Job that never finishes must not hold the analysis forever.
		job.Spec.ActiveDeadlineSeconds = ptr.To[int64](DefaultDeadlineSeconds)
	}

	err := p.client.Create(ctx, job)
	if apierrors.IsAlreadyExists(err) {
		err = p.checkExisting(ctx, run, name)
	} else if err != nil {
		err = fmt.Errorf("create job %s: %w", name, err)
	}
	if err != nil {
		return analysis.Result{}, err
	}
	return running(name), nil
}

// checkExisting returns nil when the Job name in the run's namespace is
// controlled by run, and an error that says who it belongs to otherwise.
func (p *Provider) checkExisting(ctx context.Context, run *rampv1alpha1.AnalysisRun, name string) error {
	var existing batchv1.Job
	if err := p.client.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: name}, &existing); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("create job %s: it already exists but cannot be read yet; will try again", name)
		}
		return fmt.Errorf("create job %s: it already exists and reading it failed: %w", name, err)
	}
	if metav1.IsControlledBy(&existing, run) {
		return nil
	}
	owner := "nothing"
	if ref := metav1.GetControllerOf(&existing); ref != nil {
		owner = fmt.Sprintf("%s %s", ref.Kind, ref.Name)
	}
	return fmt.Errorf("create job %s: a job of that name already exists in namespace %s and is controlled by %s, not by analysis run %s; delete or rename it", name, run.Namespace, owner, run.Name)
}

// Check reads the Job of req.Measurement: Successful when it completed,
// Failed (with the Job's failure reason and message) when it failed, Running
// otherwise.
func (p *Provider) Check(ctx context.Context, req analysis.Request) (analysis.Result, error) {
	name, err := measuredJob(req)
	if err != nil {
		return analysis.Result{}, err
	}
	var job batchv1.Job
	if err := p.client.Get(ctx, client.ObjectKey{Namespace: req.Run.Namespace, Name: name}, &job); err != nil {
		if apierrors.IsNotFound(err) {
			return analysis.Result{}, fmt.Errorf("job %s no longer exists", name)
		}
		return analysis.Result{}, fmt.Errorf("get job %s: %w", name, err)
	}
	if c := jobCondition(&job, batchv1.JobFailed); c != nil {
		return analysis.Result{
			Phase:    rampv1alpha1.AnalysisPhaseFailed,
			Message:  fmt.Sprintf("job %s failed: %s: %s", name, c.Reason, c.Message),
			Text:     fmt.Sprintf("job %s failed", name),
			Metadata: map[string]string{MetadataJob: name},
		}, nil
	}
	if jobCondition(&job, batchv1.JobComplete) != nil {
		return analysis.Result{
			Phase:    rampv1alpha1.AnalysisPhaseSuccessful,
			Text:     fmt.Sprintf("job %s succeeded", name),
			Metadata: map[string]string{MetadataJob: name},
		}, nil
	}
	// The Job controller fails a Job past its activeDeadlineSeconds; should
	// it not (it is not running, say), the measurement ends here a minute
	// later all the same.
	if deadline := job.Spec.ActiveDeadlineSeconds; deadline != nil && req.Measurement.StartedAt != nil {
		limit := time.Duration(*deadline)*time.Second + deadlineGrace
		if p.now().Sub(req.Measurement.StartedAt.Time) > limit {
			return analysis.Result{Metadata: map[string]string{MetadataJob: name}},
				fmt.Errorf("job %s did not finish within its activeDeadlineSeconds (%ds) and was not failed by the Job controller", name, *deadline)
		}
	}
	return running(name), nil
}

// DefaultDeadlineSeconds is the activeDeadlineSeconds given to a Job whose
// spec sets none: 10 minutes.
const DefaultDeadlineSeconds = 600

// deadlineGrace is how long past its deadline a Job still counts as
// running, for the Job controller to fail it.
const deadlineGrace = time.Minute

// Stop deletes the Job of req.Measurement and, in the background, its pods.
// A Job already gone is no error.
func (p *Provider) Stop(ctx context.Context, req analysis.Request) error {
	name, err := measuredJob(req)
	if err != nil {
		return err
	}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: req.Run.Namespace, Name: name}}
	if err := p.client.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete job %s: %w", name, err)
	}
	return nil
}

// measurementNumber is the number of the next measurement of the metric
// named metric: the count of measurements taken so far, plus one.
func measurementNumber(run *rampv1alpha1.AnalysisRun, metric string) int32 {
	for i := range run.Status.MetricResults {
		if r := &run.Status.MetricResults[i]; r.Name == metric {
			return r.Count + 1
		}
	}
	return 1
}

// measuredJob returns the name of the Job of req.Measurement.
func measuredJob(req analysis.Request) (string, error) {
	if req.Run == nil || req.Measurement == nil {
		return "", errors.New("job provider: no run or measurement to look at")
	}
	name := req.Measurement.Metadata[MetadataJob]
	if name == "" {
		return "", fmt.Errorf("measurement has no %q in its metadata, so its job is unknown", MetadataJob)
	}
	return name, nil
}

// jobCondition returns the condition of type t of job when it is True.
func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range job.Status.Conditions {
		if c := &job.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// running is the result of a measurement whose Job runs.
func running(name string) analysis.Result {
	return analysis.Result{
		Phase:    rampv1alpha1.AnalysisPhaseRunning,
		Text:     fmt.Sprintf("job %s running", name),
		Metadata: map[string]string{MetadataJob: name},
	}
}
