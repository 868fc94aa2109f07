package istio

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

func TestNew(t *testing.T) {
	if r := New(trafficrouting.Config{Routing: &rampv1alpha1.RolloutTrafficRouting{GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{}}}); r != nil {
		t.Errorf("New without istio = %v, want nil", r)
	}
	if r := New(trafficrouting.Config{}); r != nil {
		t.Errorf("New without routing = %v, want nil", r)
	}
	r := New(trafficrouting.Config{Routing: hostRouting(primary)})
	if r == nil || r.Name() != "istio" {
		t.Fatalf("New with istio = %v, want a router named istio", r)
	}
	v, err := r.VerifyWeight(context.Background(), 10)
	if v != nil || err != nil {
		t.Errorf("VerifyWeight = %v, %v; want nil, nil", v, err)
	}
}

// TestSetWeightSteps walks the weights of a canary and checks, at each
// step, the weights of every selected route, that a second call writes
// nothing, and that nothing else in the objects changed.
func TestSetWeightSteps(t *testing.T) {
	tests := []struct {
		name    string
		routing *rampv1alpha1.RolloutTrafficRouting
		objs    func(t *testing.T) []client.Object
		// want maps "<vs>:<route>" to the destination keys of the stable
		// and canary destinations there.
		want     map[string][2]string
		selected map[string][]string
		// untouched lists "<vs>:<route>" whose weights must not move.
		untouched map[string]map[string]int32
	}{
		{
			name: "host-level http, tls and tcp with other routes around",
			routing: hostRouting(rampv1alpha1.IstioVirtualService{
				Name: "web", Routes: []string{"primary"},
				TLSRoutes: []rampv1alpha1.IstioTLSRoute{{Port: 443, SNIHosts: []string{"web.example.com"}}},
				TCPRoutes: []rampv1alpha1.IstioTCPRoute{{Port: 5432}},
			}),
			objs: func(t *testing.T) []client.Object { return []client.Object{vsFrom(t, webVS)} },
			want: map[string][2]string{
				"web:primary": {"web-stable", "web-canary.shop.svc.cluster.local"},
				"web:tls0":    {"web-stable.shop", "web-canary.shop.svc"},
				"web:tcp0":    {"web-stable", "web-canary"},
			},
			selected: map[string][]string{"web": {"primary", "tls0", "tcp0"}},
			untouched: map[string]map[string]int32{
				"web:legacy": {"web-stable": 70, "web-canary": 30},
				"web:admin":  {"admin": 0},
			},
		},
		{
			name:    "host-level, two VirtualServices, the second with its only route unnamed",
			routing: hostRouting(primary, rampv1alpha1.IstioVirtualService{Name: "internal"}),
			objs: func(t *testing.T) []client.Object {
				return []client.Object{vsFrom(t, webVS), vsFrom(t, secondVS)}
			},
			want: map[string][2]string{
				"web:primary": {"web-stable", "web-canary.shop.svc.cluster.local"},
				"internal:":   {"web-stable", "web-canary"},
			},
			selected: map[string][]string{"web": {"primary"}, "internal": {""}},
			untouched: map[string]map[string]int32{
				"web:tls0": {"web-stable.shop": 100, "web-canary.shop.svc": 0},
			},
		},
		{
			name:    "subset-level",
			routing: subsetRouting(),
			objs: func(t *testing.T) []client.Object {
				return []client.Object{vsFrom(t, subsetVS), drFrom(t, webDR)}
			},
			want:     map[string][2]string{"web:primary": {"web/stable", "web/canary"}},
			selected: map[string][]string{"web": {"primary"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.routing, interceptor.Funcs{}, tt.objs(t)...)
			ctx := context.Background()
			before := map[string]string{}
			for name, sel := range tt.selected {
				before[name] = userView(t, e.vs(t, name), sel...)
			}
			var drBefore string
			if tt.routing.Istio.DestinationRule != nil {
				drBefore = userView(t, e.dr(t))
			}
			for i, w := range []int32{0, 10, 50, 100, 0} {
				changed, err := e.router.SetWeight(ctx, w)
				if err != nil {
					t.Fatalf("SetWeight(%d): %v", w, err)
				}
				// The fixtures start at 0; a subset-level first call labels the subsets.
				wantChanged := i > 0 || tt.routing.Istio.DestinationRule != nil
				if changed != wantChanged {
					t.Errorf("SetWeight(%d) changed = %v, want %v", w, changed, wantChanged)
				}
				for key, dests := range tt.want {
					vsName, route, _ := strings.Cut(key, ":")
					got := weightsOf(t, e.vs(t, vsName), route)
					if got[dests[0]] != 100-w || got[dests[1]] != w {
						t.Errorf("after SetWeight(%d), %s weights = %v, want %s=%d %s=%d", w, key, got, dests[0], 100-w, dests[1], w)
					}
				}
				for key, want := range tt.untouched {
					vsName, route, _ := strings.Cut(key, ":")
					if got := weightsOf(t, e.vs(t, vsName), route); !reflect.DeepEqual(got, want) {
						t.Errorf("after SetWeight(%d), unselected %s weights = %v, want %v", w, key, got, want)
					}
				}
				n := e.patchCount()
				changed, err = e.router.SetWeight(ctx, w)
				if err != nil || changed || e.patchCount() != n {
					t.Errorf("second SetWeight(%d) = %v, %v with %d patches; want no write", w, changed, err, e.patchCount()-n)
				}
				for name, sel := range tt.selected {
					if after := userView(t, e.vs(t, name), sel...); !sameJSON(t, before[name], after) {
						t.Errorf("after SetWeight(%d), VirtualService %s changed outside Ramp's fields:\nbefore %s\nafter  %s", w, name, before[name], after)
					}
				}
				if drBefore != "" {
					if after := userView(t, e.dr(t)); !sameJSON(t, drBefore, after) {
						t.Errorf("DestinationRule changed outside the hash labels:\nbefore %s\nafter  %s", drBefore, after)
					}
				}
			}
		})
	}
}

