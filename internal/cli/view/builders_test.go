package view

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// now is the fixed clock of the golden tests.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// ago is the time d before now.
func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

// microAgo is ago as a measurement time.
func microAgo(d time.Duration) *metav1.MicroTime {
	t := metav1.NewMicroTime(now.Add(-d))
	return &t
}

// day is a day, for ages.
const day = 24 * time.Hour

// newRollout returns a Rollout of replicas pods created created ago.
func newRollout(ns, name string, replicas int32, created time.Duration, strategy rampv1alpha1.RolloutStrategy) *rampv1alpha1.Rollout {
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID("uid-" + name), CreationTimestamp: ago(created),
		},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "unused"}}},
			},
			Strategy: strategy,
		},
	}
}

// setWeightStep is the canary step setWeight: w.
func setWeightStep(w int32) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{SetWeight: ptr.To(w)}
}

// pauseStep is the canary step pause, for duration d ("" waits for a
// promotion).
func pauseStep(d string) rampv1alpha1.CanaryStep {
	p := &rampv1alpha1.RolloutPause{}
	if d != "" {
		p.Duration = ptr.To(intstr.FromString(d))
	}
	return rampv1alpha1.CanaryStep{Pause: p}
}

// analysisStep is a canary analysis step running template.
func analysisStep(template string) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{
		Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: template}},
	}}
}

// newReplicaSet returns the ReplicaSet of revision rev of ro, asking for
// want pods of which ready are ready and available.
func newReplicaSet(ro *rampv1alpha1.Rollout, hash string, rev string, image string, want, ready int32, created time.Duration) appsv1.ReplicaSet {
	name := ro.Name + "-" + hash
	return appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ro.Namespace, Name: name, UID: types.UID("uid-" + name), CreationTimestamp: ago(created),
			Labels:      map[string]string{"app": ro.Name, rampv1alpha1.LabelPodTemplateHash: hash},
			Annotations: map[string]string{rampv1alpha1.AnnotationRevision: rev},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: rampv1alpha1.GroupVersion.String(), Kind: "Rollout", Name: ro.Name, UID: ro.UID, Controller: ptr.To(true),
			}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(want),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}},
		},
		Status: appsv1.ReplicaSetStatus{Replicas: ready, ReadyReplicas: ready, AvailableReplicas: ready},
	}
}

// newPod returns a running, ready pod of rs named <rs>-<suffix>.
func newPod(rs *appsv1.ReplicaSet, suffix string, created time.Duration) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: rs.Namespace, Name: rs.Name + "-" + suffix, CreationTimestamp: ago(created),
			Labels: rs.Labels,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
			}},
		},
	}
}

// podsOf returns a running, ready pod of rs per suffix.
func podsOf(rs *appsv1.ReplicaSet, created time.Duration, suffixes ...string) []corev1.Pod {
	pods := make([]corev1.Pod, 0, len(suffixes))
	for _, s := range suffixes {
		pods = append(pods, newPod(rs, s, created))
	}
	return pods
}

// metric is a metric of a run with its result: phase, and the values
// measured, oldest first, one every 30s up to lastAt (15s by default) ago.
type metric struct {
	name, success, failure string
	phase                  rampv1alpha1.AnalysisPhase
	values                 []string
	// valuePhase is the phase of every measurement; the metric's when empty.
	valuePhase rampv1alpha1.AnalysisPhase
	message    string
	lastAt     time.Duration
	dryRun     bool
}

// newRun returns an AnalysisRun of ro's revision hash.
func newRun(ro *rampv1alpha1.Rollout, name, hash string, phase rampv1alpha1.AnalysisPhase, message string,
	created time.Duration, metrics ...metric) rampv1alpha1.AnalysisRun {
	run := rampv1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ro.Namespace, Name: name, CreationTimestamp: ago(created),
			Labels: map[string]string{rampv1alpha1.LabelRollout: ro.Name, rampv1alpha1.LabelPodTemplateHash: hash},
		},
		Status: rampv1alpha1.AnalysisRunStatus{Phase: phase, Message: message},
	}
	for _, m := range metrics {
		run.Spec.Metrics = append(run.Spec.Metrics, rampv1alpha1.Metric{
			Name: m.name, SuccessCondition: m.success, FailureCondition: m.failure,
		})
		res := rampv1alpha1.MetricResult{Name: m.name, Phase: m.phase, Count: int32(len(m.values)), Message: m.message, DryRun: m.dryRun}
		vp := m.valuePhase
		if vp == "" {
			vp = m.phase
		}
		last := m.lastAt
		if last == 0 {
			last = 15 * time.Second
		}
		for i, v := range m.values {
			at := time.Duration(len(m.values)-1-i)*30*time.Second + last
			res.Measurements = append(res.Measurements, rampv1alpha1.Measurement{
				Phase: vp, Value: v, StartedAt: microAgo(at + time.Second), FinishedAt: microAgo(at),
			})
		}
		run.Status.MetricResults = append(run.Status.MetricResults, res)
	}
	return run
}
