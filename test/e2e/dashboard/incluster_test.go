package dashboarde2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds every wait on the controller.
const waitTimeout = 60 * time.Second

// fixture is one test's namespace, controller with its dashboard, and a
// canary Rollout web paused at its pause step.
type fixture struct {
	t    *testing.T
	k8s  client.WithWatch
	ns   string
	url  string
	ro   *rampv1alpha1.Rollout
	http *http.Client
}

// newFixture starts a controller of its own (instance ID id) serving the
// dashboard, read-only unless actions, and a Rollout it handles, updated
// and paused at its pause step.
func newFixture(t *testing.T, id string, actions bool) *fixture {
	t.Helper()
	return newFixtureSteps(t, id, actions, nil, paused, framework.SetWeight(50), framework.Pause())
}

// newFixtureSteps is newFixture with the Rollout's steps, objects created
// before it (when not nil), and the state its update is waited for.
func newFixtureSteps(t *testing.T, id string, actions bool, before func(ns string) []client.Object,
	at func(*rampv1alpha1.Rollout) bool, steps ...rampv1alpha1.CanaryStep,
) *fixture {
	t.Helper()
	t.Parallel()
	k8s := framework.Client(t)
	f := &fixture{t: t, k8s: k8s, ns: framework.Namespace(t, k8s)}
	addr := framework.FreeAddr(t)
	opts := framework.ControllerOptions()
	opts.InstanceID, opts.DashboardBindAddress, opts.DashboardActions = id, addr, actions
	framework.RunController(t, opts)
	f.url = "http://" + addr
	if before != nil {
		for _, obj := range before(f.ns) {
			framework.Create(t, k8s, obj)
		}
	}

	f.ro = framework.NewRollout(f.ns, "web", "registry.example/web:v1", 2, steps...)
	f.ro.Labels = map[string]string{rampv1alpha1.LabelInstanceID: id}
	framework.Create(t, k8s, f.ro)
	f.wait("the first revision to be Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	framework.SetImage(t, k8s, f.ro, "registry.example/web:v2")
	f.wait("the update to reach the step under test", at)

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.http = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	return f
}

// paused reports whether the update waits at its pause step.
func paused(r *rampv1alpha1.Rollout) bool {
	return r.Status.ObservedGeneration == r.Generation && len(r.Status.PauseConditions) > 0 && framework.StepIndex(r) == 1
}

func (f *fixture) wait(what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.WaitRollout(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: "web"}, waitTimeout, what, cond)
}

// session is the body of GET /api/v1/session.
type session struct {
	ReadOnly       bool   `json:"readOnly"`
	SignInRequired bool   `json:"signInRequired"`
	SignedIn       bool   `json:"signedIn"`
	User           string `json:"user"`
	CSRFToken      string `json:"csrfToken"`
}

// call sends a request from the dashboard's own page (same origin, with
// the CSRF token) and returns the status and body.
func (f *fixture) call(method, path string, body any, csrf string) (int, string) {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		r = strings.NewReader(string(data))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, f.url+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", f.url)
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := f.http.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// waitList waits until the dashboard's list of the fixture's namespace
// satisfies cond. The dashboard reads from informers, which may be a
// moment behind the API server: the list is read again at each change
// event of its stream, with no polling.
func (f *fixture) waitList(what string, cond func(body string) bool) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/api/v1/stream", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	stream, err := (&http.Client{}).Do(req) //nolint:bodyclose // closed by the deferred Close below; read by the goroutine
	if err != nil {
		f.t.Fatalf("GET /api/v1/stream: %v", err)
	}
	defer stream.Body.Close()
	changes := make(chan struct{}, 1)
	go func() {
		lines := bufio.NewScanner(stream.Body)
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "event: change") {
				select {
				case changes <- struct{}{}:
				default:
				}
			}
		}
	}()
	last := ""
	for {
		code, body := f.call(http.MethodGet, "/api/v1/rollouts?namespace="+f.ns, nil, "")
		if code == http.StatusOK && cond(body) {
			return
		}
		last = fmt.Sprintf("%d %s", code, body)
		select {
		case <-changes:
		case <-ctx.Done():
			f.t.Fatalf("waiting for %s: %v; last list: %s", what, ctx.Err(), last)
		}
	}
}

