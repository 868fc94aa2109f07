package browser

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/cli"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedController)
}

// TestDashboardInBrowser serves the dashboard as kubectl ramp dashboard
// does (the user's credentials, no sign-in) for a canary paused after an
// analysis step with measurements, and runs run.mjs in headless Chromium:
// the list shows the rollout Paused, its page shows the step plan and the
// analysis chart, and promote (confirmed) moves it to its next step with
// the page updating without a reload. Screenshots go to
// bin/e2e-output/browser.
func TestDashboardInBrowser(t *testing.T) {
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)

	// The analysis measures an error rate of 0.01 from this server, three
	// times a second apart: three points on the chart.
	metric := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"errorRate": 0.01}`))
	}))
	t.Cleanup(metric.Close)
	framework.Create(t, k8s, &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "error-rate"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: []rampv1alpha1.Metric{{
			Name: "error-rate", Interval: "1s", Count: ptr.To[int32](3), SuccessCondition: "result < 0.05",
			Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: metric.URL, JSONPath: "{.errorRate}"}},
		}}},
	})
	ro := framework.NewRollout(ns, "web", "registry.example/web:v1", 2,
		framework.SetWeight(25),
		rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}}},
		framework.Pause(),
		framework.SetWeight(50),
		framework.Pause(),
	)
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)
	framework.WaitRollout(t, k8s, key, time.Minute, "the first revision to be Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	framework.SetImage(t, k8s, ro, "registry.example/web:v2")
	framework.WaitRollout(t, k8s, key, time.Minute, "the update to pause after its analysis", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && framework.StepIndex(r) == 2 && len(r.Status.PauseConditions) > 0
	})

	url := serveDashboard(t)
	out := outputDir(t, "browser")
	RunBrowserTest(t, url, ns+"/web", out)
	framework.WaitRollout(t, k8s, key, time.Minute, "the rollout to move past its pause", func(r *rampv1alpha1.Rollout) bool {
		return framework.StepIndex(r) >= 3
	})
	for _, shot := range []string{"list.png", "rollout.png"} {
		if _, err := os.Stat(filepath.Join(out, shot)); err != nil {
			t.Errorf("screenshot %s: %v", shot, err)
		}
	}
}

// serveDashboard serves the dashboard with kubectl ramp dashboard's code,
// on a free loopback port, until the test ends, and returns its URL.
func serveDashboard(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- cli.ServeDashboard(ctx, cluster.Current().RESTConfig(), "", ln, func() { close(ready) })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("dashboard: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("the dashboard stopped before serving: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the dashboard's informers did not sync within a minute")
	}
	return "http://" + ln.Addr().String()
}

// outputDir is where a test's screenshots go: bin/e2e-output/name in the
// repository (kept after the test, ignored by git).
func outputDir(t *testing.T, name string) string {
	t.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bin", "e2e-output", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
