package istio

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

func httpNamesOf(vs *istionetworkingv1.VirtualService) []string {
	var names []string
	for _, r := range vs.Spec.GetHttp() {
		names = append(names, r.GetName())
	}
	return names
}

func routeNamed(t *testing.T, vs *istionetworkingv1.VirtualService, name string, mirror bool) *networkingv1alpha3.HTTPRoute {
	t.Helper()
	for _, r := range vs.Spec.GetHttp() {
		if r.GetName() == name && isMirror(r) == mirror {
			return r
		}
	}
	t.Fatalf("VirtualService %s has no http route %q (mirror %v); it has %v", vs.Name, name, mirror, httpNamesOf(vs))
	return nil
}

func destString(d *networkingv1alpha3.Destination) string {
	s := d.GetHost()
	if d.GetSubset() != "" {
		s += "/" + d.GetSubset()
	}
	if d.GetPort() != nil {
		s += fmt.Sprintf(":%d", d.GetPort().GetNumber())
	}
	return s
}

func exact(s string) rampv1alpha1.StringMatch  { return rampv1alpha1.StringMatch{Exact: &s} }
func prefix(s string) rampv1alpha1.StringMatch { return rampv1alpha1.StringMatch{Prefix: &s} }
func regex(s string) rampv1alpha1.StringMatch  { return rampv1alpha1.StringMatch{Regex: &s} }

func header(name string, m ...rampv1alpha1.HeaderRoutingMatch) *rampv1alpha1.SetHeaderRoute {
	return &rampv1alpha1.SetHeaderRoute{Name: name, Match: m}
}

// mustChange calls f and fails unless it wrote (want true) or did not
// write anything (want false).
func mustChange(t *testing.T, e *env, what string, want bool, f func() (bool, error)) {
	t.Helper()
	n := e.patchCount()
	changed, err := f()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if changed != want || (e.patchCount() != n) != want {
		t.Fatalf("%s: changed = %v with %d patches, want changed = %v", what, changed, e.patchCount()-n, want)
	}
}

func TestHeaderRoutes(t *testing.T) {
	tests := []struct {
		name     string
		routing  *rampv1alpha1.RolloutTrafficRouting
		objs     func(t *testing.T) []client.Object
		wantDest string
	}{
		{
			name:     "host-level",
			routing:  hostRouting(primary),
			objs:     func(t *testing.T) []client.Object { return []client.Object{vsFrom(t, webVS)} },
			wantDest: "web-canary.shop.svc.cluster.local:8080",
		},
		{
			name:    "subset-level",
			routing: subsetRouting(),
			objs: func(t *testing.T) []client.Object {
				return []client.Object{vsFrom(t, subsetVS), drFrom(t, webDR)}
			},
			wantDest: "web/canary:80",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.routing, interceptor.Funcs{}, tt.objs(t)...)
			ctx := context.Background()
			original := e.vs(t, "web")
			before := userView(t, original, "primary")
			userRoutes := httpNamesOf(original)

			b := header("header-b",
				rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-canary", HeaderValue: exact("1")},
				rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-beta", HeaderValue: prefix("b")},
				rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-id", HeaderValue: regex("^[0-9]+$")})
			mustChange(t, e, "add header-b", true, func() (bool, error) { return e.router.SetHeaderRoute(ctx, b) })
			mustChange(t, e, "add header-b again", false, func() (bool, error) { return e.router.SetHeaderRoute(ctx, b) })

			vs := e.vs(t, "web")
			r := vs.Spec.GetHttp()[0]
			if r.GetName() != "ramp-header-b" {
				t.Fatalf("http routes = %v, want ramp-header-b first", httpNamesOf(vs))
			}
			h := r.GetMatch()[0].GetHeaders()
			if len(r.GetMatch()) != 1 || h["x-canary"].GetExact() != "1" || h["x-beta"].GetPrefix() != "b" || h["x-id"].GetRegex() != "^[0-9]+$" {
				t.Errorf("header route match = %v", r.GetMatch())
			}
			if len(r.GetRoute()) != 1 || destString(r.GetRoute()[0].GetDestination()) != tt.wantDest || r.GetRoute()[0].GetWeight() != 100 {
				t.Errorf("header route sends to %v, want 100%% to %s", r.GetRoute(), tt.wantDest)
			}

			// header-a is declared first, so it goes above header-b.
			a := header("header-a", rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-a", HeaderValue: exact("on")})
			mustChange(t, e, "add header-a", true, func() (bool, error) { return e.router.SetHeaderRoute(ctx, a) })
			want := append([]string{"ramp-header-a", "ramp-header-b"}, userRoutes...)
			if got := httpNamesOf(e.vs(t, "web")); !reflect.DeepEqual(got, want) {
				t.Errorf("http routes = %v, want %v", got, want)
			}

			// A changed match is updated in place.
			b.Match = b.Match[:1]
			mustChange(t, e, "change header-b", true, func() (bool, error) { return e.router.SetHeaderRoute(ctx, b) })
			vs = e.vs(t, "web")
			if got := httpNamesOf(vs); !reflect.DeepEqual(got, want) {
				t.Errorf("http routes = %v, want %v", got, want)
			}
			if h := vs.Spec.GetHttp()[1].GetMatch()[0].GetHeaders(); len(h) != 1 {
				t.Errorf("header-b headers after change = %v, want only x-canary", h)
			}
			if after := userView(t, vs, "primary"); !sameJSON(t, before, after) {
				t.Errorf("user's fields changed:\nbefore %s\nafter  %s", before, after)
			}

			mustChange(t, e, "remove header-a", true, func() (bool, error) { return e.router.SetHeaderRoute(ctx, header("header-a")) })
			mustChange(t, e, "remove header-a again", false, func() (bool, error) { return e.router.SetHeaderRoute(ctx, header("header-a")) })
			if got := httpNamesOf(e.vs(t, "web")); !reflect.DeepEqual(got, want[1:]) {
				t.Errorf("http routes = %v, want %v", got, want[1:])
			}
			mustChange(t, e, "remove managed routes", true, func() (bool, error) { return e.router.RemoveManagedRoutes(ctx) })
			mustChange(t, e, "remove managed routes again", false, func() (bool, error) { return e.router.RemoveManagedRoutes(ctx) })
			// Nothing of Ramp's is left: the VirtualService is as it was.
			if a, b := userView(t, original), userView(t, e.vs(t, "web")); !sameJSON(t, a, b) {
				t.Errorf("VirtualService after removal differs from the original:\nbefore %s\nafter  %s", a, b)
			}
		})
	}
}

