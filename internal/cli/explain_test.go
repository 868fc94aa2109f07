package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// explainSteps are n setWeight steps of 10, 20, ...
func explainSteps(n int) []rampv1alpha1.CanaryStep {
	steps := make([]rampv1alpha1.CanaryStep, 0, n)
	for i := range n {
		steps = append(steps, rampv1alpha1.CanaryStep{SetWeight: ptr.To(int32(10 * (i + 1)))})
	}
	return steps
}

// explainRollout is web in shop naming the RolloutProfile team-canary and
// writing only its Services and maxSurge, at revision bbb, with the
// profile's generation 3 (five steps) recorded for that revision.
func explainRollout(mutate func(*rampv1alpha1.Rollout)) *rampv1alpha1.Rollout {
	return testRollout(func(ro *rampv1alpha1.Rollout) {
		ro.Spec.Strategy = rampv1alpha1.RolloutStrategy{
			ProfileRef: &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary"},
			Canary:     &rampv1alpha1.CanaryStrategy{CanaryService: "web-canary", StableService: "web", MaxSurge: ptr.To(intstr.FromString("50%"))},
		}
		ro.Status.Profile = &rampv1alpha1.ProfileStatus{
			Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary", Generation: 3, PodTemplateHash: "bbb",
			Strategy: &rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{
				Steps: explainSteps(5), MaxSurge: ptr.To(intstr.FromString("25%")),
			}},
		}
		if mutate != nil {
			mutate(ro)
		}
	})
}

// teamCanaryProfile is the RolloutProfile team-canary as it is in the
// cluster now: generation 4, with two steps.
func teamCanaryProfile() *rampv1alpha1.RolloutProfile {
	return &rampv1alpha1.RolloutProfile{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "team-canary", Generation: 4},
		Spec: rampv1alpha1.RolloutProfileSpec{Strategy: rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{
			Steps: explainSteps(2),
		}}},
	}
}

// defaultProfile is a ClusterRolloutProfile that is the default of the
// namespaces labeled team=shop.
func defaultProfile(name string, st rampv1alpha1.ProfileStrategy) *rampv1alpha1.ClusterRolloutProfile {
	return &rampv1alpha1.ClusterRolloutProfile{
		ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 7},
		Spec: rampv1alpha1.ClusterRolloutProfileSpec{
			RolloutProfileSpec: rampv1alpha1.RolloutProfileSpec{Strategy: st},
			NamespaceSelector:  &metav1.LabelSelector{MatchLabels: map[string]string{"team": "shop"}},
		},
	}
}

// namedOnly makes p a profile that is no namespace's default.
func namedOnly(p *rampv1alpha1.ClusterRolloutProfile) *rampv1alpha1.ClusterRolloutProfile {
	p.Spec.NamespaceSelector = nil
	return p
}

// shopNamespace is namespace shop, labeled team=shop.
func shopNamespace() *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "shop"}}}
}

func TestExplainStrategyRecorded(t *testing.T) {
	// The profile has changed since the revision started: the record wins.
	code, out, errOut, _ := runCLI(t, interceptor.Funcs{}, []client.Object{explainRollout(nil), teamCanaryProfile()}, "explain-strategy", "web")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := `# Effective strategy of rollout web (revision bbb)
# from RolloutProfile team-canary generation 3, recorded when the revision started; fields set in the Rollout win
canary:
  canaryService: web-canary
  maxSurge: 50%
  stableService: web
  steps:
  - setWeight: 10
  - setWeight: 20
  - setWeight: 30
  - setWeight: 40
  - setWeight: 50
profileRef:
  kind: RolloutProfile
  name: team-canary
`
	if out != want {
		t.Errorf("explain-strategy printed\n%s\nwant\n%s", out, want)
	}
}

