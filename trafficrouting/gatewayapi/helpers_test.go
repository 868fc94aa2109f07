package gatewayapi

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

const (
	testNS   = "shop"
	stable   = "web-stable"
	canary   = "web-canary"
	baseline = "web-baseline"
)

// webRouteYAML is a user's HTTPRoute with two weighted rules (main, and
// an unnamed /api rule whose weights are unset), a rule that does not
// hold the Services (admin), and fields of every kind Ramp must not touch.
const webRouteYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: shop
  labels: {app: web, team: storefront}
  annotations: {note: owned by the storefront team}
spec:
  parentRefs:
  - {name: public, namespace: gateways, sectionName: https}
  hostnames: [shop.example.com]
  rules:
  - name: admin
    matches:
    - path: {type: PathPrefix, value: /admin}
    backendRefs:
    - {name: admin, port: 8080}
  - name: main
    matches:
    - path: {type: PathPrefix, value: /}
    - path: {type: PathPrefix, value: /shop}
      headers:
      - {name: x-tenant, value: acme}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-via, value: gateway}]
    backendRefs:
    - {name: web-stable, port: 80, weight: 100}
    - {name: web-canary, port: 80, weight: 0}
    timeouts: {request: 10s}
  - matches:
    - path: {type: PathPrefix, value: /api}
    backendRefs:
    - {name: web-stable, kind: Service, port: 8080}
    - {name: web-canary, group: "", namespace: shop, port: 8080}
`

// grpcRouteYAML is a user's GRPCRoute with one weighted rule.
const grpcRouteYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: grpc
  namespace: shop
  labels: {app: web}
spec:
  parentRefs:
  - {name: public, namespace: gateways}
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: {service: shop.Cart}
    backendRefs:
    - {name: web-stable, port: 9090, weight: 100}
    - {name: web-canary, port: 9090, weight: 0}
`

func webRoute(t *testing.T) *gatewayv1.HTTPRoute {
	t.Helper()
	return decode(t, webRouteYAML, &gatewayv1.HTTPRoute{})
}

func grpcRoute(t *testing.T) *gatewayv1.GRPCRoute {
	t.Helper()
	return decode(t, grpcRouteYAML, &gatewayv1.GRPCRoute{})
}

// routing is the Rollout's trafficRouting of the tests: both routes, and
// two managed routes, header before mirror.
func routing() *rampv1alpha1.RolloutTrafficRouting {
	return &rampv1alpha1.RolloutTrafficRouting{
		GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{
			HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "web"}},
			GRPCRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "grpc"}},
		},
		ManagedRoutes: []rampv1alpha1.ManagedRoute{{Name: "header"}, {Name: "mirror"}},
	}
}

// env is a fake API server holding routes, and a router on it whose writes
// are counted.
type env struct {
	t      *testing.T
	base   client.WithWatch
	router trafficrouting.Router

	mu sync.Mutex
	// patches are the JSON patches written, with the route's name and the
	// resourceVersion it had after each.
	patches []writtenPatch
	// beforePatch, when set, runs before each patch reaches the server.
	beforePatch func(ctx context.Context, obj client.Object)
	// getErr, when set, is returned by every Get.
	getErr error
}

type writtenPatch struct {
	route string
	data  []byte
	rv    string
}

func newEnv(t *testing.T, rt *rampv1alpha1.RolloutTrafficRouting, objs ...client.Object) *env {
	t.Helper()
	s := runtime.NewScheme()
	if err := gatewayv1.Install(s); err != nil {
		t.Fatalf("scheme: %v", err)
	}
	e := &env{t: t}
	e.base = fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
	c := interceptor.NewClient(e.base, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if e.getErr != nil {
				return e.getErr
			}
			return c.Get(ctx, key, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if e.beforePatch != nil {
				e.beforePatch(ctx, obj)
			}
			data, err := patch.Data(obj)
			if err != nil {
				return err
			}
			if err := c.Patch(ctx, obj, patch, opts...); err != nil {
				return err
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			e.patches = append(e.patches, writtenPatch{route: obj.GetName(), data: data, rv: obj.GetResourceVersion()})
			return nil
		},
	})
	e.router = New(trafficrouting.Config{
		Client:        c,
		Rollout:       &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: testNS}},
		Routing:       rt,
		StableService: stable,
		CanaryService: canary,
	})
	if e.router == nil {
		t.Fatal("New returned nil for a gatewayAPI trafficRouting")
	}
	return e
}

