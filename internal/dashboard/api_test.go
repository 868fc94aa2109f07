package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// names lists the namespace/name of each summary.
func names(items []RolloutSummary) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Namespace+"/"+it.Name)
	}
	return out
}

// TestListRollouts checks the list: sorted by namespace and name, each summary's step,
// weights, images with roles and pod counts.
func TestListRollouts(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	resp := e.do(t, http.MethodGet, "/api/v1/rollouts", "")
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	var list RolloutList
	resp.decode(t, &list)
	if got, want := names(list.Items), []string{"other/db", "shop/api", "shop/web"}; !slices.Equal(got, want) {
		t.Fatalf("items %v, want %v (sorted by namespace, name)", got, want)
	}

	web := list.Items[2]
	want := RolloutSummary{
		Namespace: "shop", Name: "web", Strategy: "canary", Phase: "Paused", Message: "waiting at step 2 for a promotion",
		Step: "2/5", SetWeight: ptr.To[int32](20), ActualWeight: ptr.To[int32](20),
		Images: []Image{{Image: "shop/web:3.0", Role: "canary"}, {Image: "shop/web:2.0", Role: "stable"}},
		Ready:  4, Desired: 4,
	}
	want.Created = web.Created
	if !web.Created.Time.Equal(epoch.Add(-time.Hour)) {
		t.Errorf("created %v, want %v", web.Created, epoch.Add(-time.Hour))
	}
	assertSummary(t, web, want)

	api := list.Items[1]
	assertSummary(t, api, RolloutSummary{
		Namespace: "shop", Name: "api", Strategy: "blueGreen", Phase: "Healthy",
		Images: []Image{{Image: "shop/api:1.4", Role: "active"}}, Ready: 2, Desired: 2, Created: api.Created,
	})

	db := list.Items[0]
	assertSummary(t, db, RolloutSummary{
		Namespace: "other", Name: "db", Strategy: "canary", Phase: "Degraded", Message: "analysis failed",
		SetWeight: ptr.To[int32](100), ActualWeight: ptr.To[int32](100),
		Images: []Image{{Image: "postgres:17"}}, Desired: 1, Created: db.Created,
	})

	// null, not absent, for blue-green weights and no profile; [] for no images.
	if !strings.Contains(resp.body, `"setWeight":null`) {
		t.Errorf("blue-green setWeight is not null in %s", resp.body)
	}
	if !strings.Contains(resp.body, `"profile":null`) {
		t.Errorf("a rollout without a profile has no \"profile\":null in %s", resp.body)
	}
}

// assertSummary compares two summaries field by field.
func assertSummary(t *testing.T, got, want RolloutSummary) {
	t.Helper()
	if got.Namespace != want.Namespace || got.Name != want.Name || got.Strategy != want.Strategy ||
		got.Phase != want.Phase || got.Message != want.Message || got.Step != want.Step ||
		got.Ready != want.Ready || got.Desired != want.Desired || !got.Created.Equal(&want.Created) {
		t.Errorf("summary\n got %+v\nwant %+v", got, want)
	}
	if !ptrEqual(got.SetWeight, want.SetWeight) || !ptrEqual(got.ActualWeight, want.ActualWeight) {
		t.Errorf("%s weights: set %v actual %v, want %v and %v", got.Name,
			ptr.Deref(got.SetWeight, -1), ptr.Deref(got.ActualWeight, -1), ptr.Deref(want.SetWeight, -1), ptr.Deref(want.ActualWeight, -1))
	}
	if !slices.Equal(got.Images, want.Images) {
		t.Errorf("%s images %v, want %v", got.Name, got.Images, want.Images)
	}
	if (got.Profile == nil) != (want.Profile == nil) || (got.Profile != nil && *got.Profile != *want.Profile) {
		t.Errorf("%s profile %+v, want %+v", got.Name, got.Profile, want.Profile)
	}
}

// ptrEqual compares two optional numbers.
func ptrEqual(a, b *int32) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// TestListRolloutsFilters checks the namespace, q and phase filters.
func TestListRolloutsFilters(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"namespace=shop", []string{"shop/api", "shop/web"}},
		{"namespace=nowhere", []string{}},
		{"phase=healthy", []string{"shop/api"}},
		{"phase=Degraded", []string{"other/db"}},
		{"q=WEB", []string{"shop/web"}},
		{"q=oth", []string{"other/db"}},
		{"q=postgres", []string{"other/db"}},
		{"q=web:2.0", []string{"shop/web"}},
		{"q=shop/api", []string{"shop/api"}},
		{"namespace=shop&phase=Paused&q=web", []string{"shop/web"}},
		{"namespace=shop&phase=Degraded", []string{}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			resp := e.do(t, http.MethodGet, "/api/v1/rollouts?"+tc.query, "")
			var list RolloutList
			resp.decode(t, &list)
			if got := names(list.Items); !slices.Equal(got, tc.want) {
				t.Errorf("items %v, want %v", got, tc.want)
			}
			if !strings.Contains(resp.body, `"items":[`) {
				t.Errorf("items is not a list: %s", resp.body)
			}
		})
	}
}

