package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestJobWithFailingPodFails runs a Job whose pod template carries the
// StageFail annotation: its only pod runs, exits with code 1, and with
// backoffLimit 0 the Job fails. (A Job without the annotation completes:
// TestJobCompletes.)
func TestJobWithFailingPodFails(t *testing.T) {
	_, k8s := shared(t)
	ctx := t.Context()
	newNamespace(t, k8s, "failing-jobs")

	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: "failing-jobs", Name: "fails"},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{StageAnnotation: StageFail}},
				Spec:       corev1.PodSpec{Containers: testContainer(), RestartPolicy: corev1.RestartPolicyNever},
			},
		},
	}
	if err := k8s.Create(ctx, job); err != nil {
		t.Fatalf("create job: %v", err)
	}

	eventually(t, 30*time.Second, "job failed", func() (bool, string) {
		var j batchv1.Job
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(job), &j); err != nil {
			return false, err.Error()
		}
		for _, c := range j.Status.Conditions {
			if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
				t.Fatalf("job completed, want it failed: status %+v", j.Status)
			}
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				return j.Status.Failed == 1 && j.Status.Succeeded == 0,
					fmt.Sprintf("failed=%d succeeded=%d reason=%s", j.Status.Failed, j.Status.Succeeded, c.Reason)
			}
		}
		return false, fmt.Sprintf("status %+v", j.Status)
	})

	var pods corev1.PodList
	if err := k8s.List(ctx, &pods, client.InNamespace("failing-jobs"), client.MatchingLabels{batchv1.JobNameLabel: job.Name}); err != nil {
		t.Fatalf("list pods: %v", err)
	}
	if len(pods.Items) != 1 {
		t.Fatalf("want 1 pod of the job (backoffLimit 0), got %s", describePods(pods.Items))
	}
	p := pods.Items[0]
	if p.Status.Phase != corev1.PodFailed || p.Status.PodIP == "" || p.Status.StartTime == nil {
		t.Fatalf("pod: want Failed after it ran (pod IP and start time set), got %s start=%v", describePods(pods.Items), p.Status.StartTime)
	}
	if len(p.Status.ContainerStatuses) != 1 {
		t.Fatalf("pod container statuses: want 1, got %+v", p.Status.ContainerStatuses)
	}
	cs := p.Status.ContainerStatuses[0]
	term := cs.State.Terminated
	if cs.Name != "app" || term == nil || term.ExitCode != 1 || term.Reason != "Error" {
		t.Fatalf("container %s: want terminated with exit code 1 and reason Error, got state %+v", cs.Name, cs.State)
	}
	if term.FinishedAt.Before(&term.StartedAt) {
		t.Errorf("container finished at %s before it started at %s", term.FinishedAt, term.StartedAt)
	}
	if !strings.Contains(term.Message, "fail stage") {
		t.Errorf("container termination message %q does not say it came from the fail stage", term.Message)
	}
}
