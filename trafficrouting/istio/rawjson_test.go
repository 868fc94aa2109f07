package istio

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/yaml"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// The fake client stores typed objects, so fields the Go types do not know
// never reach it. This test applies the router's patches to the raw JSON
// of a VirtualService that has such fields, the way the API server does,
// and checks they survive: the patches touch only Ramp's paths.

// futureVS is webVS with fields from a future Istio at every level.
func futureVS(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(webVS), &m); err != nil {
		t.Fatal(err)
	}
	m["metadata"].(map[string]any)["resourceVersion"] = "999"
	spec := m["spec"].(map[string]any)
	spec["futureSpecField"] = map[string]any{"mode": "strict"}
	primary := spec["http"].([]any)[1].(map[string]any)
	primary["futureRouteField"] = []any{"a", "b"}
	primary["route"].([]any)[0].(map[string]any)["futureDestinationField"] = true
	return m
}

// applyPatch applies an RFC 6902 patch to doc. The resourceVersion test is
// checked by the fake client elsewhere; here it is skipped.
func applyPatch(doc map[string]any, patch string) error {
	var ops []op
	if err := json.Unmarshal([]byte(patch), &ops); err != nil {
		return err
	}
	for _, o := range ops {
		if o.Op == "test" && o.Path == "/metadata/resourceVersion" {
			continue
		}
		tokens := strings.Split(o.Path, "/")[1:]
		for i := range tokens {
			tokens[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(tokens[i])
		}
		if err := applyOp(doc, tokens, o); err != nil {
			return fmt.Errorf("%s %s: %w", o.Op, o.Path, err)
		}
	}
	return nil
}

// applyOp applies o at tokens below parent, rebuilding arrays on the way up.
func applyOp(parent any, tokens []string, o op) error {
	key, last := tokens[0], len(tokens) == 1
	switch p := parent.(type) {
	case map[string]any:
		if last {
			switch o.Op {
			case "add", "replace":
				p[key] = o.Value
			case "remove":
				delete(p, key)
			default:
				return fmt.Errorf("unsupported op")
			}
			return nil
		}
		child, ok := p[key]
		if !ok {
			return fmt.Errorf("no member %q", key)
		}
		if arr, ok := child.([]any); ok && len(tokens) == 2 {
			next, err := applyArray(arr, tokens[1], o)
			p[key] = next
			return err
		}
		return applyOp(child, tokens[1:], o)
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(p) {
			return fmt.Errorf("bad index %q", key)
		}
		if last {
			return fmt.Errorf("array ops need the parent member")
		}
		if arr, ok := p[i].([]any); ok && len(tokens) == 2 {
			next, err := applyArray(arr, tokens[1], o)
			p[i] = next
			return err
		}
		return applyOp(p[i], tokens[1:], o)
	}
	return fmt.Errorf("cannot descend into %T", parent)
}

func applyArray(arr []any, key string, o op) ([]any, error) {
	i, err := strconv.Atoi(key)
	if err != nil || i < 0 || i > len(arr) || (o.Op != "add" && i == len(arr)) {
		return arr, fmt.Errorf("bad index %q", key)
	}
	switch o.Op {
	case "add":
		return slices.Insert(arr, i, o.Value), nil
	case "remove":
		return slices.Delete(arr, i, i+1), nil
	case "replace":
		arr[i] = o.Value
		return arr, nil
	}
	return arr, fmt.Errorf("unsupported op")
}

// rampPaths are the only paths the router may write.
var rampPaths = regexp.MustCompile(`^(/metadata/resourceVersion|/spec/(http|tls|tcp)/\d+/route/\d+/weight|/spec/http/\d+|/spec/subsets/\d+/labels(/ramp\.dev~1pod-template-hash)?)$`)

func TestPatchesKeepUnknownFields(t *testing.T) {
	routing := hostRouting(rampv1alpha1.IstioVirtualService{
		Name: "web", Routes: []string{"primary"},
		TLSRoutes: []rampv1alpha1.IstioTLSRoute{{SNIHosts: []string{"web.example.com"}}},
	})
	e := newEnv(t, routing, interceptor.Funcs{}, vsFrom(t, webVS))
	ctx := context.Background()
	raw := futureVS(t)
	original := userView(t, futureVS(t), "primary", "tls0")

	steps := []struct {
		name string
		do   func() (bool, error)
	}{
		{"weight 30", func() (bool, error) { return e.router.SetWeight(ctx, 30) }},
		{"header route", func() (bool, error) {
			return e.router.SetHeaderRoute(ctx, header("header-a", rampv1alpha1.HeaderRoutingMatch{HeaderName: "x", HeaderValue: exact("1")}))
		}},
		{"mirror route", func() (bool, error) {
			return e.router.SetMirrorRoute(ctx, &rampv1alpha1.SetMirrorRoute{Name: "mirror", Match: []rampv1alpha1.RouteMatch{{Path: ptrTo(prefix("/"))}}})
		}},
		{"weight 70", func() (bool, error) { return e.router.SetWeight(ctx, 70) }},
		{"remove managed routes", func() (bool, error) { return e.router.RemoveManagedRoutes(ctx) }},
		{"weight 0", func() (bool, error) { return e.router.SetWeight(ctx, 0) }},
	}
	for _, s := range steps {
		n := e.patchCount()
		if _, err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for _, p := range e.patches[n:] {
			var ops []op
			if err := json.Unmarshal([]byte(p), &ops); err != nil {
				t.Fatal(err)
			}
			for _, o := range ops {
				if !rampPaths.MatchString(o.Path) {
					t.Errorf("%s: op %s %s is outside Ramp's paths", s.name, o.Op, o.Path)
				}
			}
			if err := applyPatch(raw, p); err != nil {
				t.Fatalf("%s: apply %s: %v", s.name, p, err)
			}
		}
		// The raw document stays in step with the fake client's object.
		if a, b := userView(t, e.vs(t, "web")), userView(t, asTyped(t, raw)); !sameJSON(t, a, b) {
			t.Fatalf("%s: raw document and fake object differ:\nfake %s\nraw  %s", s.name, a, b)
		}
		if after := userView(t, raw, "primary", "tls0"); !sameJSON(t, original, after) {
			t.Errorf("%s: user's fields changed:\nbefore %s\nafter  %s", s.name, original, after)
		}
	}
	got := weightsOf(t, e.vs(t, "web"), "primary")
	if got["web-stable"] != 100 || got["web-canary.shop.svc.cluster.local"] != 0 {
		t.Errorf("final weights = %v, want 100/0", got)
	}
}

// asTyped decodes raw into the typed VirtualService, which drops the
// fields it does not know and formats the others as the fake client does.
func asTyped(t *testing.T, raw map[string]any) *istionetworkingv1.VirtualService {
	t.Helper()
	data, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	vs := &istionetworkingv1.VirtualService{}
	if err := json.Unmarshal(data, vs); err != nil {
		t.Fatal(err)
	}
	vs.TypeMeta = metav1.TypeMeta{}
	return vs
}
