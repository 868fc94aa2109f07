package prometheus

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// snippetBytes is the most of a non-JSON error answer quoted in a message.
const snippetBytes = 200

// messageError is an error with its own message that still unwraps to the
// error underneath, for errors.Is and errors.As.
type messageError struct {
	msg string
	err error
}

func (e *messageError) Error() string { return e.msg }
func (e *messageError) Unwrap() error { return e.err }

// describe turns an error of a query into a message a person can act on:
// Prometheus' own error type and message, the HTTP status it answered, or
// why it could not be reached. Secret values are scrubbed from anything the
// server sent back.
func (c *conn) describe(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("prometheus query at %s was stopped: %w", c.address, ctxErr)
	}
	var apiErr *promv1.Error
	if errors.As(err, &apiErr) {
		return c.describeAPIError(apiErr)
	}
	if isTimeout(err) {
		return &messageError{
			msg: fmt.Sprintf("prometheus at %s did not answer within %s", c.address, c.timeout),
			err: err,
		}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		// The inner error: the URL may carry the query (GET fallback).
		return fmt.Errorf("could not reach prometheus at %s: %w%s", c.address, uerr.Err, tlsHint(uerr.Err))
	}
	if strings.Contains(err.Error(), `unexpected value type "string"`) {
		// The client cannot decode string results and says so only in text.
		return errStringResult
	}
	return fmt.Errorf("could not read the answer of prometheus at %s: %w", c.address, err)
}

// describeAPIError describes an error decoded by the Prometheus client.
func (c *conn) describeAPIError(e *promv1.Error) error {
	status := c.transport.lastStatus()
	if status == "" {
		status = e.Msg
	}
	switch e.Type {
	case promv1.ErrClient, promv1.ErrServer:
		// An HTTP status other than 2xx, 400 and 422. Prometheus itself sends
		// 503 (query timeouts) and 500 with its JSON error in the body.
		if pe, ok := decodeAPIError(e.Detail); ok {
			pe.Msg = c.transport.scrub(pe.Msg)
			return fmt.Errorf("prometheus query failed: %w (HTTP %s)", &pe, status)
		}
		msg := fmt.Sprintf("prometheus at %s answered HTTP %s", c.address, status)
		if s := snippet(e.Detail); s != "" {
			msg += ": " + c.transport.scrub(s)
		}
		return &messageError{msg: msg + statusHint(status), err: e}
	case promv1.ErrBadResponse:
		return &messageError{
			msg: fmt.Sprintf("prometheus at %s answered HTTP %s with something other than the Prometheus API's JSON; check the address", c.address, status),
			err: e,
		}
	default:
		// Prometheus' own error, such as bad_data for a query that does not
		// parse or execution for one that fails.
		return fmt.Errorf("prometheus query failed: %w", &promv1.Error{Type: e.Type, Msg: c.transport.scrub(e.Msg)})
	}
}

// decodeAPIError reads Prometheus' JSON error answer; ok is false when body
// is not one.
func decodeAPIError(body string) (e promv1.Error, ok bool) {
	var answer struct {
		Status    string           `json:"status"`
		ErrorType promv1.ErrorType `json:"errorType"`
		Error     string           `json:"error"`
	}
	if json.Unmarshal([]byte(body), &answer) != nil || answer.Status != "error" || answer.Error == "" {
		return promv1.Error{}, false
	}
	return promv1.Error{Type: answer.ErrorType, Msg: answer.Error}, true
}

// snippet is the start of a plain-text answer on one line, or empty for an
// empty or HTML answer.
func snippet(body string) string {
	s := strings.Join(strings.Fields(body), " ")
	if s == "" || strings.HasPrefix(s, "<") {
		return ""
	}
	if len(s) > snippetBytes {
		s = strings.ToValidUTF8(s[:snippetBytes], "") + "…"
	}
	return s
}

// statusHint says what to check for an HTTP status, or nothing.
func statusHint(status string) string {
	switch {
	case strings.HasPrefix(status, fmt.Sprint(http.StatusUnauthorized)), strings.HasPrefix(status, fmt.Sprint(http.StatusForbidden)):
		return " (check authentication and headers)"
	case strings.HasPrefix(status, fmt.Sprint(http.StatusNotFound)):
		return " (check the address: it is the server's root, such as http://prometheus:9090)"
	}
	return ""
}

// tlsHint says which TLS setting fixes a certificate error, or nothing.
func tlsHint(err error) string {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &unknownAuthority):
		return " (trust its certificate authority with tls.caSecretRef, or set tls.insecureSkipVerify)"
	case errors.As(err, &hostname):
		return " (set tls.serverName to a name in the certificate)"
	}
	return ""
}

// isTimeout reports whether err is a timeout of the HTTP client.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
