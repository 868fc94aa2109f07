package crash

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// Leader election is tuned short, so that a restarted controller takes the
// Lease within seconds.
var leaseArgs = []string{
	"--leader-election-lease-duration=4s", "--leader-election-renew-deadline=3s", "--leader-election-retry-period=1s",
}

// updateTimeout bounds one update, kills included.
const updateTimeout = 3 * time.Minute

// kind is the kind of rollout a Rollout of the suite is.
type kind int

const (
	kindBasic     kind = iota // replica-based canary
	kindRouted                // canary over an HTTPRoute
	kindBlueGreen             // blue-green with active and preview Services
	kindAnalysis              // replica-based canary with an analysis step; its last update fails
)

func (k kind) String() string {
	return [...]string{"basic", "routed", "bluegreen", "analysis"}[k]
}

// rolloutSpec is what the checker needs to know of a Rollout.
type rolloutSpec struct {
	kind           kind
	replicas       int32
	maxUnavailable int32
	weights        []int32
}

// servingRole is the role of the Service that serves users: stable for
// canaries, active for blue-green.
func (s rolloutSpec) servingRole() string {
	if s.kind == kindBlueGreen {
		return "active"
	}
	return "stable"
}

// levels are the canary levels an update goes through: route weights of a
// routed canary, canary pods of a replica-based one.
func (s rolloutSpec) levels() []int32 {
	if s.kind == kindRouted {
		return s.weights
	}
	out := make([]int32, len(s.weights))
	for i, w := range s.weights {
		out[i] = percentOf(w, s.replicas)
	}
	return out
}

// settings are the size and seed of a run.
type settings struct {
	seed     uint64
	rollouts int
	kills    int
}

// chaosSettings reads RAMP_CHAOS (long: the long run of make chaos) and
// RAMP_CHAOS_SEED. make test runs the short variant with a fixed seed; the
// long run takes a new seed each time unless given one.
func chaosSettings(t *testing.T) settings {
	s := settings{seed: 1, rollouts: 12, kills: 6}
	if os.Getenv("RAMP_CHAOS") == "long" {
		s = settings{seed: uint64(time.Now().UnixNano()), rollouts: 30, kills: 20}
	}
	if v := os.Getenv("RAMP_CHAOS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("RAMP_CHAOS_SEED=%q is not a number", v)
		}
		s.seed = n
	}
	return s
}

// metricServer answers the analysis of each Rollout of kind analysis: an
// error rate of 0, or 0.5 once the Rollout is made to fail.
type metricServer struct {
	*httptest.Server
	mu      sync.Mutex
	failing map[string]bool
}

