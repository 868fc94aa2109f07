package badinput

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

const waitTimeout = 60 * time.Second

// rejected is a manifest the API server must refuse, with the words its
// message must hold (the field, and what is wrong with it).
type rejected struct {
	name string
	obj  func(ns string) client.Object
	want []string
}

// stalled is a manifest the API server takes but the controller cannot
// run: the Rollout must stall, saying why.
type stalled struct {
	name  string
	setup func(ns string) *rampv1alpha1.Rollout
	want  []string
}

func metricOf(name, query string) rampv1alpha1.Metric {
	return rampv1alpha1.Metric{Name: name, Provider: rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{
		PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: "http://prometheus.monitoring:9090"},
		Query:                query,
	}}}
}

func template(ns, name string, metrics ...rampv1alpha1.Metric) *rampv1alpha1.AnalysisTemplate {
	return &rampv1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: metrics}}
}

var rejections = []rejected{
	{"a thousand steps", func(ns string) client.Object {
		steps := make([]rampv1alpha1.CanaryStep, 1000)
		for i := range steps {
			steps[i] = framework.SetWeight(int32(i % 100))
		}
		return framework.NewRollout(ns, "thousand-steps", "registry.example/web:1", 2, steps...)
	}, []string{"spec.strategy.canary.steps", "Too many: 1000", "at most 100"}},
	{"a hundred metrics", func(ns string) client.Object {
		metrics := make([]rampv1alpha1.Metric, 100)
		for i := range metrics {
			metrics[i] = metricOf(fmt.Sprintf("m%d", i), "up")
		}
		return template(ns, "hundred-metrics", metrics...)
	}, []string{"spec.metrics", "Too many: 100"}},
	{"a query of 20,000 characters", func(ns string) client.Object {
		return template(ns, "long-query", metricOf("m", "sum(rate(x[5m]))"+strings.Repeat(" + up", 4000)))
	}, []string{"spec.metrics[0].provider.prometheus.query", "Too long", "16384"}},
	{"a name of 300 characters", func(ns string) client.Object {
		return framework.NewRollout(ns, strings.Repeat("a", 300), "registry.example/web:1", 2)
	}, []string{"metadata.name", "253"}},
	{"a name too long for its ReplicaSets", func(ns string) client.Object {
		ro := framework.NewRollout(ns, strings.Repeat("b", 250), "registry.example/web:1", 2)
		ro.Spec.Selector.MatchLabels = map[string]string{"app": "long"}
		ro.Spec.Template.Labels = map[string]string{"app": "long"}
		return ro
	}, []string{"metadata.name must be at most 200 characters"}},
	{"a name in unicode", func(ns string) client.Object {
		return framework.NewRollout(ns, "wéb-ünïcode", "registry.example/web:1", 2)
	}, []string{"metadata.name", "Invalid value"}},
	{"a weight above 100", func(ns string) client.Object {
		return framework.NewRollout(ns, "weight-150", "registry.example/web:1", 2, framework.SetWeight(150))
	}, []string{"spec.strategy.canary.steps[0].setWeight", "150", "less than or equal to 100"}},
	{"an analysis template in another namespace", func(ns string) client.Object {
		return framework.NewRollout(ns, "foreign-template", "registry.example/web:1", 2,
			rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{
				Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "kube-system/error-rate"}},
			}})
	}, []string{"spec.strategy.canary.steps[0].analysis.templates[0].templateName", "kube-system/error-rate"}},
	{"a Service in another namespace", func(ns string) client.Object {
		ro := framework.NewRollout(ns, "foreign-service", "registry.example/web:1", 2, framework.SetWeight(50))
		ro.Spec.Strategy.Canary.StableService = "default/kubernetes"
		ro.Spec.Strategy.Canary.CanaryService = "web-canary"
		return ro
	}, []string{"spec.strategy.canary.stableService", "default/kubernetes"}},
	{"an HTTPRoute in another namespace", func(ns string) client.Object {
		ro := framework.NewRollout(ns, "foreign-route", "registry.example/web:1", 2, framework.SetWeight(50))
		ro.Spec.Strategy.Canary.StableService, ro.Spec.Strategy.Canary.CanaryService = "web-stable", "web-canary"
		ro.Spec.Strategy.Canary.TrafficRouting = &rampv1alpha1.RolloutTrafficRouting{
			GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "gateways/shared"}}},
		}
		return ro
	}, []string{"spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes[0].name", "gateways/shared"}},
	{"a negative weight", func(ns string) client.Object {
		return framework.NewRollout(ns, "weight-minus-5", "registry.example/web:1", 2, framework.SetWeight(-5))
	}, []string{"spec.strategy.canary.steps[0].setWeight", "-5", "greater than or equal to 0"}},
}

