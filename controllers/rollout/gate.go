package rollout

import (
	"context"
	"fmt"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/gate"
	"github.com/rampdev/ramp/internal/async"
)

// Gate defaults.
const (
	defaultGateRetry       = 10 * time.Second
	defaultGateTimeout     = time.Hour
	defaultGateCallTimeout = 10 * time.Second
)

// gatePrePromotion names a blue-green Rollout's prePromotionGate.
const gatePrePromotion = "prePromotion"

// gateKey names one gate of one revision of one Rollout.
type gateKey struct {
	rollout types.NamespacedName
	uid     types.UID
	hash    string
	gate    string
}

// gateCalls are the calls to gates' services under way (async), made on
// first use.
func (r *Reconciler) gateCalls() *async.Calls[gateKey, gate.Answer] {
	r.gatesOnce.Do(func() {
		r.gates = async.New[gateKey, gate.Answer](func(k gateKey) client.Object {
			ro := &rampv1alpha1.Rollout{}
			ro.Namespace, ro.Name = k.rollout.Namespace, k.rollout.Name
			return ro
		})
	})
	return r.gates
}

// gatePlan is what gateStep decided.
type gatePlan struct {
	// allowed: the update goes on past the gate.
	allowed bool
	// abort, when set, is why the update is aborted (after a denial or
	// with no decision in time).
	abort string
	// call asks the service now.
	call bool
	// wake is when to look again; zero for no timed wake-up.
	wake time.Time
	// started: the gate began waiting in this call; resumed: a person
	// promoted past it in this call.
	started, resumed bool
}

// gateTimes are a gate's retry interval, timeout and call timeout with
// their defaults.
func gateTimes(g *rampv1alpha1.RolloutGate) (retry, timeout, call time.Duration, err error) {
	parse := func(field string, v rampv1alpha1.DurationString, def time.Duration) (time.Duration, error) {
		if v == "" {
			return def, nil
		}
		d, err := time.ParseDuration(string(v))
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%s %q: must be a positive duration such as 30s", field, v)
		}
		return d, nil
	}
	if retry, err = parse("retryInterval", g.RetryInterval, defaultGateRetry); err != nil {
		return
	}
	if timeout, err = parse("timeout", g.Timeout, defaultGateTimeout); err != nil {
		return
	}
	call, err = parse("webhook.timeout", g.Webhook.Timeout, defaultGateCallTimeout)
	return
}

// gateStep advances gate name of revision hash from status, the answer
// of a call that returned (nil when none) and whether a call is under
// way. It changes only status.gate, the Gate pause condition and
// status.controllerPause.
func gateStep(st *rampv1alpha1.RolloutStatus, name, hash string, g *rampv1alpha1.RolloutGate, now time.Time,
	answer *gate.Answer, inFlight bool) (gatePlan, error) {
	retry, timeout, _, err := gateTimes(g)
	if err != nil {
		return gatePlan{}, err
	}
	gs := st.Gate
	fresh := gs == nil || gs.Name != name || gs.PodTemplateHash != hash ||
		gs.Decision == rampv1alpha1.GateDenied || gs.Decision == rampv1alpha1.GateTimedOut
	if fresh {
		// A new gate, or the same one after the update was retried.
		st.Gate = &rampv1alpha1.GateStatus{Name: name, PodTemplateHash: hash, Decision: rampv1alpha1.GateWaiting,
			StartedAt: metav1.NewTime(now)}
		removePause(st, rampv1alpha1.PauseReasonGate)
		st.PauseConditions = append(st.PauseConditions, rampv1alpha1.PauseCondition{
			Reason: rampv1alpha1.PauseReasonGate, StartTime: metav1.NewTime(now),
		})
		st.ControllerPause = true
		return gatePlan{started: true, call: !inFlight, wake: now.Add(timeout)}, nil
	}
	if gs.Decision == rampv1alpha1.GateAllowed {
		// Decided in an earlier reconcile: nothing to change (a later
		// pause may hold controllerPause).
		return gatePlan{allowed: true}, nil
	}
	// done ends the wait with decision: the gate's pause goes, and the
	// update goes on, or is aborted when abort says why.
	done := func(decision rampv1alpha1.GateDecision, abort string) gatePlan {
		gs.Decision = decision
		removePause(st, rampv1alpha1.PauseReasonGate)
		st.ControllerPause = false
		return gatePlan{allowed: abort == "", abort: abort}
	}
	if findPause(st, rampv1alpha1.PauseReasonGate) == nil && st.ControllerPause {
		// A person promoted past the waiting gate.
		plan := done(rampv1alpha1.GateAllowed, "")
		plan.resumed = true
		return plan, nil
	}
	if answer != nil {
		gs.Attempts++
		gs.LastCheckedAt = ptr.To(metav1.NewTime(now))
		gs.LastAnswer = answer.Text
		switch answer.Decision {
		case rampv1alpha1.GateAllowed:
			return done(rampv1alpha1.GateAllowed, ""), nil
		case rampv1alpha1.GateDenied:
			return done(rampv1alpha1.GateDenied, fmt.Sprintf("%sat %s (%s)", gateAbortPrefix, name, answer.Text)), nil
		}
	}
	if deadline := gs.StartedAt.Add(timeout); !now.Before(deadline) {
		last := gs.LastAnswer
		if last == "" {
			last = "none"
		}
		return done(rampv1alpha1.GateTimedOut,
			fmt.Sprintf("%sat %s (no decision within %s; last answer: %s)", gateAbortPrefix, name, timeout, last)), nil
	}
	plan := gatePlan{wake: gs.StartedAt.Add(timeout)}
	if inFlight {
		return plan, nil
	}
	next := now
	if gs.LastCheckedAt != nil {
		next = gs.LastCheckedAt.Add(retry)
	}
	if now.Before(next) {
		if next.Before(plan.wake) {
			plan.wake = next
		}
		return plan, nil
	}
	plan.call = true
	return plan, nil
}

