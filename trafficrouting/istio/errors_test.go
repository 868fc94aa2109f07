package istio

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// TestRouteErrors checks that a missing or unusable route is a RouteError
// naming what is wrong, from every mutating method, and that nothing is
// written to any object, including the good ones read before.
func TestRouteErrors(t *testing.T) {
	noCanary := strings.Replace(secondVS, "    - destination: {host: web-canary}\n", "", 1)
	noServices := strings.NewReplacer("web-stable", "other", "web-canary", "another").Replace(secondVS)
	twoStable := strings.Replace(secondVS, "host: web-canary}", "host: web-stable.shop.svc}", 1)
	drNoCanary := strings.Replace(webDR, "  - name: canary\n", "", 1)
	tests := []struct {
		name     string
		routing  *rampv1alpha1.RolloutTrafficRouting
		objs     []string
		kind     string
		vsName   string
		contains []string
	}{
		{
			name:     "VirtualService missing",
			routing:  hostRouting(primary, rampv1alpha1.IstioVirtualService{Name: "internal"}),
			objs:     []string{webVS},
			kind:     "VirtualService",
			vsName:   "internal",
			contains: []string{"not found in namespace shop", "virtualServices"},
		},
		{
			name:     "named route missing",
			routing:  hostRouting(rampv1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary", "main"}}),
			objs:     []string{webVS},
			kind:     "VirtualService",
			vsName:   "web",
			contains: []string{`no http route is named "main"`, `"admin", "primary", "legacy"`},
		},
		{
			name:     "routes not named and several http routes",
			routing:  hostRouting(rampv1alpha1.IstioVirtualService{Name: "web"}),
			objs:     []string{webVS},
			kind:     "VirtualService",
			vsName:   "web",
			contains: []string{"has 3 http routes", "virtualServices[].routes"},
		},
		{
			name:     "canary Service missing from the route",
			routing:  hostRouting(primary, rampv1alpha1.IstioVirtualService{Name: "internal"}),
			objs:     []string{webVS, noCanary},
			kind:     "VirtualService",
			vsName:   "internal",
			contains: []string{"spec.http[0]", "host web-canary (canary)", "add it with weight 0"},
		},
		{
			name:     "both Services missing from the route",
			routing:  hostRouting(primary, rampv1alpha1.IstioVirtualService{Name: "internal"}),
			objs:     []string{webVS, noServices},
			kind:     "VirtualService",
			vsName:   "internal",
			contains: []string{"neither", "host web-stable (stable)", "host web-canary (canary)"},
		},
		{
			name:     "the stable Service twice",
			routing:  hostRouting(rampv1alpha1.IstioVirtualService{Name: "internal"}),
			objs:     []string{twoStable},
			kind:     "VirtualService",
			vsName:   "internal",
			contains: []string{"more than one destination with host web-stable"},
		},
		{
			name: "tls route not matched",
			routing: hostRouting(rampv1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"},
				TLSRoutes: []rampv1alpha1.IstioTLSRoute{{Port: 443, SNIHosts: []string{"other.example.com"}}}}),
			objs:     []string{webVS},
			kind:     "VirtualService",
			vsName:   "web",
			contains: []string{"no tls route matches port 443", "tlsRoutes[0]"},
		},
		{
			name: "tcp route without the Services",
			routing: hostRouting(rampv1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"},
				TCPRoutes: []rampv1alpha1.IstioTCPRoute{{Port: 6379}}}),
			objs:     []string{webVS},
			kind:     "VirtualService",
			vsName:   "web",
			contains: []string{"spec.tcp[1] has neither"},
		},
		{
			name:     "DestinationRule missing",
			routing:  subsetRouting(),
			objs:     []string{subsetVS},
			kind:     "DestinationRule",
			vsName:   "web",
			contains: []string{"not found in namespace shop", "destinationRule"},
		},
		{
			name:     "DestinationRule without the canary subset",
			routing:  subsetRouting(),
			objs:     []string{subsetVS, drNoCanary},
			kind:     "DestinationRule",
			vsName:   "web",
			contains: []string{`no subset named "canary"`, "canarySubsetName"},
		},
		{
			name: "VirtualService without the canary subset",
			routing: func() *rampv1alpha1.RolloutTrafficRouting {
				r := subsetRouting()
				r.Istio.DestinationRule.CanarySubsetName = "preview"
				return r
			}(),
			objs:     []string{subsetVS, strings.Replace(webDR, "name: canary", "name: preview", 1)},
			kind:     "VirtualService",
			vsName:   "web",
			contains: []string{`http route "primary" has no destination with subset preview (canary)`},
		},
	}
	calls := map[string]func(trafficrouting.Router) (bool, error){
		"SetWeight": func(r trafficrouting.Router) (bool, error) { return r.SetWeight(context.Background(), 40) },
		"SetHeaderRoute": func(r trafficrouting.Router) (bool, error) {
			return r.SetHeaderRoute(context.Background(), &rampv1alpha1.SetHeaderRoute{Name: "header-a",
				Match: []rampv1alpha1.HeaderRoutingMatch{{HeaderName: "x-canary", HeaderValue: rampv1alpha1.StringMatch{Exact: ptrTo("1")}}}})
		},
		"SetMirrorRoute": func(r trafficrouting.Router) (bool, error) {
			return r.SetMirrorRoute(context.Background(), &rampv1alpha1.SetMirrorRoute{Name: "mirror",
				Match: []rampv1alpha1.RouteMatch{{Method: &rampv1alpha1.StringMatch{Exact: ptrTo("GET")}}}})
		},
	}
	for _, tt := range tests {
		for callName, call := range calls {
			t.Run(tt.name+"/"+callName, func(t *testing.T) {
				e := newEnv(t, tt.routing, interceptor.Funcs{}, objectsFrom(t, tt.objs)...)
				changed, err := call(e.router)
				e.checkRouteError(t, callName, changed, err, tt.kind, tt.vsName, tt.contains)
			})
		}
	}
}

