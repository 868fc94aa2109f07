package istio

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/yaml"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

const ns = "shop"

// webVS is a VirtualService full of fields the router does not use: only
// the weights of the stable and canary destinations of "primary" (and of
// tls route 0 and tcp route 0 when selected) are Ramp's.
const webVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: shop
  labels: {team: payments}
  annotations: {note: keep me}
spec:
  hosts: [web.example.com, web]
  gateways: [mesh, shop/public]
  exportTo: ["."]
  http:
  - name: admin
    match: [{uri: {prefix: /admin}, headers: {x-admin: {exact: "yes"}}}]
    rewrite: {uri: /}
    route:
    - destination: {host: admin}
  - name: primary
    match: [{uri: {prefix: /}, ignoreUriCase: true}]
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,reset"}
    timeout: 10s
    corsPolicy:
      allowOrigins: [{exact: "https://example.com"}]
      allowMethods: [GET, POST]
      maxAge: 24h
    fault: {delay: {percentage: {value: 0.1}, fixedDelay: 5s}}
    headers: {request: {set: {x-team: payments}}}
    route:
    - destination: {host: web-stable, port: {number: 8080}}
      weight: 100
      headers: {response: {add: {x-version: stable}}}
    - destination: {host: web-canary.shop.svc.cluster.local, port: {number: 8080}}
    - destination: {host: web-archive}
      weight: 0
  - name: legacy
    match: [{uri: {prefix: /v1}}]
    route:
    - destination: {host: web-stable}
      weight: 70
    - destination: {host: web-canary}
      weight: 30
  tls:
  - match: [{port: 443, sniHosts: [web.example.com]}]
    route:
    - destination: {host: web-stable.shop, port: {number: 8443}}
      weight: 100
    - destination: {host: web-canary.shop.svc, port: {number: 8443}}
      weight: 0
  tcp:
  - match: [{port: 5432}]
    route:
    - destination: {host: web-stable, port: {number: 5432}}
      weight: 100
    - destination: {host: web-canary, port: {number: 5432}}
  - match: [{port: 6379}]
    route:
    - destination: {host: cache}
`

// subsetVS splits by subset.
const subsetVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: shop
spec:
  hosts: [web]
  http:
  - name: primary
    timeout: 3s
    route:
    - destination: {host: web, subset: stable, port: {number: 80}}
      weight: 100
    - destination: {host: web, subset: canary}
      weight: 0
`

// webDR is the DestinationRule of subsetVS, with other labels, a traffic
// policy and an unrelated subset.
const webDR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: web
  namespace: shop
  annotations: {note: keep me}
spec:
  host: web
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
  subsets:
  - name: legacy
    labels: {version: v1}
  - name: stable
    labels: {app: web, tier: front}
    trafficPolicy: {connectionPool: {tcp: {maxConnections: 10}}}
  - name: canary
`

// secondVS is a plain second VirtualService with one http route.
const secondVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: internal
  namespace: shop
spec:
  hosts: [web.internal]
  http:
  - route:
    - destination: {host: web-stable}
      weight: 100
    - destination: {host: web-canary}
`

func parse[T any, PT interface {
	*T
	client.Object
}](t *testing.T, doc string) PT {
	t.Helper()
	obj := PT(new(T))
	if err := yaml.Unmarshal([]byte(doc), obj); err != nil {
		t.Fatalf("parse fixture: %v", err)
	}
	return obj
}

func vsFrom(t *testing.T, doc string) *istionetworkingv1.VirtualService {
	t.Helper()
	return parse[istionetworkingv1.VirtualService](t, doc)
}

func drFrom(t *testing.T, doc string) *istionetworkingv1.DestinationRule {
	t.Helper()
	return parse[istionetworkingv1.DestinationRule](t, doc)
}

