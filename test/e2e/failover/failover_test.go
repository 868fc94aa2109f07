package failover

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// Leader election is tuned short so that a failover takes seconds.
const (
	leaseDuration = 4 * time.Second
	renewDeadline = 3 * time.Second
	retryPeriod   = time.Second
)

// takeoverBound is how long after the leader's death the survivor may take
// to hold the Lease and move the Rollout on: the lease duration, plus room
// for the retry period's jitter (up to 2.2 retry periods in client-go) and
// a reconcile.
const takeoverBound = leaseDuration + 6*time.Second

// waitTimeout bounds the waits that involve no failover: pods started by the
// fake nodes, timed pauses of 2s.
const waitTimeout = 60 * time.Second

// stepCompleted matches the note of a StepCompleted Event.
var stepCompleted = regexp.MustCompile(`^Step (\d+) of (\d+) completed`)

// version is what the test keeps of one version of the Rollout.
type version struct {
	resourceVersion string
	podHash         string
	stepIndex       int32
	phase           rampv1alpha1.RolloutPhase
}

func (v version) String() string {
	return fmt.Sprintf("rv %s hash %q step %d %s", v.resourceVersion, v.podHash, v.stepIndex, v.phase)
}

// TestLeaderFailover kills the leading controller with SIGKILL while an
// update waits at an indefinite pause, promotes the update, and checks that
// the other controller takes the Lease within takeoverBound and finishes
// the update: the step index never goes back, and each step completes
// exactly once.
func TestLeaderFailover(t *testing.T) {
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	args := []string{"--namespace", ns, "--leader-elect", "--leader-election-namespace", ns,
		"--leader-election-lease-duration=" + leaseDuration.String(),
		"--leader-election-renew-deadline=" + renewDeadline.String(),
		"--leader-election-retry-period=" + retryPeriod.String()}
	procs := []*controllerProcess{startController(t, "a", args...), startController(t, "b", args...)}
	leaseKey := client.ObjectKey{Namespace: ns, Name: manager.DefaultLeaderElectionID}
	firstLease := waitLeaseHolder(t, k8s, leaseKey, waitTimeout, "")

	steps := []rampv1alpha1.CanaryStep{
		framework.SetWeight(25), framework.PauseFor(2 * time.Second),
		framework.SetWeight(50), framework.Pause(),
		framework.SetWeight(75), framework.PauseFor(2 * time.Second),
	}
	ro := framework.NewRollout(ns, "web", "nginx:1.27", 4, steps...)
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)
	stable := framework.WaitRollout(t, k8s, key, waitTimeout, "the first revision to be Healthy", healthy)
	before := stepEventNames(framework.ListEvents(t, k8s, ro, "StepCompleted"))

	history := followRollout(t, k8s, ns, ro.UID)
	framework.SetImage(t, k8s, ro, "nginx:1.28")
	paused := framework.WaitRollout(t, k8s, key, waitTimeout, "the update to pause indefinitely at step index 3",
		func(r *rampv1alpha1.Rollout) bool {
			return r.Status.CurrentPodHash != stable.Status.CurrentPodHash && framework.StepIndex(r) == 3 &&
				len(r.Status.PauseConditions) > 0
		})
	newHash := paused.Status.CurrentPodHash
	// Events are sent after the status write: wait until the first three
	// steps' are in, so that none is lost with the leader.
	waitStepEvents(t, k8s, ro, before, len(steps), 3)

	// Find the leader. The Lease must not have changed hands since the start,
	// so exactly one process has logged that it acquired it.
	lease := framework.Get(t, k8s, leaseKey, &coordinationv1.Lease{})
	if h := ptr.Deref(lease.Spec.HolderIdentity, ""); h != firstLease.holder ||
		ptr.Deref(lease.Spec.LeaseTransitions, 0) != firstLease.transitions {
		t.Fatalf("the Lease changed hands before the kill: holder %q (transitions %d), first %q (transitions %d)",
			h, ptr.Deref(lease.Spec.LeaseTransitions, 0), firstLease.holder, firstLease.transitions)
	}
	var leaders, followers []*controllerProcess
	for _, p := range procs {
		if p.leads() {
			leaders = append(leaders, p)
		} else {
			followers = append(followers, p)
		}
	}
	if len(leaders) != 1 {
		t.Fatalf("%d processes logged %q, want exactly 1 (Lease holder %q)", len(leaders), acquiredLease, firstLease.holder)
	}
	leader, survivor := leaders[0], followers[0]
	t.Logf("leader: process %s (pid %d), Lease holder %q", leader.Name, leader.Pid(), firstLease.holder)

	killedAt := time.Now()
	leader.Kill()
	framework.Promote(t, k8s, ro)

	// The survivor takes the Lease and moves the Rollout past the pause,
	// both within takeoverBound of the kill.
	now := waitLeaseHolder(t, k8s, leaseKey, time.Until(killedAt.Add(takeoverBound)), firstLease.holder)
	tookLease := time.Since(killedAt)
	if survivor.HasExited() {
		t.Fatalf("the surviving process %s is gone: %s", survivor.Name, survivor.State())
	}
	framework.WaitRollout(t, k8s, key, time.Until(killedAt.Add(takeoverBound)),
		fmt.Sprintf("the survivor to move the update past step index 3 within %v of the kill", takeoverBound),
		func(r *rampv1alpha1.Rollout) bool { return framework.StepIndex(r) > 3 || r.Status.StableRS == newHash })
	resumed := time.Since(killedAt)
	done := framework.WaitRollout(t, k8s, key, waitTimeout, "the update to finish Healthy", func(r *rampv1alpha1.Rollout) bool {
		return healthy(r) && r.Status.StableRS == newHash
	})
	t.Logf("after the kill: Lease taken in %v, Rollout resumed in %v, Healthy in %v",
		tookLease.Round(time.Millisecond), resumed.Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond))
	// The log line may lag behind the Lease write; by now it is out.
	if !survivor.leads() {
		t.Errorf("the Lease passed to %q but the surviving process %s did not log %q", now.holder, survivor.Name, acquiredLease)
	}

	// Every version seen of the update: the step index never goes back.
	versions, lists := history(done.ResourceVersion)
	checkStepIndexes(t, versions, lists, newHash)
	// Each step completed once: none skipped, none done twice.
	evs := waitStepEvents(t, k8s, ro, before, len(steps), len(steps))
	checkStepsOnce(t, evs, before, len(steps))
}