func TestExplainStrategy(t *testing.T) {
	blueGreen := rampv1alpha1.ProfileStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)}}
	canary := rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: explainSteps(3)}}
	for _, tc := range []struct {
		name    string
		objs    []client.Object
		funcs   interceptor.Funcs
		args    []string
		code    int
		out     []string
		notOut  []string
		errOut  []string
		noWarns bool
	}{{
		name: "not reconciled yet: the profile as it is now",
		objs: []client.Object{explainRollout(func(ro *rampv1alpha1.Rollout) { ro.Status = rampv1alpha1.RolloutStatus{} }), teamCanaryProfile()},
		out: []string{
			"# Effective strategy of rollout web (no revision yet: the controller has not reconciled it)\n",
			"# from RolloutProfile team-canary generation 4 as it is now (the controller has not recorded it for this revision yet)\n",
			"  - setWeight: 20\n", "  canaryService: web-canary\n",
		},
		notOut: []string{"setWeight: 30"},
	}, {
		name: "record of an earlier revision: the profile as it is now",
		objs: []client.Object{explainRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.Profile.PodTemplateHash = "aaa" }), teamCanaryProfile()},
		out: []string{
			"# Effective strategy of rollout web (revision bbb)\n",
			"# from RolloutProfile team-canary generation 4 as it is now (the controller has not recorded it for this revision yet)\n",
		},
		notOut: []string{"setWeight: 30"},
	}, {
		name: "another profile named since the record",
		objs: []client.Object{
			explainRollout(func(ro *rampv1alpha1.Rollout) {
				ro.Spec.Strategy.ProfileRef = &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindCluster, Name: "platform"}
			}),
			namedOnly(defaultProfile("platform", canary)),
		},
		out: []string{"# from ClusterRolloutProfile platform generation 7 as it is now", "  - setWeight: 30\n"},
	}, {
		name: "no profile",
		objs: []client.Object{testRollout(func(ro *rampv1alpha1.Rollout) {
			ro.Spec.Strategy.Canary.Steps = explainSteps(1)
		})},
		out: []string{"# Effective strategy of rollout web (revision bbb)\n# no profile: spec.strategy as written\ncanary:\n  steps:\n  - setWeight: 10\n"},
	}, {
		name: "a revision that started without a profile keeps none",
		objs: []client.Object{testRollout(nil), shopNamespace(), defaultProfile("platform", canary)},
		out:  []string{"# no profile: spec.strategy as written\n"},
	}, {
		name: "the namespace default, not recorded yet",
		objs: []client.Object{
			testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status = rampv1alpha1.RolloutStatus{} }), shopNamespace(),
			defaultProfile("platform", canary), defaultProfile("platform-bg", blueGreen),
		},
		out: []string{
			"# from ClusterRolloutProfile platform generation 7 (the namespace's default) as it is now (the controller has not recorded it for this revision yet)\n",
			"  - setWeight: 30\n",
		},
		notOut: []string{"profileRef"},
	}, {
		name: "the namespace default, recorded",
		objs: []client.Object{testRollout(func(ro *rampv1alpha1.Rollout) {
			ro.Status.Profile = &rampv1alpha1.ProfileStatus{Kind: rampv1alpha1.ProfileKindCluster, Name: "platform", Generation: 6,
				Default: true, PodTemplateHash: "bbb", Strategy: &blueGreen}
			ro.Spec.Strategy = rampv1alpha1.RolloutStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{ActiveService: "web"}}
		})},
		out: []string{
			"# from ClusterRolloutProfile platform generation 6 (the namespace's default), recorded when the revision started; fields set in the Rollout win\n",
			"blueGreen:\n  activeService: web\n  autoPromotionEnabled: false\n",
		},
	}, {
		name: "two namespace defaults",
		objs: []client.Object{
			testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status = rampv1alpha1.RolloutStatus{} }), shopNamespace(),
			defaultProfile("platform", canary), defaultProfile("platform-2", canary),
		},
		code:   1,
		errOut: []string{`namespace "shop" is selected by the default ClusterRolloutProfiles platform, platform-2: name one in spec.strategy.profileRef`},
	}, {
		name: "defaults that may not be listed",
		objs: []client.Object{testRollout(func(ro *rampv1alpha1.Rollout) { ro.Status = rampv1alpha1.RolloutStatus{} })},
		funcs: interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, ok := list.(*rampv1alpha1.ClusterRolloutProfileList); ok {
				return apierrors.NewForbidden(schema.GroupResource{Group: "ramp.dev", Resource: "clusterrolloutprofiles"}, "", errorString("no"))
			}
			return c.List(ctx, list, opts...)
		}},
		out:    []string{"# no profile: spec.strategy as written\n"},
		errOut: []string{`warning: could not check for a default profile of namespace "shop"`},
	}, {
		name: "missing profile",
		objs: []client.Object{explainRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.Profile = nil })},
		code: 1,
		errOut: []string{`error: RolloutProfile "team-canary" not found in namespace "shop": rollout "web" names it in spec.strategy.profileRef; ` +
			"create it, or fix the name"},
	}, {
		name: "missing cluster profile",
		objs: []client.Object{explainRollout(func(ro *rampv1alpha1.Rollout) {
			ro.Status.Profile = nil
			ro.Spec.Strategy.ProfileRef = &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindCluster, Name: "platform"}
		})},
		code:   1,
		errOut: []string{`error: ClusterRolloutProfile "platform" not found: rollout "web" names it`},
	}, {
		name: "profile of the other kind",
		objs: []client.Object{
			explainRollout(func(ro *rampv1alpha1.Rollout) { ro.Status.Profile = nil }),
			func() client.Object {
				p := teamCanaryProfile()
				p.Spec.Strategy = blueGreen
				return p
			}(),
		},
		code: 1,
		errOut: []string{`error: rollout "web": spec.strategy.profileRef: RolloutProfile "team-canary" holds a blueGreen strategy, ` +
			"but this Rollout writes spec.strategy.canary; write spec.strategy.blueGreen instead, or name a canary profile"},
	}, {
		name:   "rollout not found",
		args:   []string{"explain-strategy", "nope"},
		code:   1,
		errOut: []string{`error: rollout "nope" not found in namespace "shop"`},
	}, {
		name:   "unsupported output",
		objs:   []client.Object{explainRollout(nil)},
		args:   []string{"explain-strategy", "web", "-o", "wide"},
		code:   1,
		errOut: []string{`--output "wide" is not supported`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				args = []string{"explain-strategy", "web"}
			}
			code, out, errOut, _ := runCLI(t, tc.funcs, tc.objs, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, want := range tc.out {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			for _, unwanted := range tc.notOut {
				if strings.Contains(out, unwanted) {
					t.Errorf("stdout has %q:\n%s", unwanted, out)
				}
			}
			for _, want := range tc.errOut {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q: %s", want, errOut)
				}
			}
			if len(tc.errOut) == 0 && errOut != "" {
				t.Errorf("unexpected stderr: %s", errOut)
			}
		})
	}
}

