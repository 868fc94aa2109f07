package convert

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// update rewrites the golden files: go test ./internal/cli/convert -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestFile converts the manifests in testdata and compares the result with
// the golden files, and the warnings with the ones a user should see.
func TestFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		diags  []string
		failed bool
	}{{
		name: "canary",
		diags: []string{
			`canary.yaml:22: metadata.annotations["notifications.argoproj.io/subscribe.on-rollout-aborted.slack"]: warning: Ramp sends no notifications; dropped (follow the Rollout's Events and conditions instead)`,
			`canary.yaml:61: spec.strategy.canary.scaleDownDelayRevisionLimit: warning: Ramp scales every older ReplicaSet down once scaleDownDelaySeconds pass; dropped`,
			`canary.yaml:68: spec.strategy.canary.antiAffinity: warning: Ramp adds no anti-affinity between versions; dropped (write podAntiAffinity in spec.template.spec.affinity if you need it)`,
			`canary.yaml:92: spec.strategy.canary.steps[2].experiment: warning: Ramp runs no experiments; step dropped (to compare the canary with fresh pods of the stable version, set strategy.canary.baseline and use a judge metric)`,
			`canary.yaml:108: spec.strategy.canary.steps[5].analysis.analysisRunMetadata: warning: Ramp labels AnalysisRuns with ramp.dev/rollout and ramp.dev/pod-template-hash only; dropped`,
		},
	}, {
		name: "bluegreen",
		diags: []string{
			`bluegreen.yaml:24: spec.strategy.blueGreen.autoPromotionSeconds: warning: Argo Rollouts ignores it when autoPromotionEnabled is false, and Ramp refuses the pair; dropped`,
			`bluegreen.yaml:28: spec.strategy.blueGreen.maxUnavailable: warning: Ramp's blueGreen strategy has no maxUnavailable; dropped`,
			`bluegreen.yaml:29: spec.strategy.blueGreen.antiAffinity: warning: Ramp adds no anti-affinity between versions; dropped (write podAntiAffinity in spec.template.spec.affinity if you need it)`,
		},
	}, {
		name: "istio-host",
		diags: []string{
			`istio-host.yaml:22: spec.strategy.canary.trafficRouting.maxTrafficWeight: warning: Ramp's weights are percentages; dropped, and every setWeight is rescaled from a maximum of 1000 to 100`,
			`istio-host.yaml:37: spec.strategy.canary.trafficRouting.nginx: warning: Ramp has no NGINX Ingress router; dropped (Ramp moves traffic through Gateway API routes or Istio VirtualServices)`,
			`istio-host.yaml:48: spec.strategy.canary.steps[1].setCanaryScale.weight: warning: Argo Rollouts uses replicas when both are set; weight dropped`,
			`istio-host.yaml:58: spec.strategy.canary.steps[4].setWeight: warning: 333 of 1000 is not a whole percentage; rounded to 33`,
		},
	}, {
		name: "istio-subset",
	}, {
		name: "gateway-api",
		diags: []string{
			`gateway-api.yaml:65: spec.strategy.canary.trafficRouting.plugins["argoproj-labs/gatewayAPI"].namespace: warning: Ramp reads the routes in the Rollout's namespace (shop); dropped (create the Rollout in platform-gateways, or move the routes)`,
			`gateway-api.yaml:72: spec.strategy.canary.trafficRouting.plugins["argoproj-labs/gatewayAPI"].tcpRoute: warning: Ramp's Gateway API router moves the weights of HTTPRoutes and GRPCRoutes only; dropped`,
			`gateway-api.yaml:73: spec.strategy.canary.trafficRouting.plugins["argoproj-labs/gatewayAPI"].inProgressLabelKey: warning: Ramp does not label routes during an update; dropped`,
			`gateway-api.yaml:74: spec.strategy.canary.trafficRouting.plugins["example.com/metrics-tagger"]: warning: Ramp has no traffic router plugins; dropped (Ramp moves traffic through Gateway API routes or Istio VirtualServices)`,
		},
	}, {
		name: "analysis-templates",
		diags: []string{
			`analysis-templates.yaml:27: spec.metrics[0].count: warning: Ramp needs a number here; used "5", the template's value of argument samples`,
			`analysis-templates.yaml:31: spec.metrics[0].successCondition: warning: Ramp does not replace arguments in conditions; used "0.02", the template's value of argument threshold`,
			`analysis-templates.yaml:32: spec.metrics[0].failureCondition: warning: Ramp does not replace arguments in conditions; used "0.02", the template's value of argument threshold`,
			`analysis-templates.yaml:55: spec.metrics[1].provider.prometheus.rangeQuery: warning: Ramp runs instant queries; dropped (aggregate over a range in the query instead, such as avg_over_time(...[5m]))`,
			`analysis-templates.yaml:73: spec.metrics[0].successCondition: warning: Ramp compares values as measured and has no asFloat; dropped it (the condition fails on a value that is text, not a number)`,
			`analysis-templates.yaml:78: spec.metrics[0].provider.web.timeoutSeconds: warning: Ramp waits at most 600 seconds for an answer; lowered from 900 to 600`,
			`analysis-templates.yaml:112: spec.dryRun[0]: warning: names metric "datadog-errors", which is not converted; dropped`,
			`analysis-templates.yaml:115: spec.measurementRetention[0]: warning: names metric "datadog-errors", which is not converted; dropped`,
			`analysis-templates.yaml:122: spec.metrics[0].provider.datadog: warning: Ramp has no Datadog provider; metric dropped (Ramp measures with prometheus, job, web or judge)`,
			`analysis-templates.yaml:127: spec.metrics[1].consecutiveSuccessLimit: warning: Ramp has no consecutiveSuccessLimit; dropped (a metric succeeds when its measurements stay within failureLimit)`,
			`analysis-templates.yaml:133: spec.metrics[1].provider.prometheus.authentication.sigv4: warning: Ramp cannot sign requests with AWS SigV4; dropped (Ramp sends a bearer token or basic authentication from a Secret: set authentication.bearerToken or authentication.basic)`,
		},
	}, {
		name: "unsupported",
		diags: []string{
			`unsupported.yaml:22: spec.strategy.canary.pingPong: warning: Ramp switches the selectors of canaryService and stableService and has no ping-pong Services; dropped`,
			`unsupported.yaml:25: spec.strategy.canary.trafficRouting: warning: no traffic router that Ramp supports is left, so trafficRouting is dropped: the canary's share of traffic follows its share of pods`,
			`unsupported.yaml:26: spec.strategy.canary.trafficRouting.nginx: warning: Ramp has no NGINX Ingress router; dropped (Ramp moves traffic through Gateway API routes or Istio VirtualServices)`,
			`unsupported.yaml:31: spec.strategy.canary.steps[0].setCanaryScale: warning: Argo Rollouts ignores setCanaryScale without trafficRouting and Ramp refuses it; step dropped`,
			`unsupported.yaml:33: spec.strategy.canary.steps[1].setHeaderRoute: warning: needs trafficRouting, and the Rollout has none that Ramp supports; step dropped`,
			`unsupported.yaml:40: spec.strategy.canary.steps[3]: warning: an empty step does nothing; dropped`,
			`unsupported.yaml:41: spec.strategy.canary.steps[4].plugin: warning: Ramp has no step plugins; step dropped`,
			`unsupported.yaml:52: warning: Ramp's controller creates its own AnalysisRuns from templates; this Argo Rollouts AnalysisRun is kept as written`,
		},
	}, {
		name: "list",
		diags: []string{
			"list.yaml:9: items[0].metadata: warning: dropped creationTimestamp, generation, resourceVersion, uid, the annotation kubectl.kubernetes.io/last-applied-configuration: the API server wrote them for the Argo object",
			`list.yaml:13: items[0].metadata.annotations["rollout.argoproj.io/revision"]: warning: Argo Rollouts' own annotation means nothing to Ramp; dropped`,
		},
	}, {
		name:   "errors",
		failed: true,
		diags: []string{
			`errors.yaml:15: spec.workloadRef.kind: error: Ramp takes the pod template from a Deployment (apps/v1) only, not apps/v1 StatefulSet; copy the pod template into spec.template`,
			`errors.yaml:27: spec.metrics[0].successCondition: error: cannot rewrite "len(filter(result, {# > 1})) == 0" for Ramp: there is no function filter (Ramp's conditions offer &&, ||, !, comparisons, =~, result[0], result.field and the functions len, isNaN, isInf, default, all, any, min, max, sum and avg)`,
			`errors.yaml:33: spec.metrics[1].count: error: Ramp needs a number here, and argument count has no value in the template to use; write the number`,
			`errors.yaml:37: spec.metrics[1].provider.prometheus.address: error: Ramp needs an address that starts with http:// or https://, not "prometheus:9090"`,
			`errors.yaml:44: spec.strategy: error: Ramp needs a strategy: set canary or blueGreen`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.name + ".yaml"
			in, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			res := File(file, in)
			var diags []string
			for _, d := range res.Diagnostics {
				diags = append(diags, d.String())
			}
			if got, want := strings.Join(diags, "\n"), strings.Join(tc.diags, "\n"); got != want {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
			}
			if res.Failed() != tc.failed {
				t.Errorf("Failed() = %v, want %v", res.Failed(), tc.failed)
			}
			golden := filepath.Join("testdata", tc.name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, res.Output, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(res.Output, want) {
				t.Errorf("output differs from %s (run go test -update to rewrite it):\n%s", golden, res.Output)
			}
			checkOutput(t, in, res)
		})
	}
}