// objectsFrom parses fixtures, each a VirtualService or a DestinationRule.
func objectsFrom(t *testing.T, docs []string) []client.Object {
	t.Helper()
	objs := make([]client.Object, 0, len(docs))
	for _, doc := range docs {
		if strings.Contains(doc, "kind: DestinationRule") {
			objs = append(objs, drFrom(t, doc))
		} else {
			objs = append(objs, vsFrom(t, doc))
		}
	}
	return objs
}

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := istionetworkingv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// env is a router on a fake client that counts and records patches.
type env struct {
	client  client.WithWatch
	router  trafficrouting.Router
	mu      sync.Mutex
	patches []string
	// beforePatch, when set, runs before each patch reaches the fake.
	beforePatch func(ctx context.Context, c client.WithWatch, obj client.Object)
}

func (e *env) patchCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.patches)
}

func hostRouting(vss ...rampv1alpha1.IstioVirtualService) *rampv1alpha1.RolloutTrafficRouting {
	return &rampv1alpha1.RolloutTrafficRouting{
		Istio:         &rampv1alpha1.IstioTrafficRouting{VirtualServices: vss},
		ManagedRoutes: []rampv1alpha1.ManagedRoute{{Name: "header-a"}, {Name: "header-b"}, {Name: "mirror"}},
	}
}

func subsetRouting() *rampv1alpha1.RolloutTrafficRouting {
	r := hostRouting(rampv1alpha1.IstioVirtualService{Name: "web"})
	r.Istio.DestinationRule = &rampv1alpha1.IstioDestinationRule{Name: "web", StableSubsetName: "stable", CanarySubsetName: "canary"}
	return r
}

// primary selects webVS's primary route.
var primary = rampv1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"}}

func newEnv(t *testing.T, routing *rampv1alpha1.RolloutTrafficRouting, funcs interceptor.Funcs, objs ...client.Object) *env {
	t.Helper()
	e := &env{}
	base := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(objs...).Build()
	userPatch := funcs.Patch
	funcs.Patch = func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
		data, err := patch.Data(obj)
		if err != nil {
			return err
		}
		e.mu.Lock()
		e.patches = append(e.patches, string(data))
		e.mu.Unlock()
		if e.beforePatch != nil {
			e.beforePatch(ctx, c, obj)
		}
		if userPatch != nil {
			return userPatch(ctx, c, obj, patch, opts...)
		}
		return c.Patch(ctx, obj, patch, opts...)
	}
	e.client = interceptor.NewClient(base, funcs)
	e.router = New(trafficrouting.Config{
		Client:        e.client,
		Rollout:       &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}},
		Routing:       routing,
		StableService: "web-stable",
		CanaryService: "web-canary",
		StableHash:    "stable111",
		CanaryHash:    "canary222",
	})
	if e.router == nil {
		t.Fatal("New returned nil for an istio trafficRouting")
	}
	return e
}

// withBaseline rebuilds the router for a Rollout with the baseline
// Service web-baseline, running (active, with hash baseline333) or not.
func (e *env) withBaseline(active bool) *env {
	cfg := e.router.(*router).cfg
	cfg.BaselineService, cfg.BaselineActive, cfg.BaselineHash = "web-baseline", active, ""
	if active {
		cfg.BaselineHash = "baseline333"
	}
	e.router = New(cfg)
	return e
}

// checkRouteError fails the test unless call (what changed and err it
// returned) stopped on a RouteError about kind name whose message contains
// each of contains, without writing anything.
func (e *env) checkRouteError(t *testing.T, call string, changed bool, err error, kind, name string, contains []string) {
	t.Helper()
	var re *trafficrouting.RouteError
	if !errors.As(err, &re) {
		t.Fatalf("%s error = %v, want a RouteError", call, err)
	}
	if re.Kind != kind || re.Name != name {
		t.Errorf("RouteError names %s %q, want %s %q", re.Kind, re.Name, kind, name)
	}
	for _, s := range contains {
		if !strings.Contains(re.Message, s) {
			t.Errorf("message %q does not contain %q", re.Message, s)
		}
	}
	if changed || e.patchCount() != 0 {
		t.Errorf("changed = %v with %d patches, want nothing written", changed, e.patchCount())
	}
}

func (e *env) vs(t *testing.T, name string) *istionetworkingv1.VirtualService {
	t.Helper()
	vs := &istionetworkingv1.VirtualService{}
	if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, vs); err != nil {
		t.Fatalf("get VirtualService %s: %v", name, err)
	}
	return vs
}

