package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// samples are the values of a /metrics page: metric name (with _sum,
// _count or _bucket) to its series.
type samples map[string][]series

// series is one labeled value.
type series struct {
	labels map[string]string
	value  float64
}

// sum adds up the series of name whose labels include match.
func (s samples) sum(name string, match map[string]string) float64 {
	total := 0.0
next:
	for _, ser := range s[name] {
		for k, v := range match {
			if ser.labels[k] != v {
				continue next
			}
		}
		total += ser.value
	}
	return total
}

// has tells whether the page has the metric.
func (s samples) has(name string) bool { return len(s[name]) > 0 }

// parseMetrics reads the Prometheus text format.
func parseMetrics(r io.Reader) (samples, error) {
	out := samples{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, rest := line, map[string]string{}, ""
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				return nil, fmt.Errorf("metrics line %q: unbalanced braces", line)
			}
			name, rest = line[:i], strings.TrimSpace(line[j+1:])
			var err error
			if labels, err = parseLabels(line[i+1 : j]); err != nil {
				return nil, fmt.Errorf("metrics line %q: %w", line, err)
			}
		} else if i := strings.IndexByte(line, ' '); i >= 0 {
			name, rest = line[:i], strings.TrimSpace(line[i+1:])
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("metrics line %q: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		out[name] = append(out[name], series{labels: labels, value: v})
	}
	return out, sc.Err()
}

// parseLabels reads `a="x",b="y"`.
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return nil, fmt.Errorf("bad labels %q", s)
		}
		key := strings.TrimSpace(s[:eq])
		var val strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(s[i])
				}
				continue
			}
			val.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, fmt.Errorf("unterminated label value in %q", s)
		}
		out[key] = val.String()
		s = strings.TrimLeft(strings.TrimSpace(s[i+1:]), ",")
		s = strings.TrimSpace(s)
	}
	return out, nil
}

// scraper reads the controller's /metrics.
type scraper struct {
	url    string
	client *http.Client
}

func newScraper(addr string) *scraper {
	return &scraper{url: "http://" + addr + "/metrics", client: &http.Client{Timeout: 10 * time.Second}}
}

func (s *scraper) scrape(ctx context.Context) (samples, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape the controller's metrics: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape the controller's metrics: %s", resp.Status)
	}
	return parseMetrics(resp.Body)
}

// Names of the metrics the harness reads.
const (
	metricHeapInuse   = "go_memstats_heap_inuse_bytes"
	metricHeapLive    = "go_gc_heap_live_bytes"
	metricRSS         = "process_resident_memory_bytes"
	metricGCs         = "go_gc_duration_seconds_count"
	metricReconciles  = "controller_runtime_reconcile_total"
	metricRateLimiter = "rest_client_rate_limiter_duration_seconds"
)

// counters are the cumulative values a phase takes the difference of.
type counters struct {
	reconciles   float64
	limited      float64 // requests through the rate limiter
	limitedFast  float64 // of which waited at most 5 ms
	limiterWait  float64 // seconds waited in all
	hasLimiter   bool
	runReconcile float64
}

func readCounters(s samples) counters {
	return counters{
		reconciles:   s.sum(metricReconciles, map[string]string{"controller": "rollout"}),
		runReconcile: s.sum(metricReconciles, map[string]string{"controller": "analysisrun"}),
		limited:      s.sum(metricRateLimiter+"_count", nil),
		limitedFast:  s.sum(metricRateLimiter+"_bucket", map[string]string{"le": "0.005"}),
		limiterWait:  s.sum(metricRateLimiter+"_sum", nil),
		hasLimiter:   s.has(metricRateLimiter + "_count"),
	}
}

// longWaits reads, in the controller's log, client-go's lines about
// requests that waited more than a second in the client-side rate limiter
// (at most one a second is logged), and counts them by logger ("events"
// for the Event recorder's writes); it also returns the longest wait.
func longWaits(logPath string) (map[string]int, float64) {
	f, err := os.Open(logPath)
	if err != nil {
		return nil, 0
	}
	defer func() { _ = f.Close() }()
	out := map[string]int{}
	longest := 0.0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if !strings.Contains(sc.Text(), "Waited before sending request") {
			continue
		}
		var line struct {
			Logger string  `json:"logger"`
			Delay  float64 `json:"delay"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		if line.Logger == "" {
			line.Logger = "(none)"
		}
		out[line.Logger]++
		longest = max(longest, line.Delay)
	}
	return out, round(longest)
}