// checkOutput checks what a user relies on in a converted stream: the
// documents are in their order, each converted one decodes strictly into
// Ramp's Go types and passes Ramp's CRD schema and CEL rules, and every
// other document is exactly as written.
func checkOutput(t *testing.T, in []byte, res Result) {
	t.Helper()
	inDocs, outDocs := splitDocuments(in), splitDocuments(res.Output)
	if len(inDocs) != len(outDocs) {
		t.Fatalf("%d documents in, %d out", len(inDocs), len(outDocs))
	}
	converted := 0
	for i := range inDocs {
		if !isArgo(inDocs[i].body) || res.Failed() {
			if !bytes.Equal(inDocs[i].body, outDocs[i].body) || !bytes.Equal(inDocs[i].separator, outDocs[i].separator) {
				t.Errorf("document %d was changed:\n%s\nwant it as written:\n%s", i, outDocs[i].body, inDocs[i].body)
			}
			continue
		}
		converted++
		checkRampObject(t, outDocs[i].body)
	}
	if converted != res.Converted {
		t.Errorf("Converted = %d, want %d", res.Converted, converted)
	}
}

// isArgo reports whether a document is a kind convert rewrites, or a List
// that holds one.
func isArgo(doc []byte) bool {
	var head struct {
		APIVersion, Kind string
		Items            []struct{ APIVersion, Kind string }
	}
	if err := sigsyaml.Unmarshal(doc, &head); err != nil {
		return false
	}
	if head.APIVersion == "v1" && head.Kind == "List" {
		return slices.ContainsFunc(head.Items, func(i struct{ APIVersion, Kind string }) bool { return convertible(i.APIVersion, i.Kind) })
	}
	return convertible(head.APIVersion, head.Kind)
}