func TestMirrorRoute(t *testing.T) {
	e := newEnv(t, hostRouting(primary), interceptor.Funcs{}, vsFrom(t, webVS))
	ctx := context.Background()
	original := e.vs(t, "web")
	before := userView(t, original, "primary")
	if _, err := e.router.SetWeight(ctx, 20); err != nil {
		t.Fatal(err)
	}
	mr := &rampv1alpha1.SetMirrorRoute{
		Name: "mirror",
		Match: []rampv1alpha1.RouteMatch{
			{Method: ptrTo(exact("GET")), Path: ptrTo(prefix("/api")), Headers: map[string]rampv1alpha1.StringMatch{"x-a": exact("1")}},
			{Path: ptrTo(exact("/health"))},
		},
		Percentage: ptrTo(int32(25)),
	}
	mustChange(t, e, "add mirror", true, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mr) })
	mustChange(t, e, "add mirror again", false, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mr) })

	vs := e.vs(t, "web")
	m := vs.Spec.GetHttp()[0]
	if m.GetName() != "ramp-mirror" {
		t.Fatalf("http routes = %v, want ramp-mirror first", httpNamesOf(vs))
	}
	if len(m.GetMatch()) != 2 ||
		m.GetMatch()[0].GetMethod().GetExact() != "GET" || m.GetMatch()[0].GetUri().GetPrefix() != "/api" ||
		m.GetMatch()[0].GetHeaders()["x-a"].GetExact() != "1" || m.GetMatch()[1].GetUri().GetExact() != "/health" {
		t.Errorf("mirror route match = %v", m.GetMatch())
	}
	if destString(m.GetMirror()) != "web-canary.shop.svc.cluster.local:8080" || m.GetMirrorPercentage().GetValue() != 25 {
		t.Errorf("mirror = %v at %v, want the canary at 25%%", m.GetMirror(), m.GetMirrorPercentage())
	}
	if a, b := toMap(t, m.GetRoute()[0]), toMap(t, routeNamed(t, vs, "primary", false).GetRoute()[0]); !reflect.DeepEqual(a, b) {
		t.Errorf("mirror route's stable destination %v, want a copy of primary's %v", a, b)
	}
	if got := weightsOf(t, vs, "ramp-mirror"); got["web-stable"] != 80 || got["web-canary.shop.svc.cluster.local"] != 20 {
		t.Errorf("mirror route weights = %v, want primary's 80/20", got)
	}

	// SetWeight moves the mirror route's weights with the primary route's.
	mustChange(t, e, "set weight 60", true, func() (bool, error) { return e.router.SetWeight(ctx, 60) })
	if got := weightsOf(t, e.vs(t, "web"), "ramp-mirror"); got["web-stable"] != 40 || got["web-canary.shop.svc.cluster.local"] != 60 {
		t.Errorf("mirror route weights after SetWeight(60) = %v, want 40/60", got)
	}
	mustChange(t, e, "mirror after weight change", false, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mr) })

	// A managed route name holds one route: a header step of the mirror's
	// name replaces the mirror route where it is, and a step of either kind
	// without match removes it.
	mustChange(t, e, "add header route of the mirror's name", true, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, header("mirror", rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-m", HeaderValue: exact("1")}))
	})
	vs = e.vs(t, "web")
	if names := httpNamesOf(vs); len(names) != 4 || names[0] != "ramp-mirror" || isMirror(vs.Spec.GetHttp()[0]) {
		t.Errorf("http routes = %v, want the header route ramp-mirror in place of the mirror route", names)
	}
	mustChange(t, e, "remove mirror", true, func() (bool, error) {
		return e.router.SetMirrorRoute(ctx, &rampv1alpha1.SetMirrorRoute{Name: "mirror"})
	})
	mustChange(t, e, "remove mirror again", false, func() (bool, error) {
		return e.router.SetHeaderRoute(ctx, header("mirror"))
	})
	vs = e.vs(t, "web")
	if names := httpNamesOf(vs); len(names) != 3 || names[0] != "admin" {
		t.Errorf("http routes after removal = %v, want the user's alone", names)
	}
	if after := userView(t, vs, "primary"); !sameJSON(t, before, after) {
		t.Errorf("user's fields changed:\nbefore %s\nafter  %s", before, after)
	}
}

