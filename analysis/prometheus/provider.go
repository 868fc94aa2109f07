// Package prometheus is the analysis provider for metric.provider.prometheus:
// it runs the metric's PromQL query as an instant query at the time of the
// measurement. A scalar gives a number; an instant vector gives a list of
// numbers, one per series, ordered by the series' labels (an empty vector
// gives an empty list). Range vectors and strings are errors.
package prometheus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Provider runs Prometheus instant queries. It keeps no state between
// measurements and is safe for concurrent use.
type Provider struct {
	// now is the time a query is evaluated at.
	now func() time.Time
}

var _ analysis.Provider = (*Provider)(nil)

// New returns the Prometheus provider.
func New() *Provider {
	return &Provider{now: time.Now}
}

// Measure runs the metric's query at the current time. Its errors name the
// server and say what it answered, never a secret value.
func (p *Provider) Measure(ctx context.Context, req analysis.Request) (analysis.Result, error) {
	if req.Metric == nil || req.Metric.Provider.Prometheus == nil {
		return analysis.Result{}, errors.New("metric has no prometheus provider")
	}
	m := req.Metric.Provider.Prometheus
	conn, err := connect(ctx, secretReader(req.Secrets), &m.PrometheusConnection)
	if err != nil {
		return analysis.Result{}, err
	}
	value, warnings, err := conn.api.Query(ctx, m.Query, p.now())
	if err != nil {
		return analysis.Result{}, conn.describe(ctx, err)
	}
	res, err := toResult(value)
	if err != nil {
		return analysis.Result{}, err
	}
	if len(warnings) > 0 {
		res.Message = conn.transport.scrub("prometheus warned: " + strings.Join(warnings, "; "))
	}
	return res, nil
}

// conn is a Prometheus API client for one measurement.
type conn struct {
	api       promv1.API
	transport *transport
	// address is the server's address without user information, for messages.
	address string
	timeout time.Duration
}

// connect builds a client for c: it resolves TLS, headers and authentication
// (reading their Secrets once) before any request is sent.
func connect(ctx context.Context, secrets analysis.SecretReader, c *rampv1alpha1.PrometheusConnection) (*conn, error) {
	address, err := checkAddress(c.Address)
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(rampv1alpha1.DefaultPrometheusTimeoutSeconds) * time.Second
	if c.Timeout != nil {
		timeout = time.Duration(*c.Timeout) * time.Second
	}
	httpClient, err := analysis.HTTPClient(ctx, secrets, c.TLS, timeout)
	if err != nil {
		return nil, fmt.Errorf("prometheus %w", err)
	}
	t, err := newTransport(ctx, httpClient.Transport, secrets, c.Headers, c.Authentication)
	if err != nil {
		return nil, fmt.Errorf("prometheus %w", err)
	}
	httpClient.Transport = t
	client, err := api.NewClient(api.Config{Address: c.Address, Client: httpClient})
	if err != nil {
		return nil, fmt.Errorf("prometheus address %s: %w", address, err)
	}
	return &conn{api: promv1.NewAPI(client), transport: t, address: address, timeout: timeout}, nil
}

// noSecrets is the SecretReader used when a request brings none.
type noSecrets struct{}

func (noSecrets) SecretValue(_ context.Context, ref rampv1alpha1.SecretKeyRef) (string, error) {
	return "", fmt.Errorf("cannot read key %q of Secret %q: no Secret reader is available", ref.Key, ref.Name)
}

func secretReader(s analysis.SecretReader) analysis.SecretReader {
	if s == nil {
		return noSecrets{}
	}
	return s
}
