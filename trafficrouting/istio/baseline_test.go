package istio

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// withLines returns doc with each old line (pairs of old, new) replaced;
// an old line that doesn't occur exactly once fails the test, so that a
// change to a fixture cannot make the replacement silently do nothing.
func withLines(t *testing.T, doc string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if n := strings.Count(doc, pairs[i]); n != 1 {
			t.Fatalf("fixture has %q %d times, want once", pairs[i], n)
		}
		doc = strings.Replace(doc, pairs[i], pairs[i+1], 1)
	}
	return doc
}

// baselineWebVS is webVS with the baseline Service in the primary route
// and the first tcp route.
func baselineWebVS(t *testing.T) string {
	return withLines(t, webVS,
		"    - destination: {host: web-canary.shop.svc.cluster.local, port: {number: 8080}}\n",
		"    - destination: {host: web-canary.shop.svc.cluster.local, port: {number: 8080}}\n"+
			"    - destination: {host: web-baseline.shop, port: {number: 8080}}\n      weight: 0\n",
		"    - destination: {host: web-canary, port: {number: 5432}}\n",
		"    - destination: {host: web-canary, port: {number: 5432}}\n    - destination: {host: web-baseline, port: {number: 5432}}\n")
}

// baselineSecondVS is secondVS with the baseline Service.
func baselineSecondVS(t *testing.T) string {
	return withLines(t, secondVS, "    - destination: {host: web-canary}\n",
		"    - destination: {host: web-canary}\n    - destination: {host: web-baseline}\n      weight: 0\n")
}

// baselineSubsetVS is subsetVS with the baseline subset, on the host's
// long name.
func baselineSubsetVS(t *testing.T) string {
	return withLines(t, subsetVS, "    - destination: {host: web, subset: canary}\n      weight: 0\n",
		"    - destination: {host: web, subset: canary}\n      weight: 0\n"+
			"    - destination: {host: web.shop.svc.cluster.local, subset: baseline}\n      weight: 0\n")
}

// baselineDR is webDR with a baseline subset that has a label of its own.
func baselineDR(t *testing.T) string {
	return withLines(t, webDR, "  - name: canary\n", "  - name: canary\n  - name: baseline\n    labels: {app: web}\n")
}

// baselineSubsetRouting is subsetRouting with the baseline subset.
func baselineSubsetRouting() *rampv1alpha1.RolloutTrafficRouting {
	r := subsetRouting()
	r.Istio.DestinationRule.BaselineSubsetName = "baseline"
	return r
}

// rampPatchPath is a path Ramp may write: a destination's weight, a
// subset's labels, and the resourceVersion precondition.
var rampPatchPath = regexp.MustCompile(`^(/metadata/resourceVersion|/spec/(http|tls|tcp)/\d+/route/\d+/weight|/spec/subsets/\d+/labels(/.*)?)$`)

// patchedObjects returns, for each patch, the kind of object it writes
// (VirtualService or DestinationRule, by its paths), and fails the test on
// a path that is not Ramp's.
func patchedObjects(t *testing.T, patches []string) []string {
	t.Helper()
	var kinds []string
	for _, p := range patches {
		var ops []op
		if err := json.Unmarshal([]byte(p), &ops); err != nil {
			t.Fatal(err)
		}
		kind := "VirtualService"
		for _, o := range ops {
			if !rampPatchPath.MatchString(o.Path) {
				t.Errorf("patch writes %s, which is not Ramp's: %s", o.Path, p)
			}
			if strings.HasPrefix(o.Path, "/spec/subsets/") {
				kind = "DestinationRule"
			}
		}
		kinds = append(kinds, kind)
	}
	return kinds
}

// baselineSteps are the canary weights and baseline states the tests walk
// through, with the stable, canary and baseline weights each should give.
var baselineSteps = []struct {
	name                     string
	active                   bool
	weight                   int32
	stable, canary, baseline int32
}{
	{"25, baseline not running", false, 25, 75, 25, 0},
	{"25, baseline running", true, 25, 50, 25, 25},
	{"60, baseline running", true, 60, 0, 60, 40},
	{"60, baseline stopped", false, 60, 40, 60, 0},
}

