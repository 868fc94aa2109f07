package bluegreen

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
	"github.com/rampdev/ramp/test/prometheus"
)

// waitTimeout bounds every wait on the controller. The waits return as soon
// as the state is reached; the bound only matters when something is wrong.
const waitTimeout = 60 * time.Second

// shortDelay is the scaleDownDelaySeconds and abortScaleDownDelaySeconds
// of the suite's Rollouts, unless a test sets its own: long enough to see
// the old version kept up, short enough to see it go.
const shortDelay = 3

// image is the container image of revision v.
func image(v string) string {
	return "registry.example/web:" + v
}

// fixture is one blue-green Rollout under test, in a namespace of its own,
// with an active and a preview Service.
type fixture struct {
	t   *testing.T
	k8s client.WithWatch
	ns  string
	// ro is the Rollout as the test prepares it (change it before start),
	// and afterwards as the test last wrote its spec.
	ro *rampv1alpha1.Rollout
}

// newFixture makes a namespace with the Services <name>-active and
// <name>-preview selecting app=<name>, and prepares (without creating it)
// a blue-green Rollout of image v1 with replicas pods behind them, whose
// delays before scaling down are shortDelay.
func newFixture(t *testing.T, name string, replicas int32) *fixture {
	t.Helper()
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	ro := framework.NewRollout(ns, name, image("v1"), replicas)
	ro.Spec.Strategy = rampv1alpha1.RolloutStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{
		ActiveService:              name + "-active",
		PreviewService:             name + "-preview",
		ScaleDownDelaySeconds:      ptr.To[int32](shortDelay),
		AbortScaleDownDelaySeconds: ptr.To[int32](shortDelay),
	}}
	for _, svc := range []string{name + "-active", name + "-preview"} {
		framework.Create(t, k8s, framework.NewService(ns, svc, map[string]string{"app": name}))
	}
	return &fixture{t: t, k8s: k8s, ns: ns, ro: ro}
}

// newExampleFixture makes a namespace with the objects of
// examples/<file> in it, except the Rollout, which it prepares (without
// creating it) for start.
func newExampleFixture(t *testing.T, file string) *fixture {
	t.Helper()
	t.Parallel()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := framework.DecodeYAMLFile(filepath.Join(root, "examples", file))
	if err != nil {
		t.Fatal(err)
	}
	k8s := framework.Client(t)
	f := &fixture{t: t, k8s: k8s, ns: framework.Namespace(t, k8s)}
	for _, o := range objs {
		o.SetNamespace(f.ns)
		if o.GetKind() != "Rollout" {
			framework.Create(t, k8s, o)
			continue
		}
		if f.ro != nil {
			t.Fatalf("examples/%s holds more than one Rollout", file)
		}
		f.ro = &rampv1alpha1.Rollout{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, f.ro); err != nil {
			t.Fatalf("examples/%s: Rollout %s: %v", file, o.GetName(), err)
		}
	}
	if f.ro == nil || f.ro.Spec.Strategy.BlueGreen == nil {
		t.Fatalf("examples/%s holds no blue-green Rollout", file)
	}
	return f
}

// name is the Rollout's name.
func (f *fixture) name() string { return f.ro.Name }

// key is the Rollout's namespace and name.
func (f *fixture) key() client.ObjectKey { return client.ObjectKeyFromObject(f.ro) }

// bg is the Rollout's blue-green strategy, to change before start.
func (f *fixture) bg() *rampv1alpha1.BlueGreenStrategy { return f.ro.Spec.Strategy.BlueGreen }

// activeService names the active Service.
func (f *fixture) activeService() string { return f.bg().ActiveService }

// previewService names the preview Service.
func (f *fixture) previewService() string { return f.bg().PreviewService }

// replicas is the Rollout's spec.replicas.
func (f *fixture) replicas() int32 { return ptr.Deref(f.ro.Spec.Replicas, 1) }

// rsName names the ReplicaSet of revision hash: <rollout>-<hash>.
func (f *fixture) rsName(hash string) string { return framework.ReplicaSetName(f.name(), hash) }

// rsKey is the namespace and name of the ReplicaSet of revision hash.
func (f *fixture) rsKey(hash string) client.ObjectKey {
	return client.ObjectKey{Namespace: f.ns, Name: f.rsName(hash)}
}

