// Package gate asks a gate's approval service whether an update may go on.
//
// The controller posts a Request as JSON to the gate's webhook. The
// service answers HTTP 200 with {"allow": true} to let the update go on,
// or HTTP 200 with {"allow": false, "message": "..."} to deny it (the
// update is aborted with the message). Any other answer, such as 202
// while a person has not decided yet, an error status or no answer at
// all, is no decision: the controller asks again later.
package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Request is what a gate posts to its service.
type Request struct {
	// Gate names the gate: "step 3" (a canary step, counted from 1) or
	// "prePromotion" (blue-green).
	Gate string `json:"gate"`
	// Namespace and Rollout name the Rollout.
	Namespace string `json:"namespace"`
	Rollout   string `json:"rollout"`
	// Revision is the update's revision number; PodTemplateHash its pod
	// template hash.
	Revision        int64  `json:"revision,omitempty"`
	PodTemplateHash string `json:"podTemplateHash"`
	// Images are the update's images, as "container=image".
	Images []string `json:"images,omitempty"`
	// Step (counted from 1) and Steps are the canary step of the gate and
	// the number of steps; Weight the canary's traffic weight.
	Step   *int32 `json:"step,omitempty"`
	Steps  int32  `json:"steps,omitempty"`
	Weight *int32 `json:"weight,omitempty"`
	// StartedAt is when the gate was first asked; Attempt counts the
	// calls, this one included.
	StartedAt time.Time `json:"startedAt"`
	Attempt   int32     `json:"attempt"`
}

// Answer is what the service decided.
type Answer struct {
	// Decision is Allowed, Denied or Waiting (no decision yet).
	Decision rampv1alpha1.GateDecision
	// Text says what the service answered, for status.gate.lastAnswer and
	// messages: the HTTP status and the service's message, or why the call
	// failed. It holds no URL or header value.
	Text string
}

// reply is the JSON a service answers with.
type reply struct {
	Allow   *bool  `json:"allow"`
	Message string `json:"message"`
}

const (
	// maxReply bounds the answer read.
	maxReply = 64 << 10
	// maxText bounds Answer.Text (status.gate.lastAnswer allows 1024).
	maxText = 512
)

// Ask posts req to target with headers through client and returns the
// service's answer. It never fails: a call that cannot be made or
// answered is a Waiting answer saying why. secrets are the values (the
// URL, header values) to keep out of the answer's text.
func Ask(ctx context.Context, client *http.Client, target string, headers map[string]string, req Request, secrets ...string) Answer {
	body, err := json.Marshal(req)
	if err != nil {
		return waiting("the request could not be encoded: %v", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return waiting("the webhook URL is not valid")
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "ramp-gate")
	for k, v := range headers {
		hreq.Header.Set(k, v)
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return scrub(waiting("no answer: %s", callError(err)), target, headers, secrets)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return scrub(waiting("HTTP %d, then the answer broke off: %s", resp.StatusCode, callError(err)), target, headers, secrets)
	}
	return scrub(decide(resp.StatusCode, data), target, headers, secrets)
}

// decide reads a service's answer.
func decide(status int, data []byte) Answer {
	var r reply
	parsed := json.Unmarshal(data, &r) == nil
	if status != http.StatusOK {
		if parsed && r.Message != "" {
			return waiting("HTTP %d: %s", status, r.Message)
		}
		return waiting("HTTP %d%s", status, excerpt(data))
	}
	switch {
	case !parsed:
		return waiting("HTTP 200 without a JSON answer%s", excerpt(data))
	case r.Allow == nil:
		return waiting(`HTTP 200 without "allow" in the answer%s`, excerpt(data))
	case *r.Allow:
		return Answer{Decision: rampv1alpha1.GateAllowed, Text: clip(joinMessage("allowed", r.Message))}
	default:
		return Answer{Decision: rampv1alpha1.GateDenied, Text: clip(joinMessage("denied", r.Message))}
	}
}

func joinMessage(what, msg string) string {
	if msg == "" {
		return what
	}
	return what + ": " + msg
}

func waiting(format string, args ...any) Answer {
	return Answer{Decision: rampv1alpha1.GateWaiting, Text: clip(fmt.Sprintf(format, args...))}
}

// excerpt is ": " and the start of a body on one line, or nothing.
func excerpt(data []byte) string {
	s := strings.Join(strings.Fields(string(data)), " ")
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return ": " + s
}

func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	return s[:maxText] + "…"
}

// callError says why a call failed without the URL (which *url.Error
// carries and may hold a token).
func callError(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return err.Error()
}

// scrub replaces the target, its query and user, the header values and
// secrets in a's text (values under 4 characters are left: too short to
// be secrets, and replacing them would garble the text).
func scrub(a Answer, target string, headers map[string]string, secrets []string) Answer {
	values := append([]string{target}, secrets...)
	if u, err := url.Parse(target); err == nil {
		values = append(values, u.RawQuery, u.User.String())
	}
	for _, v := range headers {
		values = append(values, v)
	}
	s := &analysis.Scrubber{}
	for _, v := range values {
		if len(v) >= 4 {
			s.Add(v)
		}
	}
	a.Text = s.Scrub(a.Text)
	return a
}