// gateAbortPrefix starts status.abortedBy when a gate aborted the update.
const gateAbortPrefix = "the gate "

// runGate runs gate g (name "step N" or "prePromotion") of the update and
// reports whether it allows the update to go on, and whether that is
// because a person promoted past it in this reconcile. A denial, or no
// decision in time, aborts the update. The service is called in a goroutine of its
// own: a service that hangs holds no worker, and the Rollout is queued
// again when it answers.
func (r *Reconciler) runGate(s *scope, name string, g *rampv1alpha1.RolloutGate, req gate.Request) (allowed, byPerson bool, err error) {
	st := &s.rollout.Status
	key := gateKey{rollout: client.ObjectKeyFromObject(s.rollout), uid: s.rollout.UID, hash: s.hash, gate: name}
	var answer *gate.Answer
	inFlight := false
	if call, ok := r.gateCalls().Take(key); ok {
		if call.Done {
			answer = &call.Out
		} else {
			inFlight = true
		}
	}
	plan, err := gateStep(st, name, s.hash, g, s.now, answer, inFlight)
	if err != nil {
		return false, false, fmt.Errorf("gate at %s: %w", name, err)
	}
	switch {
	case plan.started:
		s.event(eventNormal, reasonGateWaiting, "Gate", "Waiting at the gate of %s for its service to allow revision %s", name, s.hash)
		s.notifyLast(rampv1alpha1.TriggerGateWaiting, 0)
	case plan.resumed:
		s.event(eventNormal, reasonResumed, "Resume", "Promoted past the gate of %s", name)
	case plan.allowed && answer != nil:
		s.event(eventNormal, reasonGateAllowed, "Gate", "The gate of %s allowed revision %s: %s", name, s.hash, answer.Text)
	}
	if plan.abort != "" {
		abortUpdate(s, plan.abort)
		return false, false, nil
	}
	if plan.call {
		_, _, callTimeout, _ := gateTimes(g)
		req.Gate, req.StartedAt, req.Attempt = name, st.Gate.StartedAt.Time, st.Gate.Attempts+1
		r.startGateCall(key, s.now, callTimeout, g.Webhook, req)
		plan.wake = earliest(plan.wake, s.now.Add(callTimeout+time.Second))
	}
	if !plan.wake.IsZero() {
		s.requeueAt(plan.wake)
	}
	return plan.allowed, plan.resumed, nil
}

// startGateCall calls the gate's service in a goroutine, reading the
// Secret-backed header values there too.
func (r *Reconciler) startGateCall(key gateKey, now time.Time, timeout time.Duration, hook rampv1alpha1.GateWebhook, req gate.Request) {
	secrets := analysis.NamespaceSecrets{Reader: r.APIReader, Namespace: key.rollout.Namespace}
	r.gateCalls().Start(key, now, timeout+time.Second, func(ctx context.Context) gate.Answer {
		headers, hidden, err := analysis.HeaderValues(ctx, secrets, hook.Headers)
		if err != nil {
			return gate.Answer{Decision: rampv1alpha1.GateWaiting, Text: err.Error()}
		}
		callCtx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return gate.Ask(callCtx, gateClient, hook.URL, headers, req, hidden...)
	})
}

// gateClient calls gates' services; each call's context bounds it.
var gateClient = &http.Client{}

// gateRequest describes the update for a gate's service.
func gateRequest(s *scope, step *int32) gate.Request {
	req := gate.Request{Namespace: s.rollout.Namespace, Rollout: s.rollout.Name, PodTemplateHash: s.hash, Step: step}
	if s.newRS != nil {
		req.Revision = revisionOf(s.newRS)
	}
	if s.template != nil {
		for _, c := range s.template.Spec.Containers {
			req.Images = append(req.Images, c.Name+"="+c.Image)
		}
	}
	if steps := canarySteps(s.rollout); len(steps) > 0 {
		req.Steps = int32(len(steps))
	}
	if w := s.rollout.Status.Canary.Weights; w != nil {
		req.Weight = ptr.To(w.Canary.Weight)
	}
	return req
}

// stopGates cancels the calls to gates' services of a Rollout that is gone.
func (r *Reconciler) stopGates(key types.NamespacedName) {
	r.gateCalls().Stop(func(k gateKey) bool { return k.rollout == key })
}

// earliest returns the earlier of two times, a zero time counting as none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// gateWaitMessage says what the update waits for at a gate, such as
// "Waiting at the gate of step 3/5 (gate) since 10:02:03Z: 2 calls, last
// answer HTTP 202: ticket CHG-42 not approved yet; ...".
func gateWaitMessage(s *scope) string {
	gs := s.rollout.Status.Gate
	where := stepLabel(s)
	if gs.Name == gatePrePromotion {
		where = "the prePromotionGate"
	}
	last := "no answer yet"
	if gs.LastAnswer != "" {
		last = "last answer " + gs.LastAnswer
	}
	return fmt.Sprintf("Waiting at %s since %s for its service to allow revision %s: %d calls, %s; run kubectl ramp promote %s to go on without it or kubectl ramp abort %s to roll back",
		where, gs.StartedAt.UTC().Format(time.RFC3339), s.hash, gs.Attempts, last, s.rollout.Name, s.rollout.Name)
}