// runName names the AnalysisRun of revision hash for promotion "pre" or
// "post": <rollout>-<hash>-pre, <rollout>-<hash>-post.
func (f *fixture) runName(hash, promotion string) string { return f.rsName(hash) + "-" + promotion }

// podsOf selects the Rollout's pods (app=<name>).
func (f *fixture) podsOf() client.MatchingLabels { return client.MatchingLabels{"app": f.name()} }

// serviceKey is the namespace and name of the Service name.
func (f *fixture) serviceKey(name string) client.ObjectKey {
	return client.ObjectKey{Namespace: f.ns, Name: name}
}

// start creates the Rollout and waits until its first revision is Healthy:
// stable, at full size, selected by both Services and named so in
// status.blueGreen. It returns the revision's hash.
func (f *fixture) start() string {
	f.t.Helper()
	framework.Create(f.t, f.k8s, f.ro.DeepCopy())
	ro := f.waitRollout("the first revision to be Healthy, active and previewed", func(r *rampv1alpha1.Rollout) bool {
		st := &r.Status
		return observed(r) && st.Phase == rampv1alpha1.RolloutPhaseHealthy && st.StableRS != "" &&
			st.CurrentPodHash == st.StableRS && st.BlueGreen.ActiveSelector == st.StableRS &&
			(f.previewService() == "" || st.BlueGreen.PreviewSelector == st.StableRS)
	})
	hash := ro.Status.StableRS
	f.waitRS(hash, f.replicas())
	f.waitService(f.activeService(), hash)
	if f.previewService() != "" {
		f.waitService(f.previewService(), hash)
	}
	return hash
}

// get reads the Rollout.
func (f *fixture) get() *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.Get(f.t, f.k8s, f.key(), &rampv1alpha1.Rollout{})
}

// setImage writes img into the pod template, waits until the controller
// has seen that spec and returns the revision's hash. Afterwards f.ro holds
// the Rollout as written (its resourceVersion is the write's).
func (f *fixture) setImage(img string) string {
	f.t.Helper()
	framework.SetImage(f.t, f.k8s, f.ro, img)
	gen := f.ro.Generation
	ro := f.waitRollout(fmt.Sprintf("status.observedGeneration to reach %d", gen), func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration >= gen
	})
	return ro.Status.CurrentPodHash
}

// promote clears the pause conditions, as kubectl ramp promote does.
func (f *fixture) promote() {
	f.t.Helper()
	framework.Promote(f.t, f.k8s, f.ro)
}

// abort aborts the update, as kubectl ramp abort does.
func (f *fixture) abort() {
	f.t.Helper()
	framework.MergePatchStatus(f.t, f.k8s, f.ro, `{"status":{"abort":true,"abortedBy":"e2e test"}}`)
}

// observed reports whether status was computed from the current spec.
func observed(r *rampv1alpha1.Rollout) bool {
	return r.Generation > 0 && r.Status.ObservedGeneration == r.Generation
}

// hasPause reports whether the Rollout waits for reason.
func hasPause(r *rampv1alpha1.Rollout, reason rampv1alpha1.PauseReason) bool {
	return slices.ContainsFunc(r.Status.PauseConditions, func(c rampv1alpha1.PauseCondition) bool { return c.Reason == reason })
}

// describeRollout sums up a Rollout for failure messages:
// framework.DescribeRollout and the blue-green status.
func describeRollout(r *rampv1alpha1.Rollout) string {
	bg := &r.Status.BlueGreen
	return fmt.Sprintf("%s; blueGreen: activeSelector %q, previewSelector %q, prePromotionAnalysisRun %q, "+
		"postPromotionAnalysisRun %q, scaleUpPreviewCheckPoint %v",
		framework.DescribeRollout(r), bg.ActiveSelector, bg.PreviewSelector, bg.PrePromotionAnalysisRun,
		bg.PostPromotionAnalysisRun, bg.ScaleUpPreviewCheckPoint)
}

// waitRollout waits until cond holds for the Rollout and returns it; a
// failure message describes the last state seen (describeRollout).
func (f *fixture) waitRollout(what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.WaitObject(f.t, f.k8s, f.key(), &rampv1alpha1.Rollout{}, waitTimeout, what, cond, describeRollout)
}

