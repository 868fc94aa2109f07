package notify

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/notify"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// chat is a loopback server standing in for a chat service and a
// webhook receiver: it keeps every request by path.
type chat struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  map[string][]received
	seen chan struct{}
}

type received struct {
	header http.Header
	body   []byte
}

func newChat(t *testing.T) *chat {
	c := &chat{got: map[string][]received{}, seen: make(chan struct{}, 1)}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.got[r.URL.Path] = append(c.got[r.URL.Path], received{header: r.Header.Clone(), body: body})
		c.mu.Unlock()
		select {
		case c.seen <- struct{}{}:
		default:
		}
		if r.URL.Path == "/gone" {
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *chat) requests(path string) []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.got[path]...)
}

// messages decodes the webhook messages posted to path.
func (c *chat) messages(t *testing.T, path string) []notify.Message {
	t.Helper()
	var out []notify.Message
	for _, r := range c.requests(path) {
		var m notify.Message
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatalf("a message to %s is not JSON: %v: %s", path, err, r.body)
		}
		out = append(out, m)
	}
	return out
}

// waitFor waits until cond holds, checking at each request the server
// gets.
func (c *chat) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for !cond() {
		select {
		case <-c.seen:
		case <-deadline:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// firstHealthy waits for the message that the first revision of a Rollout
// is Healthy (sent like any other) at path, and returns how many messages
// path has had: the update's start after them.
func (c *chat) firstHealthy(t *testing.T, path string) int {
	t.Helper()
	c.waitFor(t, "the first revision's Healthy message", func() bool {
		return slices.Contains(triggers(c.messages(t, path)), rampv1alpha1.TriggerHealthy)
	})
	msgs := c.messages(t, path)
	if got := triggers(msgs); len(got) != 1 || msgs[0].Revision != 1 {
		t.Fatalf("before the update %s got %v", path, got)
	}
	return len(msgs)
}

// waitCount waits until path has had n messages, and returns them.
func (c *chat) waitCount(t *testing.T, path string, n int) []notify.Message {
	t.Helper()
	c.waitFor(t, fmt.Sprintf("%d messages at %s", n, path), func() bool { return len(c.requests(path)) >= n })
	return c.messages(t, path)
}

func triggers(msgs []notify.Message) []rampv1alpha1.NotificationTrigger {
	out := make([]rampv1alpha1.NotificationTrigger, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.Trigger)
	}
	return out
}

func secret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func fromSecret(name, key string) *rampv1alpha1.HeaderValueFrom {
	return &rampv1alpha1.HeaderValueFrom{SecretKeyRef: rampv1alpha1.SecretKeyRef{Name: name, Key: key}}
}

// TestNotificationsOfACanary: a full canary with a pause sends every
// transition to a signed webhook and to Slack, in order, each message
// naming the rollout, its revision, images and step; a config that the
// Rollout does not subscribe to by annotation sends nothing.
func TestNotificationsOfACanary(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	c := newChat(t)
	framework.Create(t, k8s, secret(ns, "chat", map[string]string{
		"slack": c.srv.URL + "/slack?token=xoxb-s3cret", "key": "signing-s3cret", "auth": "Bearer hdr-s3cret",
	}))
	all := []rampv1alpha1.NotificationTrigger{
		rampv1alpha1.TriggerRolloutUpdated, rampv1alpha1.TriggerStepCompleted, rampv1alpha1.TriggerPaused,
		rampv1alpha1.TriggerPromoted, rampv1alpha1.TriggerAborted, rampv1alpha1.TriggerHealthy,
	}
	framework.Create(t, k8s, &rampv1alpha1.NotificationConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "team"},
		Spec: rampv1alpha1.NotificationConfigSpec{Triggers: all, DashboardURL: "https://ramp.example/",
			Receivers: []rampv1alpha1.NotificationReceiver{
				{Name: "hook", Webhook: &rampv1alpha1.WebhookReceiver{URL: c.srv.URL + "/hook",
					Headers:        []rampv1alpha1.WebMetricHeader{{Key: "Authorization", ValueFrom: fromSecret("chat", "auth")}},
					SigningKeyFrom: fromSecret("chat", "key")}},
				{Name: "slack", Slack: &rampv1alpha1.ChatReceiver{URLFrom: *fromSecret("chat", "slack")}},
			}},
	})
	framework.Create(t, k8s, &rampv1alpha1.NotificationConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "other-team"},
		Spec: rampv1alpha1.NotificationConfigSpec{Subscription: rampv1alpha1.SubscriptionAnnotation, Triggers: all,
			Receivers: []rampv1alpha1.NotificationReceiver{{Name: "hook", Webhook: &rampv1alpha1.WebhookReceiver{URL: c.srv.URL + "/other"}}}},
	})

	ro := createCanary(t, k8s, ns, "web", framework.SetWeight(40), framework.Pause(), framework.SetWeight(80))
	before := c.firstHealthy(t, "/hook")
	framework.SetImage(t, k8s, ro, "registry.example/web:v2")
	key := client.ObjectKeyFromObject(ro)
	framework.WaitRollout(t, k8s, key, waitTimeout, "the update to pause", func(r *rampv1alpha1.Rollout) bool {
		return len(r.Status.PauseConditions) > 0 && framework.StepIndex(r) == 1
	})
	c.waitCount(t, "/hook", before+3) // updated, step 1, paused
	framework.Promote(t, k8s, ro)
	done := framework.WaitRollout(t, k8s, key, waitTimeout, "the update to finish", healthy)

	want := []rampv1alpha1.NotificationTrigger{
		rampv1alpha1.TriggerRolloutUpdated, rampv1alpha1.TriggerStepCompleted, rampv1alpha1.TriggerPaused,
		rampv1alpha1.TriggerStepCompleted, rampv1alpha1.TriggerStepCompleted, rampv1alpha1.TriggerPromoted, rampv1alpha1.TriggerHealthy,
	}
	msgs := c.waitCount(t, "/hook", before+len(want))[before:]
	if got := triggers(msgs); !slices.Equal(got, want) {
		t.Errorf("the webhook got %v; want %v", got, want)
	}
	paused := msgs[slices.Index(triggers(msgs), rampv1alpha1.TriggerPaused)]
	if paused.Rollout != "web" || paused.Namespace != ns || paused.Revision != 2 || paused.PodTemplateHash != done.Status.CurrentPodHash ||
		!slices.Equal(paused.Images, []string{"app=registry.example/web:v2"}) || paused.Step == nil || *paused.Step != 2 ||
		paused.Steps != 3 || paused.DashboardURL != "https://ramp.example/namespaces/"+ns+"/rollouts/web" || paused.Text == "" {
		t.Errorf("the Paused message: %+v", paused)
	}
	for i, r := range c.requests("/hook") {
		if err := notify.Verify([]byte("signing-s3cret"), r.header.Get(notify.HeaderTimestamp), r.header.Get(notify.HeaderSignature),
			r.body, time.Now(), time.Hour); err != nil {
			t.Errorf("message %d: signature: %v", i, err)
		}
		if r.header.Get("Authorization") != "Bearer hdr-s3cret" {
			t.Errorf("message %d: Authorization %q", i, r.header.Get("Authorization"))
		}
	}
	c.waitCount(t, "/slack", before+len(want))
	slack := c.requests("/slack")
	if len(slack) != before+len(want) {
		t.Errorf("Slack got %d messages, want %d", len(slack), before+len(want))
	}
	for _, r := range slack {
		var body struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(r.body, &body) != nil || !strings.Contains(body.Text, ns+"/web") {
			t.Errorf("a Slack message without the rollout in its text: %s", r.body)
		}
	}
	if n := len(c.requests("/other")); n != 0 {
		t.Errorf("the config the Rollout does not subscribe to sent %d messages", n)
	}
}