func TestMirrorRouteDefaults(t *testing.T) {
	e := newEnv(t, subsetRouting(), interceptor.Funcs{}, vsFrom(t, subsetVS), drFrom(t, webDR))
	ctx := context.Background()
	mr := &rampv1alpha1.SetMirrorRoute{Name: "mirror", Match: []rampv1alpha1.RouteMatch{{}}}
	mustChange(t, e, "add mirror", true, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mr) })
	m := e.vs(t, "web").Spec.GetHttp()[0]
	if m.GetMirrorPercentage().GetValue() != 100 || destString(m.GetMirror()) != "web/canary:80" {
		t.Errorf("mirror = %v at %v, want web/canary:80 at 100%%", m.GetMirror(), m.GetMirrorPercentage())
	}
	// The subsets were labeled before the route was added.
	for _, s := range e.dr(t).Spec.GetSubsets() {
		if s.GetName() == "canary" && s.GetLabels()[rampv1alpha1.LabelPodTemplateHash] != "canary222" {
			t.Errorf("canary subset labels = %v, want the canary hash", s.GetLabels())
		}
	}
	mustChange(t, e, "add mirror again", false, func() (bool, error) { return e.router.SetMirrorRoute(ctx, mr) })
}

func TestManagedRouteWithoutHTTPRoute(t *testing.T) {
	routing := hostRouting(rampv1alpha1.IstioVirtualService{Name: "web", TCPRoutes: []rampv1alpha1.IstioTCPRoute{{Port: 5432}}})
	e := newEnv(t, routing, interceptor.Funcs{}, vsFrom(t, webVS))
	_, err := e.router.SetHeaderRoute(context.Background(), header("header-a", rampv1alpha1.HeaderRoutingMatch{HeaderName: "x", HeaderValue: exact("1")}))
	if !trafficrouting.IsRouteError(err) || !strings.Contains(err.Error(), "no http route is selected") {
		t.Errorf("SetHeaderRoute on a tcp-only selection = %v, want a RouteError", err)
	}
	if e.patchCount() != 0 {
		t.Errorf("%d patches, want none", e.patchCount())
	}
}

func TestHeaderRouteRejectsRepeatedHeader(t *testing.T) {
	e := newEnv(t, hostRouting(primary), interceptor.Funcs{}, vsFrom(t, webVS))
	_, err := e.router.SetHeaderRoute(context.Background(), header("header-a",
		rampv1alpha1.HeaderRoutingMatch{HeaderName: "x", HeaderValue: exact("1")},
		rampv1alpha1.HeaderRoutingMatch{HeaderName: "x", HeaderValue: prefix("2")}))
	if err == nil || !strings.Contains(err.Error(), `matches header "x" again`) || e.patchCount() != 0 {
		t.Errorf("SetHeaderRoute with a repeated header = %v with %d patches", err, e.patchCount())
	}
}
