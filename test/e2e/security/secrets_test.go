package security

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

const waitTimeout = 90 * time.Second

func randomSecret(t *testing.T, prefix string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// metricEndpoint answers the analysis: an error rate of 0 when the query
// carries both secrets, a 403 otherwise; once leak is set, a 500 error
// page that repeats the secrets it was sent, as a careless server would.
type metricEndpoint struct {
	*httptest.Server
	token, bearer string
	leak          atomic.Bool
	authorized    atomic.Int32
}

func newMetricEndpoint(t *testing.T, token, bearer string) *metricEndpoint {
	e := &metricEndpoint{token: token, bearer: bearer}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, auth := r.URL.Query().Get("t"), r.Header.Get("Authorization")
		switch {
		case e.leak.Load():
			http.Error(w, fmt.Sprintf("backend failure for query t=%s with credentials %q", got, auth), http.StatusInternalServerError)
		case got != e.token || auth != "Bearer "+e.bearer:
			http.Error(w, "forbidden", http.StatusForbidden)
		default:
			e.authorized.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"errorRate": 0}`))
		}
	}))
	t.Cleanup(e.Close)
	return e
}

// TestSecretsNeverShown runs an update whose analysis passes with the
// Secrets' values, and one whose endpoint fails with a page repeating
// them, and finds neither value (nor its base64 form) in the controller's
// debug log, the Events, the objects' status or the dashboard.
func TestSecretsNeverShown(t *testing.T) {
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	token, bearer := randomSecret(t, "tok"), randomSecret(t, "bearer")
	framework.Create(t, k8s, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "metrics-auth"},
		StringData: map[string]string{"token": token, "bearer": "Bearer " + bearer},
	})
	endpoint := newMetricEndpoint(t, token, bearer)
	framework.Create(t, k8s, &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "error-rate"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{
			Args: []rampv1alpha1.Argument{{Name: "token", ValueFrom: &rampv1alpha1.ValueFrom{
				SecretKeyRef: &rampv1alpha1.SecretKeyRef{Name: "metrics-auth", Key: "token"},
			}}},
			Metrics: []rampv1alpha1.Metric{{
				Name:             "error-rate",
				SuccessCondition: "result < 0.05",
				Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{
					URL:      endpoint.URL + "/rate?t={{args.token}}",
					JSONPath: "{.errorRate}",
					Headers: []rampv1alpha1.WebMetricHeader{{Key: "Authorization", ValueFrom: &rampv1alpha1.HeaderValueFrom{
						SecretKeyRef: rampv1alpha1.SecretKeyRef{Name: "metrics-auth", Key: "bearer"},
					}}},
				}},
			}},
		},
	})

	dashboard := framework.FreeAddr(t)
	args := append(framework.ChartController(t, k8s, ns), "--leader-elect=false",
		"--dashboard-bind-address="+dashboard, "--log-format=json", "--log-level=debug")
	proc := framework.StartControllerProcess(t, controllerBinary, "security", args...)

	ro := framework.NewCanaryWithServices(t, k8s, ns, "web", "registry.example/web:1", 2,
		framework.SetWeight(50),
		rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}}})
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)
	framework.WaitRollout(t, k8s, key, waitTimeout, "the first revision to be Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS != ""
	})

	framework.SetImage(t, k8s, ro, "registry.example/web:2")
	framework.WaitRollout(t, k8s, key, waitTimeout, "revision 2 to pass its analysis and be promoted", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.StableRS == r.Status.CurrentPodHash &&
			r.Spec.Template.Spec.Containers[0].Image == "registry.example/web:2" && r.Status.ObservedGeneration == r.Generation
	})
	if endpoint.authorized.Load() == 0 {
		t.Fatal("the analysis passed without a query carrying the Secrets' values")
	}

	endpoint.leak.Store(true)
	framework.SetImage(t, k8s, ro, "registry.example/web:3")
	aborted := framework.WaitRollout(t, k8s, key, waitTimeout, "revision 3 to be aborted by the failing endpoint", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Abort && r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded
	})

	// What a person can see, gathered as text.
	seen := map[string]string{"controller log": proc.Out.String()}
	var runs rampv1alpha1.AnalysisRunList
	framework.List(t, k8s, &runs, client.InNamespace(ns))
	redacted := false
	for _, run := range runs.Items {
		seen["AnalysisRun "+run.Name] = toJSON(t, run)
		redacted = redacted || strings.Contains(toJSON(t, run.Status), "redacted")
	}
	if !redacted {
		t.Errorf("no AnalysisRun says it redacted anything: the failing endpoint's page never reached a message, so this test proves nothing\n%s", toJSON(t, runs.Items))
	}
	seen["Rollout"] = toJSON(t, aborted)
	var sets appsv1.ReplicaSetList
	framework.List(t, k8s, &sets, client.InNamespace(ns))
	seen["ReplicaSets"] = toJSON(t, sets.Items)
	var events eventsv1.EventList
	framework.List(t, k8s, &events, client.InNamespace(ns))
	seen["Events"] = toJSON(t, events.Items)
	seen["dashboard rollout"] = get(t, "http://"+dashboard+"/api/v1/namespaces/"+ns+"/rollouts/web")
	seen["dashboard list"] = get(t, "http://"+dashboard+"/api/v1/rollouts")

	for _, secret := range []string{token, bearer} {
		forms := []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), base64.StdEncoding.EncodeToString([]byte("Bearer " + secret))}
		for where, text := range seen {
			for _, form := range forms {
				if i := strings.Index(text, form); i >= 0 {
					t.Errorf("a secret value appears in the %s: ...%s...", where, text[max(0, i-200):min(len(text), i+len(form)+50)])
				}
			}
		}
	}
	if !strings.Contains(seen["dashboard rollout"], "error-rate") {
		t.Errorf("the dashboard's answer does not show the analysis: %s", seen["dashboard rollout"])
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// get reads a dashboard page.
func get(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dashboard answered %s to %s: %s", resp.Status, url, body)
	}
	return string(body)
}
