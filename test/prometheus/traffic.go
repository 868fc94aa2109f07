package prometheus

import (
	"context"
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RequestsPerSecond is the fixed rate of a Traffic's simulated requests.
const RequestsPerSecond = 100

// trafficTick is how often a Traffic advances its metrics.
const trafficTick = 100 * time.Millisecond

// Default latency of a Traffic's simulated requests.
const (
	DefaultLatencyMean   = 50 * time.Millisecond
	DefaultLatencyStddev = 10 * time.Millisecond
)

// Traffic simulates a service's requests for Prometheus to scrape: it serves
// /metrics on a free loopback port, with a counter
// http_requests_total{service, code} and a histogram
// http_request_duration_seconds{service}. Every 100ms it counts 10 requests
// (100 per second): SetErrorRatio decides how many get code 500 rather than
// 200, exactly over time, and SetLatency how long they take, drawn from a
// normal distribution with an RNG seeded by the service name.
type Traffic struct {
	service  string
	requests *prometheus.CounterVec
	duration prometheus.Observer
	server   *http.Server
	addr     string
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once

	mu         sync.Mutex
	errorRatio float64
	mean       time.Duration
	stddev     time.Duration
	errorDebt  float64 // fraction of an error request carried to the next tick
	rng        *rand.Rand
}

// NewTraffic starts a traffic source for service with no errors and a
// latency of 50ms±10ms. It panics only if no loopback port can be had; stop
// it with Close.
func NewTraffic(service string) *Traffic {
	seed := fnv.New64a()
	_, _ = seed.Write([]byte(service))
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "Requests served, by service and status code.",
	}, []string{"service", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "Time to serve a request, by service.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5},
	}, []string{"service"})
	reg.MustRegister(requests, duration)
	// Both codes exist from the start, so ratios are defined at once.
	requests.WithLabelValues(service, "200")
	requests.WithLabelValues(service, "500")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("traffic: listen on loopback: " + err.Error())
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t := &Traffic{
		service:  service,
		requests: requests,
		duration: duration.WithLabelValues(service),
		server:   &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		addr:     l.Addr().String(),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		mean:     DefaultLatencyMean,
		stddev:   DefaultLatencyStddev,
		rng:      rand.New(rand.NewPCG(seed.Sum64(), 0x5eed)),
	}
	go func() { _ = t.server.Serve(l) }()
	go t.run()
	return t
}

// Addr is the host:port serving /metrics, for Options.Targets.
func (t *Traffic) Addr() string { return t.addr }

// SetErrorRatio sets the share of requests, from 0 to 1, that fail with 500.
func (t *Traffic) SetErrorRatio(ratio float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errorRatio = min(max(ratio, 0), 1)
	t.errorDebt = 0
}

// SetLatency sets the mean and standard deviation of request durations.
func (t *Traffic) SetLatency(mean, stddev time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mean, t.stddev = mean, stddev
}

// Close stops the traffic and its /metrics server.
func (t *Traffic) Close() {
	t.once.Do(func() {
		close(t.stop)
		<-t.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := t.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = t.server.Close()
		}
	})
}

// run advances the metrics every tick until Close.
func (t *Traffic) run() {
	defer close(t.done)
	ticker := time.NewTicker(trafficTick)
	defer ticker.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-ticker.C:
			t.tick()
		}
	}
}

// tick counts one tick's requests.
func (t *Traffic) tick() {
	const perTick = RequestsPerSecond * int(trafficTick) / int(time.Second)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errorDebt += t.errorRatio * float64(perTick)
	errs := int(t.errorDebt)
	t.errorDebt -= float64(errs)
	t.requests.WithLabelValues(t.service, "500").Add(float64(errs))
	t.requests.WithLabelValues(t.service, "200").Add(float64(perTick - errs))
	for range perTick {
		d := float64(t.mean) + t.rng.NormFloat64()*float64(t.stddev)
		t.duration.Observe(max(d, 0) / float64(time.Second))
	}
}
