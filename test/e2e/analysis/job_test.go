package analysise2e

import (
	"fmt"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// jobMetric is the name of the Job metric of jobTemplate.
const jobMetric = "smoke-test"

// jobTemplate returns the AnalysisTemplate name in ns with one metric,
// smoke-test, that runs a Job (backoffLimit 0) once. When fail is set its
// pod fails (the kwok fail stage); otherwise kwok completes it.
func jobTemplate(ns, name string, fail bool) *rampv1alpha1.AnalysisTemplate {
	pod := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever,
		Containers:    []corev1.Container{{Name: "smoke", Image: "registry.example/smoke-test:1"}},
	}}
	if fail {
		pod.Annotations = map[string]string{cluster.StageAnnotation: cluster.StageFail}
	}
	return &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: []rampv1alpha1.Metric{{
			Name: jobMetric,
			Provider: rampv1alpha1.MetricProvider{Job: &rampv1alpha1.JobMetric{
				Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](0), Template: pod},
			}},
		}}},
	}
}

// jobCondition returns the Job's condition of type t when it is True.
func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range job.Status.Conditions {
		if c := &job.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// TestJobAnalysisSucceeds runs an analysis step whose metric is a Job that
// completes: the run starts the Job <run>-smoke-test-1, controlled by the
// run; the Job completes, the measurement and the run end Successful, and
// the rollout completes the step and ends Healthy on the new revision.
func TestJobAnalysisSucceeds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "smoke", 2, framework.SetWeight(50), analysisStep("smoke", ""), framework.SetWeight(100))
	f.createTemplate(jobTemplate(f.ns, "smoke", false))
	v1 := f.start()
	f.checkStepWaitsForRun(v1, 1)

	v2 := f.setImage("v2")
	runName := f.stepRunName(v2, 1)
	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseSuccessful)
	ro := f.waitHealthyAt(v2)

	jobName := fmt.Sprintf("%s-%s-1", runName, jobMetric)
	res := metricResult(run, jobMetric)
	if res == nil || res.Phase != rampv1alpha1.AnalysisPhaseSuccessful || res.Count != 1 || len(res.Measurements) != 1 {
		t.Fatalf("metric %s: want Successful after one measurement: %s", jobMetric, describeRun(run))
	}
	m := res.Measurements[0]
	if m.Phase != rampv1alpha1.AnalysisPhaseSuccessful || m.Metadata["job"] != jobName {
		t.Errorf("measurement: phase %s, metadata %v; want Successful naming job %s", m.Phase, m.Metadata, jobName)
	}
	checkContains(t, "the measurement's value", m.Value, jobName)

	job := framework.Get(t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: jobName}, &batchv1.Job{})
	if !framework.ControlledBy(job, "AnalysisRun", runName) {
		t.Errorf("job %s is not controlled by AnalysisRun %s: owners %+v", jobName, runName, job.OwnerReferences)
	}
	if jobCondition(job, batchv1.JobComplete) == nil {
		t.Errorf("job %s has no Complete condition: %+v", jobName, job.Status.Conditions)
	}
	f.waitEvent(ro, "StepCompleted", "Step 2 of 3", "analysis")
}

// TestJobAnalysisFails runs an analysis step whose Job fails (its pod exits
// with code 1, backoffLimit 0): the run ends Failed with a message naming
// the Job and why it failed, and the update is aborted with the run named in
// status.abortedBy, its pods back on the stable revision.
func TestJobAnalysisFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "smoke-fail", 2, framework.SetWeight(50), analysisStep("smoke", ""), framework.SetWeight(100))
	f.createTemplate(jobTemplate(f.ns, "smoke", true))
	v1 := f.start()

	v2 := f.setImage("v2")
	runName := f.stepRunName(v2, 1)
	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseFailed)
	jobName := fmt.Sprintf("%s-%s-1", runName, jobMetric)
	job := framework.Get(t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: jobName}, &batchv1.Job{})
	failed := jobCondition(job, batchv1.JobFailed)
	if failed == nil {
		t.Fatalf("job %s has no Failed condition though the run failed: %+v", jobName, job.Status.Conditions)
	}
	if !framework.ControlledBy(job, "AnalysisRun", runName) {
		t.Errorf("job %s is not controlled by AnalysisRun %s: owners %+v", jobName, runName, job.OwnerReferences)
	}
	checkContains(t, "the run's status.message", run.Status.Message, jobMetric, jobName, failed.Reason, "failureLimit 0")

	ro := f.waitAbortedBack(v2, v1)
	if want := fmt.Sprintf("analysis run %s (Failed): %s", runName, run.Status.Message); ro.Status.AbortedBy != want {
		t.Errorf("status.abortedBy = %q, want %q", ro.Status.AbortedBy, want)
	}
	checkContains(t, "status.message", ro.Status.Message, runName, jobName)
	f.waitEvent(ro, "Aborted", runName, jobName)
}