// session reads the session (and gets the CSRF cookie).
func (f *fixture) session() session {
	f.t.Helper()
	code, body := f.call(http.MethodGet, "/api/v1/session", nil, "")
	var s session
	if code != http.StatusOK || json.Unmarshal([]byte(body), &s) != nil {
		f.t.Fatalf("GET /api/v1/session: %d %s", code, body)
	}
	return s
}

// promote asks the dashboard to promote the rollout.
func (f *fixture) promote(csrf string) (int, string) {
	f.t.Helper()
	return f.call(http.MethodPost, fmt.Sprintf("/api/v1/namespaces/%s/rollouts/web/actions/promote", f.ns), map[string]any{}, csrf)
}

// token creates a ServiceAccount bound to a Role with verbs on rollouts
// and rollouts/status, and returns a token of it.
func (f *fixture) token(name string, verbs ...string) string {
	f.t.Helper()
	framework.Create(f.t, f.k8s, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name}})
	framework.Create(f.t, f.k8s, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"ramp.dev"}, Resources: []string{"rollouts", "rollouts/status"}, Verbs: verbs}}})
	framework.Create(f.t, f.k8s, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: f.ns, Name: name}}})
	cs, err := kubernetes.NewForConfig(cluster.Current().RESTConfig())
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := framework.APIContext()
	defer cancel()
	tr, err := cs.CoreV1().ServiceAccounts(f.ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptrTo(int64(600))}}, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatalf("create a token for %s: %v", name, err)
	}
	return tr.Status.Token
}

func ptrTo[T any](v T) *T { return &v }

// TestReadOnlyRejectsActions: without --dashboard-actions the dashboard
// shows the rollout but refuses to promote it.
func TestReadOnlyRejectsActions(t *testing.T) {
	f := newFixture(t, "dashboard-ro", false)
	s := f.session()
	if !s.ReadOnly {
		t.Errorf("the session of a read-only dashboard says readOnly false: %+v", s)
	}
	f.waitList("the dashboard to list the paused rollout web", func(body string) bool {
		return strings.Contains(body, `"name":"web"`) && strings.Contains(body, `"phase":"Paused"`)
	})
	code, body := f.promote(s.CSRFToken)
	if code != http.StatusForbidden || !strings.Contains(body, "read-only") {
		t.Errorf("promote on a read-only dashboard: %d %s; want 403 saying it is read-only", code, body)
	}
	if r := f.wait("the rollout to stay paused", paused); len(r.Status.PauseConditions) == 0 {
		t.Error("the read-only dashboard promoted the rollout")
	}
}

