package harness

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// labelGroup marks every object of the benchmark with the group it
// belongs to (idle, probe, steps, progress, abort); it is on the Rollouts
// and on their pod templates, hence on their ReplicaSets and pods.
const labelGroup = "bench.ramp.dev/group"

// Template names: a single web measurement, and a web measurement every
// second until the run is stopped (background analysis).
const (
	templateOnce  = "bench-web"
	templateEvery = "bench-web-every-second"
)

// rolloutSpec says what to build.
type rolloutSpec struct {
	ns, name, group string
	routed          bool
	// analysis adds two analysis steps after the first step and a
	// background analysis, all with templateOnce.
	analysis bool
	// background adds a background analysis with templateEvery.
	background bool
	steps      []rampv1alpha1.CanaryStep
}

// key is the Rollout's namespace/name, also the web metric key of its
// analysis (with a dot: keys go into URL paths).
func (s rolloutSpec) key() string { return s.ns + "/" + s.name }

func metricKey(ns, name string) string { return ns + "." + name }

// imageOf is the image of revision n.
func imageOf(n int) string { return fmt.Sprintf("registry.example/bench:%d", n) }

// objects returns the objects of a Rollout, in creation order: its
// Services, its HTTPRoute when routed, and the Rollout.
func (s rolloutSpec) objects() []client.Object {
	ro := framework.NewRollout(s.ns, s.name, imageOf(1), 2, s.steps...)
	ro.Labels = map[string]string{labelGroup: s.group}
	ro.Spec.Template.Labels[labelGroup] = s.group
	c := ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = s.name+"-stable", s.name+"-canary"
	c.MaxSurge = ptr.To(intstr.FromInt32(1))
	c.MaxUnavailable = ptr.To(intstr.FromInt32(0))
	objs := []client.Object{
		framework.NewService(s.ns, c.StableService, map[string]string{"app": s.name}),
		framework.NewService(s.ns, c.CanaryService, map[string]string{"app": s.name}),
	}
	args := []rampv1alpha1.AnalysisRunArgument{{Name: "key", Value: ptr.To(metricKey(s.ns, s.name))}}
	if s.analysis {
		step := rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{
			Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: templateOnce}}, Args: args,
		}}
		first := c.Steps[:1]
		c.Steps = append(append(append([]rampv1alpha1.CanaryStep{}, first...), step, step), c.Steps[1:]...)
		c.Analysis = &rampv1alpha1.RolloutAnalysisBackground{RolloutAnalysis: rampv1alpha1.RolloutAnalysis{
			Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: templateOnce}}, Args: args,
		}}
	}
	if s.background {
		c.Analysis = &rampv1alpha1.RolloutAnalysisBackground{RolloutAnalysis: rampv1alpha1.RolloutAnalysis{
			Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: templateEvery}}, Args: args,
		}}
	}
	if s.routed {
		c.TrafficRouting = &rampv1alpha1.RolloutTrafficRouting{
			GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: s.name}}},
		}
		// The old version goes one second after a promotion (30 by
		// default), and an aborted canary one second after the abort.
		c.ScaleDownDelaySeconds = ptr.To[int32](1)
		c.AbortScaleDownDelaySeconds = ptr.To[int32](1)
		objs = append(objs, framework.NewHTTPRoute(s.ns, s.name))
	}
	return append(objs, ro)
}

// namespaceObjects are a namespace and the analysis templates of its
// Rollouts, whose web metric calls url with the key argument.
func namespaceObjects(ns, url string) []client.Object {
	metric := func(interval string) rampv1alpha1.Metric {
		return rampv1alpha1.Metric{
			Name:             "web",
			Interval:         rampv1alpha1.DurationString(interval),
			SuccessCondition: "result < 0.05",
			Provider:         rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: url, JSONPath: "{.errorRate}"}},
		}
	}
	template := func(name string, m rampv1alpha1.Metric) *rampv1alpha1.AnalysisTemplate {
		return &rampv1alpha1.AnalysisTemplate{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       rampv1alpha1.AnalysisTemplateSpec{Args: []rampv1alpha1.Argument{{Name: "key"}}, Metrics: []rampv1alpha1.Metric{m}},
		}
	}
	return []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		template(templateOnce, metric("")),
		template(templateEvery, metric("1s")),
	}
}

// setWeights are setWeight steps.
func setWeights(weights ...int32) []rampv1alpha1.CanaryStep {
	out := make([]rampv1alpha1.CanaryStep, len(weights))
	for i, w := range weights {
		out[i] = framework.SetWeight(w)
	}
	return out
}

// forEach runs f on 0..n-1 with at most workers calls at once, and returns
// the first error.
func forEach(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(workers, max(n, 1)) {
		wg.Go(func() {
			for i := range next {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// create creates objs in order (an object already there is fine).
func create(ctx context.Context, k8s client.Client, objs ...client.Object) error {
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %T %s/%s: %w", o, o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// setImage starts a new revision of the Rollout key names.
func setImage(ctx context.Context, k8s client.Client, key, image string) error {
	ns, name := splitKey(key)
	ro := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, image)
	if err := k8s.Patch(ctx, ro, client.RawPatch(types.JSONPatchType, []byte(patch))); err != nil {
		return fmt.Errorf("set the image of Rollout %s: %w", key, err)
	}
	return nil
}

// mergePatch applies a JSON merge patch to obj (named by namespace and
// name).
func mergePatch(ctx context.Context, k8s client.Client, obj client.Object, patch string) error {
	if err := k8s.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("patch %T %s/%s: %w", obj, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

func splitKey(key string) (ns, name string) {
	for i := range len(key) {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}
