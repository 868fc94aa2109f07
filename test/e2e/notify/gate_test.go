package notify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/gate"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds each wait on the controller.
const waitTimeout = 60 * time.Second

// approvals is a loopback approval service: it answers 202 until allowed
// or denied, and keeps what it was asked.
type approvals struct {
	srv      *httptest.Server
	mu       sync.Mutex
	asked    []gate.Request
	headers  []http.Header
	decision atomic.Value // "", "allow" or "deny"
}

func newApprovals(t *testing.T) *approvals {
	a := &approvals{}
	a.decision.Store("")
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req gate.Request
		_ = json.NewDecoder(r.Body).Decode(&req)
		a.mu.Lock()
		a.asked = append(a.asked, req)
		a.headers = append(a.headers, r.Header.Clone())
		a.mu.Unlock()
		switch a.decision.Load() {
		case "allow":
			_, _ = w.Write([]byte(`{"allow": true, "message": "CHG-7 approved"}`))
		case "deny":
			_, _ = w.Write([]byte(`{"allow": false, "message": "load test failed: p99 900ms"}`))
		default:
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"message": "CHG-7 not approved yet"}`))
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *approvals) requests() []gate.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]gate.Request(nil), a.asked...)
}

func gateStep(url string) rampv1alpha1.CanaryStep {
	return rampv1alpha1.CanaryStep{Gate: &rampv1alpha1.RolloutGate{
		RetryInterval: "1s",
		Webhook: rampv1alpha1.GateWebhook{URL: url, Headers: []rampv1alpha1.WebMetricHeader{
			{Key: "X-Team", Value: ptrTo("payments")},
		}},
	}}
}

func ptrTo[T any](v T) *T { return &v }

// startCanary creates a canary Rollout, waits for its first revision to be
// Healthy and starts an update to v2.
func startCanary(t *testing.T, k8s client.WithWatch, ns, name string, steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	t.Helper()
	ro := createCanary(t, k8s, ns, name, steps...)
	framework.SetImage(t, k8s, ro, "registry.example/"+name+":v2")
	return ro
}

// createCanary creates a canary Rollout and waits for its first revision
// to be Healthy.
func createCanary(t *testing.T, k8s client.WithWatch, ns, name string, steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	t.Helper()
	ro := framework.NewRollout(ns, name, "registry.example/"+name+":v1", 2, steps...)
	framework.Create(t, k8s, ro)
	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "the first revision to be Healthy", healthy)
	return ro
}

func healthy(r *rampv1alpha1.Rollout) bool {
	return r.Status.ObservedGeneration == r.Generation && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
}

// TestGateHoldsUntilAllowed: the update waits at the gate step, at the
// weight of the step before, asking the service every second, and shows
// the service's last answer; once the service allows, it finishes.
func TestGateHoldsUntilAllowed(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	svc := newApprovals(t)
	ro := startCanary(t, k8s, ns, "web", framework.SetWeight(25), gateStep(svc.srv.URL), framework.SetWeight(75))
	key := client.ObjectKeyFromObject(ro)

	held := framework.WaitRollout(t, k8s, key, waitTimeout, "the gate to have asked three times", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Gate != nil && r.Status.Gate.Attempts >= 3
	})
	if held.Status.Phase != rampv1alpha1.RolloutPhasePaused || framework.StepIndex(held) != 1 ||
		!strings.Contains(held.Status.Message, "CHG-7 not approved yet") {
		t.Errorf("waiting at the gate: %s; want Paused at step 2 with the service's answer", framework.DescribeRollout(held))
	}
	if c := meta.FindStatusCondition(held.Status.Conditions, rampv1alpha1.ConditionPaused); c == nil || c.Reason != rampv1alpha1.ReasonGateWaiting {
		t.Errorf("the Paused condition while at the gate: %+v; want reason GateWaiting", c)
	}
	if g := held.Status.Gate; g.Name != "step 2" || g.Decision != rampv1alpha1.GateWaiting || g.LastAnswer != "HTTP 202: CHG-7 not approved yet" {
		t.Errorf("status.gate %+v", g)
	}
	asked := svc.requests()
	first := asked[0]
	if first.Rollout != "web" || first.Namespace != ns || first.Gate != "step 2" || first.Step == nil || *first.Step != 2 ||
		first.Steps != 3 || len(first.Images) != 1 || first.Images[0] != "app=registry.example/web:v2" || first.PodTemplateHash == "" {
		t.Errorf("the service was asked %+v", first)
	}
	if got := svc.headers[0].Get("X-Team"); got != "payments" {
		t.Errorf("header X-Team = %q, want payments", got)
	}
	if gap := asked[2].Attempt - asked[1].Attempt; gap != 1 {
		t.Errorf("attempts %d then %d", asked[1].Attempt, asked[2].Attempt)
	}

	svc.decision.Store("allow")
	done := framework.WaitRollout(t, k8s, key, waitTimeout, "the allowed update to finish", healthy)
	if g := done.Status.Gate; g == nil || g.Decision != rampv1alpha1.GateAllowed || !strings.Contains(g.LastAnswer, "CHG-7 approved") {
		t.Errorf("status.gate after it allowed: %+v", g)
	}
}

// TestGateDenyAborts: a denial aborts the update with the service's
// message, and the traffic goes back to the stable version.
func TestGateDenyAborts(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	svc := newApprovals(t)
	svc.decision.Store("deny")
	ro := startCanary(t, k8s, ns, "api", framework.SetWeight(50), gateStep(svc.srv.URL), framework.SetWeight(100))
	aborted := framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "the denied update to abort", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Abort && r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded
	})
	if !strings.Contains(aborted.Status.Message, "load test failed: p99 900ms") || !strings.Contains(aborted.Status.Message, "step 2") {
		t.Errorf("the aborted Rollout's message %q does not carry the gate and the service's message", aborted.Status.Message)
	}
	if c := meta.FindStatusCondition(aborted.Status.Conditions, rampv1alpha1.ConditionReady); c == nil || c.Reason != rampv1alpha1.ReasonGateDenied {
		t.Errorf("the Ready condition after the denial: %+v; want reason GateDenied", c)
	}
	if g := aborted.Status.Gate; g == nil || g.Decision != rampv1alpha1.GateDenied {
		t.Errorf("status.gate after the denial: %+v", g)
	}
	framework.WaitReplicaSet(t, k8s, ns, "api", aborted.Status.CurrentPodHash, waitTimeout, "the denied canary to scale down", framework.ReplicaSetAt(0))
}

// TestBlueGreenPrePromotionGate: the active Service stays on the old
// version until the gate allows the switch.
func TestBlueGreenPrePromotionGate(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	svc := newApprovals(t)
	ro := framework.NewRollout(ns, "shop", "registry.example/shop:v1", 2)
	ro.Spec.Strategy = rampv1alpha1.RolloutStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{
		ActiveService: "shop-active", PreviewService: "shop-preview",
		PrePromotionGate: &rampv1alpha1.RolloutGate{RetryInterval: "1s", Webhook: rampv1alpha1.GateWebhook{URL: svc.srv.URL}},
	}}
	for _, name := range []string{"shop-active", "shop-preview"} {
		framework.Create(t, k8s, framework.NewService(ns, name, map[string]string{"app": "shop"}))
	}
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)
	first := framework.WaitRollout(t, k8s, key, waitTimeout, "the first revision to be Healthy", healthy)
	stableHash := first.Status.StableRS
	framework.SetImage(t, k8s, ro, "registry.example/shop:v2")
	held := framework.WaitRollout(t, k8s, key, waitTimeout, "the prePromotionGate to have asked twice", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Gate != nil && r.Status.Gate.Attempts >= 2
	})
	if held.Status.Gate.Name != "prePromotion" || held.Status.BlueGreen.ActiveSelector != stableHash {
		t.Errorf("waiting at the prePromotionGate: gate %+v, active selector %s; want the old version active", held.Status.Gate, held.Status.BlueGreen.ActiveSelector)
	}
	framework.WaitServiceSelects(t, k8s, ns, "shop-active", stableHash, waitTimeout)
	if asked := svc.requests(); asked[0].Gate != "prePromotion" || asked[0].Step != nil {
		t.Errorf("the service was asked %+v", asked[0])
	}
	svc.decision.Store("allow")
	done := framework.WaitRollout(t, k8s, key, waitTimeout, "the allowed update to switch and finish", healthy)
	framework.WaitServiceSelects(t, k8s, ns, "shop-active", done.Status.CurrentPodHash, waitTimeout)
}

// TestHangingGatesDoNotSlowOthers: twelve Rollouts wait at gates whose
// service accepts the call and never answers (each call may take 60 s);
// meanwhile another Rollout's update runs through its steps and finishes
// before any of those calls has even timed out.
func TestHangingGatesDoNotSlowOthers(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })

	hanging := rampv1alpha1.CanaryStep{Gate: &rampv1alpha1.RolloutGate{Webhook: rampv1alpha1.GateWebhook{URL: hang.URL, Timeout: "60s"}}}
	var stuck []*rampv1alpha1.Rollout
	for i := range 12 {
		name := "stuck-" + string(rune('a'+i))
		ro := framework.NewRollout(ns, name, "registry.example/stuck:v1", 1, framework.SetWeight(50), hanging)
		framework.Create(t, k8s, ro)
		stuck = append(stuck, ro)
	}
	for _, ro := range stuck {
		framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "the first revision to be Healthy", healthy)
		framework.SetImage(t, k8s, ro, "registry.example/stuck:v2")
	}
	for _, ro := range stuck {
		framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "the update to wait at its hanging gate", func(r *rampv1alpha1.Rollout) bool {
			return r.Status.Gate != nil && r.Status.Gate.Decision == rampv1alpha1.GateWaiting
		})
	}

	ro := startCanary(t, k8s, ns, "free", framework.SetWeight(20), framework.SetWeight(60))
	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "the other update to finish", healthy)
	for _, s := range stuck {
		r := framework.Get(t, k8s, client.ObjectKeyFromObject(s), &rampv1alpha1.Rollout{})
		if r.Status.Gate == nil || r.Status.Gate.Attempts != 0 || r.Status.Phase != rampv1alpha1.RolloutPhasePaused {
			t.Errorf("%s: %s, gate %+v; want it still waiting for the first answer", s.Name, framework.DescribeRollout(r), r.Status.Gate)
		}
	}
}