// TestGetRollout checks the detail of a canary: the object, the step timeline
// with its pause, revisions newest first with pods, runs and events.
func TestGetRollout(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	resp := e.do(t, http.MethodGet, "/api/v1/namespaces/shop/rollouts/web", "")
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	var d RolloutDetail
	resp.decode(t, &d)

	if d.Rollout == nil || d.Rollout.Name != "web" || d.Rollout.Kind != "Rollout" || d.Rollout.APIVersion != "ramp.dev/v1alpha1" {
		t.Fatalf("rollout object %+v", d.Rollout)
	}
	if d.Summary.Step != "2/5" {
		t.Errorf("summary step %q, want 2/5", d.Summary.Step)
	}

	var steps []string
	for _, s := range d.Steps {
		steps = append(steps, s.Description+"="+s.State)
	}
	wantSteps := []string{"setWeight 20=done", "pause=current", "setWeight 50=next", "pause 30s=next", "analysis error-rate=next"}
	if !slices.Equal(steps, wantSteps) {
		t.Errorf("steps %v, want %v", steps, wantSteps)
	}
	if cur := d.Steps[1]; cur.PauseReason != "CanaryPauseStep" || cur.Since == nil || !cur.Since.Time.Equal(epoch.Add(-5*time.Minute)) {
		t.Errorf("current step pause %q since %v, want CanaryPauseStep since %v", cur.PauseReason, cur.Since, epoch.Add(-5*time.Minute))
	}
	if d.Steps[0].Since != nil || d.Steps[0].PauseReason != "" {
		t.Errorf("a done step has a pause: %+v", d.Steps[0])
	}

	var revs []string
	for _, r := range d.Revisions {
		var pods []string
		for _, p := range r.Pods {
			pods = append(pods, p.Name)
		}
		revs = append(revs, r.Hash+":"+r.Role+":"+strings.Join(pods, ","))
		if r.ReplicaSet == nil || r.ReplicaSet.Kind != "ReplicaSet" {
			t.Errorf("revision %d has replica set %+v", r.Revision, r.ReplicaSet)
		}
	}
	wantRevs := []string{"bbb:canary:web-bbb-x", "aaa:stable:web-aaa-a,web-aaa-b", "zzz:old:"}
	if !slices.Equal(revs, wantRevs) {
		t.Errorf("revisions %v, want %v (newest first)", revs, wantRevs)
	}
	if d.Revisions[0].Revision != 3 {
		t.Errorf("newest revision %d, want 3", d.Revisions[0].Revision)
	}

	var runs []string
	for _, r := range d.AnalysisRuns {
		runs = append(runs, r.Name)
	}
	if want := []string{"web-bbb-3", "web-aaa-2"}; !slices.Equal(runs, want) {
		t.Errorf("analysis runs %v, want %v (newest first, not those of an earlier rollout)", runs, want)
	}

	var events []string
	for _, ev := range d.Events {
		events = append(events, ev.Reason)
	}
	if want := []string{"Paused", "RolloutUpdated"}; !slices.Equal(events, want) {
		t.Errorf("events %v, want %v (newest first, only this rollout's)", events, want)
	}
	if d.Events[0].Message != "Paused note" || d.Events[0].Type != "Normal" || !d.Events[0].Time.Time.Equal(epoch.Add(-5*time.Minute)) {
		t.Errorf("event %+v", d.Events[0])
	}
	if strings.Contains(resp.body, "managedFields") {
		t.Errorf("the detail carries managed fields")
	}
}

// TestGetRolloutBlueGreenAndMissing checks a blue-green detail, a missing rollout (404)
// and an unknown endpoint (404 with a JSON error).
func TestGetRolloutBlueGreenAndMissing(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	var d RolloutDetail
	e.do(t, http.MethodGet, "/api/v1/namespaces/shop/rollouts/api", "").decode(t, &d)
	if len(d.Steps) != 0 || len(d.Revisions) != 1 || d.Revisions[0].Role != "active" || len(d.Revisions[0].Pods) != 1 {
		t.Errorf("blue-green detail: steps %v, revisions %+v", d.Steps, d.Revisions)
	}

	resp := e.do(t, http.MethodGet, "/api/v1/namespaces/shop/rollouts/nope", "")
	if resp.status != http.StatusNotFound || resp.errorMessage(t) != `rollout "nope" not found in namespace "shop"` {
		t.Errorf("missing rollout: %d %s", resp.status, resp.body)
	}
	resp = e.do(t, http.MethodGet, "/api/v1/nothing", "")
	if resp.status != http.StatusNotFound || resp.errorMessage(t) == "" {
		t.Errorf("unknown endpoint: %d %s", resp.status, resp.body)
	}
}

