package conflict

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

const waitTimeout = 90 * time.Second

// syncEvery is how often the GitOps client syncs.
const syncEvery = 300 * time.Millisecond

// gitRoute is the HTTPRoute as git holds it: everything to the stable
// Service.
func gitRoute(ns string) *gatewayv1.HTTPRoute { return framework.NewHTTPRoute(ns, "web") }

// gitops is the second client: it syncs the objects from git and counts
// its writes that changed something.
type gitops struct {
	k8s     client.Client
	ns      string
	image   string // the image in git
	mu      sync.Mutex
	changed map[string]int // by object, writes that changed it
	errs    []error
}

func (g *gitops) count(what string, before, after string) {
	if before != after {
		g.mu.Lock()
		g.changed[what]++
		g.mu.Unlock()
	}
}

// sync applies git's view once: the Rollout's image, the HTTPRoute's
// rules, the Services' selectors (replaced whole, as kubectl replace does).
func (g *gitops) sync(ctx context.Context) error {
	ro := &rampv1alpha1.Rollout{}
	if err := g.k8s.Get(ctx, client.ObjectKey{Namespace: g.ns, Name: "web"}, ro); err != nil {
		return err
	}
	before := ro.ResourceVersion
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, g.image)
	if err := g.k8s.Patch(ctx, ro, client.RawPatch(types.JSONPatchType, []byte(patch))); err != nil {
		return fmt.Errorf("apply the Rollout: %w", err)
	}
	g.count("Rollout", before, ro.ResourceVersion)

	route := &gatewayv1.HTTPRoute{}
	if err := g.k8s.Get(ctx, client.ObjectKey{Namespace: g.ns, Name: "web"}, route); err != nil {
		return err
	}
	before = route.ResourceVersion
	rules, _ := json.Marshal(map[string]any{"spec": map[string]any{"rules": gitRoute(g.ns).Spec.Rules}})
	if err := g.k8s.Patch(ctx, route, client.RawPatch(types.MergePatchType, rules)); err != nil {
		return fmt.Errorf("apply the HTTPRoute: %w", err)
	}
	g.count("HTTPRoute", before, route.ResourceVersion)

	for _, name := range []string{"web-stable", "web-canary"} {
		svc := &corev1.Service{}
		if err := g.k8s.Get(ctx, client.ObjectKey{Namespace: g.ns, Name: name}, svc); err != nil {
			return err
		}
		before = svc.ResourceVersion
		svc.Spec.Selector = map[string]string{"app": "web"}
		if err := g.k8s.Update(ctx, svc); err != nil {
			if apierrors.IsConflict(err) {
				continue // the controller wrote it in between: next sync
			}
			return fmt.Errorf("replace Service %s: %w", name, err)
		}
		g.count("Service", before, svc.ResourceVersion)
	}
	return nil
}

// run syncs every syncEvery until ctx ends.
func (g *gitops) run(ctx context.Context) {
	tick := time.NewTicker(syncEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := g.sync(ctx); err != nil && ctx.Err() == nil {
				g.mu.Lock()
				g.errs = append(g.errs, err)
				g.mu.Unlock()
			}
		}
	}
}

