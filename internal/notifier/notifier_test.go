package notifier

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/notify"
)

func TestSubscribes(t *testing.T) {
	ns := func(triggers ...rampv1alpha1.NotificationTrigger) *rampv1alpha1.NotificationConfig {
		return &rampv1alpha1.NotificationConfig{ObjectMeta: metav1.ObjectMeta{Name: "team"},
			Spec: rampv1alpha1.NotificationConfigSpec{Triggers: triggers}}
	}
	byAnnotation := ns()
	byAnnotation.Spec.Subscription = rampv1alpha1.SubscriptionAnnotation
	tests := []struct {
		name       string
		cfg        *rampv1alpha1.NotificationConfig
		subscribed []string
		trigger    rampv1alpha1.NotificationTrigger
		want       bool
	}{
		{"default triggers send aborts", ns(), nil, rampv1alpha1.TriggerAborted, true},
		{"default triggers leave steps out", ns(), nil, rampv1alpha1.TriggerStepCompleted, false},
		{"listed trigger", ns(rampv1alpha1.TriggerStepCompleted), nil, rampv1alpha1.TriggerStepCompleted, true},
		{"unlisted trigger", ns(rampv1alpha1.TriggerStepCompleted), nil, rampv1alpha1.TriggerAborted, false},
		{"annotation names the config", byAnnotation, []string{"other", "team"}, rampv1alpha1.TriggerHealthy, true},
		{"annotation does not name it", byAnnotation, []string{"other"}, rampv1alpha1.TriggerHealthy, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Subscribes(tt.cfg, tt.subscribed, tt.trigger); got != tt.want {
				t.Errorf("Subscribes = %v, want %v", got, tt.want)
			}
		})
	}
}

// recorded is a fake Event recorder.
type recorded struct {
	mu    sync.Mutex
	notes []string
	seen  chan struct{}
}

func (r *recorded) Eventf(_ runtime.Object, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, eventtype+" "+reason+": "+fmt.Sprintf(note, args...))
	select {
	case r.seen <- struct{}{}:
	default:
	}
}

func (r *recorded) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.notes...)
}

// TestDispatch: a message reaches the receivers of the configs that
// subscribe to it, with Secret-backed headers and a dashboard link; a
// receiver whose Secret is missing is reported on its config, and the
// others still get the message.
func TestDispatch(t *testing.T) {
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer srv.Close()

	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = rampv1alpha1.AddToScheme(scheme)
	cfg := &rampv1alpha1.NotificationConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "team"},
		Spec: rampv1alpha1.NotificationConfigSpec{DashboardURL: "https://ramp.example/", Receivers: []rampv1alpha1.NotificationReceiver{
			{Name: "hook", Webhook: &rampv1alpha1.WebhookReceiver{URL: srv.URL + "/hook",
				Headers: []rampv1alpha1.WebMetricHeader{{Key: "X-Token", ValueFrom: &rampv1alpha1.HeaderValueFrom{
					SecretKeyRef: rampv1alpha1.SecretKeyRef{Name: "tokens", Key: "hook"}}}}}},
			{Name: "chat", Slack: &rampv1alpha1.ChatReceiver{URLFrom: rampv1alpha1.HeaderValueFrom{
				SecretKeyRef: rampv1alpha1.SecretKeyRef{Name: "missing", Key: "url"}}}},
		}},
	}
	other := &rampv1alpha1.NotificationConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "other"},
		Spec: rampv1alpha1.NotificationConfigSpec{Subscription: rampv1alpha1.SubscriptionAnnotation,
			Receivers: []rampv1alpha1.NotificationReceiver{{Name: "hook", Webhook: &rampv1alpha1.WebhookReceiver{URL: srv.URL + "/other"}}}},
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "tokens"}, Data: map[string][]byte{"hook": []byte("t0ken")}}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cfg, other, sec).Build()
	rec := &recorded{seen: make(chan struct{}, 1)}
	n := New(c, c, rec, notify.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = n.Start(ctx) }()

	ro := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	n.Notify(ro, notify.Message{Trigger: rampv1alpha1.TriggerAborted, Namespace: "shop", Rollout: "web", Text: "aborted by analysis", Time: time.Now()})

	select {
	case r := <-got:
		if r.URL.Path != "/hook" || r.Header.Get("X-Token") != "t0ken" {
			t.Errorf("request to %s with X-Token %q", r.URL.Path, r.Header.Get("X-Token"))
		}
		var m notify.Message
		if err := json.Unmarshal(<-bodies, &m); err != nil || m.DashboardURL != "https://ramp.example/namespaces/shop/rollouts/web" || m.Rollout != "web" {
			t.Errorf("message %+v, %v", m, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message arrived")
	}
	select {
	case <-rec.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("no Event about the receiver whose Secret is missing")
	}
	if notes := rec.all(); len(notes) != 1 || !strings.Contains(notes[0], "Warning NotificationFailed") ||
		!strings.Contains(notes[0], "receiver chat") || !strings.Contains(notes[0], `secret "missing" not found`) {
		t.Errorf("events %q; want one NotificationFailed naming receiver chat and the missing Secret", notes)
	}
	select {
	case r := <-got:
		t.Errorf("an unexpected request to %s (the other config is subscribed to by annotation only)", r.URL.Path)
	case <-time.After(100 * time.Millisecond):
	}
}