// TestUI checks that the UI's files are served, with index.html for "/" and
// for the UI's own paths, and 404 for a missing asset.
func TestUI(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		path, contains, contentType string
		status                      int
	}{
		{"/", "<title>Ramp</title>", "text/html", http.StatusOK},
		{"/app.js", "console.log", "text/javascript", http.StatusOK},
		{"/app.css", "body{}", "text/css", http.StatusOK},
		{"/namespaces/shop/rollouts/web", "<title>Ramp</title>", "text/html", http.StatusOK},
		{"/missing.js", "", "", http.StatusNotFound},
		{"/img/", "<title>Ramp</title>", "text/html", http.StatusOK},
	} {
		resp := e.do(t, http.MethodGet, tc.path, "")
		if resp.status != tc.status || !strings.Contains(resp.body, tc.contains) || !strings.HasPrefix(resp.header.Get("Content-Type"), tc.contentType) {
			t.Errorf("GET %s: %d %q %q", tc.path, resp.status, resp.header.Get("Content-Type"), resp.body)
		}
	}
}

// TestSecurityHeaders checks the headers every response carries.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	for _, path := range []string{"/", "/app.js", "/api/v1/rollouts", "/api/v1/session", "/api/v1/nothing"} {
		resp := e.do(t, http.MethodGet, path, "")
		h := resp.header
		if h.Get("Content-Security-Policy") != contentSecurityPolicy || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("GET %s: security headers missing: %v", path, h)
		}
		if api := strings.HasPrefix(path, "/api/"); api != (h.Get("Cache-Control") == "no-store") {
			t.Errorf("GET %s: Cache-Control %q", path, h.Get("Cache-Control"))
		}
	}
	if !strings.Contains(contentSecurityPolicy, "frame-ancestors 'none'") || !strings.Contains(contentSecurityPolicy, "default-src 'self'") {
		t.Errorf("CSP %q", contentSecurityPolicy)
	}
}

// TestHostCheck checks that only localhost, IP addresses and allowed hosts are
// served.
func TestHostCheck(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AllowedHosts = []string{"ramp.example.com"} })
	for host, want := range map[string]int{
		"localhost:3100":        http.StatusOK,
		"127.0.0.1:3100":        http.StatusOK,
		"[::1]:3100":            http.StatusOK,
		"ramp.example.com":      http.StatusOK,
		"RAMP.example.com:8443": http.StatusOK,
		"evil.example.net:3100": http.StatusForbidden,
	} {
		resp := e.do(t, http.MethodGet, "/api/v1/session", "", "Host", host)
		if resp.status != want {
			t.Errorf("Host %s: status %d, want %d (%s)", host, resp.status, want, resp.body)
		}
	}
}

// TestEventsSelectedByName checks that Events are asked for by the rollout's name
// when the reader can select on it.
func TestEventsSelectedByName(t *testing.T) {
	var selectors []string
	reader := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(fixtures()...).
		WithIndex(&eventsv1.Event{}, "regarding.name", func(obj client.Object) []string {
			return []string{obj.(*eventsv1.Event).Regarding.Name}
		}).
		WithInterceptorFuncs(interceptor.Funcs{
			List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
				if _, ok := list.(*eventsv1.EventList); ok {
					lo := (&client.ListOptions{}).ApplyOptions(opts)
					selectors = append(selectors, fmt.Sprint(lo.FieldSelector))
				}
				return c.List(ctx, list, opts...)
			},
		}).Build()
	e := newEnv(t, func(o *Options) { o.Reader = reader })
	var d RolloutDetail
	e.do(t, http.MethodGet, "/api/v1/namespaces/shop/rollouts/web", "").decode(t, &d)
	if want := []string{"regarding.name=web"}; !slices.Equal(selectors, want) {
		t.Errorf("events listed with field selectors %q, want %q", selectors, want)
	}
	if len(d.Events) != 2 {
		t.Errorf("%d events, want 2", len(d.Events))
	}
}

