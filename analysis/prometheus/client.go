package prometheus

import (
	"context"
	"fmt"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Client runs queries on one Prometheus server for another provider (the
// judge), with the connection settings, errors and secret handling of this
// one.
type Client struct {
	conn *conn
}

// Connect builds a Client for c; secrets may be nil when c names none.
func Connect(ctx context.Context, secrets analysis.SecretReader, c *rampv1alpha1.PrometheusConnection) (*Client, error) {
	conn, err := connect(ctx, secretReader(secrets), c)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn}, nil
}

// Range runs query over [start, end] at step and returns the values of
// every series it gives, series after series (ordered by their labels),
// each in time order.
func (c *Client) Range(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]float64, error) {
	v, _, err := c.conn.api.QueryRange(ctx, query, promv1.Range{Start: start, End: end, Step: step})
	if err != nil {
		return nil, c.conn.describe(ctx, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("the range query %s returned a %s, not a range of samples", shorten(query), v.Type())
	}
	var values []float64
	for _, s := range m {
		if len(s.Histograms) > 0 {
			return nil, fmt.Errorf("the query %s returned native histograms; reduce them to numbers, such as with histogram_quantile(0.99, ...)", shorten(query))
		}
		for _, p := range s.Values {
			values = append(values, float64(p.Value))
		}
	}
	return values, nil
}

// Sum runs query as an instant query at t and returns the sum of what it
// gives (a scalar, or every series of a vector); ok is false when the
// vector is empty.
func (c *Client) Sum(ctx context.Context, query string, t time.Time) (sum float64, ok bool, err error) {
	v, _, err := c.conn.api.Query(ctx, query, t)
	if err != nil {
		return 0, false, c.conn.describe(ctx, err)
	}
	res, err := toResult(v)
	if err != nil {
		return 0, false, fmt.Errorf("query %s: %w", shorten(query), err)
	}
	switch x := res.Value.(type) {
	case float64:
		return x, true, nil
	case []float64:
		for _, f := range x {
			sum += f
		}
		return sum, len(x) > 0, nil
	}
	return 0, false, fmt.Errorf("query %s gave %s, not numbers", shorten(query), res.Text)
}

// shorten cuts a query for messages.
func shorten(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 120 {
		q = q[:117] + "..."
	}
	return q
}