func TestSetWeightRejectsOutOfRange(t *testing.T) {
	e := newEnv(t, hostRouting(primary), interceptor.Funcs{}, vsFrom(t, webVS))
	for _, w := range []int32{-1, 101} {
		if _, err := e.router.SetWeight(context.Background(), w); err == nil {
			t.Errorf("SetWeight(%d) = nil error, want one", w)
		}
	}
	if e.patchCount() != 0 {
		t.Errorf("%d patches, want none", e.patchCount())
	}
}

func TestSetWeightCorrectsDrift(t *testing.T) {
	e := newEnv(t, hostRouting(primary), interceptor.Funcs{}, vsFrom(t, webVS))
	ctx := context.Background()
	if _, err := e.router.SetWeight(ctx, 20); err != nil {
		t.Fatal(err)
	}
	// Someone sets the canary to 50 by hand.
	vs := e.vs(t, "web")
	vs.Spec.Http[1].Route[0].Weight, vs.Spec.Http[1].Route[1].Weight = 50, 50
	if err := e.client.Update(ctx, vs); err != nil {
		t.Fatal(err)
	}
	changed, err := e.router.SetWeight(ctx, 20)
	if err != nil || !changed {
		t.Fatalf("SetWeight after drift = %v, %v; want changed", changed, err)
	}
	got := weightsOf(t, e.vs(t, "web"), "primary")
	if got["web-stable"] != 80 || got["web-canary.shop.svc.cluster.local"] != 20 {
		t.Errorf("weights after drift correction = %v, want stable 80, canary 20", got)
	}
}

// TestConcurrentEditFailsTheWrite edits the VirtualService between the
// router's read and its patch: the patch must fail and keep the edit.
func TestConcurrentEditFailsTheWrite(t *testing.T) {
	e := newEnv(t, hostRouting(primary), interceptor.Funcs{}, vsFrom(t, webVS))
	ctx := context.Background()
	bumped := false
	e.beforePatch = func(ctx context.Context, c client.WithWatch, obj client.Object) {
		if bumped {
			return
		}
		bumped = true
		vs := &istionetworkingv1.VirtualService{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), vs); err != nil {
			t.Errorf("get: %v", err)
			return
		}
		vs.Annotations["edited"] = "concurrently"
		if err := c.Update(ctx, vs); err != nil {
			t.Errorf("update: %v", err)
		}
	}
	if _, err := e.router.SetWeight(ctx, 30); !errors.Is(err, trafficrouting.ErrStale) {
		t.Fatalf("SetWeight with a concurrent edit = %v, want trafficrouting.ErrStale", err)
	}
	vs := e.vs(t, "web")
	if vs.Annotations["edited"] != "concurrently" {
		t.Errorf("the concurrent edit was lost: annotations %v", vs.Annotations)
	}
	if got := weightsOf(t, vs, "primary"); got["web-canary.shop.svc.cluster.local"] != 0 {
		t.Errorf("weights after a failed write = %v, want unchanged", got)
	}
	// The next reconcile reads the new object and succeeds.
	if changed, err := e.router.SetWeight(ctx, 30); err != nil || !changed {
		t.Fatalf("retry = %v, %v; want changed", changed, err)
	}
	vs = e.vs(t, "web")
	if got := weightsOf(t, vs, "primary"); got["web-canary.shop.svc.cluster.local"] != 30 || vs.Annotations["edited"] != "concurrently" {
		t.Errorf("after retry weights = %v, annotations %v", got, vs.Annotations)
	}
}

func TestDestinationRuleLabels(t *testing.T) {
	tests := []struct {
		name                   string
		stableHash, canaryHash string
		wantStable, wantCanary string
	}{
		{"update in flight", "stable111", "canary222", "stable111", "canary222"},
		{"no update in flight", "stable111", "stable111", "stable111", "stable111"},
		{"stable not known yet", "", "canary222", "canary222", "canary222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, subsetRouting(), interceptor.Funcs{}, vsFrom(t, subsetVS), drFrom(t, webDR))
			e.router.(*router).cfg.StableHash, e.router.(*router).cfg.CanaryHash = tt.stableHash, tt.canaryHash
			before := userView(t, e.dr(t))
			if _, err := e.router.SetWeight(context.Background(), 10); err != nil {
				t.Fatal(err)
			}
			dr := e.dr(t)
			labels := map[string]map[string]string{}
			for _, s := range dr.Spec.GetSubsets() {
				labels[s.GetName()] = s.GetLabels()
			}
			want := map[string]map[string]string{
				"legacy": {"version": "v1"},
				"stable": {"app": "web", "tier": "front", rampv1alpha1.LabelPodTemplateHash: tt.wantStable},
				"canary": {rampv1alpha1.LabelPodTemplateHash: tt.wantCanary},
			}
			if !reflect.DeepEqual(labels, want) {
				t.Errorf("subset labels = %v, want %v", labels, want)
			}
			if after := userView(t, dr); !sameJSON(t, before, after) {
				t.Errorf("DestinationRule changed outside the hash labels:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