var stalls = []stalled{
	{"a selector that takes another Rollout's pods", func(ns string) *rampv1alpha1.Rollout {
		// The same labels as the Rollout beside it.
		ro := framework.NewRollout(ns, "copycat", "registry.example/copycat:1", 2)
		ro.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": bystander}}
		ro.Spec.Template.Labels = map[string]string{"app": bystander}
		return ro
	}, []string{"spec.selector overlaps Rollout", bystander}},
	{"a label value in unicode", func(ns string) *rampv1alpha1.Rollout {
		ro := framework.NewRollout(ns, "unicode-label", "registry.example/web:1", 2)
		ro.Spec.Template.Labels["tier"] = "frönt"
		return ro
	}, []string{"spec.template", "frönt"}},
}

// bystander is the Rollout updated beside the hostile ones.
const bystander = "bystander"

// TestHostileManifests refuses or stalls every hostile manifest with a
// message that names the field, while the Rollout beside them goes through
// an update to the end.
func TestHostileManifests(t *testing.T) {
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	by := framework.NewCanaryWithServices(t, k8s, ns, bystander, "registry.example/bystander:1", 2,
		framework.SetWeight(50), framework.PauseFor(2*time.Second))
	framework.Create(t, k8s, by)
	byKey := client.ObjectKeyFromObject(by)
	framework.WaitRollout(t, k8s, byKey, waitTimeout, "the bystander to be Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS != ""
	})
	framework.SetImage(t, k8s, by, "registry.example/bystander:2")

	for _, tc := range rejections {
		ctx, cancel := framework.APIContext()
		err := k8s.Create(ctx, tc.obj(ns))
		cancel()
		if err == nil {
			t.Errorf("%s: the API server took it", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: the refusal does not say %q: %v", tc.name, w, err)
			}
		}
	}

	var keys []client.ObjectKey
	for _, tc := range stalls {
		ro := tc.setup(ns)
		ctx, cancel := framework.APIContext()
		err := k8s.Create(ctx, ro)
		cancel()
		if err != nil {
			// Refused at admission: as good, if the refusal says why.
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: refused at admission without saying %q: %v", tc.name, w, err)
				}
			}
			keys = append(keys, client.ObjectKey{})
			continue
		}
		keys = append(keys, client.ObjectKeyFromObject(ro))
	}
	for i, tc := range stalls {
		if keys[i].Name == "" {
			continue
		}
		got := framework.WaitRollout(t, k8s, keys[i], waitTimeout, tc.name+" to stall", func(r *rampv1alpha1.Rollout) bool {
			return stalledCondition(r) != nil
		})
		c := stalledCondition(got)
		for _, w := range tc.want {
			if !strings.Contains(c.Message, w) {
				t.Errorf("%s: the Stalled message does not say %q: %s", tc.name, w, c.Message)
			}
		}
		t.Logf("%s: Stalled, %s: %s", tc.name, c.Reason, c.Message)
	}

	done := framework.WaitRollout(t, k8s, byKey, waitTimeout, "the bystander's update to finish beside them", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS == r.Status.CurrentPodHash &&
			r.Spec.Template.Spec.Containers[0].Image == "registry.example/bystander:2" && r.Status.ObservedGeneration == r.Generation
	})
	if c := stalledCondition(done); c != nil {
		t.Errorf("the bystander stalled: %s", c.Message)
	}
	if n := ptr.Deref(done.Status.CollisionCount, 0); n != 0 {
		t.Errorf("the bystander counted %d hash collisions", n)
	}
}

// stalledCondition returns the Rollout's Stalled condition when it is
// true.
func stalledCondition(r *rampv1alpha1.Rollout) *metav1.Condition {
	for i := range r.Status.Conditions {
		c := &r.Status.Conditions[i]
		if c.Type == rampv1alpha1.ConditionStalled && c.Status == metav1.ConditionTrue {
			return c
		}
	}
	return nil
}
