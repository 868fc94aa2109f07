package convert

import (
	"strings"
	"testing"
)

// rolloutWith is a Rollout whose spec.strategy is strategy (indented by
// four spaces).
func rolloutWith(strategy string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: app
spec:
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
      - name: app
        image: app:1
  strategy:
` + strategy
}

// TestRules converts small manifests that each exercise one rule, and
// checks the messages a user sees and, when converted, the output.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		diags    []string
		// contains are pieces the converted output must hold.
		contains []string
		failed   bool
	}{{
		name: "matchTrafficWeight wins over replicas",
		in: rolloutWith(`    canary:
      canaryService: c
      stableService: s
      trafficRouting:
        istio:
          virtualService:
            name: vs
      steps:
      - setCanaryScale:
          replicas: 2
          matchTrafficWeight: true
`),
		diags:    []string{"t.yaml:26: spec.strategy.canary.steps[0].setCanaryScale: warning: matchTrafficWeight: true wins over replicas and weight, as in Argo Rollouts; replicas and weight dropped"},
		contains: []string{"- setCanaryScale:\n            matchTrafficWeight: true\n"},
	}, {
		name: "a Gateway API plugin without an HTTPRoute",
		in: rolloutWith(`    canary:
      canaryService: c
      stableService: s
      trafficRouting:
        plugins:
          argoproj-labs/gatewayAPI:
            grpcRoute: api
`),
		diags: []string{
			"t.yaml:21: spec.strategy.canary.trafficRouting: warning: no traffic router that Ramp supports is left, so trafficRouting is dropped: the canary's share of traffic follows its share of pods",
			`t.yaml:23: spec.strategy.canary.trafficRouting.plugins["argoproj-labs/gatewayAPI"]: warning: Ramp's Gateway API router needs at least one HTTPRoute; dropped`,
		},
		contains: []string{"canary:\n      canaryService: c\n      stableService: s\n"},
	}, {
		name: "pause durations",
		in: rolloutWith(`    canary:
      steps:
      - pause: {duration: "90"}
      - pause: {duration: 1h30m}
      - pause: {duration: 1.5h}
      - pause: {duration: 45}
`),
		contains: []string{"duration: \"90\"", "duration: 1h30m", "duration: 1.5h", "duration: 45"},
	}, {
		name: "comments move with their fields",
		in: `# head of the document
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: c # the name
spec:
  workloadRef: {kind: Deployment, name: c}
  strategy:
    canary:
      canaryService: a
      stableService: b
      steps:
      - setWeight: 10 # first
      - experiment: {templates: []}
      # before the pause
      - pause: {}   # wait
      trafficRouting:
        istio:
          virtualService:
            name: vs   # the mesh's
# foot of the document
`,
		diags: []string{"t.yaml:14: spec.strategy.canary.steps[1].experiment: warning: Ramp runs no experiments; step dropped (to compare the canary with fresh pods of the stable version, set strategy.canary.baseline and use a judge metric)"},
		contains: []string{
			"# head of the document\napiVersion: ramp.dev/v1alpha1\n",
			"  name: c # the name\n",
			"        - setWeight: 10 # first\n        # before the pause\n        - pause: {} # wait\n",
			"            - name: vs # the mesh's\n",
			"\n# foot of the document\n",
		},
	}, {
		name: "a pause duration Ramp cannot read",
		in: rolloutWith(`    canary:
      steps:
      - pause: {duration: 2d}
`),
		diags:  []string{`t.yaml:20: spec.strategy.canary.steps[0].pause.duration: error: "2d" is not a duration: write a number of seconds or a duration such as 30s, 5m or 1h`},
		failed: true,
	}, {
		name: "fields of an exported object",
		in: `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: app
  uid: 0b7c3f5e-1111-4d6a-9a51-2f5e0e4c2a10
  resourceVersion: "4242"
  creationTimestamp: "2024-01-01T00:00:00Z"
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
    rollout.argoproj.io/revision: "7"
spec:
  workloadRef:
    kind: Deployment
    name: app
  template: {}
  strategy:
    blueGreen:
      activeService: app
`,
		diags: []string{
			"t.yaml:3: metadata: warning: dropped uid, resourceVersion, creationTimestamp, the annotation kubectl.kubernetes.io/last-applied-configuration: the API server wrote them for the Argo object",
			`t.yaml:10: metadata.annotations["rollout.argoproj.io/revision"]: warning: Argo Rollouts' own annotation means nothing to Ramp; dropped`,
		},
		contains: []string{"metadata:\n  name: app\nspec:\n  workloadRef:\n    kind: Deployment\n    name: app\n  strategy:"},
	}, {
		name: "fields Ramp's types lack",
		in: `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: app
spec:
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
      - name: app
        image: app:1
        imagePullPolicyy: Always
  replicaProgressThreshold: 2
  strategy:
    canary: {}
`,
		diags: []string{
			"t.yaml:17: spec.template.spec.containers[0].imagePullPolicyy: warning: PodTemplateSpec has no such field; dropped",
			"t.yaml:18: spec.replicaProgressThreshold: warning: Ramp has no such field; dropped",
		},
		contains: []string{"strategy:\n    canary: {}\n"},
	}, {
		name: "YAML that is not valid",
		in:   "apiVersion: v1\nkind: ConfigMap\ndata: a: b\n",
		diags: []string{
			"t.yaml:3: warning: not valid YAML, kept as written: mapping values are not allowed in this context",
		},
	}, {
		name:   "an Argo Rollouts document that is not valid YAML",
		in:     "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec: strategy: canary\n",
		diags:  []string{"t.yaml:3: error: cannot read the YAML: mapping values are not allowed in this context"},
		failed: true,
	}, {
		name: "another version of an Argo Rollouts kind",
		in:   "apiVersion: argoproj.io/v1alpha2\nkind: Rollout\nmetadata:\n  name: app\n",
		diags: []string{
			"t.yaml:1: warning: only argoproj.io/v1alpha1 is converted; this argoproj.io/v1alpha2 Rollout is kept as written",
		},
	}, {
		name:   "both strategies",
		in:     rolloutWith("    canary: {}\n    blueGreen:\n      activeService: a\n"),
		diags:  []string{"t.yaml:17: spec.strategy: error: set canary or blueGreen, not both"},
		failed: true,
	}, {
		name: "traffic routing without Services",
		in: rolloutWith(`    canary:
      trafficRouting:
        istio:
          destinationRule: {name: dr, canarySubsetName: canary, stableSubsetName: stable}
          virtualService: {name: vs}
`),
		diags: []string{
			"t.yaml:18: spec.strategy.canary.canaryService: error: Ramp's trafficRouting needs both canaryService and stableService; add a Service that selects the rollout's pods and name it here",
			"t.yaml:18: spec.strategy.canary.stableService: error: Ramp's trafficRouting needs both canaryService and stableService; add a Service that selects the rollout's pods and name it here",
		},
		failed: true,
	}, {
		name: "a header route that is not declared",
		in: rolloutWith(`    canary:
      canaryService: c
      stableService: s
      trafficRouting:
        managedRoutes:
        - name: Beta
        istio:
          virtualService: {name: vs}
      steps:
      - setHeaderRoute:
          name: beta
`),
		diags: []string{
			"t.yaml:23: spec.strategy.canary.trafficRouting.managedRoutes[0].name: error: Ramp names a managed route with lowercase letters, digits and '-' (at most 63), not \"Beta\"; rename it here and in its steps",
			"t.yaml:28: spec.strategy.canary.steps[0].setHeaderRoute.name: error: route \"beta\" is not declared in trafficRouting.managedRoutes; add it there",
		},
		failed: true,
	}, {
		name: "an analysis step without templates",
		in: rolloutWith(`    canary:
      steps:
      - analysis:
          args: [{name: a, value: b}]
`),
		diags:  []string{"t.yaml:20: spec.strategy.canary.steps[0].analysis.templates: error: an analysis needs at least one template"},
		failed: true,
	}, {
		name: "a template whose only metric Ramp cannot measure",
		in: `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: t
spec:
  metrics:
  - name: canary-score
    provider:
      kayenta:
        application: app
`,
		diags: []string{
			"t.yaml:6: spec.metrics: error: no metric is left that Ramp can measure; a template needs at least one",
			"t.yaml:9: spec.metrics[0].provider.kayenta: warning: Ramp has no Kayenta provider; metric dropped (Ramp measures with prometheus, job, web or judge; Ramp's judge provider compares the canary with the stable version over Prometheus)",
		},
		failed: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := File("t.yaml", []byte(tc.in))
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
			for _, piece := range tc.contains {
				if !strings.Contains(string(res.Output), piece) {
					t.Errorf("output does not contain %q:\n%s", piece, res.Output)
				}
			}
			checkOutput(t, []byte(tc.in), res)
		})
	}
}

// TestCRDValidationCatchesMistakes makes sure the CRD check the tests rely
// on rejects what the API server would.
func TestCRDValidationCatchesMistakes(t *testing.T) {
	doc := []byte(`apiVersion: ramp.dev/v1alpha1
kind: Rollout
metadata:
  name: app
spec:
  workloadRef: {kind: Deployment, name: app}
  strategy:
    canary:
      trafficRouting:
        istio:
          virtualServices: [{name: vs}]
      steps:
      - setWeight: 150
`)
	problems := strings.Join(validateAgainstCRD(t, "Rollout", doc), "\n")
	for _, want := range []string{"spec.strategy.canary.steps[0].setWeight", "needs both canaryService and stableService"} {
		if !strings.Contains(problems, want) {
			t.Errorf("validation found:\n%s\nwant a problem naming %q", problems, want)
		}
	}
}
