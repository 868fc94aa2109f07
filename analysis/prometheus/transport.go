package prometheus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// transport adds the metric's headers and authentication to every request
// and remembers the status of the last answer, so errors can say it.
type transport struct {
	next http.RoundTripper
	// header holds the headers and authentication, read once per measurement.
	header http.Header
	// sensitive are the values that must never appear in a message: header
	// values read from Secrets, the bearer token, the basic-auth user and
	// password.
	sensitive []string

	mu     sync.Mutex
	status string // such as "503 Service Unavailable"; empty before an answer
}

// newTransport reads the headers and authentication through secrets once.
func newTransport(ctx context.Context, next http.RoundTripper, secrets analysis.SecretReader, headers []rampv1alpha1.WebMetricHeader, auth *rampv1alpha1.MetricAuthentication) (*transport, error) {
	template, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://prometheus.invalid/", http.NoBody)
	if err != nil {
		return nil, err
	}
	if err := analysis.SetHeaders(ctx, template, secrets, headers, auth); err != nil {
		return nil, err
	}
	t := &transport{next: next, header: template.Header}
	for _, h := range headers {
		if h.ValueFrom != nil {
			t.sensitive = append(t.sensitive, template.Header.Get(h.Key))
		}
	}
	if auth != nil {
		v := template.Header.Get("Authorization")
		t.sensitive = append(t.sensitive, v, strings.TrimPrefix(v, "Bearer "))
		if user, pass, ok := template.BasicAuth(); ok {
			t.sensitive = append(t.sensitive, user, pass)
		}
	}
	return t, nil
}

// RoundTrip sends r with the headers added.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.header {
		r.Header[k] = v
	}
	resp, err := t.next.RoundTrip(r)
	if resp != nil {
		t.mu.Lock()
		t.status = resp.Status
		t.mu.Unlock()
		resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxAnswerBytes}
	}
	return resp, err
}

// maxAnswerBytes bounds the answer read from Prometheus: a server gone wrong
// (or a query matching far more series than meant) must not fill the
// controller's memory.
const maxAnswerBytes = 16 << 20

// errAnswerTooLarge is the error of an answer beyond maxAnswerBytes.
var errAnswerTooLarge = fmt.Errorf("the answer is larger than %d MiB, the most read; narrow the query", maxAnswerBytes>>20)

// cappedBody fails the read of an answer past maxAnswerBytes.
type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// lastStatus is the status line of the last answer, or empty.
func (t *transport) lastStatus() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}

// scrub replaces every sensitive value in s.
func (t *transport) scrub(s string) string {
	for _, v := range t.sensitive {
		if len(v) >= 3 {
			s = strings.ReplaceAll(s, v, "<redacted>")
		}
	}
	return s
}

// checkAddress checks that address is an http(s) URL with a host and returns
// it without user information, for messages.
func checkAddress(address string) (string, error) {
	u, err := url.Parse(address)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the inner error, without the whole address
		}
		return "", fmt.Errorf("prometheus address is not a valid URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("prometheus address must start with http:// or https://")
	}
	if u.Host == "" {
		return "", errors.New("prometheus address has no host")
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String(), nil
}