// checkRampObject decodes a converted document strictly into its Ramp
// type and validates it against Ramp's CRD; for a List, every item that
// is not a Ramp object must be a kind convert keeps.
func checkRampObject(t *testing.T, doc []byte) {
	t.Helper()
	var head struct {
		APIVersion, Kind string
		Items            []any
	}
	if err := sigsyaml.Unmarshal(doc, &head); err != nil {
		t.Fatalf("read a converted document: %v", err)
	}
	if head.APIVersion == "v1" && head.Kind == "List" {
		for _, item := range head.Items {
			data, err := sigsyaml.Marshal(item)
			if err != nil {
				t.Fatal(err)
			}
			if isArgo(data) {
				t.Errorf("a List item was not converted:\n%s", data)
			} else if strings.Contains(string(data), "apiVersion: ramp.dev/") {
				checkRampObject(t, data)
			}
		}
		return
	}
	if head.APIVersion != "ramp.dev/v1alpha1" {
		t.Errorf("converted %s has apiVersion %q", head.Kind, head.APIVersion)
	}
	var into any
	switch head.Kind {
	case "Rollout":
		into = &rampv1alpha1.Rollout{}
	case "AnalysisTemplate":
		into = &rampv1alpha1.AnalysisTemplate{}
	case "ClusterAnalysisTemplate":
		into = &rampv1alpha1.ClusterAnalysisTemplate{}
	default:
		t.Fatalf("converted document has kind %q", head.Kind)
	}
	if err := sigsyaml.UnmarshalStrict(doc, into); err != nil {
		t.Errorf("%s does not decode strictly into Ramp's type: %v\n%s", head.Kind, err, doc)
	}
	var generic map[string]any
	if err := sigsyaml.Unmarshal(doc, &generic); err != nil {
		t.Fatal(err)
	}
	if _, ok := generic["status"]; ok {
		t.Errorf("converted %s has a status", head.Kind)
	}
	if problems := validateAgainstCRD(t, head.Kind, doc); len(problems) > 0 {
		t.Errorf("%s fails Ramp's CRD validation:\n%s\n%s", head.Kind, strings.Join(problems, "\n"), doc)
	}
}