// judgedRun is web's run web-bbb-3 with a failed judge metric and its
// verdict.
func judgedRun() *rampv1alpha1.AnalysisRun {
	run := analysisRun(webRollout(), "web-bbb-3", epoch.Add(-3*time.Minute))
	run.Spec.Metrics = []rampv1alpha1.Metric{{Name: "judge"}}
	run.Status = rampv1alpha1.AnalysisRunStatus{
		Phase: rampv1alpha1.AnalysisPhaseFailed,
		MetricResults: []rampv1alpha1.MetricResult{{
			Name: "judge", Phase: rampv1alpha1.AnalysisPhaseFailed, Count: 1, Failed: 1,
			Message: "judge score 60 (canary bbb with stable aaa): latency-p99 High",
			Verdict: &rampv1alpha1.JudgeVerdict{Score: 60, Compared: "canary bbb with stable aaa", Metrics: []rampv1alpha1.JudgeMetricVerdict{
				{Name: "latency-p99", Group: "latency", Classification: "High", Critical: true, CanaryMedian: "0.031",
					ControlMedian: "0.024", Estimate: "0.0071", Interval: "[0.0052, 0.0093]", PValue: "0.0004",
					EffectSize: "+29.4%", Reason: "the canary is 29.4% slower than stable"},
				{Name: "error-ratio", Group: "errors", Classification: "Pass", CanaryMedian: "0.0042", ControlMedian: "0.0041"},
			}},
		}},
	}
	return run
}

// TestGetRolloutJudgeVerdict checks that the detail carries each judge
// verdict in its run's metric result, with the JSON names the rollout page
// reads.
func TestGetRolloutJudgeVerdict(t *testing.T) {
	objs := slices.DeleteFunc(fixtures(), func(o client.Object) bool { return o.GetName() == "web-bbb-3" })
	e := newEnv(t, nil, append(objs, judgedRun())...)
	resp := e.do(t, http.MethodGet, "/api/v1/namespaces/shop/rollouts/web", "")
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	var d RolloutDetail
	resp.decode(t, &d)
	if len(d.AnalysisRuns) == 0 || d.AnalysisRuns[0].Name != "web-bbb-3" {
		t.Fatalf("analysis runs %+v, want web-bbb-3 first", d.AnalysisRuns)
	}
	results := d.AnalysisRuns[0].Status.MetricResults
	if len(results) != 1 || results[0].Verdict == nil || results[0].Verdict.Score != 60 || len(results[0].Verdict.Metrics) != 2 {
		t.Fatalf("metric results %+v, want the judge's verdict (score 60, 2 metrics)", results)
	}

	var raw struct {
		AnalysisRuns []struct {
			Status struct {
				MetricResults []struct {
					Phase   string         `json:"phase"`
					Verdict map[string]any `json:"verdict"`
				} `json:"metricResults"`
			} `json:"status"`
		} `json:"analysisRuns"`
	}
	if err := json.Unmarshal([]byte(resp.body), &raw); err != nil {
		t.Fatal(err)
	}
	res := raw.AnalysisRuns[0].Status.MetricResults[0]
	if res.Phase != "Failed" || res.Verdict["score"] != 60.0 || res.Verdict["compared"] != "canary bbb with stable aaa" {
		t.Errorf("judge result: phase %q, verdict %v", res.Phase, res.Verdict)
	}
	metrics, _ := res.Verdict["metrics"].([]any)
	if len(metrics) != 2 {
		t.Fatalf("verdict metrics %v, want 2", res.Verdict["metrics"])
	}
	high, _ := metrics[0].(map[string]any)
	want := map[string]any{
		"name": "latency-p99", "group": "latency", "classification": "High", "critical": true, "canaryMedian": "0.031",
		"controlMedian": "0.024", "estimate": "0.0071", "interval": "[0.0052, 0.0093]", "pValue": "0.0004",
		"effectSize": "+29.4%", "reason": "the canary is 29.4% slower than stable",
	}
	for k, v := range want {
		if high[k] != v {
			t.Errorf("verdict metric %s = %v, want %v (in %v)", k, high[k], v, high)
		}
	}
}

// TestRunsOfKeepsVerdicts checks that runsOf keeps a run's verdicts in
// copies of its own: the runs it is given may be the cache's.
func TestRunsOfKeepsVerdicts(t *testing.T) {
	cached := []rampv1alpha1.AnalysisRun{*judgedRun()}
	runs := runsOf(webRollout(), cached)
	if len(runs) != 1 || runs[0].Status.MetricResults[0].Verdict == nil {
		t.Fatalf("runsOf = %+v, want the run with its verdict", runs)
	}
	runs[0].Status.MetricResults[0].Verdict.Metrics[0].Reason = "changed"
	if got := cached[0].Status.MetricResults[0].Verdict.Metrics[0].Reason; got != "the canary is 29.4% slower than stable" {
		t.Errorf("changing the detail's verdict changed the cached run's: %q", got)
	}
}
