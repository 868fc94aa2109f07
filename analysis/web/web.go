// Package web measures a metric by calling an HTTP endpoint: the result is
// its JSON answer, or the value a JSONPath picks out of it.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// maxBodyBytes bounds how much of an answer is read.
const maxBodyBytes = 1 << 20

// snippetBytes bounds how much of a failed answer's body an error quotes.
const snippetBytes = 200

// Provider takes web measurements (metric.provider.web).
type Provider struct{}

var _ analysis.Provider = (*Provider)(nil)

// New returns a web Provider.
func New() *Provider {
	return &Provider{}
}

// Measure calls the metric's URL once. The answer must be 2xx; its body,
// decoded as JSON (or taken as text when it is not JSON and no jsonPath is
// set), is the result, or the value at jsonPath in it.
func (p *Provider) Measure(ctx context.Context, req analysis.Request) (analysis.Result, error) {
	if req.Metric == nil || req.Metric.Provider.Web == nil {
		return analysis.Result{}, errors.New("metric has no web provider")
	}
	web := req.Metric.Provider.Web
	secrets := &recordingSecrets{inner: req.Secrets}

	call, err := newCall(web)
	if err != nil {
		return analysis.Result{}, err
	}
	body, err := call.do(ctx, secrets, web)
	if err != nil {
		return analysis.Result{}, secrets.scrubError(err)
	}

	value, err := decode(body, web.JSONPath)
	if err != nil {
		return analysis.Result{}, secrets.scrubError(fmt.Errorf("%s: %w", call, err))
	}
	text, err := valueText(value)
	if err != nil {
		return analysis.Result{}, secrets.scrubError(fmt.Errorf("%s: %w", call, err))
	}
	return analysis.Result{Value: value, Text: cut(secrets.scrub(text), maxTextBytes)}, nil
}

// call is one request to make, with the URL as errors show it.
type call struct {
	method string
	url    string
	shown  string
}

// String names the call in errors, such as "GET http://host/path".
func (c call) String() string {
	return c.method + " " + c.shown
}

// newCall checks the method and URL of web.
func newCall(web *rampv1alpha1.WebMetric) (call, error) {
	method := web.Method
	if method == "" {
		method = http.MethodGet
	}
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		return call{}, fmt.Errorf("web.method %q is not GET, POST or PUT", method)
	}
	shown, err := showURL(web.URL)
	if err != nil {
		return call{}, err
	}
	return call{method: method, url: web.URL, shown: shown}, nil
}

// timeout is how long the request may take.
func timeout(web *rampv1alpha1.WebMetric) time.Duration {
	seconds := rampv1alpha1.DefaultWebTimeoutSeconds
	if web.TimeoutSeconds != nil && *web.TimeoutSeconds > 0 {
		seconds = *web.TimeoutSeconds
	}
	return time.Duration(seconds) * time.Second
}

// do sends the request and returns the body of a 2xx answer.
func (c call) do(ctx context.Context, secrets *recordingSecrets, web *rampv1alpha1.WebMetric) ([]byte, error) {
	limit := timeout(web)
	client, err := analysis.HTTPClient(ctx, secrets, web.TLS, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}

	var body io.Reader
	sendBody := web.Body != "" && (c.method == http.MethodPost || c.method == http.MethodPut)
	if sendBody {
		body = strings.NewReader(web.Body)
	}
	httpReq, err := http.NewRequestWithContext(ctx, c.method, c.url, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, transportError(err))
	}
	httpReq.Header.Set("Accept", "application/json")
	if sendBody {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	if err := analysis.SetHeaders(ctx, httpReq, secrets, web.Headers, web.Authentication); err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	secrets.recordAuthorization(httpReq.Header.Get("Authorization"))

	resp, err := client.Do(httpReq)
	if err != nil {
		return nil, c.failed(ctx, err, limit, false)
	}
	defer func() { _ = resp.Body.Close() }()

	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.answered(resp.Status, data, secrets)
	}
	if readErr != nil {
		return nil, c.failed(ctx, readErr, limit, true)
	}
	if len(data) > maxBodyBytes {
		return nil, fmt.Errorf("%s: the answer is larger than %d bytes (1 MiB), the most read", c, maxBodyBytes)
	}
	return data, nil
}

// answered is the error for a non-2xx answer, quoting the start of its
// body on one line. Secrets are scrubbed from the whole body before it is
// cut, so no part of one is left at the edge.
func (c call) answered(status string, body []byte, secrets *recordingSecrets) error {
	snippet := secrets.scrub(strings.Join(strings.Fields(string(body)), " "))
	if snippet == "" {
		return fmt.Errorf("%s answered %s", c, status)
	}
	return fmt.Errorf("%s answered %s: %s", c, status, cut(snippet, snippetBytes))
}