func TestSetWeightWithBaselineByHost(t *testing.T) {
	routing := hostRouting(
		rampv1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"}, TCPRoutes: []rampv1alpha1.IstioTCPRoute{{Port: 5432}}},
		rampv1alpha1.IstioVirtualService{Name: "internal"},
	)
	e := newEnv(t, routing, interceptor.Funcs{}, vsFrom(t, baselineWebVS(t)), vsFrom(t, baselineSecondVS(t)))
	ctx := context.Background()
	before := map[string]string{"web": userView(t, e.vs(t, "web"), "primary", "tcp0"), "internal": userView(t, e.vs(t, "internal"), "")}
	// "<vs>:<route>" to the keys of its stable, canary and baseline destinations.
	dests := map[string][3]string{
		"web:primary": {"web-stable", "web-canary.shop.svc.cluster.local", "web-baseline.shop"},
		"web:tcp0":    {"web-stable", "web-canary", "web-baseline"},
		"internal:":   {"web-stable", "web-canary", "web-baseline"},
	}
	for _, s := range baselineSteps {
		e.withBaseline(s.active)
		n := e.patchCount()
		if changed, err := e.router.SetWeight(ctx, s.weight); err != nil || !changed {
			t.Fatalf("%s: SetWeight = %v, %v; want changed", s.name, changed, err)
		}
		if got := patchedObjects(t, e.patches[n:]); len(got) != 2 {
			t.Errorf("%s: %d patches, want one per VirtualService", s.name, len(got))
		}
		for key, d := range dests {
			vsName, route, _ := strings.Cut(key, ":")
			got := weightsOf(t, e.vs(t, vsName), route)
			if got[d[0]] != s.stable || got[d[1]] != s.canary || got[d[2]] != s.baseline {
				t.Errorf("%s: %s weights = %v, want %d/%d/%d", s.name, key, got, s.stable, s.canary, s.baseline)
			}
		}
		if got := weightsOf(t, e.vs(t, "web"), "legacy"); got["web-stable"] != 70 || got["web-canary"] != 30 {
			t.Errorf("%s: unselected legacy route weights = %v, want untouched", s.name, got)
		}
		n = e.patchCount()
		if changed, err := e.router.SetWeight(ctx, s.weight); err != nil || changed || e.patchCount() != n {
			t.Errorf("%s: second SetWeight = %v, %v with %d patches; want no write", s.name, changed, err, e.patchCount()-n)
		}
	}
	for name, sel := range map[string][]string{"web": {"primary", "tcp0"}, "internal": {""}} {
		if after := userView(t, e.vs(t, name), sel...); !sameJSON(t, before[name], after) {
			t.Errorf("VirtualService %s changed outside Ramp's fields:\nbefore %s\nafter  %s", name, before[name], after)
		}
	}
}

func TestSetWeightWithBaselineBySubset(t *testing.T) {
	e := newEnv(t, baselineSubsetRouting(), interceptor.Funcs{}, vsFrom(t, baselineSubsetVS(t)), drFrom(t, baselineDR(t)))
	ctx := context.Background()
	vsBefore, drBefore := userView(t, e.vs(t, "web"), "primary"), userView(t, e.dr(t))
	wantHash := map[bool]string{false: "stable111", true: "baseline333"}
	for i, s := range baselineSteps {
		e.withBaseline(s.active)
		n := e.patchCount()
		if changed, err := e.router.SetWeight(ctx, s.weight); err != nil || !changed {
			t.Fatalf("%s: SetWeight = %v, %v; want changed", s.name, changed, err)
		}
		// The subsets' labels change on the first call and when the
		// baseline starts or stops; the weights at every step.
		wantWrites := []string{"VirtualService"}
		if i == 0 || s.active != baselineSteps[i-1].active {
			wantWrites = []string{"DestinationRule", "VirtualService"}
		}
		if got := patchedObjects(t, e.patches[n:]); !reflect.DeepEqual(got, wantWrites) {
			t.Errorf("%s: patches write %v, want %v", s.name, got, wantWrites)
		}
		got := weightsOf(t, e.vs(t, "web"), "primary")
		if got["web/stable"] != s.stable || got["web/canary"] != s.canary || got["web.shop.svc.cluster.local/baseline"] != s.baseline {
			t.Errorf("%s: weights = %v, want %d/%d/%d", s.name, got, s.stable, s.canary, s.baseline)
		}
		labels := map[string]map[string]string{}
		for _, sub := range e.dr(t).Spec.GetSubsets() {
			labels[sub.GetName()] = sub.GetLabels()
		}
		want := map[string]map[string]string{
			"legacy":   {"version": "v1"},
			"stable":   {"app": "web", "tier": "front", rampv1alpha1.LabelPodTemplateHash: "stable111"},
			"canary":   {rampv1alpha1.LabelPodTemplateHash: "canary222"},
			"baseline": {"app": "web", rampv1alpha1.LabelPodTemplateHash: wantHash[s.active]},
		}
		if !reflect.DeepEqual(labels, want) {
			t.Errorf("%s: subset labels = %v, want %v", s.name, labels, want)
		}
		n = e.patchCount()
		if changed, err := e.router.SetWeight(ctx, s.weight); err != nil || changed || e.patchCount() != n {
			t.Errorf("%s: second SetWeight = %v, %v with %d patches; want no write", s.name, changed, err, e.patchCount()-n)
		}
	}
	if after := userView(t, e.vs(t, "web"), "primary"); !sameJSON(t, vsBefore, after) {
		t.Errorf("VirtualService changed outside Ramp's fields:\nbefore %s\nafter  %s", vsBefore, after)
	}
	if after := userView(t, e.dr(t)); !sameJSON(t, drBefore, after) {
		t.Errorf("DestinationRule changed outside the hash labels:\nbefore %s\nafter  %s", drBefore, after)
	}
}