// modifications counts the changes of one object seen by a watch.
func modifications(ctx context.Context, t *testing.T, w client.WithWatch, list client.ObjectList, ns, name string) func() int {
	t.Helper()
	wi, err := w.Watch(ctx, list, client.InNamespace(ns), client.MatchingFields{"metadata.name": name})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	go func() {
		for ev := range wi.ResultChan() {
			if ev.Type == watch.Modified {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(wi.Stop)
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// TestGitOpsToolBesideController walks a routed canary through an update
// while a GitOps client keeps syncing git's view of the Rollout, the
// HTTPRoute and the Services. The update finishes on git's image; the
// controller sets the weights and selectors back after each of the
// client's changes and says so in Events; and it writes the route and
// Services at most about once per change of the client's (plus its own
// steps), never in a loop: once the client stops, so does it.
func TestGitOpsToolBesideController(t *testing.T) {
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	ro := framework.NewCanaryWithServices(t, k8s, ns, "web", "registry.example/web:1", 3,
		framework.SetWeight(20), framework.PauseFor(3*time.Second), framework.SetWeight(60), framework.Pause())
	ro.Spec.Strategy.Canary.TrafficRouting = &rampv1alpha1.RolloutTrafficRouting{
		GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "web"}}},
	}
	ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = ptr.To[int32](1)
	framework.Create(t, k8s, gitRoute(ns))
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)
	framework.WaitRollout(t, k8s, key, waitTimeout, "the first revision to be Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS != ""
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	routeChanges := modifications(ctx, t, k8s, &gatewayv1.HTTPRouteList{}, ns, "web")
	stableChanges := modifications(ctx, t, k8s, &corev1.ServiceList{}, ns, "web-stable")
	canaryChanges := modifications(ctx, t, k8s, &corev1.ServiceList{}, ns, "web-canary")

	// The new version lands in git; the client syncs it, and goes on
	// syncing through the whole update.
	g := &gitops{k8s: k8s, ns: ns, image: "registry.example/web:2", changed: map[string]int{}}
	syncCtx, stopSync := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); g.run(syncCtx) }()

	paused := framework.WaitRollout(t, k8s, key, waitTimeout, "the update to pause at 60%", func(r *rampv1alpha1.Rollout) bool {
		return r.Spec.Template.Spec.Containers[0].Image == "registry.example/web:2" &&
			r.Status.CurrentPodHash != r.Status.StableRS && len(r.Status.PauseConditions) > 0 &&
			r.Status.Canary.Weights != nil && r.Status.Canary.Weights.Canary.Weight == 60
	})
	// Let the client fight the controller at 60% for a while.
	time.Sleep(3 * time.Second)
	framework.Promote(t, k8s, paused)
	framework.WaitRollout(t, k8s, key, waitTimeout, "the update to finish on git's image", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS == r.Status.CurrentPodHash &&
			r.Spec.Template.Spec.Containers[0].Image == "registry.example/web:2" && r.Status.ObservedGeneration == r.Generation
	})
	stopSync()
	<-done
	g.mu.Lock()
	for _, err := range g.errs {
		t.Errorf("the GitOps client: %v", err)
	}
	byClient := g.changed
	g.mu.Unlock()

	// Once the client stops, the controller settles: the route and the
	// Services end as they should, then nothing moves.
	// The client's last sync may have replaced either Service just before
	// it stopped: both are corrected before the quiet window opens.
	final := framework.Get(t, k8s, key, &rampv1alpha1.Rollout{})
	for _, name := range []string{"web-stable", "web-canary"} {
		framework.WaitFor(t, k8s, client.ObjectKey{Namespace: ns, Name: name}, &corev1.Service{}, waitTimeout,
			name+" to select the new version", func(s *corev1.Service) (bool, string) {
				h := s.Spec.Selector[rampv1alpha1.LabelPodTemplateHash]
				return h == final.Status.StableRS, h
			})
	}
	quietFrom := routeChanges() + stableChanges() + canaryChanges()
	time.Sleep(3 * time.Second) // a quiet window: any write now would be a loop
	if n := routeChanges() + stableChanges() + canaryChanges() - quietFrom; n != 0 {
		t.Errorf("the route and Services changed %d times in 3 s after the client stopped: a hot loop", n)
	}

	// Bounded: the controller's writes (all changes less the client's) are
	// at most one per change of the client's, plus its own steps and
	// promotion (a handful).
	const own = 8
	for what, total := range map[string]int{"HTTPRoute": routeChanges(), "Service": stableChanges() + canaryChanges()} {
		controller := total - byClient[what]
		t.Logf("%s: %d changes by the client, %d by the controller", what, byClient[what], controller)
		if controller > byClient[what]+own {
			t.Errorf("%s: the controller wrote %d times for %d changes of the client's: more than one correction each", what, controller, byClient[what])
		}
		if byClient[what] == 0 {
			t.Errorf("%s: the client never changed it, so nothing was tested", what)
		}
	}
	drift := framework.ListEvents(t, k8s, ro, "TrafficDrift")
	if len(drift) == 0 {
		t.Errorf("no TrafficDrift Event though the client reset the weights %d times", byClient["HTTPRoute"])
	}
}
