package gatewayapi

import (
	"context"
	"slices"
	"testing"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

func TestNew(t *testing.T) {
	for name, rt := range map[string]*rampv1alpha1.RolloutTrafficRouting{
		"no trafficRouting": nil,
		"istio only":        {Istio: &rampv1alpha1.IstioTrafficRouting{}},
	} {
		t.Run(name, func(t *testing.T) {
			if r := New(trafficrouting.Config{Routing: rt}); r != nil {
				t.Fatalf("New = %v, want nil", r)
			}
		})
	}
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	if got := e.router.Name(); got != "gatewayAPI" {
		t.Fatalf("Name = %q, want gatewayAPI", got)
	}
	v, err := e.router.VerifyWeight(context.Background(), 10)
	if v != nil || err != nil {
		t.Fatalf("VerifyWeight = %v, %v; want nil, nil", v, err)
	}
}

func TestSetWeightSteps(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	before := e.userViews()

	steps := []struct {
		weight      int32
		wantChanged bool
		web         [][]string // weights of rules 0 (admin), 1 (main), 2 (api)
		grpc        []string
	}{
		// Weight 0 is what the fixture's main rule says already, but the /api
		// rule's unset weights (1 and 1) split half and half.
		{0, true, [][]string{{"admin=-"}, {"web-stable=100", "web-canary=0"}, {"web-stable=100", "web-canary=0"}}, []string{"web-stable=100", "web-canary=0"}},
		{10, true, [][]string{{"admin=-"}, {"web-stable=90", "web-canary=10"}, {"web-stable=90", "web-canary=10"}}, []string{"web-stable=90", "web-canary=10"}},
		{50, true, [][]string{{"admin=-"}, {"web-stable=50", "web-canary=50"}, {"web-stable=50", "web-canary=50"}}, []string{"web-stable=50", "web-canary=50"}},
		{100, true, [][]string{{"admin=-"}, {"web-stable=0", "web-canary=100"}, {"web-stable=0", "web-canary=100"}}, []string{"web-stable=0", "web-canary=100"}},
		{0, true, [][]string{{"admin=-"}, {"web-stable=100", "web-canary=0"}, {"web-stable=100", "web-canary=0"}}, []string{"web-stable=100", "web-canary=0"}},
	}
	for _, s := range steps {
		mustChange(t, "SetWeight", s.wantChanged, func() (bool, error) { return e.router.SetWeight(ctx, s.weight) })
		web := e.http("web")
		for i, want := range s.web {
			if got := weights(httpRefs(web.Spec.Rules[i])); !slices.Equal(got, want) {
				t.Errorf("weight %d: HTTPRoute rule %d weights = %v, want %v", s.weight, i, got, want)
			}
		}
		if got := weights(grpcRefs(e.grpc().Spec.Rules[0])); !slices.Equal(got, s.grpc) {
			t.Errorf("weight %d: GRPCRoute weights = %v, want %v", s.weight, got, s.grpc)
		}

		// The same call again writes nothing.
		n := e.writes()
		mustChange(t, "SetWeight again", false, func() (bool, error) { return e.router.SetWeight(ctx, s.weight) })
		if got := e.writes(); got != n {
			t.Errorf("weight %d: a second identical SetWeight wrote %d patches", s.weight, got-n)
		}
	}
	e.checkUserFields(before)
}

func TestSetWeightOnlyWritesWhatDiffers(t *testing.T) {
	ctx := context.Background()
	route := webRoute(t)
	route.Spec.Rules[2].BackendRefs[0].Weight = ptr.To[int32](100)
	route.Spec.Rules[2].BackendRefs[1].Weight = ptr.To[int32](0)
	e := newEnv(t, &rampv1alpha1.RolloutTrafficRouting{
		GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "web"}}},
	}, route)
	mustChange(t, "SetWeight(0) on a route at 0", false, func() (bool, error) { return e.router.SetWeight(ctx, 0) })
	if e.writes() != 0 {
		t.Fatalf("wrote %d patches for a route already at weight 0", e.writes())
	}
}

func TestSetWeightCorrectsDrift(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	mustChange(t, "SetWeight(10)", true, func() (bool, error) { return e.router.SetWeight(ctx, 10) })

	// Someone sets the canary weight of the main rule by hand.
	web := e.http("web")
	web.Spec.Rules[1].BackendRefs[1].Weight = ptr.To[int32](30)
	if err := e.base.Update(ctx, web); err != nil {
		t.Fatal(err)
	}
	mustChange(t, "SetWeight(10) after drift", true, func() (bool, error) { return e.router.SetWeight(ctx, 10) })
	if got, want := weights(httpRefs(e.http("web").Spec.Rules[1])), []string{"web-stable=90", "web-canary=10"}; !slices.Equal(got, want) {
		t.Fatalf("weights after drift = %v, want %v", got, want)
	}
	mustChange(t, "SetWeight(10) once more", false, func() (bool, error) { return e.router.SetWeight(ctx, 10) })
}

func TestSetWeightOutOfRange(t *testing.T) {
	e := newEnv(t, routing(), webRoute(t), grpcRoute(t))
	for _, w := range []int32{-1, 101} {
		if _, err := e.router.SetWeight(context.Background(), w); err == nil {
			t.Errorf("SetWeight(%d) succeeded", w)
		}
	}
	if e.writes() != 0 {
		t.Fatalf("wrote %d patches", e.writes())
	}
}

func TestIsService(t *testing.T) {
	ref := func(group, kind, ns *string) gatewayv1.BackendRef {
		b := gatewayv1.BackendRef{}
		b.Name = canary
		b.Group = (*gatewayv1.Group)(group)
		b.Kind = (*gatewayv1.Kind)(kind)
		b.Namespace = (*gatewayv1.Namespace)(ns)
		return b
	}
	for _, tc := range []struct {
		name string
		ref  gatewayv1.BackendRef
		want bool
	}{
		{"all unset", ref(nil, nil, nil), true},
		{"explicit defaults", ref(ptr.To(""), ptr.To("Service"), ptr.To(testNS)), true},
		{"other namespace", ref(nil, nil, ptr.To("other")), false},
		{"other kind", ref(nil, ptr.To("ServiceImport"), nil), false},
		{"other group", ref(ptr.To("multicluster.x-k8s.io"), ptr.To("Service"), nil), false},
	} {
		if got := isService(tc.ref, canary, testNS); got != tc.want {
			t.Errorf("%s: isService = %v, want %v", tc.name, got, tc.want)
		}
	}
}
