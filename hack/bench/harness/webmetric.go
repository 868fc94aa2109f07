package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// webMetric is the HTTP endpoint of the Rollouts' web metric: GET
// /m/<key> answers {"errorRate": 0}, or {"errorRate": 0.5} once the key is
// set failing, and remembers when it first answered a failure for each key.
type webMetric struct {
	srv  *http.Server
	addr string

	mu        sync.Mutex
	failing   map[string]bool
	firstFail map[string]time.Time
	requests  map[string]int
}

// webMetricPath is the path of the endpoint; the key follows it.
const webMetricPath = "/m/"

func startWebMetric() (*webMetric, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the web metric: %w", err)
	}
	m := &webMetric{addr: l.Addr().String(), failing: map[string]bool{}, firstFail: map[string]time.Time{}, requests: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc(webMetricPath, m.serve)
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// Serve returns when close shuts the server down.
	go func() { _ = m.srv.Serve(l) }()
	return m, nil
}

// url is the metric's URL template: the key comes from the template
// argument "key".
func (m *webMetric) url() string {
	return "http://" + m.addr + webMetricPath + "{{args.key}}"
}

func (m *webMetric) serve(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, webMetricPath)
	m.mu.Lock()
	fail := m.failing[key]
	m.requests[key]++
	if fail && m.firstFail[key].IsZero() {
		m.firstFail[key] = time.Now()
	}
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if fail {
		_, _ = w.Write([]byte(`{"errorRate": 0.5}`))
		return
	}
	_, _ = w.Write([]byte(`{"errorRate": 0}`))
}

// setFailing makes the key's answers fail from now on.
func (m *webMetric) setFailing(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failing[key] = true
}

// failedAt is when the key's first failing answer was served, zero before.
func (m *webMetric) failedAt(key string) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.firstFail[key]
}

// requestsOf is how many requests the key has had.
func (m *webMetric) requestsOf(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests[key]
}

func (m *webMetric) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
}