// TestNotificationsOfARollback: a failing analysis sends AnalysisFailed
// and Aborted (the default triggers, without the steps' chatter) naming
// the metric, to the config the Rollout subscribes to by annotation.
func TestNotificationsOfARollback(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	c := newChat(t)
	metric := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"errorRate": 0.4}`))
	}))
	t.Cleanup(metric.Close)
	framework.Create(t, k8s, &rampv1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "error-rate"},
		Spec: rampv1alpha1.AnalysisTemplateSpec{Metrics: []rampv1alpha1.Metric{{
			Name: "error-rate", SuccessCondition: "result < 0.05",
			Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: metric.URL, JSONPath: "{.errorRate}"}},
		}}},
	})
	framework.Create(t, k8s, &rampv1alpha1.NotificationConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "oncall"},
		Spec: rampv1alpha1.NotificationConfigSpec{Subscription: rampv1alpha1.SubscriptionAnnotation,
			Receivers: []rampv1alpha1.NotificationReceiver{{Name: "hook", Webhook: &rampv1alpha1.WebhookReceiver{URL: c.srv.URL + "/hook"}}}},
	})
	ro := framework.NewRollout(ns, "pay", "registry.example/pay:v1", 2, framework.SetWeight(30),
		rampv1alpha1.CanaryStep{Analysis: &rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}}},
		framework.SetWeight(100))
	ro.Annotations = map[string]string{rampv1alpha1.AnnotationNotify: "oncall"}
	framework.Create(t, k8s, ro)
	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "the first revision to be Healthy", healthy)
	before := c.firstHealthy(t, "/hook")
	framework.SetImage(t, k8s, ro, "registry.example/pay:v2")
	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "the failed analysis to abort the update", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Abort && r.Status.Phase == rampv1alpha1.RolloutPhaseDegraded
	})
	msgs := c.waitCount(t, "/hook", before+2)[before:]
	if got, want := triggers(msgs), []rampv1alpha1.NotificationTrigger{rampv1alpha1.TriggerAnalysisFailed, rampv1alpha1.TriggerAborted}; !slices.Equal(got, want) {
		t.Errorf("the webhook got %v; want %v", got, want)
	}
	for _, m := range msgs {
		if !strings.Contains(m.Text, "error-rate") || !strings.Contains(m.Text, "0.4") {
			t.Errorf("the %s message %q does not name the metric and its value", m.Trigger, m.Text)
		}
	}
}

// TestDeadReceivers: receivers that never answer do not hold back the
// others, nor the Rollout; a receiver that refuses is reported as a
// Warning Event on its config, without its URL's token.
func TestDeadReceivers(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	c := newChat(t)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	framework.Create(t, k8s, secret(ns, "gone", map[string]string{"url": c.srv.URL + "/gone?token=gone-s3cret"}))
	receivers := []rampv1alpha1.NotificationReceiver{
		{Name: "live", Webhook: &rampv1alpha1.WebhookReceiver{URL: c.srv.URL + "/live"}},
		{Name: "gone", Webhook: &rampv1alpha1.WebhookReceiver{URLFrom: fromSecret("gone", "url")}},
	}
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		receivers = append(receivers, rampv1alpha1.NotificationReceiver{Name: "hang-" + name,
			Webhook: &rampv1alpha1.WebhookReceiver{URL: hang.URL + "/" + name}})
	}
	framework.Create(t, k8s, &rampv1alpha1.NotificationConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mixed"},
		Spec: rampv1alpha1.NotificationConfigSpec{Triggers: []rampv1alpha1.NotificationTrigger{
			rampv1alpha1.TriggerRolloutUpdated, rampv1alpha1.TriggerStepCompleted, rampv1alpha1.TriggerHealthy,
		}, Receivers: receivers},
	})
	ro := createCanary(t, k8s, ns, "cart", framework.SetWeight(20), framework.SetWeight(50), framework.SetWeight(80))
	before := c.firstHealthy(t, "/live")
	framework.SetImage(t, k8s, ro, "registry.example/cart:v2")
	framework.WaitRollout(t, k8s, client.ObjectKeyFromObject(ro), waitTimeout, "the update to finish", healthy)
	want := []rampv1alpha1.NotificationTrigger{rampv1alpha1.TriggerRolloutUpdated, rampv1alpha1.TriggerStepCompleted,
		rampv1alpha1.TriggerStepCompleted, rampv1alpha1.TriggerStepCompleted, rampv1alpha1.TriggerHealthy}
	if got := triggers(c.waitCount(t, "/live", before+len(want))[before:]); !slices.Equal(got, want) {
		t.Errorf("the live receiver got %v, want %v", got, want)
	}

	cfg := framework.Get(t, k8s, client.ObjectKey{Namespace: ns, Name: "mixed"}, &rampv1alpha1.NotificationConfig{})
	var note string
	framework.WaitEvents(t, k8s, cfg, "NotificationFailed", waitTimeout, "a NotificationFailed Event about receiver gone",
		func(evs []eventsv1.Event) (bool, string) {
			for _, e := range evs {
				if strings.Contains(e.Note, "receiver gone") {
					note = e.Note
					return true, ""
				}
			}
			return false, fmt.Sprintf("%d NotificationFailed Events", len(evs))
		})
	if strings.Contains(note, "s3cret") || !strings.Contains(note, "404") {
		t.Errorf("the NotificationFailed Event %q leaks the URL's token or does not say why", note)
	}
}