// waitPaused waits until the update to hash waits for promotion: phase
// Paused with a BlueGreenPause pause condition.
func (f *fixture) waitPaused(hash string) *rampv1alpha1.Rollout {
	f.t.Helper()
	return f.waitRollout(fmt.Sprintf("the update to %s to pause for promotion (BlueGreenPause)", hash), func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.CurrentPodHash == hash && r.Status.Phase == rampv1alpha1.RolloutPhasePaused &&
			hasPause(r, rampv1alpha1.PauseReasonBlueGreenPause)
	})
}

// waitHealthyAt waits until revision hash is stable, active and Healthy.
func (f *fixture) waitHealthyAt(hash string) {
	f.t.Helper()
	f.waitRollout(fmt.Sprintf("revision %s to be stable, active and Healthy", hash), func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS == hash &&
			r.Status.CurrentPodHash == hash && r.Status.BlueGreen.ActiveSelector == hash
	})
}

// waitAborted waits until the update to hash is aborted (status.abort,
// phase Degraded), checks that condition Stalled is True with reason and
// returns the Rollout.
func (f *fixture) waitAborted(hash, reason string) *rampv1alpha1.Rollout {
	f.t.Helper()
	ro := f.waitRollout(fmt.Sprintf("the update to %s to be aborted (phase Degraded)", hash), func(r *rampv1alpha1.Rollout) bool {
		return observed(r) && r.Status.CurrentPodHash == hash && r.Status.Abort && r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded
	})
	conditionHas(f.t, ro, rampv1alpha1.ConditionStalled, metav1.ConditionTrue, reason)
	return ro
}

// waitSelectors waits until status.blueGreen names active and preview as
// the hashes the Services select.
func (f *fixture) waitSelectors(what, active, preview string) {
	f.t.Helper()
	f.waitRollout(fmt.Sprintf("%s: status.blueGreen.activeSelector %s and previewSelector %s", what, active, preview),
		func(r *rampv1alpha1.Rollout) bool {
			return r.Status.BlueGreen.ActiveSelector == active && r.Status.BlueGreen.PreviewSelector == preview
		})
}

// conditionHas checks that the Rollout's condition typ has status and,
// when reason is not empty, reason.
func conditionHas(t *testing.T, r *rampv1alpha1.Rollout, typ string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	c := meta.FindStatusCondition(r.Status.Conditions, typ)
	switch {
	case c == nil:
		t.Errorf("no %s condition; status: %s", typ, describeRollout(r))
	case c.Status != status || reason != "" && c.Reason != reason:
		t.Errorf("condition %s = %s reason %s, want %s reason %s; status: %s", typ, c.Status, c.Reason, status, reason, describeRollout(r))
	}
}

// waitRS waits until the ReplicaSet of revision hash runs n pods, all of
// them available (for n = 0: none left), and returns it.
func (f *fixture) waitRS(hash string, n int32) *appsv1.ReplicaSet {
	f.t.Helper()
	return framework.WaitReplicaSet(f.t, f.k8s, f.ns, f.name(), hash, waitTimeout,
		fmt.Sprintf("ReplicaSet %s to run %d available pods", f.rsName(hash), n), framework.ReplicaSetAt(n))
}

// waitKeptUntilDeadline waits until the old ReplicaSet of revision hash
// carries the annotation ramp.dev/scale-down-deadline while it still runs
// n available pods, and returns the deadline.
func (f *fixture) waitKeptUntilDeadline(hash string, n int32) time.Time {
	f.t.Helper()
	var deadline time.Time
	framework.WaitObject(f.t, f.k8s, f.rsKey(hash), &appsv1.ReplicaSet{}, waitTimeout,
		fmt.Sprintf("the old ReplicaSet %s to carry %s while it still runs %d available pods",
			f.rsName(hash), rampv1alpha1.AnnotationScaleDownDeadline, n),
		func(rs *appsv1.ReplicaSet) bool {
			v, ok := rs.Annotations[rampv1alpha1.AnnotationScaleDownDeadline]
			if !ok || !framework.ReplicaSetAt(n)(rs) {
				return false
			}
			d, err := time.Parse(time.RFC3339, v)
			if err != nil {
				f.t.Errorf("annotation %s=%q of ReplicaSet %s is not an RFC 3339 time: %v",
					rampv1alpha1.AnnotationScaleDownDeadline, v, rs.Name, err)
			}
			deadline = d
			return true
		}, describeReplicaSet)
	return deadline
}