func newMetricServer(t *testing.T) *metricServer {
	m := &metricServer{failing: map[string]bool{}}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		rate := 0.0
		if m.failing[strings.TrimPrefix(r.URL.Path, "/")] {
			rate = 0.5
		}
		m.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"errorRate": %g}`, rate)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *metricServer) fail(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failing[name] = true
}

func image(name string, n int) string {
	return fmt.Sprintf("registry.example/%s:%d", name, n)
}

// createRollout creates Rollout name of kind k with its Services, route
// and template, and returns what the checker needs to know of it.
func createRollout(t *testing.T, k8s client.Client, ns, name string, k kind, metrics *metricServer) rolloutSpec {
	t.Helper()
	var ro *rampv1alpha1.Rollout
	var spec rolloutSpec
	switch k {
	case kindBasic:
		spec = rolloutSpec{kind: k, replicas: 4, maxUnavailable: 1, weights: []int32{25, 50, 75}}
		ro = framework.NewCanaryWithServices(t, k8s, ns, name, image(name, 0), spec.replicas,
			framework.SetWeight(25), framework.PauseFor(time.Second), framework.SetWeight(50), framework.PauseFor(time.Second),
			framework.SetWeight(75), framework.PauseFor(time.Second))
		ro.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromInt32(1))
	case kindRouted:
		spec = rolloutSpec{kind: k, replicas: 3, weights: []int32{20, 60}}
		ro = framework.NewCanaryWithServices(t, k8s, ns, name, image(name, 0), spec.replicas,
			framework.SetWeight(20), framework.PauseFor(time.Second), framework.SetWeight(60), framework.PauseFor(time.Second))
		canary := ro.Spec.Strategy.Canary
		canary.TrafficRouting = &rampv1alpha1.RolloutTrafficRouting{
			GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: name}}},
		}
		canary.ScaleDownDelaySeconds = ptr.To[int32](1)
		framework.Create(t, k8s, framework.NewHTTPRoute(ns, name))
	case kindBlueGreen:
		spec = rolloutSpec{kind: k, replicas: 3}
		ro = framework.NewRollout(ns, name, image(name, 0), spec.replicas)
		ro.Spec.Strategy = rampv1alpha1.RolloutStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{
			ActiveService: name + "-active", PreviewService: name + "-preview",
			AutoPromotionSeconds: ptr.To[int32](1), ScaleDownDelaySeconds: ptr.To[int32](1),
		}}
		for _, svc := range []string{name + "-active", name + "-preview"} {
			framework.Create(t, k8s, framework.NewService(ns, svc, map[string]string{"app": name}))
		}
	case kindAnalysis:
		spec = rolloutSpec{kind: k, replicas: 2, weights: []int32{50}}
		framework.Create(t, k8s, &rampv1alpha1.AnalysisTemplate{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: []rampv1alpha1.Metric{{
				Name:             "error-rate",
				SuccessCondition: "result < 0.05",
				Provider:         rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: metrics.URL + "/" + name, JSONPath: "{.errorRate}"}},
			}}},
		})
		ro = framework.NewCanaryWithServices(t, k8s, ns, name, image(name, 0), spec.replicas,
			framework.SetWeight(50),
			rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: name}}}})
	}
	framework.Create(t, k8s, ro)
	return spec
}

// healthyOn is done when the Rollout runs image as its stable version.
func healthyOn(img string) func(*rampv1alpha1.Rollout) (bool, string) {
	return func(r *rampv1alpha1.Rollout) (bool, string) {
		done := r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.ObservedGeneration == r.Generation &&
			r.Status.StableRS != "" && r.Status.StableRS == r.Status.CurrentPodHash &&
			r.Spec.Template.Spec.Containers[0].Image == img
		return done, framework.DescribeRollout(r)
	}
}

// abortedBy is done when the Rollout's update was aborted with a message
// naming metric.
func abortedBy(metric string) func(*rampv1alpha1.Rollout) (bool, string) {
	return func(r *rampv1alpha1.Rollout) (bool, string) {
		done := r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded && r.Status.Abort && strings.Contains(r.Status.Message, metric)
		return done, framework.DescribeRollout(r)
	}
}

// driver takes one Rollout through updates until the kills are over and
// one more, and counts the canary updates that should be promoted.
type driver struct {
	k8s     client.WithWatch
	key     client.ObjectKey
	spec    rolloutSpec
	metrics *metricServer
	// promoted counts the canary updates that finished.
	promoted int
}

func (d *driver) setImage(ctx context.Context, img string) error {
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, img)
	ro := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: d.key.Namespace, Name: d.key.Name}}
	if err := d.k8s.Patch(ctx, ro, client.RawPatch(types.JSONPatchType, []byte(patch))); err != nil {
		if !errors.Is(err, context.Canceled) {
			return fmt.Errorf("set image %s on %s: %w", img, d.key.Name, err)
		}
		return err
	}
	return nil
}

// run updates the Rollout until killsDone is closed, then once more: an
// update that fails its analysis for kind analysis, one more promotion for
// the others.
func (d *driver) run(ctx context.Context, killsDone <-chan struct{}) error {
	first, cancel := context.WithTimeout(ctx, updateTimeout)
	defer cancel()
	if err := framework.WaitUntil(first, d.k8s, d.key, &rampv1alpha1.Rollout{}, d.key.Name+" to be Healthy on its first revision",
		healthyOn(image(d.key.Name, 0))); err != nil {
		return err
	}
	for n := 1; ; n++ {
		last := false
		select {
		case <-killsDone:
			last = true
		default:
		}
		img := image(d.key.Name, n)
		if last && d.spec.kind == kindAnalysis {
			d.metrics.fail(d.key.Name)
			if err := d.setImage(ctx, img); err != nil {
				return err
			}
			actx, cancel := context.WithTimeout(ctx, updateTimeout)
			defer cancel()
			return framework.WaitUntil(actx, d.k8s, d.key, &rampv1alpha1.Rollout{}, d.key.Name+" to abort "+img+" on its failed analysis",
				abortedBy("error-rate"))
		}
		if err := d.setImage(ctx, img); err != nil {
			return err
		}
		uctx, cancel := context.WithTimeout(ctx, updateTimeout)
		err := framework.WaitUntil(uctx, d.k8s, d.key, &rampv1alpha1.Rollout{}, d.key.Name+" to be Healthy on "+img, healthyOn(img))
		cancel()
		if err != nil {
			return err
		}
		if d.spec.kind != kindBlueGreen {
			d.promoted++
		}
		if last {
			return nil
		}
	}
}

// TestControllerKilledDuringRollouts kills the controller with SIGKILL at
// random moments while rollouts of every kind progress, and checks the
// invariants over everything that happened: the stable version keeps
// serving, traffic never goes to a version without ready pods, no step is
// skipped or repeated, no ReplicaSet is made twice, and every rollout ends
// Healthy on its last image, or Degraded by its failed analysis.
func TestControllerKilledDuringRollouts(t *testing.T) {
	set := chaosSettings(t)
	t.Logf("seed %d (RAMP_CHAOS_SEED=%d repeats this run): %d rollouts, %d kills", set.seed, set.seed, set.rollouts, set.kills)
	rng := rand.New(rand.NewPCG(set.seed, 0x7261_6d70))
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	args := append(append(framework.ChartController(t, k8s, ns), leaseArgs...), "--log-format=text")
	start := func(n int) *framework.ControllerProcess {
		return framework.StartControllerProcess(t, controllerBinary, fmt.Sprintf("run-%d", n), args...)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tl := startTimeline(ctx, t, k8s, ns)
	metrics := newMetricServer(t)
	specs := map[string]rolloutSpec{}
	var drivers []*driver
	for i := range set.rollouts {
		k := kind(i % 4)
		name := fmt.Sprintf("%s-%d", k, i)
		specs[name] = createRollout(t, k8s, ns, name, k, metrics)
		drivers = append(drivers, &driver{k8s: k8s, key: client.ObjectKey{Namespace: ns, Name: name}, spec: specs[name], metrics: metrics})
	}

	proc := start(0)
	killsDone := make(chan struct{})
	errs := make(chan error, len(drivers))
	var wg sync.WaitGroup
	for _, d := range drivers {
		wg.Go(func() { errs <- d.run(ctx, killsDone) })
	}

	// Kill the leader at a random moment after it takes the Lease, each time.
	leaseKey := client.ObjectKey{Namespace: ns, Name: manager.DefaultLeaderElectionID}
	holder := ""
	for i := range set.kills {
		if err := framework.WaitUntil(ctx, k8s, leaseKey, &coordinationv1.Lease{}, "a new leader",
			func(l *coordinationv1.Lease) (bool, string) {
				h := ptr.Deref(l.Spec.HolderIdentity, "")
				return h != "" && h != holder, h
			}); err != nil {
			t.Fatal(err)
		}
		lease := framework.Get(t, k8s, leaseKey, &coordinationv1.Lease{})
		holder = ptr.Deref(lease.Spec.HolderIdentity, "")
		time.Sleep(time.Duration(200+rng.IntN(2800)) * time.Millisecond) // the random moment of the kill
		proc.Kill()
		<-proc.Exited()
		proc = start(i + 1)
	}
	close(killsDone)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	cancel()
	tl.wg.Wait()

	recs, err := tl.sorted()
	if err != nil {
		t.Errorf("the observer missed changes: %v", err)
	}
	c := newChecker(specs)
	c.replay(recs)
	wantUpdates := 0
	for _, d := range drivers {
		wantUpdates += d.promoted
	}
	for _, v := range c.violations {
		t.Error(v)
	}
	for name := range specs {
		if f := c.f[name]; f == nil || !f.armed {
			t.Errorf("the observer never saw %s Healthy", name)
		}
	}
	if c.updates != wantUpdates {
		t.Errorf("the checker saw %d canary updates promoted, the drivers %d", c.updates, wantUpdates)
	}
	t.Logf("seed %d: %d rollouts, %d kills survived, %d canary updates promoted and checked step by step, "+
		"%d changes observed, %d invariant checks, %d violations",
		set.seed, set.rollouts, set.kills, c.updates, len(recs), c.checks, len(c.violations))
}