// healthy reports whether the Rollout is Healthy with every pod available.
func healthy(r *rampv1alpha1.Rollout) bool {
	return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.ObservedGeneration == r.Generation &&
		r.Status.StableRS != "" && r.Status.StableRS == r.Status.CurrentPodHash &&
		r.Status.AvailableReplicas == ptr.Deref(r.Spec.Replicas, 0)
}

// leaseState is the Lease's holder and how many times it changed hands.
type leaseState struct {
	holder      string
	transitions int32
}

// waitLeaseHolder waits until the Lease named key has a holder other than
// not ("" for any holder) and returns it.
func waitLeaseHolder(t *testing.T, k8s client.WithWatch, key client.ObjectKey, timeout time.Duration, not string) leaseState {
	t.Helper()
	what := "a holder of the Lease"
	if not != "" {
		what = fmt.Sprintf("the Lease to pass from %q to another holder", not)
	}
	var got leaseState
	framework.WaitFor(t, k8s, key, &coordinationv1.Lease{}, timeout, what, func(l *coordinationv1.Lease) (bool, string) {
		got = leaseState{holder: ptr.Deref(l.Spec.HolderIdentity, ""), transitions: ptr.Deref(l.Spec.LeaseTransitions, 0)}
		return got.holder != "" && got.holder != not, fmt.Sprintf("holder %q, transitions %d, renewed %v",
			got.holder, got.transitions, l.Spec.RenewTime)
	})
	return got
}

// followRollout records every version of the Rollout uid in ns from now on.
// history waits until the version of resource version last has been
// recorded (up to waitTimeout), stops the recording and returns the
// versions, without consecutive repeats of the same resource version, and
// how many times the watch had to list (more than one: versions in between
// may be missing).
func followRollout(t *testing.T, k8s client.WithWatch, ns string, uid types.UID) (history func(last string) ([]version, int)) {
	t.Helper()
	var (
		mu       sync.Mutex
		changed  framework.Notifier
		versions []version
		lists    int
	)
	stop := framework.FollowObjects(t, k8s, &rampv1alpha1.RolloutList{}, []client.ListOption{client.InNamespace(ns)}, waitTimeout,
		func(objs map[types.UID]*rampv1alpha1.Rollout, n int) {
			mu.Lock()
			defer mu.Unlock()
			lists = n
			r, ok := objs[uid]
			if !ok {
				return
			}
			v := version{resourceVersion: r.ResourceVersion, podHash: r.Status.CurrentPodHash,
				stepIndex: framework.StepIndex(r), phase: r.Status.Phase}
			if len(versions) == 0 || versions[len(versions)-1].resourceVersion != v.resourceVersion {
				versions = append(versions, v)
				changed.Notify()
			}
		})
	return func(last string) ([]version, int) {
		t.Helper()
		seen := framework.Await(waitTimeout, func() (bool, <-chan struct{}) {
			mu.Lock()
			defer mu.Unlock()
			return slices.ContainsFunc(versions, func(v version) bool { return v.resourceVersion == last }), changed.C()
		})
		stop() // Follow has returned: no more calls change what follows.
		if !seen {
			t.Errorf("the watch did not see the Rollout's version %s within %v; versions seen:\n  %s",
				last, waitTimeout, describeVersions(versions))
		}
		return versions, lists
	}
}

