package rollout

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func analysisScope(t *testing.T, objs ...runtime.Object) (*Reconciler, *scope) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := rampv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithRuntimeObjects(objs...).Build()
	s := testScope("canaryhash", rampv1alpha1.RolloutStatus{StableRS: "stablehash", CurrentPodHash: "canaryhash"})
	s.rollout.Namespace = "team"
	s.rollout.Labels = map[string]string{"app": "web", rampv1alpha1.LabelInstanceID: "blue"}
	s.rollout.UID = "uid-1"
	return &Reconciler{Client: c}, s
}

func errorRateTemplate() *rampv1alpha1.AnalysisTemplate {
	return &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "error-rate"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{
			Args: []rampv1alpha1.Argument{
				{Name: "service"},
				{Name: "hash"},
				{Name: "prometheus", Value: ptr.To("http://prom:9090")},
				{Name: "token", ValueFrom: &rampv1alpha1.ValueFrom{SecretKeyRef: &rampv1alpha1.SecretKeyRef{Name: "prom", Key: "token"}}},
				{Name: "team", ValueFrom: &rampv1alpha1.ValueFrom{FieldRef: &rampv1alpha1.FieldRef{FieldPath: "metadata.labels['app']"}}},
			},
			Metrics: []rampv1alpha1.Metric{{Name: "error-rate", Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: "http://x"}}}},
			DryRun:  []rampv1alpha1.DryRun{{MetricName: "error-rate"}},
		},
	}
}

func TestBuildRun(t *testing.T) {
	latency := &rampv1alpha1.ClusterAnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "latency"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{
			Args:    []rampv1alpha1.Argument{{Name: "service"}},
			Metrics: []rampv1alpha1.Metric{{Name: "p99", Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: "http://y"}}}},
		},
	}
	r, s := analysisScope(t, errorRateTemplate(), latency)
	a := &rampv1alpha1.RolloutAnalysis{
		Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}, {TemplateName: "latency", ClusterScope: true}},
		Args: []rampv1alpha1.AnalysisRunArgument{
			{Name: "service", ValueFrom: &rampv1alpha1.ArgumentValueFrom{FieldRef: &rampv1alpha1.FieldRef{FieldPath: "metadata.name"}}},
			{Name: "hash", ValueFrom: &rampv1alpha1.ArgumentValueFrom{PodTemplateHashValue: ptr.To("Stable")}},
		},
		DryRun: []rampv1alpha1.DryRun{{MetricName: "p99"}},
	}
	run, err := r.buildRun(context.Background(), s, kindStep, 2, a, "spec.strategy.canary.steps[2].analysis")
	if err != nil {
		t.Fatal(err)
	}
	if run.Name != "web-canaryhash-2" {
		t.Errorf("name %s", run.Name)
	}
	if len(run.Spec.Metrics) != 2 || run.Spec.Metrics[1].Name != "p99" {
		t.Errorf("metrics not merged: %+v", run.Spec.Metrics)
	}
	got := map[string]string{}
	for _, a := range run.Spec.Args {
		switch {
		case a.Value != nil:
			got[a.Name] = *a.Value
		case a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil:
			got[a.Name] = "secret:" + a.ValueFrom.SecretKeyRef.Name
		}
	}
	want := map[string]string{"service": "web", "hash": "stablehash", "prometheus": "http://prom:9090", "token": "secret:prom", "team": "web"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("arg %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(run.Spec.DryRun) != 2 {
		t.Errorf("dryRun %+v", run.Spec.DryRun)
	}
	if run.Labels[rampv1alpha1.LabelInstanceID] != "blue" || run.Labels[labelAnalysisStep] != "2" || run.Labels[rampv1alpha1.LabelPodTemplateHash] != "canaryhash" {
		t.Errorf("labels %v", run.Labels)
	}
	if ref := metav1.GetControllerOf(run); ref == nil || ref.UID != "uid-1" {
		t.Errorf("owner %v", ref)
	}
}

func TestBuildRunStalls(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    rampv1alpha1.RolloutAnalysis
		want string
	}{
		{"missing template", rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "nope"}}},
			`spec.strategy.canary.steps[1].analysis.templates[0]: AnalysisTemplate "nope" not found`},
		{"missing cluster template", rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "nope", ClusterScope: true}}},
			`ClusterAnalysisTemplate "nope" not found`},
		{"argument without value", rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}},
			`spec.strategy.canary.steps[1].analysis.args: argument "service" of the template has no value; pass it in args`},
		{"unknown argument", rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}},
			Args: []rampv1alpha1.AnalysisRunArgument{{Name: "svc", Value: ptr.To("x")}}},
			`spec.strategy.canary.steps[1].analysis.args[0]: "svc" is not an argument of the templates`},
		{"same metric twice", rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}, {TemplateName: "error-rate"}}},
			`metric "error-rate" is defined by both "error-rate" and "error-rate"`},
		{"bad field", rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}},
			Args: []rampv1alpha1.AnalysisRunArgument{
				{Name: "service", ValueFrom: &rampv1alpha1.ArgumentValueFrom{FieldRef: &rampv1alpha1.FieldRef{FieldPath: "metadata.labels['nope']"}}},
				{Name: "hash", Value: ptr.To("x")}}},
			`argument "service": fieldRef metadata.labels['nope']: the Rollout has no such label`},
	} {
		r, s := analysisScope(t, errorRateTemplate())
		_, err := r.buildRun(context.Background(), s, kindStep, 1, &tc.a, "spec.strategy.canary.steps[1].analysis")
		if err == nil || s.stalled == nil || !strings.Contains(s.stalled.message, tc.want) {
			t.Errorf("%s: err %v, stalled %+v; want a stall saying %q", tc.name, err, s.stalled, tc.want)
		}
	}
}

func TestRunNamesAndAdoption(t *testing.T) {
	_, s := analysisScope(t)
	s.runs = []*rampv1alpha1.AnalysisRun{
		{ObjectMeta: metav1.ObjectMeta{Name: "web-canaryhash-1", Labels: map[string]string{
			rampv1alpha1.LabelPodTemplateHash: "canaryhash", labelAnalysisKind: kindStep, labelAnalysisStep: "1"}}},
	}
	if got := runName(s, kindStep, 1); got != "web-canaryhash-1-2" {
		t.Errorf("second attempt named %s", got)
	}
	if got := runName(s, kindBackground, 0); got != "web-canaryhash-background" {
		t.Errorf("background run named %s", got)
	}
	run := s.runs[0]
	if !runFits(run, "canaryhash", kindStep, 1) || runFits(run, "canaryhash", kindStep, 2) || runFits(run, "other", kindStep, 1) {
		t.Error("runFits")
	}
	if !adoptable(run) {
		t.Error("a fresh run is not adoptable")
	}
	run.Status.Phase = rampv1alpha1.AnalysisPhaseInconclusive
	if !adoptable(run) {
		t.Error("a run whose status write was lost is not taken up once it ended")
	}
	run.Spec.Terminate = true
	if adoptable(run) {
		t.Error("a run of an earlier attempt (terminated) would be taken up again")
	}
}

func TestRolloutField(t *testing.T) {
	_, s := analysisScope(t)
	for path, want := range map[string]string{
		"metadata.name": "web", "metadata.namespace": "team", "metadata.labels['app']": "web", "spec.replicas": "4",
	} {
		got, err := rolloutField(s.rollout, path)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := rolloutField(s.rollout, "spec.nothing"); err == nil || !strings.Contains(err.Error(), "no field nothing") {
		t.Errorf("missing field: %v", err)
	}
}
