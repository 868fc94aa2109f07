package job

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

const namespace = "shop"

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := rampv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func newClient(t *testing.T, funcs *interceptor.Funcs, objs ...client.Object) client.WithWatch {
	t.Helper()
	b := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(objs...)
	if funcs != nil {
		b = b.WithInterceptorFuncs(*funcs)
	}
	return b.Build()
}

func newRun(name string, results ...rampv1alpha1.MetricResult) *rampv1alpha1.AnalysisRun {
	return &rampv1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID("uid-" + name)},
		Status:     rampv1alpha1.AnalysisRunStatus{MetricResults: results},
	}
}

func newMetric(name string, meta *rampv1alpha1.PodTemplateMetadata) *rampv1alpha1.Metric {
	return &rampv1alpha1.Metric{
		Name: name,
		Provider: rampv1alpha1.MetricProvider{Job: &rampv1alpha1.JobMetric{
			Metadata: meta,
			Spec: batchv1.JobSpec{
				BackoffLimit: ptr.To[int32](0),
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "smoke", Image: "registry.example/smoke:v1", Args: []string{"--target", "web-canary"}}},
				}},
			},
		}},
	}
}

func getJob(t *testing.T, c client.Client, name string) *batchv1.Job {
	t.Helper()
	var j batchv1.Job
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &j); err != nil {
		t.Fatalf("get job %s: %v", name, err)
	}
	return &j
}

func TestMeasureCreatesJob(t *testing.T) {
	c := newClient(t, nil)
	run := newRun("web-7c9f-2")
	metric := newMetric("smoke", &rampv1alpha1.PodTemplateMetadata{
		Labels:      map[string]string{"team": "shop", LabelMetric: "overridden"},
		Annotations: map[string]string{"note": "canary smoke test"},
	})

	res, err := New(c).Measure(context.Background(), analysis.Request{Run: run, Metric: metric})
	if err != nil {
		t.Fatalf("Measure: %v", err)
	}
	want := analysis.Result{Phase: rampv1alpha1.AnalysisPhaseRunning, Text: "job web-7c9f-2-smoke-1 running", Metadata: map[string]string{"job": "web-7c9f-2-smoke-1"}}
	assertResult(t, res, want)

	j := getJob(t, c, "web-7c9f-2-smoke-1")
	wantLabels := map[string]string{"team": "shop", "ramp.dev/analysis-run": "web-7c9f-2", "ramp.dev/metric": "smoke"}
	assertMap(t, "labels", j.Labels, wantLabels)
	assertMap(t, "annotations", j.Annotations, map[string]string{"note": "canary smoke test"})

	owner := metav1.GetControllerOf(j)
	if owner == nil || len(j.OwnerReferences) != 1 {
		t.Fatalf("owner references %+v, want one controller reference to the run", j.OwnerReferences)
	}
	wantOwner := metav1.OwnerReference{
		APIVersion: "ramp.dev/v1alpha1", Kind: "AnalysisRun", Name: "web-7c9f-2", UID: "uid-web-7c9f-2",
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}
	if !reflect.DeepEqual(*owner, wantOwner) {
		t.Fatalf("controller reference %+v, want %+v", *owner, wantOwner)
	}

	got := j.Spec.Template.Spec.Containers
	if len(got) != 1 || got[0].Image != "registry.example/smoke:v1" || strings.Join(got[0].Args, " ") != "--target web-canary" {
		t.Fatalf("job containers %+v, want the metric's smoke container", got)
	}
	if j.Spec.BackoffLimit == nil || *j.Spec.BackoffLimit != 0 {
		t.Fatalf("job backoffLimit %v, want the metric's 0", j.Spec.BackoffLimit)
	}
	// The metric itself is left untouched.
	if metric.Provider.Job.Metadata.Labels[LabelMetric] != "overridden" || len(metric.Provider.Job.Metadata.Labels) != 2 {
		t.Fatalf("Measure changed the metric's labels: %v", metric.Provider.Job.Metadata.Labels)
	}
}

func TestMeasureWithoutMetadata(t *testing.T) {
	c := newClient(t, nil)
	if _, err := New(c).Measure(context.Background(), analysis.Request{Run: newRun("web"), Metric: newMetric("smoke", nil)}); err != nil {
		t.Fatalf("Measure: %v", err)
	}
	j := getJob(t, c, "web-smoke-1")
	assertMap(t, "labels", j.Labels, map[string]string{LabelAnalysisRun: "web", LabelMetric: "smoke"})
	if len(j.Annotations) != 0 {
		t.Fatalf("annotations %v, want none", j.Annotations)
	}
}

func TestMeasureNumbersMeasurements(t *testing.T) {
	tests := []struct {
		name    string
		results []rampv1alpha1.MetricResult
		want    string
	}{
		{name: "first measurement", want: "web-smoke-1"},
		{name: "other metrics do not count", results: []rampv1alpha1.MetricResult{{Name: "latency", Count: 7}}, want: "web-smoke-1"},
		{name: "after three measurements", results: []rampv1alpha1.MetricResult{{Name: "latency", Count: 7}, {Name: "smoke", Count: 3}}, want: "web-smoke-4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, nil)
			res, err := New(c).Measure(context.Background(), analysis.Request{Run: newRun("web", tt.results...), Metric: newMetric("smoke", nil)})
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}
			if res.Metadata[MetadataJob] != tt.want {
				t.Fatalf("job %q, want %q", res.Metadata[MetadataJob], tt.want)
			}
			getJob(t, c, tt.want)
		})
	}
}

