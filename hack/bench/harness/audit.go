package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"
)

// The audit log counts the controller's writes exactly: the API server logs
// every request of the controller's ServiceAccount (and no one else's) once
// its response is complete, with the patch body of its Rollout status
// writes, which tells the steps apart.

// controllerNamespace and controllerAccount are the controller's identity.
const (
	controllerNamespace = "ramp-bench"
	controllerAccount   = "ramp-controller"
)

// controllerUser is the user name of the controller's ServiceAccount.
var controllerUser = "system:serviceaccount:" + controllerNamespace + ":" + controllerAccount

// auditPolicy logs the controller's requests only: its Rollout status
// writes with their body (Request), everything else at Metadata level.
func auditPolicy(user string) string {
	return fmt.Sprintf(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Request
  users: [%[1]q]
  verbs: ["patch", "update"]
  resources:
  - group: ramp.dev
    resources: ["rollouts/status"]
- level: Metadata
  users: [%[1]q]
- level: None
`, user)
}

// auditFlags are kube-apiserver's flags for a JSON audit log at path,
// written before each response (blocking) and never rotated.
func auditFlags(policyPath, logPath string) []string {
	return []string{
		"--audit-policy-file=" + policyPath,
		"--audit-log-path=" + logPath,
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
		"--audit-log-maxsize=1000000",
		"--audit-log-maxbackup=0",
	}
}

// Write is one write request of the controller.
type Write struct {
	At          time.Time
	Verb        string
	Group       string
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	Code        int
	// StepIndex is status.currentStepIndex in a Rollout status patch that
	// sets it, -1 otherwise.
	StepIndex int
}

// Kind names the write's resource and verb, such as
// "patch rollouts/status" or "create events.k8s.io/events".
func (w Write) Kind() string {
	res := w.Resource
	if w.Subresource != "" {
		res += "/" + w.Subresource
	}
	if w.Group != "" && w.Group != "ramp.dev" && w.Group != "apps" {
		res = w.Group + "/" + res
	}
	return w.Verb + " " + res
}

// IsEvent tells whether the write records an Event.
func (w Write) IsEvent() bool { return w.Resource == "events" }

// writeVerbs are the verbs that change objects.
var writeVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// auditEvent is the part of an audit.k8s.io/v1 Event the harness reads.
type auditEvent struct {
	Stage string `json:"stage"`
	Verb  string `json:"verb"`
	User  struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestObject            json.RawMessage `json:"requestObject"`
	RequestReceivedTimestamp time.Time       `json:"requestReceivedTimestamp"`
}

// parseAuditLine turns one line of the audit log into a Write; ok is false
// for other requests and users.
func parseAuditLine(line []byte, user string) (Write, bool, error) {
	var ev auditEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		return Write{}, false, fmt.Errorf("audit log line %.80q: %w", line, err)
	}
	if ev.Stage != "ResponseComplete" || ev.User.Username != user || !writeVerbs[ev.Verb] || ev.ObjectRef == nil {
		return Write{}, false, nil
	}
	w := Write{
		At: ev.RequestReceivedTimestamp, Verb: ev.Verb, Group: ev.ObjectRef.APIGroup, Resource: ev.ObjectRef.Resource,
		Subresource: ev.ObjectRef.Subresource, Namespace: ev.ObjectRef.Namespace, Name: ev.ObjectRef.Name, StepIndex: -1,
	}
	if ev.ResponseStatus != nil {
		w.Code = ev.ResponseStatus.Code
	}
	if w.Resource == "rollouts" && w.Subresource == "status" && len(ev.RequestObject) > 0 {
		var patch struct {
			Status struct {
				CurrentStepIndex *int `json:"currentStepIndex"`
			} `json:"status"`
		}
		if json.Unmarshal(ev.RequestObject, &patch) == nil && patch.Status.CurrentStepIndex != nil {
			w.StepIndex = *patch.Status.CurrentStepIndex
		}
	}
	return w, true, nil
}

// auditLog follows the API server's audit log as it grows and keeps the
// controller's writes.
type auditLog struct {
	path string
	user string

	mu     sync.Mutex
	writes []Write
	offset int64
	err    error
}

// followAudit reads the audit log at path in the background until ctx
// ends.
func followAudit(ctx context.Context, path, user string) *auditLog {
	a := &auditLog{path: path, user: user}
	go a.follow(ctx)
	return a
}

func (a *auditLog) follow(ctx context.Context) {
	var f *os.File
	for f == nil {
		var err error
		if f, err = os.Open(a.path); err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				a.fail(err)
				return
			}
			if !sleep(ctx, 100*time.Millisecond) {
				return
			}
		}
	}
	defer func() { _ = f.Close() }()
	r := bufio.NewReaderSize(f, 1<<20)
	var partial []byte
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = append(partial, line...)
			partial = nil
			a.add(line)
			continue
		}
		partial = append(partial, line...)
		if err != nil && !errors.Is(err, io.EOF) {
			a.fail(err)
			return
		}
		if !sleep(ctx, 20*time.Millisecond) {
			return
		}
	}
}

func (a *auditLog) add(line []byte) {
	w, ok, err := parseAuditLine(bytes.TrimSpace(line), a.user)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.offset += int64(len(line))
	if err != nil && a.err == nil {
		a.err = err
	}
	if ok {
		a.writes = append(a.writes, w)
	}
}

func (a *auditLog) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == nil {
		a.err = fmt.Errorf("read the audit log: %w", err)
	}
}

// sync waits until every line written to the audit log so far has been
// read.
func (a *auditLog) sync(ctx context.Context) error {
	info, err := os.Stat(a.path)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	size := info.Size()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		a.mu.Lock()
		done, ferr := a.offset >= size, a.err
		a.mu.Unlock()
		if ferr != nil {
			return ferr
		}
		if done {
			return nil
		}
		if !sleep(ctx, 10*time.Millisecond) {
			return fmt.Errorf("audit log: read %d of %d bytes: %w", a.offset, size, ctx.Err())
		}
	}
}

// between returns the writes received in [from, to) that keep accepts (all
// with nil), in the order the API server received them.
func (a *auditLog) between(from, to time.Time, keep func(Write) bool) []Write {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Write
	for _, w := range a.writes {
		if !w.At.Before(from) && w.At.Before(to) && (keep == nil || keep(w)) {
			out = append(out, w)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// last is the time of the latest write read, zero before any.
func (a *auditLog) last() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	var t time.Time
	for i := len(a.writes) - 1; i >= 0 && i >= len(a.writes)-100; i-- {
		if a.writes[i].At.After(t) {
			t = a.writes[i].At
		}
	}
	return t
}

// quiet waits until the controller has written nothing for d, or until
// timeout passes (then it says so).
func (a *auditLog) quiet(ctx context.Context, d, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := a.sync(ctx); err != nil {
			return err
		}
		since := time.Since(a.last())
		if since >= d {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the controller kept writing for %v (last write %v ago)", timeout, since.Round(time.Millisecond))
		}
		if !sleep(ctx, d-since) {
			return ctx.Err()
		}
	}
}

// byKind counts writes by Write.Kind.
func byKind(ws []Write) map[string]int {
	out := map[string]int{}
	for _, w := range ws {
		out[w.Kind()]++
	}
	return out
}

// inNamespace keeps the writes in ns.
func inNamespace(ns string) func(Write) bool {
	return func(w Write) bool { return w.Namespace == ns }
}

// segmentSteps splits the writes of one update into the stretches between
// the Rollout status writes that moved status.currentStepIndex, from the
// write that set it to 0 to the one that set it to last. A stretch ends
// with (and includes) the status write that moved the index on; a write
// that moved it by more than one step makes one stretch of several steps.
func segmentSteps(rollout string, ws []Write, last int) []StepSegment {
	var out []StepSegment
	from := -1
	cur := StepSegment{}
	for _, w := range ws {
		if from >= 0 {
			if w.IsEvent() {
				cur.Events++
			} else {
				cur.Objects++
				cur.ByResource[w.Kind()]++
			}
		}
		if w.StepIndex < 0 || w.Resource != "rollouts" || w.Name != rollout || w.Code >= 300 {
			continue
		}
		switch {
		case from < 0 && w.StepIndex == 0:
			from = 0
		case from >= 0 && w.StepIndex > from:
			cur.Rollout, cur.From, cur.To = rollout, from, w.StepIndex
			out = append(out, cur)
			from = w.StepIndex
		default:
			continue
		}
		if from >= last {
			break
		}
		cur = StepSegment{ByResource: map[string]int{}}
	}
	return out
}

// sleep waits d or until ctx ends, and tells whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