// describeVersions lists versions one a line, for failure messages.
func describeVersions(versions []version) string {
	lines := make([]string, 0, len(versions))
	for _, v := range versions {
		lines = append(lines, v.String())
	}
	return strings.Join(lines, "\n  ")
}

// checkStepIndexes checks that, among the versions of the update (those
// whose current pod hash is newHash), the step index never decreased.
func checkStepIndexes(t *testing.T, versions []version, lists int, newHash string) {
	t.Helper()
	all := describeVersions(versions)
	if lists > 1 {
		t.Logf("the Rollout watch listed %d times: versions in between may be missing", lists)
	}
	prev := int32(-1)
	for i, v := range versions {
		if v.podHash != newHash {
			continue
		}
		if v.stepIndex < prev {
			t.Errorf("status.currentStepIndex went back from %d to %d at version %d (%s); versions seen:\n  %s",
				prev, v.stepIndex, i, v, all)
		}
		prev = v.stepIndex
	}
	t.Logf("%d Rollout versions seen:\n  %s", len(versions), all)
}

// stepEventNames returns the names of evs, to leave them out later.
func stepEventNames(evs []eventsv1.Event) map[string]bool {
	names := make(map[string]bool, len(evs))
	for _, e := range evs {
		names[e.Name] = true
	}
	return names
}

// stepCounts counts the StepCompleted Events of evs not in skip by step
// number (an Event repeated as a series counts as many times), and
// describes them for failure messages.
func stepCounts(evs []eventsv1.Event, skip map[string]bool, total int) (map[int]int, string) {
	counts := map[int]int{}
	var notes []string
	for _, e := range evs {
		if skip[e.Name] {
			continue
		}
		n := 1
		if e.Series != nil {
			n = int(e.Series.Count)
		}
		notes = append(notes, fmt.Sprintf("%q x%d", e.Note, n))
		m := stepCompleted.FindStringSubmatch(e.Note)
		if m == nil || m[2] != strconv.Itoa(total) {
			counts[-1] += n // a note of another form or step count
			continue
		}
		step, _ := strconv.Atoi(m[1])
		counts[step] += n
	}
	slices.Sort(notes)
	return counts, fmt.Sprintf("StepCompleted Events: [%s]", strings.Join(notes, ", "))
}

// waitStepEvents waits until the StepCompleted Events about ro not in
// skip cover steps 1 to upTo of total, and returns them all.
func waitStepEvents(t *testing.T, k8s client.WithWatch, ro *rampv1alpha1.Rollout, skip map[string]bool, total, upTo int) []eventsv1.Event {
	t.Helper()
	return framework.WaitEvents(t, k8s, ro, "StepCompleted", waitTimeout,
		fmt.Sprintf("StepCompleted Events for steps 1 to %d of %d", upTo, total),
		func(evs []eventsv1.Event) (bool, string) {
			counts, desc := stepCounts(evs, skip, total)
			for step := 1; step <= upTo; step++ {
				if counts[step] == 0 {
					return false, desc
				}
			}
			return true, desc
		})
}

// checkStepsOnce checks that each of steps 1 to total completed exactly
// once, and no other StepCompleted Event was recorded.
func checkStepsOnce(t *testing.T, evs []eventsv1.Event, skip map[string]bool, total int) {
	t.Helper()
	counts, desc := stepCounts(evs, skip, total)
	for step := 1; step <= total; step++ {
		if counts[step] != 1 {
			t.Errorf("step %d of %d completed %d times, want once; %s", step, total, counts[step], desc)
		}
	}
	if len(counts) != total {
		t.Errorf("StepCompleted Events for other steps than 1 to %d; %s", total, desc)
	}
}