func TestExplainStrategyJSON(t *testing.T) {
	code, out, errOut, _ := runCLI(t, interceptor.Funcs{}, []client.Object{explainRollout(nil)}, "explain-strategy", "web", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got explanation
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("-o json printed no JSON (%v):\n%s", err, out)
	}
	want := explainedProfile{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary", Generation: 3}
	if got.Rollout != "web" || got.Namespace != "shop" || got.Revision != "bbb" || got.Source != sourceRecorded ||
		got.Profile == nil || *got.Profile != want {
		t.Errorf("-o json: %+v (profile %+v)", got, got.Profile)
	}
	if c := got.Strategy.Canary; c == nil || len(c.Steps) != 5 || c.CanaryService != "web-canary" || c.MaxSurge.String() != "50%" {
		t.Errorf("-o json strategy %+v, want the profile's five steps under the Rollout's own fields", got.Strategy)
	}
	if strings.Contains(out, "#") {
		t.Errorf("-o json carries comments:\n%s", out)
	}
}

func TestExplainStrategyCompletion(t *testing.T) {
	code, out, _, _ := runCLI(t, interceptor.Funcs{}, []client.Object{explainRollout(nil)}, "__complete", "explain-strategy", "")
	if code != 0 || !strings.HasPrefix(out, "web\n") {
		t.Errorf("completion of rollout names: exit %d, output %q", code, out)
	}
}
