package chartrbac

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
	"github.com/rampdev/ramp/test/prometheus"
)

// waitTimeout bounds every wait on the controller; the waits return as
// soon as the state is reached.
const waitTimeout = 60 * time.Second

// releaseName is the chart's release in every test.
const releaseName = "ramp"

var httpRouteKind = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}

// startFromChart runs ramp-controller with the arguments of the rendered
// Deployment ($(POD_NAMESPACE) being namespace) and the kubeconfig given,
// its endpoints moved to free loopback ports; it returns the process and
// the dashboard's address.
func startFromChart(t *testing.T, objs []*unstructured.Unstructured, namespace, kubeconfig string) (*framework.ControllerProcess, string) {
	t.Helper()
	args := append([]string{"--kubeconfig", kubeconfig}, framework.ChartControllerArgs(t, objs, namespace)...)
	dashboard := framework.FreeAddr(t)
	args = append(args, "--metrics-bind-address=0", "--health-probe-bind-address=0",
		"--dashboard-bind-address="+dashboard, "--log-format=text")
	return framework.StartControllerProcess(t, controllerBinary, namespace, args...), dashboard
}

// noForbidden fails the test if the controller logged a refusal of the API
// server: with the chart's RBAC, nothing it does may be forbidden.
func noForbidden(t *testing.T, p *framework.ControllerProcess) {
	t.Helper()
	for line := range strings.SplitSeq(p.Out.String(), "\n") {
		if strings.Contains(strings.ToLower(line), "forbidden") {
			t.Errorf("the controller was refused a request with the chart's RBAC: %s", line)
		}
	}
}

// routedCanary is Rollout name in ns with Services <name>-stable and
// <name>-canary, the HTTPRoute name splitting traffic between them, and
// steps. The old version goes 1s after a promotion, so that the next
// update has room to surge at once.
func routedCanary(t *testing.T, k8s client.Client, ns, name string, steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	t.Helper()
	ro := framework.NewCanaryWithServices(t, k8s, ns, name, "registry.example/"+name+":1", 2, steps...)
	ro.Spec.Strategy.Canary.TrafficRouting = &rampv1alpha1.RolloutTrafficRouting{
		GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: name}}},
	}
	ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = ptr.To[int32](1)
	framework.Create(t, k8s, framework.NewHTTPRoute(ns, name))
	return ro
}

// waitWeights waits until the HTTPRoute of routedCanary ro sends canary
// percent of its traffic to <name>-canary and the rest to <name>-stable.
func waitWeights(t *testing.T, w client.WithWatch, ro *rampv1alpha1.Rollout, canary int64) {
	t.Helper()
	ns, name := ro.Namespace, ro.Name
	route := &unstructured.Unstructured{}
	route.SetGroupVersionKind(httpRouteKind)
	want := fmt.Sprintf("%s-stable=%d %s-canary=%d", name, 100-canary, name, canary)
	framework.WaitFor(t, w, client.ObjectKey{Namespace: ns, Name: name}, route, waitTimeout, "HTTPRoute weights "+want,
		func(r *unstructured.Unstructured) (bool, string) {
			got := weights(r)
			return got == want, got
		})
}

// weights sums up the backends of the route's first rule as name=weight.
func weights(r *unstructured.Unstructured) string {
	rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
	if len(rules) == 0 {
		return "no rules"
	}
	refs, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "backendRefs")
	parts := make([]string, 0, len(refs))
	for _, ref := range refs {
		m := ref.(map[string]any)
		w, _, _ := unstructured.NestedInt64(m, "weight")
		parts = append(parts, fmt.Sprintf("%v=%d", m["name"], w))
	}
	return strings.Join(parts, " ")
}

// errorRateTemplate is the AnalysisTemplate error-rate in ns: the share of
// failed requests of trafficService, measured twice a second apart on the
// package's Prometheus, must stay under 5%.
func errorRateTemplate(ns string) *rampv1alpha1.AnalysisTemplate {
	return &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "error-rate"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: []rampv1alpha1.Metric{{
			Name:             "error-rate",
			Interval:         "1s",
			Count:            ptr.To[int32](2),
			SuccessCondition: "len(result) > 0 && result[0] < 0.05",
			Provider: rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{
				PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: prom.Address(), Timeout: ptr.To[int32](5)},
				Query:                prometheus.ErrorRatioQuery(trafficService),
			}},
		}}},
	}
}

// analysisStep runs the template named name (a ClusterAnalysisTemplate
// with cluster) as a canary step.
func analysisStep(name string, cluster bool) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{
		Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: name, ClusterScope: cluster}},
	}}
}

// healthyAt tells whether a Rollout is Healthy with hash as its stable
// version.
func healthyAt(hash *string) func(*rampv1alpha1.Rollout) bool {
	return func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.ObservedGeneration == r.Generation &&
			(hash == nil || r.Status.StableRS == *hash)
	}
}

// newRevision waits for the revision after stable to start, and returns its
// pod template hash.
func newRevision(t *testing.T, w client.WithWatch, ro *rampv1alpha1.Rollout, stable string) string {
	t.Helper()
	r := framework.WaitRollout(t, w, client.ObjectKeyFromObject(ro), waitTimeout, "a new revision",
		func(r *rampv1alpha1.Rollout) bool {
			return r.Status.ObservedGeneration == r.Generation && r.Status.CurrentPodHash != "" && r.Status.CurrentPodHash != stable
		})
	return r.Status.CurrentPodHash
}

// conditionOf returns the Rollout's condition of type t, or an empty one.
func conditionOf(r *rampv1alpha1.Rollout, t string) metav1.Condition {
	i := slices.IndexFunc(r.Status.Conditions, func(c metav1.Condition) bool { return c.Type == t })
	if i < 0 {
		return metav1.Condition{}
	}
	return r.Status.Conditions[i]
}

// walkCanary creates ro (a routedCanary) with the error-rate template of
// its namespace, waits for its first revision, then walks an update to
// image <name>:2 through its weight and analysis to Healthy, checking the
// route on the way; it returns the hash of the second revision.
func walkCanary(t *testing.T, w client.WithWatch, ro *rampv1alpha1.Rollout) string {
	t.Helper()
	framework.Create(t, w, errorRateTemplate(ro.Namespace))
	framework.Create(t, w, ro)
	key := client.ObjectKeyFromObject(ro)
	first := framework.WaitRollout(t, w, key, waitTimeout, "the first revision to be Healthy", healthyAt(nil)).Status.StableRS
	framework.SetImage(t, w, ro, "registry.example/"+ro.Name+":2")
	second := newRevision(t, w, ro, first)
	waitWeights(t, w, ro, 50)
	framework.WaitRollout(t, w, key, waitTimeout, "revision 2 to be Healthy", healthyAt(&second))
	waitWeights(t, w, ro, 0)
	framework.WaitServiceSelects(t, w, ro.Namespace, ro.Name+"-stable", second, waitTimeout)
	return second
}
