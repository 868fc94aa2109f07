package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

const (
	// UserAgent is the User-Agent of the sender's requests.
	UserAgent = "ramp-notify"
	// snippetMax is how much of an error response's body an error shows.
	snippetMax = 200
	// readMax is how much of an error response's body is read to redact
	// it: more than snippetMax plus the longest secret, so that no secret
	// starting in the snippet is cut before it is recognized.
	readMax = 16 << 10
	// drainMax is how much of a response's body is read to reuse the
	// connection.
	drainMax = 64 << 10
	// minSecret is the length under which a header value or key is not
	// redacted: shorter ones are no secrets and would mangle text.
	minSecret = 4
	// minPart is the same for single path segments and query values of a
	// URL (the whole path and query are redacted from minSecret on): the
	// tokens in webhook URLs are long, and short words are common.
	minPart  = 8
	redacted = "[redacted]"
)

// DeliveryError is why a delivery failed. Its text never contains the
// target's URL, header values or signing key: in particular it never
// wraps the HTTP client's errors, which name the URL.
type DeliveryError struct {
	// Config is the target's NotificationConfig.
	Config types.NamespacedName
	// Receiver is the target's receiver name.
	Receiver string
	// StatusCode is the receiver's HTTP status; 0 when none answered.
	StatusCode int
	// Err is the scrubbed cause: ErrStopped, a formatting error, or text
	// built by this package.
	Err error
}

// Error says which receiver failed and why.
func (e *DeliveryError) Error() string {
	return fmt.Sprintf("post to receiver %s of %s: %v", e.Receiver, e.Config, e.Err)
}

// Unwrap returns the scrubbed cause.
func (e *DeliveryError) Unwrap() error { return e.Err }

// errorf returns a DeliveryError for t with a cause formatted from text
// free of secrets.
func errorf(t Target, format string, args ...any) *DeliveryError {
	return &DeliveryError{Config: t.Config, Receiver: t.Receiver, Err: fmt.Errorf(format, args...)}
}

// outcome is the result of one attempt.
type outcome struct {
	err        error
	retryable  bool
	retryAfter time.Duration // asked for by the receiver; -1 when not
}

// attempt posts j once, formatting its body first if needed.
func (s *Sender) attempt(ctx context.Context, j *job) outcome {
	t := j.d.Target
	fail := func(retryable bool, err error) outcome {
		return outcome{err: err, retryable: retryable, retryAfter: -1}
	}
	if j.body == nil {
		b, err := body(t.Kind, j.d.Message)
		if err != nil {
			return fail(false, &DeliveryError{Config: t.Config, Receiver: t.Receiver, Err: err})
		}
		j.body = b
	}
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return fail(false, errorf(t, "the receiver's URL is not valid"))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fail(false, errorf(t, "the receiver's URL is not http or https"))
	}

	actx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, t.URL, bytes.NewReader(j.body))
	if err != nil {
		return fail(false, errorf(t, "cannot build the request: %s", newRedactor(t).redact(err.Error())))
	}
	for name, value := range t.Headers {
		if strings.EqualFold(name, "Host") {
			req.Host = value // net/http ignores a Host header
			continue
		}
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if len(t.SigningKey) > 0 {
		now := s.clock.Now()
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(HeaderSignature, Sign(t.SigningKey, now, j.body))
	}

	j.attempts++
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fail(false, errorf(t, "%w", ErrStopped))
		}
		return fail(true, errorf(t, "%s", s.transportCause(t, err)))
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainMax))
		_ = resp.Body.Close()
	}()
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return outcome{retryAfter: -1}
	}

	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, readMax))
	// The status's text is Go's: the receiver's could carry anything.
	text := strings.TrimSpace(fmt.Sprintf("receiver answered %d %s", code, http.StatusText(code)))
	if code >= 300 && code < 400 {
		text += " (redirects are not followed)"
	}
	if sn := cleanSnippet(newRedactor(t).redact(string(snippet))); sn != "" {
		text += ": " + sn
	}
	out := fail(code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500, &DeliveryError{
		Config: t.Config, Receiver: t.Receiver, StatusCode: code, Err: errors.New(text)})
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		out.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.clock.Now())
	}
	return out
}

// transportCause describes an error of the HTTP client without the URL.
func (s *Sender) transportCause(t Target, err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return "timed out after " + s.opts.Timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dnsErr):
		return "cannot resolve the receiver's host: " + newRedactor(t).redact(dnsErr.Err)
	case errors.As(err, &certErr), errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return "the receiver's TLS certificate is not trusted"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // its text names the URL
	}
	return newRedactor(t).redact(err.Error())
}

// logRetry logs, at debug level, that j will be retried. err is scrubbed.
func logRetry(ctx context.Context, j *job, delay time.Duration, err error) {
	log.FromContext(ctx).WithName("notify").V(1).Info("retrying notification",
		"config", j.d.Target.Config.String(), "receiver", j.d.Target.Receiver,
		"attempt", j.attempts, "delay", delay.String(), "error", err.Error())
}

// defaultClient posts with timeout and follows only 307 and 308 redirects
// (which keep the method and body) to the same scheme and host.
func defaultClient(timeout time.Duration) *http.Client {
	c := &http.Client{
		Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0]
			if len(via) >= 5 || req.Response == nil ||
				(req.Response.StatusCode != http.StatusTemporaryRedirect && req.Response.StatusCode != http.StatusPermanentRedirect) ||
				req.URL.Scheme != first.URL.Scheme || !strings.EqualFold(req.URL.Host, first.URL.Host) {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		c.Transport = t.Clone()
	}
	return c
}

// redactor replaces a target's secrets in text.
type redactor struct{ r *strings.Replacer }

// newRedactor redacts t's URL and its parts (user info, path and its
// segments, query and its values, fragment), its header values and its
// signing key.
func newRedactor(t Target) redactor {
	var secrets []string
	addMin := func(n int, s ...string) {
		for _, v := range s {
			if len(v) >= n {
				secrets = append(secrets, v)
			}
		}
	}
	add := func(s ...string) { addMin(minSecret, s...) }
	add(t.URL, string(t.SigningKey))
	if u, err := url.Parse(t.URL); err == nil {
		add(u.String(), strings.TrimPrefix(t.URL, u.Scheme+"://"), u.Path, u.EscapedPath(), u.RawQuery, u.Fragment)
		if u.User != nil {
			p, _ := u.User.Password()
			add(u.User.String(), u.User.Username(), p)
		}
		for _, seg := range strings.Split(u.Path, "/") {
			addMin(minPart, seg, url.PathEscape(seg))
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				addMin(minPart, v, url.QueryEscape(v))
			}
		}
	}
	for _, v := range t.Headers {
		add(v)
	}
	// The longest first: a Replacer tries its pairs in order.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, redacted)
	}
	return redactor{strings.NewReplacer(pairs...)}
}

func (r redactor) redact(s string) string { return r.r.Replace(s) }

// cleanSnippet makes redacted response text fit in an error: one line of
// printable text, at most snippetMax bytes.
func cleanSnippet(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < ' ' || r == 0x7f || r == ' '
	}), " ")
	if len(s) > snippetMax {
		s = strings.ToValidUTF8(s[:snippetMax], "") + "..."
	}
	return s
}