// describeReplicaSet is framework.DescribeReplicaSet with the scale-down
// deadline, if any.
func describeReplicaSet(rs *appsv1.ReplicaSet) string {
	s := framework.DescribeReplicaSet(rs)
	if d, ok := rs.Annotations[rampv1alpha1.AnnotationScaleDownDeadline]; ok {
		s += ", scale-down deadline " + d
	}
	return s
}

// waitService waits until the Service name selects the pods of revision
// hash.
func (f *fixture) waitService(name, hash string) {
	f.t.Helper()
	framework.WaitServiceSelects(f.t, f.k8s, f.ns, name, hash, waitTimeout)
}

// selected is the pod template hash a Service selects ("" for none).
func selected(svc *corev1.Service) string {
	return svc.Spec.Selector[rampv1alpha1.LabelPodTemplateHash]
}

// checkService fails the test unless the Service name selects hash now.
func (f *fixture) checkService(what, name, hash string) {
	f.t.Helper()
	svc := framework.Get(f.t, f.k8s, f.serviceKey(name), &corev1.Service{})
	if got := selected(svc); got != hash {
		f.t.Errorf("%s: Service %s selects %s=%q, want %q (selector %v)", what, name, rampv1alpha1.LabelPodTemplateHash, got, hash, svc.Spec.Selector)
	}
}

// livePods returns the pods of l that run or will: neither being deleted
// nor finished.
func livePods(l *corev1.PodList) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range l.Items {
		p := &l.Items[i]
		if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			out = append(out, p)
		}
	}
	return out
}

// podsByHash groups pods by pod template hash.
func podsByHash(pods []*corev1.Pod) map[string][]*corev1.Pod {
	out := map[string][]*corev1.Pod{}
	for _, p := range pods {
		h := p.Labels[rampv1alpha1.LabelPodTemplateHash]
		out[h] = append(out[h], p)
	}
	return out
}

// describePods sums up pods for failure messages: name, hash, readiness
// and the labels named keys.
func describePods(pods []*corev1.Pod, keys ...string) string {
	parts := make([]string, 0, len(pods))
	for _, p := range pods {
		s := fmt.Sprintf("%s (hash %s, ready %v", p.Name, p.Labels[rampv1alpha1.LabelPodTemplateHash], podReady(p) != nil)
		for _, k := range keys {
			if v, ok := p.Labels[k]; ok {
				s += fmt.Sprintf(", %s=%s", k, v)
			}
		}
		parts = append(parts, s+")")
	}
	slices.Sort(parts)
	return fmt.Sprintf("%d live pods: [%s]", len(pods), strings.Join(parts, ", "))
}

// podReady returns the pod's Ready condition when it is True, else nil.
func podReady(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if c := &p.Status.Conditions[i]; c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// podNames returns the names of pods, sorted.
func podNames(pods []*corev1.Pod) []string {
	names := make([]string, 0, len(pods))
	for _, p := range pods {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

// waitPods waits until cond holds for the Rollout's live pods, grouped by
// pod template hash, and returns them so grouped. keys name the labels
// the failure message shows.
func (f *fixture) waitPods(what string, cond func(byHash map[string][]*corev1.Pod) bool, keys ...string) map[string][]*corev1.Pod {
	f.t.Helper()
	var got map[string][]*corev1.Pod
	framework.WaitList(f.t, f.k8s, f.ns, waitTimeout, what, func(l *corev1.PodList) (bool, string) {
		live := livePods(l)
		got = podsByHash(live)
		return cond(got), describePods(live, keys...)
	}, f.podsOf())
	return got
}

// pods lists the Rollout's live pods now, grouped by pod template hash.
func (f *fixture) pods() map[string][]*corev1.Pod {
	f.t.Helper()
	return podsByHash(livePods(framework.List(f.t, f.k8s, &corev1.PodList{}, client.InNamespace(f.ns), f.podsOf())))
}

// passCondition is the successCondition of the error-rate metric: fewer
// than 5% of the requests failed (an empty result, before Prometheus has
// data, is no success).
const passCondition = "len(result) > 0 && result[0] < 0.05"

// createErrorRateTemplate creates the AnalysisTemplate error-rate in the
// fixture's namespace: one metric, error-rate, the errorRatioQuery of the
// service passed as argument service, read from the shared Prometheus,
// measured twice a second apart and passing under 5% (passCondition); the
// first failed measurement fails it.
func (f *fixture) createErrorRateTemplate() {
	f.t.Helper()
	dumpPrometheusOnFailure(f.t)
	framework.Create(f.t, f.k8s, &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "error-rate"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{
			Args: []rampv1alpha1.Argument{{Name: "service"}},
			Metrics: []rampv1alpha1.Metric{{
				Name:             "error-rate",
				Interval:         "1s",
				Count:            ptr.To[int32](2),
				SuccessCondition: passCondition,
				Provider: rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{
					PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: shared.Address(), Timeout: ptr.To[int32](5)},
					Query:                prometheus.ErrorRatioQuery("{{args.service}}"),
				}},
			}},
		},
	})
}

