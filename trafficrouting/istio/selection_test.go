package istio

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestHostNames(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"web-canary", true},
		{"web-canary.shop", true},
		{"web-canary.shop.svc", true},
		{"web-canary.shop.svc.cluster.local", true},
		{"web-canary.other", false},
		{"web-canary.other.svc.cluster.local", false},
		{"web-canary.shop.svc.cluster", false},
		{"web-canary-2", false},
		{"web", false},
	}
	for _, tt := range tests {
		if got := hostNames(tt.host, "web-canary", "shop"); got != tt.want {
			t.Errorf("hostNames(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func dest(host, subset string, weight int32) *networkingv1alpha3.HTTPRouteDestination {
	return &networkingv1alpha3.HTTPRouteDestination{Destination: &networkingv1alpha3.Destination{Host: host, Subset: subset}, Weight: weight}
}

func l4(port uint32, sni []string, dests ...string) ([]*networkingv1alpha3.RouteDestination, *networkingv1alpha3.TLSMatchAttributes, *networkingv1alpha3.L4MatchAttributes) {
	var route []*networkingv1alpha3.RouteDestination
	for _, h := range dests {
		route = append(route, &networkingv1alpha3.RouteDestination{Destination: &networkingv1alpha3.Destination{Host: h}})
	}
	return route, &networkingv1alpha3.TLSMatchAttributes{Port: port, SniHosts: sni}, &networkingv1alpha3.L4MatchAttributes{Port: port}
}

func TestSelectRoutes(t *testing.T) {
	hosts := matcher{stable: "web-stable", canary: "web-canary", namespace: "shop"}
	both := []*networkingv1alpha3.HTTPRouteDestination{dest("web-stable", "", 90), dest("web-canary", "", 10)}
	tlsRoute, tlsMatch, _ := l4(443, []string{"a.example.com", "b.example.com"}, "web-stable", "web-canary")
	tcpRoute, _, tcpMatch := l4(5432, nil, "web-canary", "web-stable")
	anyPortRoute, _, _ := l4(0, nil, "web-stable", "web-canary")
	vs := &networkingv1alpha3.VirtualService{
		Http: []*networkingv1alpha3.HTTPRoute{
			{Name: "ramp-header", Route: []*networkingv1alpha3.HTTPRouteDestination{dest("web-canary", "", 100)}},
			{Name: "main", Route: both},
		},
		Tls: []*networkingv1alpha3.TLSRoute{{Match: []*networkingv1alpha3.TLSMatchAttributes{tlsMatch}, Route: tlsRoute}},
		Tcp: []*networkingv1alpha3.TCPRoute{
			{Match: []*networkingv1alpha3.L4MatchAttributes{tcpMatch}, Route: tcpRoute},
			{Route: anyPortRoute},
		},
	}
	tests := []struct {
		name    string
		sel     rampv1alpha1.IstioVirtualService
		want    []string // "<path> stable=<i>/<w> canary=<i>/<w>"
		wantMsg string
	}{
		{
			name: "the only user http route, the managed one aside",
			want: []string{"/spec/http/1 stable=0/90 canary=1/10"},
		},
		{
			name: "by name",
			sel:  rampv1alpha1.IstioVirtualService{Routes: []string{"main"}},
			want: []string{"/spec/http/1 stable=0/90 canary=1/10"},
		},
		{
			name: "tls by one of the SNI hosts, tcp by port and without port; no http route",
			sel: rampv1alpha1.IstioVirtualService{
				TLSRoutes: []rampv1alpha1.IstioTLSRoute{{SNIHosts: []string{"b.example.com"}}},
				TCPRoutes: []rampv1alpha1.IstioTCPRoute{{Port: 5432}, {}},
			},
			want: []string{"/spec/tls/0 stable=0/0 canary=1/0", "/spec/tcp/0 stable=1/0 canary=0/0", "/spec/tcp/1 stable=0/0 canary=1/0"},
		},
		{
			name: "tls selected twice is weighed once",
			sel: rampv1alpha1.IstioVirtualService{
				TLSRoutes: []rampv1alpha1.IstioTLSRoute{{Port: 443}, {SNIHosts: []string{"a.example.com"}}},
			},
			want: []string{"/spec/tls/0 stable=0/0 canary=1/0"},
		},
		{
			name:    "tls on the wrong port",
			sel:     rampv1alpha1.IstioVirtualService{TLSRoutes: []rampv1alpha1.IstioTLSRoute{{Port: 8443, SNIHosts: []string{"a.example.com"}}}},
			wantMsg: "no tls route matches port 8443",
		},
		{
			name:    "empty tls selector",
			sel:     rampv1alpha1.IstioVirtualService{TLSRoutes: []rampv1alpha1.IstioTLSRoute{{}}},
			wantMsg: "tlsRoutes[0] sets neither port nor sniHosts",
		},
		{
			name:    "tcp port without a route",
			sel:     rampv1alpha1.IstioVirtualService{TCPRoutes: []rampv1alpha1.IstioTCPRoute{{Port: 1}}},
			wantMsg: "no tcp route matches port 1 (tcpRoutes[0])",
		},
		{
			name:    "a managed route cannot be selected by name as a user route when it lacks the stable destination",
			sel:     rampv1alpha1.IstioVirtualService{Routes: []string{"ramp-header"}},
			wantMsg: `http route "ramp-header" has no destination with host web-stable (stable)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			splits, msg := selectRoutes(vs, tt.sel, hosts)
			if tt.wantMsg != "" {
				if !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
				}
				return
			}
			if msg != "" {
				t.Fatalf("unexpected message %q", msg)
			}
			var got []string
			for _, s := range splits {
				got = append(got, fmt.Sprintf("%s stable=%d/%d canary=%d/%d", s.path(), s.stable, s.stableWeight, s.canary, s.canaryWeight))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splits = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSelectRoutesBySubset(t *testing.T) {
	subsets := matcher{bySubset: true, stable: "stable", canary: "canary", namespace: "shop"}
	vs := &networkingv1alpha3.VirtualService{Http: []*networkingv1alpha3.HTTPRoute{{
		Route: []*networkingv1alpha3.HTTPRouteDestination{dest("web", "canary", 0), dest("web-stable", "", 0), dest("web", "stable", 100)},
	}}}
	splits, msg := selectRoutes(vs, rampv1alpha1.IstioVirtualService{}, subsets)
	if msg != "" || len(splits) != 1 || splits[0].stable != 2 || splits[0].canary != 0 {
		t.Errorf("splits = %+v, %q; want stable at 2 and canary at 0", splits, msg)
	}
}

func TestWeightOps(t *testing.T) {
	s := split{kind: kindHTTP, index: 2, stable: 1, canary: 0, stableWeight: 100, canaryWeight: 0}
	if ops := weightOps([]split{s}, 0); len(ops) != 0 {
		t.Errorf("weightOps at the current weight = %v, want none", ops)
	}
	got := weightOps([]split{s}, 25)
	want := []op{setOp("/spec/http/2/route/1/weight", int32(75)), setOp("/spec/http/2/route/0/weight", int32(25))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("weightOps = %v, want %v", got, want)
	}
}

func TestPutRouteOpsPlacesByDeclaration(t *testing.T) {
	declared := []rampv1alpha1.ManagedRoute{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	named := func(names ...string) []*networkingv1alpha3.HTTPRoute {
		var out []*networkingv1alpha3.HTTPRoute
		for _, n := range names {
			out = append(out, &networkingv1alpha3.HTTPRoute{Name: n})
		}
		return out
	}
	tests := []struct {
		name     string
		http     []*networkingv1alpha3.HTTPRoute
		add      string
		wantPath string
	}{
		{"first managed route", named("user"), "ramp-b", "/spec/http/0"},
		{"after the ones declared before", named("ramp-a", "ramp-c", "user"), "ramp-b", "/spec/http/1"},
		{"before the ones declared after", named("ramp-b", "ramp-c", "user"), "ramp-a", "/spec/http/0"},
		{"undeclared last among managed", named("ramp-a", "user"), "ramp-x", "/spec/http/1"},
		{"never below a user route", named("user", "ramp-a"), "ramp-b", "/spec/http/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := putRouteOps(tt.http, &networkingv1alpha3.HTTPRoute{Name: tt.add}, declared)
			if err != nil || len(ops) != 1 || ops[0].Op != "add" || ops[0].Path != tt.wantPath {
				t.Errorf("putRouteOps = %v, %v; want add at %s", ops, err, tt.wantPath)
			}
		})
	}
}

func TestSubsetHashes(t *testing.T) {
	if _, _, err := subsetHashes("", ""); err == nil {
		t.Error("subsetHashes with no hash = nil error, want one")
	}
	if s, c, _ := subsetHashes("a", ""); s != "a" || c != "a" {
		t.Errorf("subsetHashes(a, \"\") = %s, %s; want a, a", s, c)
	}
}
