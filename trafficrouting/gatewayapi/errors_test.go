package gatewayapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// TestRouteErrors checks that a route that cannot carry the split stops
// every method before it writes anything, to any route.
func TestRouteErrors(t *testing.T) {
	withoutCanary := func(t *testing.T) client.Object {
		r := grpcRoute(t)
		r.Spec.Rules[0].BackendRefs = r.Spec.Rules[0].BackendRefs[:1]
		return r
	}
	twice := func(t *testing.T) client.Object {
		r := grpcRoute(t)
		r.Spec.Rules[0].BackendRefs = append(r.Spec.Rules[0].BackendRefs, r.Spec.Rules[0].BackendRefs[1])
		return r
	}
	otherNamespace := func(t *testing.T) client.Object {
		r := grpcRoute(t)
		ns := gatewayv1.Namespace("elsewhere")
		r.Spec.Rules[0].BackendRefs[1].Namespace = &ns
		return r
	}
	header := &rampv1alpha1.SetHeaderRoute{Name: "header", Match: []rampv1alpha1.HeaderRoutingMatch{
		{HeaderName: "x-canary", HeaderValue: rampv1alpha1.StringMatch{Exact: ptr.To("yes")}},
	}}
	mirror := &rampv1alpha1.SetMirrorRoute{Name: "mirror", Match: []rampv1alpha1.RouteMatch{{Path: &rampv1alpha1.StringMatch{Prefix: ptr.To("/")}}}}
	ops := map[string]func(ctx context.Context, r trafficrouting.Router) (bool, error){
		"SetWeight":      func(ctx context.Context, r trafficrouting.Router) (bool, error) { return r.SetWeight(ctx, 10) },
		"SetHeaderRoute": func(ctx context.Context, r trafficrouting.Router) (bool, error) { return r.SetHeaderRoute(ctx, header) },
	}
	for _, tc := range []struct {
		name     string
		grpc     func(t *testing.T) client.Object // nil: the GRPCRoute does not exist
		wantKind string
		wantName string
		wantMsg  []string
	}{
		{"route missing", nil, "GRPCRoute", "grpc",
			[]string{"not found in namespace shop", "spec.strategy.canary.trafficRouting.gatewayAPI.grpcRoutes"}},
		{"canary Service missing from every rule", withoutCanary, "GRPCRoute", "grpc",
			[]string{"no rule has both Services web-stable (stable) and web-canary (canary) among its backendRefs; add the missing one with weight 0", "rule 0 lists only web-stable"}},
		{"Service listed twice", twice, "GRPCRoute", "grpc", []string{"rule 0 lists Service web-canary twice"}},
		{"canary in another namespace", otherNamespace, "GRPCRoute", "grpc", []string{"no rule has both Services"}},
	} {
		for opName, op := range ops {
			t.Run(tc.name+"/"+opName, func(t *testing.T) {
				objs := []client.Object{webRoute(t)}
				if tc.grpc != nil {
					objs = append(objs, tc.grpc(t))
				}
				e := newEnv(t, routing(), objs...)
				before := userView(t, e.http("web"))
				changed, err := op(context.Background(), e.router)
				var re *trafficrouting.RouteError
				if !errors.As(err, &re) {
					t.Fatalf("error = %v, want a RouteError", err)
				}
				if re.Kind != tc.wantKind || re.Name != tc.wantName {
					t.Errorf("RouteError names %s %s, want %s %s", re.Kind, re.Name, tc.wantKind, tc.wantName)
				}
				for _, m := range tc.wantMsg {
					if !strings.Contains(re.Message, m) {
						t.Errorf("message %q does not say %q", re.Message, m)
					}
				}
				if changed || e.writes() != 0 {
					t.Fatalf("changed = %v and %d patches written; want nothing written to any route", changed, e.writes())
				}
				if after := userView(t, e.http("web")); after != before {
					t.Fatalf("HTTPRoute changed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}

	// A missing route stops adding a mirror route too; removing routes
	// skips it, as it has nothing of Ramp's.
	e := newEnv(t, routing(), webRoute(t))
	if _, err := e.router.SetMirrorRoute(context.Background(), mirror); !trafficrouting.IsRouteError(err) {
		t.Fatalf("SetMirrorRoute with a route missing: error = %v, want a RouteError", err)
	}
	mustChange(t, "RemoveManagedRoutes with a route missing", false, func() (bool, error) {
		return e.router.RemoveManagedRoutes(context.Background())
	})
	mustChange(t, "SetHeaderRoute removal with a route missing", false, func() (bool, error) {
		return e.router.SetHeaderRoute(context.Background(), &rampv1alpha1.SetHeaderRoute{Name: "header"})
	})
}

func TestMissingCRD(t *testing.T) {
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	e.getErr = &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: gatewayv1.GroupName, Kind: "HTTPRoute"}}
	_, err := e.router.SetWeight(context.Background(), 10)
	if err == nil {
		t.Fatal("SetWeight succeeded without the CRDs")
	}
	for _, want := range []string{"HTTPRoute web", "install the Gateway API standard-channel CRDs"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !meta.IsNoMatchError(err) {
		t.Errorf("error %q does not wrap the NoKindMatchError", err)
	}
}

// TestConcurrentChange checks that a route changed between the read and
// the write is not written: the change made in between is kept.
func TestConcurrentChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	bumped := false
	e.beforePatch = func(ctx context.Context, obj client.Object) {
		if bumped {
			return
		}
		bumped = true
		cur := e.http(obj.GetName())
		cur.Annotations["edited"] = "meanwhile"
		cur.Spec.Hostnames = append(cur.Spec.Hostnames, "www.example.com")
		if err := e.base.Update(ctx, cur); err != nil {
			t.Errorf("concurrent update: %v", err)
		}
	}
	if _, err := e.router.SetWeight(ctx, 10); err == nil {
		t.Fatal("SetWeight succeeded over a concurrent change")
	} else if !strings.Contains(err.Error(), `patch HTTPRoute "web"`) || !errors.Is(err, trafficrouting.ErrStale) {
		t.Errorf("error %q does not name the route, or is not trafficrouting.ErrStale", err)
	}
	web := e.http("web")
	if web.Annotations["edited"] != "meanwhile" || len(web.Spec.Hostnames) != 2 {
		t.Fatalf("the concurrent change was lost: %v %v", web.Annotations, web.Spec.Hostnames)
	}
	if got := weights(httpRefs(web.Spec.Rules[1])); got[1] != "web-canary=0" {
		t.Fatalf("weights written over a concurrent change: %v", got)
	}

	// The next call (the next reconcile) reads again and succeeds, keeping
	// the concurrent change.
	mustChange(t, "SetWeight after the conflict", true, func() (bool, error) { return e.router.SetWeight(ctx, 10) })
	web = e.http("web")
	if web.Annotations["edited"] != "meanwhile" || len(web.Spec.Hostnames) != 2 {
		t.Fatalf("the concurrent change was lost on retry: %v %v", web.Annotations, web.Spec.Hostnames)
	}
}
