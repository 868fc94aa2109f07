package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"
)

// handlerTransport serves requests in memory with the handler of their
// host, so that tests can run in a synctest bubble.
type handlerTransport map[string]http.Handler

func (h handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	handler, ok := h[r.URL.Host]
	if !ok {
		return nil, errors.New("no such host")
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

// counter reads a metric of the package.
func counter(name, result string) float64 {
	if name == "sent" {
		return testutil.ToFloat64(metricSent.WithLabelValues(result))
	}
	return testutil.ToFloat64(metricAttempts.WithLabelValues(result))
}

// counters remembers metrics, to assert on their increase.
type counters map[[2]string]float64

func readCounters() counters {
	c := counters{}
	for _, r := range []string{"sent", "failed", "dropped"} {
		c[[2]string{"sent", r}] = counter("sent", r)
	}
	for _, r := range []string{"ok", "retry", "error"} {
		c[[2]string{"attempts", r}] = counter("attempts", r)
	}
	return c
}

// expect checks that the metrics named as "sent/failed" or "attempts/ok"
// increased by the given amounts, and the others not at all.
func (c counters) expect(t *testing.T, want map[[2]string]float64) {
	t.Helper()
	for k, before := range c {
		if got := counter(k[0], k[1]) - before; got != want[k] {
			t.Errorf("%s{result=%s} increased by %v, want %v", k[0], k[1], got, want[k])
		}
	}
}

// collector gathers results.
type collector struct {
	mu      sync.Mutex
	results []Result
	ch      chan Result
}

func newCollector() *collector { return &collector{ch: make(chan Result, 1000)} }

func (c *collector) onResult(r Result) {
	c.mu.Lock()
	c.results = append(c.results, r)
	c.mu.Unlock()
	c.ch <- r
}

func (c *collector) all() []Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Result(nil), c.results...)
}

// start runs s until the returned function is called, which waits for
// Start to return.
func start(t *testing.T, s *Sender) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start: %v", err)
		}
	}
}

func target(host, kind string) Target {
	return Target{Config: types.NamespacedName{Namespace: "shop", Name: "team"}, Receiver: host,
		Kind: kind, URL: "https://" + host + "/hook"}
}

func delivery(host, rollout string) Delivery {
	m := testMessage()
	m.Rollout = rollout
	return Delivery{Target: target(host, KindWebhook), Message: m}
}

// scripted answers with the given statuses in turn, then 200, noting the
// time and rollout of each request.
type scripted struct {
	mu       sync.Mutex
	statuses []int
	header   http.Header
	times    []time.Time
	rollouts []string
}

func (h *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m Message
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &m)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.times = append(h.times, time.Now())
	h.rollouts = append(h.rollouts, m.Rollout)
	status := http.StatusOK
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	for k, v := range h.header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

// hang answers only when the request ends.
var hang = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