func TestMissingCRD(t *testing.T) {
	noKind := interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		return &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "networking.istio.io", Kind: "VirtualService"}, SearchedVersions: []string{"v1"}}
	}}
	e := newEnv(t, hostRouting(primary), noKind)
	for name, call := range map[string]func() (bool, error){
		"SetWeight":           func() (bool, error) { return e.router.SetWeight(context.Background(), 10) },
		"RemoveManagedRoutes": func() (bool, error) { return e.router.RemoveManagedRoutes(context.Background()) },
	} {
		_, err := call()
		if err == nil || trafficrouting.IsRouteError(err) || !meta.IsNoMatchError(err) {
			t.Fatalf("%s error = %v, want a wrapped NoKindMatchError", name, err)
		}
		for _, s := range []string{"virtualservices.networking.istio.io", "destinationrules.networking.istio.io"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s error %q does not name CRD %s", name, err, s)
			}
		}
	}
}

// TestRemovalSkipsMissingVirtualServices: an abort must not stall on a
// VirtualService that was deleted.
func TestRemovalSkipsMissingVirtualServices(t *testing.T) {
	e := newEnv(t, hostRouting(primary, rampv1alpha1.IstioVirtualService{Name: "internal"}), interceptor.Funcs{}, vsFrom(t, webVS))
	ctx := context.Background()
	if changed, err := e.router.RemoveManagedRoutes(ctx); err != nil || changed {
		t.Errorf("RemoveManagedRoutes = %v, %v; want no change, no error", changed, err)
	}
	if changed, err := e.router.SetHeaderRoute(ctx, &rampv1alpha1.SetHeaderRoute{Name: "header-a"}); err != nil || changed {
		t.Errorf("SetHeaderRoute without match = %v, %v; want no change, no error", changed, err)
	}
	if e.patchCount() != 0 {
		t.Errorf("%d patches, want none", e.patchCount())
	}
}
