package web

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// ellipsis ends a cut text.
const ellipsis = "…"

// redacted replaces secret values found in texts.
const redacted = analysis.Redacted

// errNoSecrets is returned when a Secret is needed but the request has no
// way to read one.
var errNoSecrets = errors.New("no Secret reader is available")

// showURL checks raw and returns it as errors show it: without user
// information, and with the query (which may hold an API key taken from a
// secret argument) written as "?…".
func showURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("web.url is not a valid URL: %w", transportError(err))
	}
	shown := *u
	shown.User = nil
	shown.RawQuery = ""
	shown.ForceQuery = false
	shown.Fragment = ""
	shown.RawFragment = ""
	text := shown.String()
	if u.RawQuery != "" {
		text += "?…"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("web.url %s must start with http:// or https://", text)
	}
	if u.Host == "" {
		return "", fmt.Errorf("web.url %s has no host", text)
	}
	return text, nil
}

// transportError drops the *url.Error wrapper net/http puts around its
// errors, which repeats the whole URL, query included.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// failed is the error for a request that got no (complete) answer.
func (c call) failed(ctx context.Context, err error, limit time.Duration, reading bool) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", c, ctxErr)
	}
	inner := transportError(err)
	var netErr net.Error
	if errors.Is(inner, context.DeadlineExceeded) || (errors.As(inner, &netErr) && netErr.Timeout()) {
		what := "did not answer"
		if reading {
			what = "did not finish its answer"
		}
		return &quietError{msg: fmt.Sprintf("%s %s within %s", c, what, limit), err: inner}
	}
	var unknownCA x509.UnknownAuthorityError
	if errors.As(inner, &unknownCA) {
		return fmt.Errorf("%s: %w (trust its authority with tls.caSecretRef, or set tls.insecureSkipVerify)", c, inner)
	}
	var wrongHost x509.HostnameError
	if errors.As(inner, &wrongHost) {
		return fmt.Errorf("%s: %w (set tls.serverName to the name in the certificate)", c, inner)
	}
	if reading {
		return fmt.Errorf("%s: reading the answer: %w", c, inner)
	}
	return fmt.Errorf("%s: %w", c, inner)
}

// quietError has its own message but still unwraps to its cause.
type quietError struct {
	msg string
	err error
}

// Error returns the message.
func (e *quietError) Error() string { return e.msg }

// Unwrap returns the cause.
func (e *quietError) Unwrap() error { return e.err }

// recordingSecrets reads Secrets through inner and remembers the values it
// read, so that they can be scrubbed from anything shown to people.
type recordingSecrets struct {
	inner  analysis.SecretReader
	values analysis.Scrubber
}

var _ analysis.SecretReader = (*recordingSecrets)(nil)

// SecretValue reads ref through the inner reader and records its value.
func (s *recordingSecrets) SecretValue(ctx context.Context, ref rampv1alpha1.SecretKeyRef) (string, error) {
	if s.inner == nil {
		return "", fmt.Errorf("reading key %q of Secret %q: %w", ref.Key, ref.Name, errNoSecrets)
	}
	v, err := s.inner.SecretValue(ctx, ref)
	if err != nil {
		return "", err
	}
	s.record(v)
	return v, nil
}

// recordAuthorization records an Authorization header's value and its
// credentials (such as the base64 of basic authentication), which a server
// may echo.
func (s *recordingSecrets) recordAuthorization(value string) {
	s.record(value)
	if _, cred, ok := strings.Cut(value, " "); ok {
		s.record(cred)
	}
}

// record remembers v as written and as escaped in JSON (with and without
// HTML escaping, as servers write it).
func (s *recordingSecrets) record(v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	s.values.AddForm(v)
	if escaped, err := valueText(v); err == nil {
		s.values.AddForm(escaped[1 : len(escaped)-1])
	}
	if escaped, err := json.Marshal(v); err == nil {
		s.values.AddForm(string(escaped[1 : len(escaped)-1]))
	}
}

// scrub replaces every recorded secret value in text.
func (s *recordingSecrets) scrub(text string) string {
	return s.values.Scrub(text)
}

// scrubError returns err, or an error with the same text scrubbed when it
// held a secret value.
func (s *recordingSecrets) scrubError(err error) error {
	text := err.Error()
	if clean := s.scrub(text); clean != text {
		return errors.New(clean)
	}
	return err
}

// cut shortens text to at most n bytes, "…" included, on a character
// boundary, ending it with "…" when it was longer.
func cut(text string, n int) string {
	if len(text) <= n {
		return text
	}
	n -= len(ellipsis)
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n] + ellipsis
}