func (e *env) dr(t *testing.T) *istionetworkingv1.DestinationRule {
	t.Helper()
	dr := &istionetworkingv1.DestinationRule{}
	if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, dr); err != nil {
		t.Fatalf("get DestinationRule web: %v", err)
	}
	return dr
}

// weightsOf maps "host" or "host/subset" to the weight of each destination
// of http route name ("tls0", "tcp0" for the first tls or tcp route).
func weightsOf(t *testing.T, vs *istionetworkingv1.VirtualService, name string) map[string]int32 {
	t.Helper()
	out := map[string]int32{}
	key := func(host, subset string) string {
		if subset != "" {
			return host + "/" + subset
		}
		return host
	}
	switch name {
	case "tls0":
		for _, d := range vs.Spec.GetTls()[0].GetRoute() {
			out[key(d.GetDestination().GetHost(), d.GetDestination().GetSubset())] = d.GetWeight()
		}
		return out
	case "tcp0":
		for _, d := range vs.Spec.GetTcp()[0].GetRoute() {
			out[key(d.GetDestination().GetHost(), d.GetDestination().GetSubset())] = d.GetWeight()
		}
		return out
	}
	for _, r := range vs.Spec.GetHttp() {
		if r.GetName() == name {
			for _, d := range r.GetRoute() {
				out[key(d.GetDestination().GetHost(), d.GetDestination().GetSubset())] = d.GetWeight()
			}
			return out
		}
	}
	t.Fatalf("VirtualService %s has no http route %q", vs.Name, name)
	return nil
}

// toMap turns an object into its JSON form as maps and slices.
func toMap(t *testing.T, obj any) map[string]any {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// isRampDest reports whether a destination (as JSON) is one of the two
// (or, with the baseline, three) whose weights Ramp owns.
func isRampDest(d map[string]any) bool {
	dest, _ := d["destination"].(map[string]any)
	host, _ := dest["host"].(string)
	subset, _ := dest["subset"].(string)
	if subset == "stable" || subset == "canary" || subset == "baseline" {
		return true
	}
	return hostNames(host, "web-stable", ns) || hostNames(host, "web-canary", ns) || hostNames(host, "web-baseline", ns)
}

// userView is obj as JSON without Ramp's fields: resourceVersion, the
// managed http routes, the weights of the stable and canary destinations
// of the selected routes (http routes by name, "tls0" and "tcp0"), and the
// pod template hash labels of subsets.
func userView(t *testing.T, obj any, selected ...string) string {
	t.Helper()
	m := toMap(t, obj)
	delete(m["metadata"].(map[string]any), "resourceVersion")
	spec, _ := m["spec"].(map[string]any)
	stripWeights := func(route map[string]any) {
		dests, _ := route["route"].([]any)
		for _, d := range dests {
			if dm := d.(map[string]any); isRampDest(dm) {
				delete(dm, "weight")
			}
		}
	}
	if http, ok := spec["http"].([]any); ok {
		var kept []any
		for _, r := range http {
			rm := r.(map[string]any)
			name, _ := rm["name"].(string)
			if strings.HasPrefix(name, "ramp-") {
				continue
			}
			for _, s := range selected {
				if s == name {
					stripWeights(rm)
				}
			}
			kept = append(kept, rm)
		}
		spec["http"] = kept
	}
	for _, s := range selected {
		for _, kind := range []string{"tls", "tcp"} {
			if s == kind+"0" {
				stripWeights(spec[kind].([]any)[0].(map[string]any))
			}
		}
	}
	if subsets, ok := spec["subsets"].([]any); ok {
		for _, s := range subsets {
			if labels, ok := s.(map[string]any)["labels"].(map[string]any); ok {
				delete(labels, rampv1alpha1.LabelPodTemplateHash)
				if len(labels) == 0 {
					delete(s.(map[string]any), "labels")
				}
			}
		}
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var av, bv any
	if err := json.Unmarshal([]byte(a), &av); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &bv); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(av, bv)
}

func ptrTo[T any](v T) *T { return &v }