// errorRateAnalysis runs the template error-rate (createErrorRateTemplate)
// on service.
func errorRateAnalysis(service string) *rampv1alpha1.RolloutAnalysis {
	return &rampv1alpha1.RolloutAnalysis{
		Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}},
		Args:      []rampv1alpha1.AnalysisRunArgument{{Name: "service", Value: ptr.To(service)}},
	}
}

// waitRunPhase waits until the AnalysisRun name reaches phase, and returns
// it.
func (f *fixture) waitRunPhase(name string, phase rampv1alpha1.AnalysisPhase) *rampv1alpha1.AnalysisRun {
	f.t.Helper()
	return framework.WaitObject(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: name}, &rampv1alpha1.AnalysisRun{},
		waitTimeout, fmt.Sprintf("AnalysisRun %s to reach phase %s", name, phase),
		func(r *rampv1alpha1.AnalysisRun) bool { return r.Status.Phase == phase }, describeRun)
}

// runNames lists the names of the AnalysisRuns in the fixture's namespace,
// sorted.
func (f *fixture) runNames() []string {
	f.t.Helper()
	list := framework.List(f.t, f.k8s, &rampv1alpha1.AnalysisRunList{}, client.InNamespace(f.ns))
	names := make([]string, 0, len(list.Items))
	for _, r := range list.Items {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	return names
}

// describeRun sums up an AnalysisRun for failure messages.
func describeRun(run *rampv1alpha1.AnalysisRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "phase %q, message %q, completedAt %v", run.Status.Phase, run.Status.Message, run.Status.CompletedAt)
	for _, res := range run.Status.MetricResults {
		fmt.Fprintf(&b, "; metric %s: phase %q, count %d, failed %d, message %q", res.Name, res.Phase, res.Count, res.Failed, res.Message)
	}
	return b.String()
}

// waitEvent waits until an Event with reason has been recorded about the
// Rollout, and returns the notes of those recorded.
func (f *fixture) waitEvent(reason string) []string {
	f.t.Helper()
	ro := f.get()
	framework.WaitEventReasons(f.t, f.k8s, ro, waitTimeout, reason)
	evs := framework.ListEvents(f.t, f.k8s, ro, reason)
	notes := make([]string, 0, len(evs))
	for _, e := range evs {
		notes = append(notes, e.Note)
	}
	return notes
}

// dumpPrometheusOnFailure writes the shared server's log to the test log
// when the test failed.
func dumpPrometheusOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			var b strings.Builder
			shared.DumpLogs(&b)
			t.Log(b.String())
		}
	})
}

// containsFold reports whether s contains substr, ignoring case (a
// message begins with a capital letter, a phrase quoted from it may not).
func containsFold(s, substr string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(substr))
}

// mustRV returns obj's resourceVersion as a number.
func mustRV(t *testing.T, obj client.Object) int64 {
	t.Helper()
	rv, err := strconv.ParseInt(obj.GetResourceVersion(), 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q of %s is not a number", obj.GetResourceVersion(), obj.GetName())
	}
	return rv
}