// withBaseline rebuilds the router for a Rollout with the baseline
// Service, running (active) or not.
func (e *env) withBaseline(active bool) *env {
	cfg := e.router.(*router).cfg
	cfg.BaselineService, cfg.BaselineActive = baseline, active
	e.router = New(cfg)
	return e
}

// baselineYAML adds the baseline Service beside the canary in every
// weighted rule of a route fixture: with weight 0 in the main and gRPC
// rules, unset in the /api rule.
func baselineYAML(doc string) string {
	return strings.NewReplacer(
		"    - {name: web-canary, port: 80, weight: 0}\n",
		"    - {name: web-canary, port: 80, weight: 0}\n    - {name: web-baseline, port: 80, weight: 0}\n",
		"    - {name: web-canary, group: \"\", namespace: shop, port: 8080}\n",
		"    - {name: web-canary, group: \"\", namespace: shop, port: 8080}\n    - {name: web-baseline, port: 8080}\n",
		"    - {name: web-canary, port: 9090, weight: 0}\n",
		"    - {name: web-canary, port: 9090, weight: 0}\n    - {name: web-baseline, port: 9090, weight: 0}\n",
	).Replace(doc)
}

// decode decodes a route fixture into obj.
func decode[T client.Object](t *testing.T, doc string, obj T) T {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
		t.Fatalf("decode %T fixture: %v", obj, err)
	}
	return obj
}

// writes is how many patches have been written so far.
func (e *env) writes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.patches)
}

func (e *env) http(name string) *gatewayv1.HTTPRoute {
	e.t.Helper()
	r := &gatewayv1.HTTPRoute{}
	if err := e.base.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: name}, r); err != nil {
		e.t.Fatalf("get HTTPRoute %s: %v", name, err)
	}
	return r
}

// grpc reads the GRPCRoute "grpc".
func (e *env) grpc() *gatewayv1.GRPCRoute {
	e.t.Helper()
	r := &gatewayv1.GRPCRoute{}
	if err := e.base.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "grpc"}, r); err != nil {
		e.t.Fatalf("get GRPCRoute grpc: %v", err)
	}
	return r
}

// mustChange runs op and fails unless it succeeded with the changed
// report wanted.
func mustChange(t *testing.T, what string, wantChanged bool, op func() (bool, error)) {
	t.Helper()
	changed, err := op()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if changed != wantChanged {
		t.Fatalf("%s: changed = %v, want %v", what, changed, wantChanged)
	}
}

// ruleNames lists the names of a route's rules ("" for unnamed).
func ruleNames(rules any) []string {
	var out []string
	switch v := rules.(type) {
	case []gatewayv1.HTTPRouteRule:
		for _, r := range v {
			out = append(out, string(ptrOr(r.Name)))
		}
	case []gatewayv1.GRPCRouteRule:
		for _, r := range v {
			out = append(out, string(ptrOr(r.Name)))
		}
	}
	return out
}

func ptrOr[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// weights lists "name=weight" for each backendRef of a rule (weight -
// when unset).
func weights(refs []gatewayv1.BackendRef) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		w := "-"
		if r.Weight != nil {
			w = strconv.Itoa(int(*r.Weight))
		}
		out = append(out, fmt.Sprintf("%s=%s", r.Name, w))
	}
	return out
}

func httpRefs(rule gatewayv1.HTTPRouteRule) []gatewayv1.BackendRef {
	out := make([]gatewayv1.BackendRef, 0, len(rule.BackendRefs))
	for _, b := range rule.BackendRefs {
		out = append(out, b.BackendRef)
	}
	return out
}