// TestBaselineMirrorRoute: a mirror route copies the baseline destination
// with the first route's, and SetWeight keeps its three weights.
func TestBaselineMirrorRoute(t *testing.T) {
	e := newEnv(t, hostRouting(primary), interceptor.Funcs{}, vsFrom(t, baselineWebVS(t))).withBaseline(true)
	ctx := context.Background()
	mustChange(t, e, "SetWeight(10)", true, func() (bool, error) { return e.router.SetWeight(ctx, 10) })
	mustChange(t, e, "SetMirrorRoute", true, func() (bool, error) {
		return e.router.SetMirrorRoute(ctx, &rampv1alpha1.SetMirrorRoute{Name: "mirror",
			Match: []rampv1alpha1.RouteMatch{{Path: ptrTo(prefix("/api"))}}})
	})
	mustChange(t, e, "SetWeight(30)", true, func() (bool, error) { return e.router.SetWeight(ctx, 30) })
	want := map[string]int32{"web-stable": 40, "web-canary.shop.svc.cluster.local": 30, "web-baseline.shop": 30, "web-archive": 0}
	for _, route := range []string{"ramp-mirror", "primary"} {
		if got := weightsOf(t, e.vs(t, "web"), route); !reflect.DeepEqual(got, want) {
			t.Errorf("%s weights = %v, want %v", route, got, want)
		}
	}
}

// TestBaselineDestinationWithoutBaselineService: without a
// baselineService, a destination named like a baseline Service is the
// user's: its weight stays as it is.
func TestBaselineDestinationWithoutBaselineService(t *testing.T) {
	vs := vsFrom(t, baselineWebVS(t))
	vs.Spec.Http[1].Route[2].Weight = 5
	e := newEnv(t, hostRouting(primary), interceptor.Funcs{}, vs)
	mustChange(t, e, "SetWeight(25)", true, func() (bool, error) { return e.router.SetWeight(context.Background(), 25) })
	want := map[string]int32{"web-stable": 75, "web-canary.shop.svc.cluster.local": 25, "web-baseline.shop": 5, "web-archive": 0}
	if got := weightsOf(t, e.vs(t, "web"), "primary"); !reflect.DeepEqual(got, want) {
		t.Errorf("weights = %v, want %v", got, want)
	}
}

