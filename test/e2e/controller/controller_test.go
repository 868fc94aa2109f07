package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/e2e/framework"
)

const waitTimeout = 60 * time.Second

// newRollout returns a one-pod canary Rollout with labels.
func newRollout(ns, name string, labels map[string]string) *rampv1alpha1.Rollout {
	ro := framework.NewRollout(ns, name, "nginx:1.27", 1)
	ro.Labels = labels
	return ro
}

// waitObserved waits until the controller recorded the Rollout's generation.
func waitObserved(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout) {
	t.Helper()
	framework.WaitFor(t, k8s, client.ObjectKeyFromObject(ro), &rampv1alpha1.Rollout{}, waitTimeout,
		"status.observedGeneration to reach metadata.generation",
		func(r *rampv1alpha1.Rollout) (bool, string) {
			return r.Generation > 0 && r.Status.ObservedGeneration == r.Generation,
				fmt.Sprintf("generation %d, observedGeneration %d", r.Generation, r.Status.ObservedGeneration)
		})
}

// observedGeneration reads the Rollout's status.observedGeneration now.
func observedGeneration(t *testing.T, k8s client.Client, ro *rampv1alpha1.Rollout) int64 {
	t.Helper()
	return framework.Get(t, k8s, client.ObjectKeyFromObject(ro), &rampv1alpha1.Rollout{}).Status.ObservedGeneration
}

// TestServesHealthMetricsAndReconciles runs the binary with leader election
// and checks its endpoints, its Lease and that it reconciles a Rollout.
func TestServesHealthMetricsAndReconciles(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	p := startController(t, "--namespace", ns, "--leader-election-namespace", ns)

	p.waitEndpoint(t, p.healthAddr, "/healthz", "ok")
	p.waitEndpoint(t, p.healthAddr, "/readyz", "ok")

	ro := newRollout(ns, "web", nil)
	framework.Create(t, k8s, ro)
	waitObserved(t, k8s, ro)

	metrics := p.waitEndpoint(t, p.metricsAddr, "/metrics", `controller_runtime_reconcile_total{controller="rollout",result="success"}`)
	for _, want := range []string{`controller="analysisrun"`, "workqueue_depth", "leader_election_master_status", "rest_client_rate_limiter_duration_seconds"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	framework.WaitFor(t, k8s, client.ObjectKey{Namespace: ns, Name: manager.DefaultLeaderElectionID},
		&coordinationv1.Lease{}, waitTimeout, "the leader election Lease to have a holder",
		func(l *coordinationv1.Lease) (bool, string) {
			h := ptr.Deref(l.Spec.HolderIdentity, "")
			return h != "", "holder " + h
		})
}

// TestServesPprof runs the binary with --pprof-bind-address and reads the
// profile index and a goroutine dump from it.
func TestServesPprof(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	addr := framework.FreeAddr(t)
	p := startController(t, "--namespace", ns, "--leader-elect=false", "--pprof-bind-address", addr)

	index := p.waitEndpoint(t, addr, "/debug/pprof/", "goroutine")
	for _, want := range []string{"heap", "profile"} {
		if !strings.Contains(index, want) {
			t.Errorf("/debug/pprof/ does not list %s:\n%s", want, index)
		}
	}
	p.waitEndpoint(t, addr, "/debug/pprof/goroutine?debug=1", "goroutine profile:")
}

// TestLeaderFailover runs two replicas: one leads, and when it is killed the
// other takes over the Lease and reconciles.
func TestLeaderFailover(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	args := []string{"--namespace", ns, "--leader-election-namespace", ns,
		"--leader-election-lease-duration=3s", "--leader-election-renew-deadline=2s", "--leader-election-retry-period=500ms"}
	a := startController(t, args...)
	b := startController(t, args...)

	var first string
	framework.WaitFor(t, k8s, client.ObjectKey{Namespace: ns, Name: manager.DefaultLeaderElectionID},
		&coordinationv1.Lease{}, waitTimeout, "a leader",
		func(l *coordinationv1.Lease) (bool, string) {
			first = ptr.Deref(l.Spec.HolderIdentity, "")
			return first != "", "holder " + first
		})
	ro := newRollout(ns, "before-failover", nil)
	framework.Create(t, k8s, ro)
	waitObserved(t, k8s, ro)

	// Find the leader by its log line and kill it without letting it
	// release the Lease.
	leader, follower := a, b
	if !strings.Contains(a.Out.String(), "Successfully acquired lease") {
		leader, follower = b, a
	}
	leader.Kill()

	framework.WaitFor(t, k8s, client.ObjectKey{Namespace: ns, Name: manager.DefaultLeaderElectionID},
		&coordinationv1.Lease{}, waitTimeout, "the other replica to take the Lease",
		func(l *coordinationv1.Lease) (bool, string) {
			h := ptr.Deref(l.Spec.HolderIdentity, "")
			return h != "" && h != first, "holder " + h
		})
	after := newRollout(ns, "after-failover", nil)
	framework.Create(t, k8s, after)
	waitObserved(t, k8s, after)
	if !strings.Contains(follower.Out.String(), "Successfully acquired lease") {
		t.Errorf("the surviving replica did not log taking the lease")
	}
}

// TestNamespaceFlag checks that --namespace keeps the controller out of
// other namespaces.
func TestNamespaceFlag(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	watched := framework.Namespace(t, k8s)
	other := framework.Namespace(t, k8s)

	outside := newRollout(other, "outside", nil)
	framework.Create(t, k8s, outside)
	startController(t, "--namespace", watched, "--leader-elect=false")
	inside := newRollout(watched, "inside", nil)
	framework.Create(t, k8s, inside)
	waitObserved(t, k8s, inside)
	if g := observedGeneration(t, k8s, outside); g != 0 {
		t.Errorf("the controller reconciled a Rollout outside --namespace (observedGeneration %d)", g)
	}
}

// TestInstanceID checks that a controller without --instance-id leaves
// labeled Rollouts alone, and one with it handles only those.
func TestInstanceID(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	blue := newRollout(ns, "blue", map[string]string{rampv1alpha1.LabelInstanceID: "blue"})
	framework.Create(t, k8s, blue)
	startController(t, "--namespace", ns, "--leader-elect=false")
	plain := newRollout(ns, "plain", nil)
	framework.Create(t, k8s, plain)
	waitObserved(t, k8s, plain)
	if g := observedGeneration(t, k8s, blue); g != 0 {
		t.Fatalf("the controller without --instance-id reconciled a Rollout labeled for instance blue")
	}

	startController(t, "--namespace", ns, "--leader-elect=false", "--instance-id=blue")
	waitObserved(t, k8s, blue)
}

// TestBadFlagsFail checks that bad flags stop the binary with a clear error.
func TestBadFlagsFail(t *testing.T) {
	t.Parallel()
	p := startController(t, "--log-format=xml")
	select {
	case <-p.Exited():
	case <-time.After(30 * time.Second):
		t.Fatal("ramp-controller kept running with --log-format=xml")
	}
	if p.Err() == nil {
		t.Error("ramp-controller exited 0 with a bad flag")
	}
	if out := p.Out.String(); !strings.Contains(out, "--log-format must be json or text") {
		t.Errorf("output does not explain the bad flag:\n%s", out)
	}
}
