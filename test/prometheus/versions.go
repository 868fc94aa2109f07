package prometheus

import (
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// VersionLatencyMetric is the gauge a Versions source serves, one series
// per version: version_latency_seconds{namespace="...", pod_template_hash="..."}.
const VersionLatencyMetric = "version_latency_seconds"

// Versions stands in for the pods of several versions of an application
// for the judge: it serves /metrics on a free loopback port with the gauge
// VersionLatencyMetric, one series per namespace and pod template hash
// given to Set,
// whose value is drawn afresh at every scrape from that version's normal
// distribution (with an RNG of fixed seed), so that a range query over a
// window gives a sample of it.
type Versions struct {
	server *http.Server
	addr   string
	desc   *prometheus.Desc

	mu    sync.Mutex
	dists map[[2]string][2]float64 // namespace, hash -> mean, stddev in seconds
	rng   *rand.Rand
}

// NewVersions starts a source serving no version yet. It panics only if no
// loopback port can be had; stop it with Close.
func NewVersions() *Versions {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("versions: listen on loopback: " + err.Error())
	}
	v := &Versions{
		addr:  l.Addr().String(),
		desc:  prometheus.NewDesc(VersionLatencyMetric, "Latency of a version's requests.", []string{"namespace", "pod_template_hash"}, nil),
		dists: map[[2]string][2]float64{},
		rng:   rand.New(rand.NewPCG(7, 0x5eed)),
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(v)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	v.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = v.server.Serve(l) }()
	return v
}

// Addr is the source's host:port, a target for the server to scrape.
func (v *Versions) Addr() string { return v.addr }

// Set makes the version of pod template hash in namespace serve
// latencies of mean ± stddev from the next scrape on.
func (v *Versions) Set(namespace, hash string, mean, stddev time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.dists[[2]string{namespace, hash}] = [2]float64{mean.Seconds(), stddev.Seconds()}
}

// Close stops serving.
func (v *Versions) Close() { _ = v.server.Close() }

// Describe implements prometheus.Collector.
func (v *Versions) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

// Collect implements prometheus.Collector: one draw per version.
func (v *Versions) Collect(ch chan<- prometheus.Metric) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for key, d := range v.dists {
		value := max(d[0]+d[1]*v.rng.NormFloat64(), 0)
		ch <- prometheus.MustNewConstMetric(v.desc, prometheus.GaugeValue, value, key[0], key[1])
	}
}
