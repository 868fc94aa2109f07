package api

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/test/e2e/framework"
)

// podSpec is a valid selector and pod template, spliced into Rollouts with
// {{pod}}.
const podSpec = `  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels: {app: demo}
    spec:
      containers: [{name: app, image: "nginx:1.27"}]`

// invalidCase is a manifest the API server must reject, with the field path
// and the words the rejection must carry.
type invalidCase struct {
	name      string
	manifest  string
	wantField string
	wantMsg   string
}

func rollout(spec string) string {
	return "apiVersion: ramp.dev/v1alpha1\nkind: Rollout\nmetadata: {name: bad}\nspec:\n" +
		strings.ReplaceAll(spec, "{{pod}}", podSpec)
}

func analysisTemplate(kind, spec string) string {
	return "apiVersion: ramp.dev/v1alpha1\nkind: " + kind + "\nmetadata: {name: bad}\nspec:\n" + spec
}

const promMetric = `provider: {prometheus: {address: "http://prometheus:9090", query: "up"}}`

var invalidManifests = []invalidCase{
	// Rollout: strategy.
	{"no strategy", rollout("{{pod}}\n  strategy: {}"),
		"spec.strategy", "set canary or blueGreen, or name a profile in profileRef"},
	{"canary and blueGreen", rollout("{{pod}}\n  strategy: {canary: {}, blueGreen: {activeService: a}}"),
		"spec.strategy", "set only one of canary or blueGreen"},
	{"trafficRouting under blueGreen", rollout("{{pod}}\n  strategy: {blueGreen: {activeService: a, trafficRouting: {}}}"),
		`spec.strategy.blueGreen.trafficRouting`, "unknown field"},
	{"profileRef kind", rollout("{{pod}}\n  strategy: {profileRef: {kind: Deployment, name: p}}"),
		"spec.strategy.profileRef.kind", "Unsupported value"},
	// Rollout: steps.
	{"step with two actions", rollout("{{pod}}\n  strategy: {canary: {steps: [{setWeight: 10, pause: {}}]}}"),
		"spec.strategy.canary.steps[0]", "a step sets exactly one of setWeight, pause, analysis"},
	{"step with no action", rollout("{{pod}}\n  strategy: {canary: {steps: [{setWeight: 10}, {}]}}"),
		"spec.strategy.canary.steps[1]", "a step sets exactly one of"},
	{"setWeight above 100", rollout("{{pod}}\n  strategy: {canary: {steps: [{setWeight: 101}]}}"),
		"spec.strategy.canary.steps[0].setWeight", "less than or equal to 100"},
	{"setWeight negative", rollout("{{pod}}\n  strategy: {canary: {steps: [{setWeight: -5}]}}"),
		"spec.strategy.canary.steps[0].setWeight", "greater than or equal to 0"},
	{"setCanaryScale two modes", rollout("{{pod}}\n  strategy: {canary: {steps: [{setCanaryScale: {replicas: 2, weight: 20}}]}}"),
		"spec.strategy.canary.steps[0].setCanaryScale", "exactly one of replicas, weight or matchTrafficWeight"},
	{"setCanaryScale no mode", rollout("{{pod}}\n  strategy: {canary: {steps: [{setCanaryScale: {}}]}}"),
		"spec.strategy.canary.steps[0].setCanaryScale", "exactly one of replicas, weight or matchTrafficWeight"},
	{"setCanaryScale weight above 100", rollout("{{pod}}\n  strategy: {canary: {steps: [{setCanaryScale: {weight: 150}}]}}"),
		"spec.strategy.canary.steps[0].setCanaryScale.weight", "less than or equal to 100"},
	{"pause duration unparsable", rollout("{{pod}}\n  strategy: {canary: {steps: [{pause: {duration: 5x}}]}}"),
		"spec.strategy.canary.steps[0].pause.duration", "must be a number of seconds or a duration such as 30s"},
	{"pause duration negative", rollout("{{pod}}\n  strategy: {canary: {steps: [{pause: {duration: -1}}]}}"),
		"spec.strategy.canary.steps[0].pause.duration", "must be a number of seconds or a duration"},
	{"analysis step without templates", rollout("{{pod}}\n  strategy: {canary: {steps: [{analysis: {}}]}}"),
		"spec.strategy.canary.steps[0].analysis.templates", "Required value"},
	{"analysis arg with value and valueFrom", rollout("{{pod}}\n  strategy: {canary: {steps: [{analysis: {templates: [{templateName: t}], args: [{name: a, value: x, valueFrom: {podTemplateHashValue: Stable}}]}}]}}"),
		"spec.strategy.canary.steps[0].analysis.args[0]", "set exactly one of value or valueFrom"},
	{"analysis arg podTemplateHashValue", rollout("{{pod}}\n  strategy: {canary: {steps: [{analysis: {templates: [{templateName: t}], args: [{name: a, valueFrom: {podTemplateHashValue: Canary}}]}}]}}"),
		"spec.strategy.canary.steps[0].analysis.args[0].valueFrom.podTemplateHashValue", "Unsupported value"},
	// Rollout: surge and services.
	{"maxSurge not a percentage", rollout("{{pod}}\n  strategy: {canary: {maxSurge: abc}}"),
		"spec.strategy.canary.maxSurge", "must be a non-negative count or a percentage such as 25%"},
	{"maxSurge and maxUnavailable zero", rollout("{{pod}}\n  strategy: {canary: {maxSurge: 0, maxUnavailable: '0%'}}"),
		"spec.strategy.canary.maxUnavailable", "maxSurge and maxUnavailable cannot both be 0"},
	{"same canary and stable Service", rollout("{{pod}}\n  strategy: {canary: {canaryService: web, stableService: web}}"),
		"spec.strategy.canary.stableService", "canaryService and stableService must name different Services"},
	{"scaleDownDelaySeconds negative", rollout("{{pod}}\n  strategy: {canary: {scaleDownDelaySeconds: -1}}"),
		"spec.strategy.canary.scaleDownDelaySeconds", "greater than or equal to 0"},
	// Rollout: traffic routing.
	{"trafficRouting without Services", rollout("{{pod}}\n  strategy: {canary: {trafficRouting: {gatewayAPI: {httpRoutes: [{name: r}]}}}}"),
		"spec.strategy.canary.trafficRouting", "needs both canaryService and stableService"},
	{"trafficRouting without router", rollout("{{pod}}\n  strategy: {canary: {canaryService: c, stableService: s, trafficRouting: {managedRoutes: [{name: h}]}}}"),
		"spec.strategy.canary.trafficRouting", "needs a router: set gatewayAPI or istio"},
	{"gatewayAPI without routes", rollout("{{pod}}\n  strategy: {canary: {canaryService: c, stableService: s, trafficRouting: {gatewayAPI: {httpRoutes: []}}}}"),
		"spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes", "should have at least 1 items"},
	{"duplicate managed route", rollout("{{pod}}\n  strategy: {canary: {canaryService: c, stableService: s, trafficRouting: {istio: {virtualServices: [{name: vs}]}, managedRoutes: [{name: h}, {name: h}]}}}"),
		"spec.strategy.canary.trafficRouting.managedRoutes[1]", "Duplicate value"},
	{"managed route name", rollout("{{pod}}\n  strategy: {canary: {canaryService: c, stableService: s, trafficRouting: {istio: {virtualServices: [{name: vs}]}, managedRoutes: [{name: Bad_Name}]}}}"),
		"spec.strategy.canary.trafficRouting.managedRoutes[0].name", "should match"},
	{"header route not declared", rollout("{{pod}}\n  strategy: {canary: {canaryService: c, stableService: s, trafficRouting: {gatewayAPI: {httpRoutes: [{name: r}]}}, steps: [{setHeaderRoute: {name: h, match: [{headerName: x-canary, headerValue: {exact: 'yes'}}]}}]}}"),
		"spec.strategy.canary.steps", "setHeaderRoute.name must be declared in spec.strategy.canary.trafficRouting.managedRoutes"},
	{"mirror route not declared", rollout("{{pod}}\n  strategy: {canary: {canaryService: c, stableService: s, trafficRouting: {gatewayAPI: {httpRoutes: [{name: r}]}, managedRoutes: [{name: h}]}, steps: [{setMirrorRoute: {name: m, percentage: 10}}]}}"),
		"spec.strategy.canary.steps", "setMirrorRoute.name must be declared in spec.strategy.canary.trafficRouting.managedRoutes"},
	{"mirror percentage above 100", rollout("{{pod}}\n  strategy: {canary: {steps: [{setMirrorRoute: {name: m, percentage: 150}}]}}"),
		"spec.strategy.canary.steps[0].setMirrorRoute.percentage", "less than or equal to 100"},
	{"header match with two kinds", rollout("{{pod}}\n  strategy: {canary: {steps: [{setHeaderRoute: {name: h, match: [{headerName: x, headerValue: {exact: a, prefix: b}}]}}]}}"),
		"spec.strategy.canary.steps[0].setHeaderRoute.match[0].headerValue", "set exactly one of exact, prefix or regex"},
	// Rollout: blue-green.
	{"blueGreen without activeService", rollout("{{pod}}\n  strategy: {blueGreen: {previewService: p}}"),
		"spec.strategy.blueGreen", "spec.strategy.blueGreen.activeService is required"},
	{"same active and preview Service", rollout("{{pod}}\n  strategy: {blueGreen: {activeService: a, previewService: a}}"),
		"spec.strategy.blueGreen.previewService", "activeService and previewService must name different Services"},
	{"autoPromotionSeconds without auto-promotion", rollout("{{pod}}\n  strategy: {blueGreen: {activeService: a, autoPromotionEnabled: false, autoPromotionSeconds: 30}}"),
		"spec.strategy.blueGreen.autoPromotionSeconds", "has no effect when autoPromotionEnabled is false"},
	{"previewReplicaCount negative", rollout("{{pod}}\n  strategy: {blueGreen: {activeService: a, previewReplicaCount: -1}}"),
		"spec.strategy.blueGreen.previewReplicaCount", "greater than or equal to 0"},
	// Rollout: pods and selector.
	{"selector does not match labels", rollout("  selector: {matchLabels: {app: other}}\n  template: {metadata: {labels: {app: demo}}, spec: {containers: [{name: app, image: nginx}]}}\n  strategy: {canary: {}}"),
		"spec.selector", "spec.selector.matchLabels must match spec.template.metadata.labels"},
	{"selector expression does not match labels", rollout("  selector: {matchExpressions: [{key: tier, operator: In, values: [web]}]}\n  template: {metadata: {labels: {app: demo, tier: db}}, spec: {containers: [{name: app, image: nginx}]}}\n  strategy: {canary: {}}"),
		"spec.selector", "spec.selector.matchExpressions must match spec.template.metadata.labels"},
	{"empty selector", rollout("  selector: {}\n  template: {metadata: {labels: {app: demo}}, spec: {containers: [{name: app, image: nginx}]}}\n  strategy: {canary: {}}"),
		"spec.selector", "spec.selector must not be empty"},
	{"template without selector", rollout("  template: {metadata: {labels: {app: demo}}, spec: {containers: [{name: app, image: nginx}]}}\n  strategy: {canary: {}}"),
		"spec.selector", "spec.selector is required when spec.template is set"},
	{"neither template nor workloadRef", rollout("  selector: {matchLabels: {app: demo}}\n  strategy: {canary: {}}"),
		"spec", "set exactly one of spec.template or spec.workloadRef"},
	{"template and workloadRef", rollout("{{pod}}\n  workloadRef: {kind: Deployment, name: web}\n  strategy: {canary: {}}"),
		"spec", "set exactly one of spec.template or spec.workloadRef"},
	{"workloadRef kind", rollout("  workloadRef: {kind: StatefulSet, name: web}\n  strategy: {canary: {}}"),
		"spec.workloadRef.kind", "Unsupported value"},
	{"template without containers", rollout("  selector: {matchLabels: {app: demo}}\n  template: {metadata: {labels: {app: demo}}, spec: {}}\n  strategy: {canary: {}}"),
		"spec.template.spec.containers", "Required value"},
	{"replicas negative", rollout("  replicas: -1\n{{pod}}\n  strategy: {canary: {}}"),
		"spec.replicas", "greater than or equal to 0"},
	{"progress deadline below minReadySeconds", rollout("  minReadySeconds: 60\n  progressDeadlineSeconds: 30\n{{pod}}\n  strategy: {canary: {}}"),
		"spec.progressDeadlineSeconds", "must be greater than spec.minReadySeconds"},
	{"rollbackWindow negative", rollout("  rollbackWindow: {revisions: -1}\n{{pod}}\n  strategy: {canary: {}}"),
		"spec.rollbackWindow.revisions", "greater than or equal to 0"},

	// AnalysisTemplate and friends.
	{"template without metrics", analysisTemplate("AnalysisTemplate", "  args: [{name: a}]"),
		"spec.metrics", "Required value"},
	{"metric without provider", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, provider: {}}]"),
		"spec.metrics[0].provider", "exactly one of prometheus, job, web or judge"},
	{"metric with two providers", analysisTemplate("AnalysisTemplate", `  metrics: [{name: m, provider: {prometheus: {address: "http://p:9090", query: up}, web: {url: "http://w"}}}]`),
		"spec.metrics[0].provider", "exactly one of prometheus, job, web or judge"},
	{"duplicate metric name", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, "+promMetric+"}, {name: m, "+promMetric+"}]"),
		"spec.metrics[1]", "Duplicate value"},
	{"failureLimit below -1", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, failureLimit: -2, "+promMetric+"}]"),
		"spec.metrics[0].failureLimit", "greater than or equal to -1"},
	{"consecutiveErrorLimit below -1", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, consecutiveErrorLimit: -3, "+promMetric+"}]"),
		"spec.metrics[0].consecutiveErrorLimit", "greater than or equal to -1"},
	{"interval unparsable", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, interval: 5 minutes, "+promMetric+"}]"),
		"spec.metrics[0].interval", "must be a duration such as 30s, 5m or 1h30m"},
	{"count without interval", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, count: 3, "+promMetric+"}]"),
		"spec.metrics[0].count", "a metric with count greater than 1 needs an interval"},
	{"prometheus without query", analysisTemplate("AnalysisTemplate", `  metrics: [{name: m, provider: {prometheus: {address: "http://p:9090"}}}]`),
		"spec.metrics[0].provider.prometheus.query", "Required value"},
	{"web url not http", analysisTemplate("AnalysisTemplate", `  metrics: [{name: m, provider: {web: {url: "ftp://host/x"}}}]`),
		"spec.metrics[0].provider.web.url", "should match"},
	{"dryRun of unknown metric", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, "+promMetric+"}]\n  dryRun: [{metricName: other}]"),
		"spec.dryRun", "dryRun[].metricName must name a metric of spec.metrics"},
	{"measurementRetention above 100", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, "+promMetric+"}]\n  measurementRetention: [{metricName: m, limit: 500}]"),
		"spec.measurementRetention[0].limit", "less than or equal to 100"},
	{"argument value and valueFrom", analysisTemplate("AnalysisTemplate", "  metrics: [{name: m, "+promMetric+"}]\n  args: [{name: a, value: x, valueFrom: {secretKeyRef: {name: s, key: k}}}]"),
		"spec.args[0]", "set at most one of value or valueFrom"},
	{"judge ratio without queries", analysisTemplate("AnalysisTemplate", `  metrics: [{name: m, provider: {judge: {address: "http://p:9090", queries: [{name: errors, kind: Ratio, query: up}]}}}]`),
		"spec.metrics[0].provider.judge.queries[0]", "a Ratio query sets errorQuery and totalQuery"},
	{"judge marginal above pass", analysisTemplate("AnalysisTemplate", `  metrics: [{name: m, provider: {judge: {address: "http://p:9090", passScore: 70, marginalScore: 80, queries: [{name: latency, query: up}]}}}]`),
		"spec.metrics[0].provider.judge.marginalScore", "marginalScore must not be greater than passScore"},
	{"cluster template without metrics", analysisTemplate("ClusterAnalysisTemplate", "  metrics: []"),
		"spec.metrics", "should have at least 1 items"},
	{"analysis run metric without provider", analysisTemplate("AnalysisRun", "  metrics: [{name: m, provider: {}}]"),
		"spec.metrics[0].provider", "exactly one of prometheus, job, web or judge"},

	// Profiles.
	{"profile with Service names", analysisTemplate("RolloutProfile", "  strategy: {canary: {canaryService: c, stableService: s}}"),
		"spec.strategy.canary", "canaryService, stableService and baselineService belong to each Rollout, not to a profile"},
	{"profile with route names", analysisTemplate("RolloutProfile", "  strategy: {canary: {trafficRouting: {gatewayAPI: {httpRoutes: [{name: r}]}}}}"),
		"spec.strategy.canary.trafficRouting", "route names belong to each Rollout"},
	{"profile with no strategy", analysisTemplate("RolloutProfile", "  strategy: {}"),
		"spec.strategy", "set exactly one of canary or blueGreen"},
	{"cluster profile with both strategies", analysisTemplate("ClusterRolloutProfile", "  strategy: {canary: {}, blueGreen: {}}"),
		"spec.strategy", "set exactly one of canary or blueGreen"},
	{"profile blue-green with Service names", analysisTemplate("ClusterRolloutProfile", "  strategy: {blueGreen: {activeService: a}}"),
		"spec.strategy.blueGreen", "activeService and previewService belong to each Rollout"},
}