// TestTokenRBACDecides: with actions on, a person must sign in; a token
// bound to a view-only Role is refused with the permission it lacks, and a
// token with patch rights promotes the rollout to its next step.
func TestTokenRBACDecides(t *testing.T) {
	f := newFixture(t, "dashboard-act", true)
	s := f.session()
	if s.ReadOnly || !s.SignInRequired || s.SignedIn {
		t.Fatalf("the session before sign-in: %+v; want actions on, sign-in required, not signed in", s)
	}
	if code, body := f.promote(s.CSRFToken); code != http.StatusUnauthorized {
		t.Errorf("promote without signing in: %d %s; want 401", code, body)
	}
	if code, body := f.call(http.MethodPost, "/api/v1/session", map[string]string{"token": "not-a-token"}, s.CSRFToken); code != http.StatusUnauthorized {
		t.Errorf("sign-in with a bad token: %d %s; want 401", code, body)
	}

	viewer := f.token("viewer", "get", "list", "watch")
	if code, body := f.call(http.MethodPost, "/api/v1/session", map[string]string{"token": viewer}, s.CSRFToken); code != http.StatusOK {
		t.Fatalf("sign-in as the viewer: %d %s", code, body)
	}
	code, body := f.promote(f.session().CSRFToken)
	if code != http.StatusForbidden || !strings.Contains(body, "patch") || !strings.Contains(body, "rollouts/status") {
		t.Errorf("promote as the viewer: %d %s; want 403 naming patch on rollouts/status", code, body)
	}
	f.wait("the rollout to stay paused", paused)

	operator := f.token("operator", "get", "list", "watch", "patch")
	if code, body := f.call(http.MethodPost, "/api/v1/session", map[string]string{"token": operator}, f.session().CSRFToken); code != http.StatusOK {
		t.Fatalf("sign-in as the operator: %d %s", code, body)
	}
	code, body = f.promote(f.session().CSRFToken)
	if code != http.StatusOK || !strings.Contains(body, `promoted`) {
		t.Fatalf("promote as the operator: %d %s; want 200", code, body)
	}
	f.wait("the promoted rollout to move past its pause", func(r *rampv1alpha1.Rollout) bool {
		return framework.StepIndex(r) >= 2 && len(r.Status.PauseConditions) == 0
	})
}

// TestRolloutPageShowsFinishedRunsWhole: the controller caches finished
// AnalysisRuns without their measurements and metric definitions, yet the
// rollout page shows a finished run whole: its measured value, the
// metric's URL and its condition.
func TestRolloutPageShowsFinishedRunsWhole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"errorRate": 0.0125}`))
	}))
	t.Cleanup(srv.Close)
	template := func(ns string) []client.Object {
		return []client.Object{&rampv1alpha1.AnalysisTemplate{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "error-rate"},
			Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: []rampv1alpha1.Metric{{
				Name:             "error-rate",
				SuccessCondition: "result < 0.05",
				Provider:         rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: srv.URL, JSONPath: "{.errorRate}"}},
			}}},
		}}
	}
	afterAnalysis := func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && len(r.Status.PauseConditions) > 0 && framework.StepIndex(r) == 2
	}
	f := newFixtureSteps(t, "dashboard-runs", false, template, afterAnalysis, framework.SetWeight(50),
		rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{
			Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}},
		}}, framework.Pause())

	code, body := f.call(http.MethodGet, fmt.Sprintf("/api/v1/namespaces/%s/rollouts/web", f.ns), nil, "")
	var detail struct {
		AnalysisRuns []rampv1alpha1.AnalysisRun `json:"analysisRuns"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &detail) != nil {
		t.Fatalf("GET the rollout page: %d %s", code, body)
	}
	if len(detail.AnalysisRuns) != 1 {
		t.Fatalf("the rollout page shows %d analysis runs, want the finished one: %s", len(detail.AnalysisRuns), body)
	}
	run := detail.AnalysisRuns[0]
	if run.Status.Phase != rampv1alpha1.AnalysisPhaseSuccessful || run.Status.CompletedAt == nil {
		t.Fatalf("the run on the rollout page is %q, want a finished Successful run: %s", run.Status.Phase, body)
	}
	if len(run.Spec.Metrics) != 1 || run.Spec.Metrics[0].Provider.Web == nil || run.Spec.Metrics[0].Provider.Web.URL != srv.URL ||
		run.Spec.Metrics[0].SuccessCondition != "result < 0.05" {
		t.Errorf("the finished run's metric on the rollout page lost its definition: %+v", run.Spec.Metrics)
	}
	if len(run.Status.MetricResults) != 1 || len(run.Status.MetricResults[0].Measurements) == 0 ||
		run.Status.MetricResults[0].Measurements[0].Value != "0.0125" {
		t.Errorf("the finished run on the rollout page lost its measurements: %+v", run.Status.MetricResults)
	}
}