func TestMeasureLongNames(t *testing.T) {
	c := newClient(t, nil)
	run := newRun("checkout-frontend-7c9f8d6b5-canary-step-3-" + strings.Repeat("x", 40))
	metric := newMetric("p99-latency-of-the-checkout-api."+strings.Repeat("y", 40), nil)
	p := New(c)

	res, err := p.Measure(context.Background(), analysis.Request{Run: run, Metric: metric})
	if err != nil {
		t.Fatalf("Measure: %v", err)
	}
	name := res.Metadata[MetadataJob]
	if len(name) > 63 || !strings.HasPrefix(name, "checkout-frontend-7c9f8d6b5-canary-step-3-") {
		t.Fatalf("job name %q (%d characters), want at most 63 starting with the run name", name, len(name))
	}
	j := getJob(t, c, name)
	for k, v := range j.Labels {
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("label %s=%q is not a valid label value: %v", k, v, errs)
		}
	}
	if !strings.HasPrefix(j.Labels[LabelAnalysisRun], "checkout-frontend-") || !strings.HasPrefix(j.Labels[LabelMetric], "p99-latency-") {
		t.Errorf("labels %v do not start with the run and metric names", j.Labels)
	}

	// The same measurement again (a controller restart) finds the same Job.
	again, err := p.Measure(context.Background(), analysis.Request{Run: run, Metric: metric})
	if err != nil || again.Metadata[MetadataJob] != name {
		t.Fatalf("Measure again: %v, job %q, want %q", err, again.Metadata[MetadataJob], name)
	}
}

func TestMeasureExistingJob(t *testing.T) {
	run := newRun("web")
	own := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
		Namespace: namespace, Name: "web-smoke-1",
		Labels:          map[string]string{"created": "before-restart"},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(run, rampv1alpha1.GroupVersion.WithKind("AnalysisRun"))},
	}}
	otherRun := newRun("web")
	otherRun.UID = "uid-of-an-older-run-of-the-same-name"
	stale := own.DeepCopy()
	stale.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(otherRun, rampv1alpha1.GroupVersion.WithKind("AnalysisRun"))}
	foreign := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "web-smoke-1", Labels: map[string]string{"created": "by-hand"}}}

	tests := []struct {
		name     string
		existing *batchv1.Job
		wantErr  string
	}{
		{name: "own job is used", existing: own},
		{name: "job of an older run of the same name", existing: stale, wantErr: "create job web-smoke-1: a job of that name already exists in namespace shop and is controlled by AnalysisRun web, not by analysis run web; delete or rename it"},
		{name: "job made by hand", existing: foreign, wantErr: "create job web-smoke-1: a job of that name already exists in namespace shop and is controlled by nothing, not by analysis run web; delete or rename it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, nil, tt.existing.DeepCopy())
			res, err := New(c).Measure(context.Background(), analysis.Request{Run: run, Metric: newMetric("smoke", nil)})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Measure error %v, want %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Measure: %v", err)
				}
				assertResult(t, res, analysis.Result{Phase: rampv1alpha1.AnalysisPhaseRunning, Text: "job web-smoke-1 running", Metadata: map[string]string{"job": "web-smoke-1"}})
			}
			// The existing Job is left as it was.
			if got := getJob(t, c, "web-smoke-1"); got.Labels["created"] != tt.existing.Labels["created"] {
				t.Fatalf("existing job changed: labels %v", got.Labels)
			}
		})
	}
}

func TestMeasureErrors(t *testing.T) {
	createFails := &interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
		return apierrors.NewForbidden(batchv1.Resource("jobs"), obj.GetName(), errors.New("ramp-controller cannot create jobs"))
	}}
	notCached := &interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			return apierrors.NewAlreadyExists(batchv1.Resource("jobs"), obj.GetName())
		},
	}
	noJob := newMetric("smoke", nil)
	noJob.Provider.Job = nil

	tests := []struct {
		name    string
		funcs   *interceptor.Funcs
		metric  *rampv1alpha1.Metric
		wantErr string
	}{
		{name: "create refused", funcs: createFails, metric: newMetric("smoke", nil),
			wantErr: `create job web-smoke-1: jobs.batch "web-smoke-1" is forbidden: ramp-controller cannot create jobs`},
		{name: "exists but not yet in the cache", funcs: notCached, metric: newMetric("smoke", nil),
			wantErr: "create job web-smoke-1: it already exists but cannot be read yet; will try again"},
		{name: "no job provider", metric: noJob, wantErr: `metric "smoke" has no job provider`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.funcs)
			_, err := New(c).Measure(context.Background(), analysis.Request{Run: newRun("web"), Metric: tt.metric})
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Measure error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func assertResult(t *testing.T, got, want analysis.Result) {
	t.Helper()
	if got.Phase != want.Phase || got.Text != want.Text || got.Message != want.Message || got.Value != want.Value {
		t.Fatalf("result phase=%q text=%q message=%q value=%v, want phase=%q text=%q message=%q value=%v",
			got.Phase, got.Text, got.Message, got.Value, want.Phase, want.Text, want.Message, want.Value)
	}
	assertMap(t, "result metadata", got.Metadata, want.Metadata)
}

func assertMap(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s %v, want %v", what, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s %v, want %v", what, got, want)
		}
	}
}