// TestBaselineRouteErrors: with a baselineService, a route or a
// DestinationRule without the baseline stops every method before any
// write, with a message that says what to add.
func TestBaselineRouteErrors(t *testing.T) {
	tcpWeb := rampv1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"}, TCPRoutes: []rampv1alpha1.IstioTCPRoute{{Port: 5432}}}
	tests := []struct {
		name     string
		routing  *rampv1alpha1.RolloutTrafficRouting
		objs     func(t *testing.T) []string
		kind     string
		contains []string
	}{
		{
			name:    "http route without the baseline Service",
			routing: hostRouting(primary),
			objs:    func(t *testing.T) []string { return []string{webVS} },
			kind:    "VirtualService",
			contains: []string{`http route "primary" lists host web-stable (stable) and host web-canary (canary) but not host web-baseline (baseline); ` +
				`add a destination with host web-baseline, weight 0`},
		},
		{
			name:    "tcp route without the baseline Service",
			routing: hostRouting(tcpWeb),
			objs: func(t *testing.T) []string {
				return []string{strings.Replace(baselineWebVS(t), "    - destination: {host: web-baseline, port: {number: 5432}}\n", "", 1)}
			},
			kind:     "VirtualService",
			contains: []string{"spec.tcp[0] lists host web-stable (stable) and host web-canary (canary) but not host web-baseline (baseline)"},
		},
		{
			name:    "baseline Service twice",
			routing: hostRouting(primary),
			objs: func(t *testing.T) []string {
				return []string{strings.Replace(baselineWebVS(t), "{host: web-archive}", "{host: web-baseline.shop.svc}", 1)}
			},
			kind:     "VirtualService",
			contains: []string{`http route "primary" has more than one destination with host web-baseline (baseline); keep one`},
		},
		{
			name:     "subset-level without baselineSubsetName",
			routing:  subsetRouting(),
			objs:     func(t *testing.T) []string { return []string{baselineSubsetVS(t), baselineDR(t)} },
			kind:     "DestinationRule",
			contains: []string{"baselineSubsetName is needed with baselineService web-baseline", "destinationRule.baselineSubsetName"},
		},
		{
			name:     "DestinationRule without the baseline subset",
			routing:  baselineSubsetRouting(),
			objs:     func(t *testing.T) []string { return []string{baselineSubsetVS(t), webDR} },
			kind:     "DestinationRule",
			contains: []string{`no subset named "baseline"`, "baselineSubsetName"},
		},
		{
			name:    "http route without the baseline subset",
			routing: baselineSubsetRouting(),
			objs:    func(t *testing.T) []string { return []string{subsetVS, baselineDR(t)} },
			kind:    "VirtualService",
			contains: []string{`http route "primary" lists subset stable (stable) and subset canary (canary) but not subset baseline (baseline); ` +
				`add a destination with host web and subset baseline, weight 0`},
		},
		{
			name:    "baseline subset on another host",
			routing: baselineSubsetRouting(),
			objs: func(t *testing.T) []string {
				return []string{strings.Replace(baselineSubsetVS(t), "web.shop.svc.cluster.local", "other", 1), baselineDR(t)}
			},
			kind:     "VirtualService",
			contains: []string{`http route "primary" sends subset baseline (baseline) to host other, not to host web like subset stable (stable)`},
		},
	}
	calls := map[string]func(trafficrouting.Router) (bool, error){
		"Check":     func(r trafficrouting.Router) (bool, error) { return false, r.Check(context.Background()) },
		"SetWeight": func(r trafficrouting.Router) (bool, error) { return r.SetWeight(context.Background(), 25) },
		"SetHeaderRoute": func(r trafficrouting.Router) (bool, error) {
			return r.SetHeaderRoute(context.Background(), header("header-a", rampv1alpha1.HeaderRoutingMatch{HeaderName: "x-canary", HeaderValue: exact("1")}))
		},
	}
	for _, tt := range tests {
		for callName, call := range calls {
			t.Run(tt.name+"/"+callName, func(t *testing.T) {
				e := newEnv(t, tt.routing, interceptor.Funcs{}, objectsFrom(t, tt.objs(t))...).withBaseline(true)
				changed, err := call(e.router)
				e.checkRouteError(t, callName, changed, err, tt.kind, "web", tt.contains)
			})
		}
	}
}

func TestShareOps(t *testing.T) {
	three := split{kind: kindHTTP, index: 0, stable: 0, canary: 1, stableWeight: 75, canaryWeight: 25, hasBaseline: true, baseline: 2}
	two := split{kind: kindTCP, index: 1, stable: 1, canary: 0, stableWeight: 75, canaryWeight: 25}
	if ops := shareOps([]split{three, two}, 75, 25, 0); len(ops) != 0 {
		t.Errorf("shareOps at the current weights = %v, want none", ops)
	}
	got := shareOps([]split{three, two}, 50, 25, 25)
	want := []op{
		setOp("/spec/http/0/route/0/weight", int32(50)),
		setOp("/spec/http/0/route/2/weight", int32(25)),
		// Without a baseline destination, the stable one keeps the baseline's share.
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("shareOps = %v, want %v", got, want)
	}
}
