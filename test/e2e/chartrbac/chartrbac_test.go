package chartrbac

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestClusterWideChartRBAC installs the chart's identity cluster-wide and
// walks a canary with an HTTPRoute and a Prometheus analysis step to
// completion; then takes patch on HTTPRoutes out of the ClusterRole,
// expects the next update to stop with the refusal in the Rollout's status
// and Events, and to finish once the verb is back.
func TestClusterWideChartRBAC(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	const releaseNS, instance = "ramp-system", "chart"
	framework.Create(t, k8s, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: releaseNS}})
	objs := framework.RenderChart(t, releaseName, releaseNS, "instanceID="+instance)
	framework.ApplyIdentity(t, k8s, objs)
	proc, _ := startFromChart(t, objs, releaseNS, framework.ServiceAccountKubeconfig(t, k8s, releaseNS, "ramp-controller"))

	ns := framework.Namespace(t, k8s)
	ro := routedCanary(t, k8s, ns, "web", framework.SetWeight(50), analysisStep("error-rate", false))
	ro.Labels = map[string]string{rampv1alpha1.LabelInstanceID: instance}
	key := client.ObjectKeyFromObject(ro)

	// A canary walked to the end: weight 50, analysis passed, promoted.
	second := walkCanary(t, k8s, ro)
	var runs rampv1alpha1.AnalysisRunList
	framework.List(t, k8s, &runs, client.InNamespace(ns))
	if i := slices.IndexFunc(runs.Items, func(r rampv1alpha1.AnalysisRun) bool {
		return r.Status.Phase == rampv1alpha1.AnalysisPhaseSuccessful
	}); i < 0 {
		t.Errorf("no successful AnalysisRun among %d", len(runs.Items))
	}
	noForbidden(t, proc)

	// Patch on HTTPRoutes taken away: the weight cannot move, and the
	// Rollout says which request was refused.
	role := &rbacv1.ClusterRole{}
	framework.Get(t, k8s, client.ObjectKey{Name: "ramp-controller"}, role)
	withPatch := role.DeepCopy()
	framework.Update(t, k8s, role, func(r *rbacv1.ClusterRole) {
		for i, rule := range r.Rules {
			if slices.Contains(rule.Resources, "httproutes") {
				r.Rules[i].Verbs = slices.DeleteFunc(slices.Clone(rule.Verbs), func(v string) bool { return v == "patch" })
			}
		}
	})
	framework.SetImage(t, k8s, ro, "registry.example/web:3")
	third := newRevision(t, k8s, ro, second)
	refused := `cannot patch resource "httproutes" in API group "gateway.networking.k8s.io" in the namespace "` + ns + `"`
	denied := framework.WaitRollout(t, k8s, key, waitTimeout, "the refused patch in status", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded && strings.Contains(r.Status.Message, refused)
	})
	for _, c := range []string{rampv1alpha1.ConditionStalled, rampv1alpha1.ConditionReady} {
		if got := conditionOf(denied, c); got.Reason != rampv1alpha1.ReasonPermissionDenied || !strings.Contains(got.Message, refused) {
			t.Errorf("condition %s: %s %q, want reason PermissionDenied naming the refused request", c, got.Reason, got.Message)
		}
	}
	if !strings.Contains(denied.Status.Message, `User "system:serviceaccount:ramp-system:ramp-controller"`) {
		t.Errorf("the message does not name the controller's ServiceAccount: %q", denied.Status.Message)
	}
	framework.WaitEvents(t, k8s, ro, "PermissionDenied", waitTimeout, "a PermissionDenied Warning naming the request",
		func(evs []eventsv1.Event) (bool, string) {
			for _, e := range evs {
				if e.Type == corev1.EventTypeWarning && strings.Contains(e.Note, refused) {
					return true, ""
				}
			}
			return false, "none yet"
		})
	waitWeights(t, k8s, ro, 0)

	// The verb back: the controller's retries carry the update through.
	framework.Update(t, k8s, role, func(r *rbacv1.ClusterRole) { r.Rules = withPatch.Rules })
	framework.WaitRollout(t, k8s, key, waitTimeout, "revision 3 to be Healthy once patch is granted again", healthyAt(&third))
	waitWeights(t, k8s, ro, 0)
}

// TestNamespacedChartRBAC installs the chart with watchNamespace, which
// renders a Role and nothing cluster-wide, and runs the controller with
// it: a routed canary with analysis finishes, the dashboard serves the
// namespace, a Rollout naming a ClusterAnalysisTemplate stalls with a
// message saying why, and nothing the controller does is refused.
func TestNamespacedChartRBAC(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	objs := framework.RenderChart(t, releaseName, ns, "watchNamespace="+ns)
	for _, kind := range []string{"ClusterRole", "ClusterRoleBinding"} {
		if n := len(framework.Rendered(objs, kind)); n != 0 {
			t.Fatalf("with watchNamespace the chart rendered %d %ss, want none", n, kind)
		}
	}
	framework.ApplyIdentity(t, k8s, objs)
	proc, dashboard := startFromChart(t, objs, ns, framework.ServiceAccountKubeconfig(t, k8s, ns, "ramp-controller"))

	api := framework.NewCanaryWithServices(t, k8s, ns, "api", "registry.example/api:1", 1, analysisStep("shared-checks", true))
	framework.Create(t, k8s, api)
	second := walkCanary(t, k8s, routedCanary(t, k8s, ns, "web", framework.SetWeight(50), analysisStep("error-rate", false)))

	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(api), waitTimeout, "api's first revision to be Healthy", healthyAt(nil))
	framework.SetImage(t, k8s, api, "registry.example/api:2")
	want := `ClusterAnalysisTemplate "shared-checks" cannot be used: this controller watches only namespace "` + ns + `"`
	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(api), waitTimeout, "api stalled on the cluster template",
		func(r *rampv1alpha1.Rollout) bool {
			return conditionOf(r, rampv1alpha1.ConditionStalled).Reason == rampv1alpha1.ReasonInvalidSpec &&
				strings.Contains(r.Status.Message, want)
		})

	// The dashboard shows the rollout and its Events with the Role.
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+dashboard+"/api/v1/namespaces/"+ns+"/rollouts/web", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), second) {
		t.Errorf("dashboard answered %d without revision %s:\n%s", resp.StatusCode, second, body)
	}
	noForbidden(t, proc)
}