func grpcRefs(rule gatewayv1.GRPCRouteRule) []gatewayv1.BackendRef {
	out := make([]gatewayv1.BackendRef, 0, len(rule.BackendRefs))
	for _, b := range rule.BackendRefs {
		out = append(out, b.BackendRef)
	}
	return out
}

// userView is an object as JSON less what Ramp owns: the resourceVersion,
// the managed rules, and the weights of the two Services' backendRefs (and
// the baseline Service's) in rules that hold both. Two userViews are equal
// when Ramp left every field of the user's as it was.
func userView(t *testing.T, obj any) string {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	delete(doc["metadata"].(map[string]any), "resourceVersion")
	spec := doc["spec"].(map[string]any)
	rules, _ := spec["rules"].([]any)
	var kept []any
	for _, r := range rules {
		rule := r.(map[string]any)
		if name, _ := rule["name"].(string); strings.HasPrefix(name, "ramp-") {
			continue
		}
		refs, _ := rule["backendRefs"].([]any)
		var both, base []map[string]any
		for _, b := range refs {
			ref := b.(map[string]any)
			switch ref["name"] {
			case stable, canary:
				both = append(both, ref)
			case baseline:
				base = append(base, ref)
			}
		}
		if len(both) == 2 {
			for _, ref := range append(both, base...) {
				delete(ref, "weight")
			}
		}
		kept = append(kept, rule)
	}
	spec["rules"] = kept
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return string(out)
}

// userViews are the userViews of the HTTPRoute web and the GRPCRoute grpc.
type userViews struct {
	web, grpc string
}

func (e *env) userViews() userViews {
	e.t.Helper()
	return userViews{web: userView(e.t, e.http("web")), grpc: userView(e.t, e.grpc())}
}

// checkUserFields fails the test unless Ramp left every field of the
// user's in both routes as it was before.
func (e *env) checkUserFields(before userViews) {
	e.t.Helper()
	after := e.userViews()
	if after.web != before.web {
		e.t.Errorf("user's HTTPRoute fields changed:\nbefore %s\nafter  %s", before.web, after.web)
	}
	if after.grpc != before.grpc {
		e.t.Errorf("user's GRPCRoute fields changed:\nbefore %s\nafter  %s", before.grpc, after.grpc)
	}
}

// applyPatch applies the RFC 6902 operations this package writes (test,
// add, remove and replace on object members and array indexes) to doc,
// the way the API server applies them to the stored JSON.
func applyPatch(doc any, data []byte) (any, error) {
	var ops []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	if err := json.Unmarshal(data, &ops); err != nil {
		return nil, err
	}
	for _, op := range ops {
		tokens := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
		var err error
		if doc, err = applyOp(doc, tokens, op.Op, op.Value); err != nil {
			return nil, fmt.Errorf("%s %s: %w", op.Op, op.Path, err)
		}
	}
	return doc, nil
}

func applyOp(node any, tokens []string, op string, value any) (any, error) {
	key := tokens[0]
	last := len(tokens) == 1
	switch n := node.(type) {
	case map[string]any:
		if !last {
			child, ok := n[key]
			if !ok {
				return nil, fmt.Errorf("no member %q", key)
			}
			v, err := applyOp(child, tokens[1:], op, value)
			n[key] = v
			return n, err
		}
		switch op {
		case "test":
			if !reflect.DeepEqual(n[key], value) {
				return nil, fmt.Errorf("test failed: %v != %v", n[key], value)
			}
		case "add", "replace":
			n[key] = value
		case "remove":
			delete(n, key)
		}
		return n, nil
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i > len(n) || (i == len(n) && (!last || op != "add")) {
			return nil, fmt.Errorf("bad index %q", key)
		}
		if !last {
			v, err := applyOp(n[i], tokens[1:], op, value)
			n[i] = v
			return n, err
		}
		switch op {
		case "add":
			return slices.Insert(n, i, value), nil
		case "remove":
			return slices.Delete(n, i, i+1), nil
		case "replace":
			n[i] = value
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot step into %T", node)
}
