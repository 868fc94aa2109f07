package outage

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

const waitTimeout = 2 * time.Minute

// hangSeconds is the timeout of the metrics whose endpoint never answers:
// long enough that the healthy Rollout's update must finish while they
// still wait.
const hangSeconds = 20

// silentListener accepts connections and never answers.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never read
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// closedAddress is an address where nothing listens.
func closedAddress(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

func server(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func prometheusMetric(address string, timeout int32) rampv1alpha1.MetricProvider {
	return rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{
		PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: address, Timeout: ptr.To(timeout)},
		Query:                "sum(rate(errors[1m]))",
	}}
}

// outage is one way a provider fails and the words the Rollout's message
// must hold.
type outage struct {
	name     string
	provider rampv1alpha1.MetricProvider
	want     string
	hangs    bool // the endpoint never answers
}

// canary is a Rollout whose update runs the template name at 50%.
func canary(t *testing.T, k8s client.Client, ns, name string) *rampv1alpha1.Rollout {
	ro := framework.NewCanaryWithServices(t, k8s, ns, name, "registry.example/"+name+":1", 2,
		framework.SetWeight(50),
		rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: name}}}})
	framework.Create(t, k8s, ro)
	return ro
}

// TestProviderOutages updates Rollouts whose analysis meets a failed
// provider, more of them hanging than the controller has workers, beside
// a Rollout whose analysis is healthy: the healthy one is promoted while
// the hanging ones still wait, and every failed one ends aborted with the
// cause in its message.
func TestProviderOutages(t *testing.T) {
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	huge := strings.Repeat("x", 1<<20)
	outages := []outage{
		{name: "prometheus-gone", provider: prometheusMetric(closedAddress(t), 5), want: "connection refused"},
		{name: "prometheus-garbage", provider: prometheusMetric(server(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>It works!</body></html>"))
		}), 5), want: "prometheus"},
		{name: "prometheus-50mb", provider: prometheusMetric(server(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[],"x":"`))
			for range 50 {
				if _, err := w.Write([]byte(huge)); err != nil {
					return
				}
			}
		}), 5), want: "larger than 16 MiB"},
		{name: "web-hangs", provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{
			URL: silentListener(t) + "/health", TimeoutSeconds: ptr.To[int32](hangSeconds),
		}}, want: fmt.Sprintf("within %ds", hangSeconds), hangs: true},
	}
	// A Job whose pod runs and never finishes, ended by its deadline.
	outages = append(outages, outage{name: "job-never-finishes", provider: rampv1alpha1.MetricProvider{Job: &rampv1alpha1.JobMetric{
		Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](0), ActiveDeadlineSeconds: ptr.To[int64](5), Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{cluster.StageAnnotation: cluster.StageNeverReady}},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "smoke", Image: "registry.example/smoke-test:1"}}},
		}},
	}}, want: "DeadlineExceeded"})
	// More hanging Prometheus endpoints than the controller has workers (10).
	silent := silentListener(t)
	for i := range 11 {
		outages = append(outages, outage{name: fmt.Sprintf("prometheus-silent-%d", i), provider: prometheusMetric(silent, hangSeconds),
			want: fmt.Sprintf("did not answer within %ds", hangSeconds), hangs: true})
	}

	healthy := server(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"errorRate": 0}`))
	})
	templates := map[string]rampv1alpha1.MetricProvider{"healthy": {Web: &rampv1alpha1.WebMetric{URL: healthy, JSONPath: "{.errorRate}"}}}
	for _, o := range outages {
		templates[o.name] = o.provider
	}
	for name, p := range templates {
		framework.Create(t, k8s, &rampv1alpha1.AnalysisTemplate{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: []rampv1alpha1.Metric{{
				Name: "error-rate", SuccessCondition: "result < 0.05", ConsecutiveErrorLimit: ptr.To[int32](0), Provider: p,
			}}},
		})
	}
	rollouts := map[string]*rampv1alpha1.Rollout{}
	for name := range templates {
		rollouts[name] = canary(t, k8s, ns, name)
	}
	for name, ro := range rollouts {
		framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, name+" to be Healthy", func(r *rampv1alpha1.Rollout) bool {
			return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS != ""
		})
	}

	// Update the failing ones first, then the healthy one.
	for _, o := range outages {
		framework.SetImage(t, k8s, rollouts[o.name], "registry.example/"+o.name+":2")
	}
	for _, o := range outages {
		if o.hangs {
			waitAnalysisStarted(t, k8s, ns, o.name)
		}
	}
	framework.SetImage(t, k8s, rollouts["healthy"], "registry.example/healthy:2")
	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(rollouts["healthy"]), waitTimeout, "the healthy Rollout to be promoted",
		func(r *rampv1alpha1.Rollout) bool {
			return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS == r.Status.CurrentPodHash &&
				r.Spec.Template.Spec.Containers[0].Image == "registry.example/healthy:2"
		})

	for _, o := range outages {
		got := framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(rollouts[o.name]), waitTimeout, o.name+" to be aborted",
			func(r *rampv1alpha1.Rollout) bool {
				return r.Status.Abort && r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded
			})
		if !strings.Contains(got.Status.Message, o.want) {
			t.Errorf("%s: the message does not say %q: %s", o.name, o.want, got.Status.Message)
		}
	}

	// The healthy Rollout's measurement was taken while the hanging ones
	// still waited: it finished before the first of theirs gave up.
	healthyDone := firstMeasurementEnd(t, k8s, ns, "healthy")
	for _, o := range outages {
		if o.hangs {
			if end := firstMeasurementEnd(t, k8s, ns, o.name); !healthyDone.Before(end) {
				t.Errorf("the healthy measurement ended at %s, after %s's ended (%s): it waited for a stuck provider's timeout",
					healthyDone.Format(time.StampMilli), o.name, end.Format(time.StampMilli))
			}
		}
	}
}

// firstMeasurementEnd is when the first measurement of the update's run
// of Rollout name ended.
func firstMeasurementEnd(t *testing.T, k8s client.Client, ns, name string) time.Time {
	t.Helper()
	var runs rampv1alpha1.AnalysisRunList
	framework.List(t, k8s, &runs, client.InNamespace(ns))
	for _, run := range runs.Items {
		if !strings.HasPrefix(run.Name, name+"-") {
			continue
		}
		for _, res := range run.Status.MetricResults {
			if len(res.Measurements) > 0 && res.Measurements[0].FinishedAt != nil {
				return res.Measurements[0].FinishedAt.Time
			}
		}
	}
	t.Fatalf("no finished measurement for %s among %d runs", name, len(runs.Items))
	return time.Time{}
}

// waitAnalysisStarted waits until the update of Rollout name has started
// its analysis run.
func waitAnalysisStarted(t *testing.T, k8s client.WithWatch, ns, name string) {
	t.Helper()
	framework.WaitRollout(t, k8s, client.ObjectKey{Namespace: ns, Name: name}, waitTimeout, name+" to start its analysis",
		func(r *rampv1alpha1.Rollout) bool { return r.Status.Canary.CurrentStepAnalysisRun != "" })
}