// TestInvalidManifestsAreRejected applies each bad manifest, as kubectl
// apply does (strict field validation), and checks that the API server
// rejects it with a message that names the offending field.
func TestInvalidManifestsAreRejected(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	for _, tc := range invalidManifests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := framework.DecodeYAML([]byte(tc.manifest))
			if err != nil || len(objs) != 1 {
				t.Fatalf("test manifest does not parse (%v):\n%s", err, tc.manifest)
			}
			obj := objs[0]
			if obj.GetKind() != "ClusterAnalysisTemplate" && obj.GetKind() != "ClusterRolloutProfile" {
				obj.SetNamespace(ns)
			} else {
				obj.SetName("bad-" + strings.ReplaceAll(tc.name, " ", "-"))
			}
			ctx, cancel := framework.APIContext()
			defer cancel()
			err = k8s.Create(ctx, obj, client.FieldValidation("Strict"), client.DryRunAll)
			if err == nil {
				t.Fatalf("the API server accepted a bad %s; want a rejection naming %s:\n%s", obj.GetKind(), tc.wantField, tc.manifest)
			}
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Fatalf("want an Invalid or BadRequest error, got %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantField) || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("rejection does not name the field and the fix\n want field: %s\n want text: %s\n got: %s", tc.wantField, tc.wantMsg, msg)
			}
		})
	}
}

// TestSelectorIsImmutable checks the update rule: a Rollout's selector
// cannot change after creation.
func TestSelectorIsImmutable(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	ctx, cancel := framework.APIContext()
	defer cancel()

	objs, err := framework.DecodeYAML([]byte(rollout("{{pod}}\n  strategy: {canary: {}}")))
	if err != nil {
		t.Fatal(err)
	}
	ro := objs[0]
	ro.SetNamespace(ns)
	ro.SetName("selector-immutable")
	if err := k8s.Create(ctx, ro); err != nil {
		t.Fatalf("create rollout: %v", err)
	}
	patch := []byte(`{"spec":{"selector":{"matchLabels":{"app":"demo","tier":"web"}},"template":{"metadata":{"labels":{"app":"demo","tier":"web"}}}}}`)
	err = k8s.Patch(ctx, ro, client.RawPatch("application/merge-patch+json", patch))
	if err == nil {
		t.Fatal("the API server accepted a change of spec.selector")
	}
	if msg := err.Error(); !strings.Contains(msg, "spec.selector") || !strings.Contains(msg, "spec.selector is immutable") {
		t.Errorf("rejection does not name spec.selector: %s", msg)
	}
}
