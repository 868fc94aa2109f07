package istio

import (
	"fmt"
	"testing"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"

	"github.com/rampdev/ramp/trafficrouting"
)

// fuzzDestination makes a destination from a fuzz byte: the stable,
// canary or baseline one (by host, in any of its forms, or by subset), a
// destination that only looks like one, another Service, or none.
func fuzzDestination(b byte, bySubset bool) *networkingv1alpha3.Destination {
	if b%16 == 15 {
		return nil
	}
	services := []string{"web-stable", "web-canary", "web-baseline", "admin"}
	subsets := []string{"stable", "canary", "baseline", "other"}
	svc := services[int(b)%len(services)]
	if bySubset {
		hosts := []string{"web", "web.shop", "web.shop.svc.cluster.local", "api"}
		return &networkingv1alpha3.Destination{Host: hosts[int(b/4)%len(hosts)], Subset: subsets[int(b)%len(subsets)]}
	}
	hosts := []string{svc, svc + "." + ns, svc + "." + ns + ".svc", svc + "." + ns + ".svc.cluster.local", svc + ".other"}
	return &networkingv1alpha3.Destination{Host: hosts[int(b/4)%len(hosts)]}
}

// FuzzShareOps finds the stable, canary and baseline destinations of an
// arbitrary http route, splits the traffic at any weight and checks the
// JSON patch SetWeight would write: it touches only the weights of those
// destinations, never writes a negative weight or one over 100, leaves
// them with 100 in all, gives the canary the weight asked (and the
// baseline its share, or the stable destination that share when the route
// lists no baseline), and once applied needs no further write.
func FuzzShareOps(f *testing.F) {
	// Destination bytes: the role, plus 12 for the Service's full name,
	// or 8 for the long name of the subsets' host; 15 is no destination.
	const stable, canary, baseline, other, fqdn, longHost, none = 0, 1, 2, 3, 12, 8, 15
	// The routes of TestSetWeightSteps, TestShareOps and the baseline
	// tests, at their weights.
	for _, w := range []int32{0, 10, 50, 100} {
		f.Add([]byte{stable, 100, canary + fqdn, 0}, w, false, false, false)
		f.Add([]byte{stable, 100, canary, 0}, w, true, false, false)
	}
	f.Add([]byte{stable, 75, canary, 25}, int32(25), false, false, false)
	f.Add([]byte{stable, 75, canary, 25, baseline, 0}, int32(25), false, true, true)
	f.Add([]byte{stable, 50, canary, 25, baseline, 25}, int32(60), false, true, true)
	f.Add([]byte{stable, 50, canary, 25, baseline + longHost, 25}, int32(60), true, true, true)
	f.Add([]byte{stable, 70, canary, 30, other, 0}, int32(25), false, true, false)
	f.Add([]byte{other, 100, none, 0}, int32(10), false, false, false)
	f.Add([]byte{stable, 100, canary, 0, stable + 4, 0}, int32(-5), false, false, false)
	f.Add([]byte{stable, 255, canary, 200}, int32(1000), false, true, true)

	f.Fuzz(func(t *testing.T, data []byte, weight int32, bySubset, hasBaseline, baselineActive bool) {
		m := matcher{stable: "web-stable", canary: "web-canary", namespace: ns}
		cfg := trafficrouting.Config{StableService: "web-stable", CanaryService: "web-canary", BaselineActive: baselineActive}
		if hasBaseline {
			m.baseline, cfg.BaselineService = "web-baseline", "web-baseline"
		}
		if bySubset {
			m.bySubset, m.stable, m.canary = true, "stable", "canary"
			if hasBaseline {
				m.baseline = "baseline"
			}
		}
		route := &networkingv1alpha3.HTTPRoute{Name: "primary"}
		for i := 0; i+1 < len(data) && len(route.Route) < 8; i += 2 {
			route.Route = append(route.Route, &networkingv1alpha3.HTTPRouteDestination{
				Destination: fuzzDestination(data[i], bySubset), Weight: int32(data[i+1]),
			})
		}
		s, msg := httpSplit(0, route, m)
		if msg != "" {
			return
		}
		wantStable, wantCanary, wantBaseline := cfg.Weights(weight)
		owned := map[int]bool{s.stable: true, s.canary: true}
		if s.hasBaseline {
			owned[s.baseline] = true
		}
		before := make([]int32, len(route.Route))
		for i, d := range route.Route {
			before[i] = d.Weight
		}

		ops := shareOps([]split{s}, wantStable, wantCanary, wantBaseline)
		written := map[string]bool{}
		for _, o := range ops {
			if written[o.Path] {
				t.Fatalf("weight %s written twice", o.Path)
			}
			written[o.Path] = true
			j := -1
			for k := range route.Route {
				if o.Path == fmt.Sprintf("/spec/http/0/route/%d/weight", k) {
					j = k
				}
			}
			if o.Op != "add" || j < 0 || !owned[j] {
				t.Fatalf("%s %s is not the weight of the stable, canary or baseline destination (%+v)", o.Op, o.Path, s)
			}
			v, ok := o.Value.(int32)
			if !ok || v < 0 || v > 100 {
				t.Fatalf("writes weight %v (%T) to destination %d", o.Value, o.Value, j)
			}
			route.Route[j].Weight = v
		}
		for i, d := range route.Route {
			if !owned[i] && d.Weight != before[i] {
				t.Fatalf("destination %d, not Ramp's, changed weight from %d to %d", i, before[i], d.Weight)
			}
		}
		got := func(j int) int32 { return route.Route[j].Weight }
		sum, stableShare := got(s.stable)+got(s.canary), wantStable
		if s.hasBaseline {
			sum += got(s.baseline)
			if got(s.baseline) != wantBaseline {
				t.Fatalf("baseline weight %d, want %d", got(s.baseline), wantBaseline)
			}
		} else {
			stableShare += wantBaseline
		}
		if sum != 100 || got(s.canary) != wantCanary || got(s.stable) != stableShare {
			t.Fatalf("weight %d: stable %d, canary %d (sum with the baseline %d), want stable %d, canary %d, sum 100",
				weight, got(s.stable), got(s.canary), sum, stableShare, wantCanary)
		}

		again, msg := httpSplit(0, route, m)
		if msg != "" {
			t.Fatalf("the route no longer carries the split after the patch: %s", msg)
		}
		if ops := shareOps([]split{again}, wantStable, wantCanary, wantBaseline); len(ops) > 0 {
			t.Fatalf("after the patch, the same weights write again: %v", ops)
		}
		if !hasBaseline && weight >= 0 && weight <= 100 {
			// Without a baseline, weightOps is the split at weight.
			if ops := weightOps([]split{again}, weight); len(ops) > 0 {
				t.Fatalf("weightOps(%d) writes again after the split of that weight: %v", weight, ops)
			}
		}
	})
}
