// Package actions holds what a person can do to a Rollout — promote,
// abort, retry, pause, resume, undo, restart, set image — as the
// controller's contract defines it: which fields each writes, and when
// each makes no sense. kubectl ramp and the dashboard both go through it.
package actions

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// The actions.
const (
	Promote     = "promote"
	PromoteFull = "promote-full"
	Abort       = "abort"
	Retry       = "retry"
	Pause       = "pause"
	Resume      = "resume"
	Undo        = "undo"
	Restart     = "restart"
	SetImage    = "set-image"
)

// Names are the actions the dashboard offers (set-image is the CLI's).
var Names = []string{Promote, PromoteFull, Abort, Retry, Pause, Resume, Undo, Restart}

// Options are the arguments some actions take.
type Options struct {
	// Revision is undo's target; 0 is the revision before the current.
	Revision int64
	// RestartIn delays a restart.
	RestartIn time.Duration
	// Images are set-image's CONTAINER (or "*") to image.
	Images map[string]string
	// Now tells the time (restart); nil is time.Now.
	Now func() time.Time
	// AbortedBy says who aborts; empty is "kubectl ramp abort".
	AbortedBy string

	// undo's target, resolved by Do.
	undoRevision int64
	undoTemplate []byte
}

// NotApplicableError is an action that makes no sense for the Rollout as
// it is, with the reason and what to do instead.
type NotApplicableError struct {
	Action, Rollout string
	Reason          error
}

func (e *NotApplicableError) Error() string {
	return fmt.Sprintf("cannot %s rollout %q: %v", verbOf(e.Action), e.Rollout, e.Reason)
}

func (e *NotApplicableError) Unwrap() error { return e.Reason }

// NotFoundError is a Rollout that does not exist.
type NotFoundError struct{ Namespace, Rollout string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("rollout %q not found in namespace %q", e.Rollout, e.Namespace)
}

// ForbiddenError is a write the user's role does not allow, naming what
// is missing.
type ForbiddenError struct {
	Action, Rollout, Namespace string
	// Verb and Resource are the permission needed (group ramp.dev), such
	// as patch rollouts/status.
	Verb, Resource string
	Err            error
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("you may not %s rollout %q: %s needs the verb %s on %s (API group ramp.dev) in namespace %q; ask for a role that grants it: %v",
		verbOf(e.Action), e.Rollout, verbOf(e.Action), e.Verb, e.Resource, e.Namespace, e.Err)
}

func (e *ForbiddenError) Unwrap() error { return e.Err }

// Permission is what the action needs: the verb on the resource (and
// subresource, "" for none) of group ramp.dev.
func Permission(act string) (verb, resource, subresource string) {
	switch act {
	case Promote, PromoteFull, Abort, Retry:
		return "patch", "rollouts", "status"
	}
	return "patch", "rollouts", ""
}

// verbOf is the action as a verb in messages.
func verbOf(act string) string {
	switch act {
	case PromoteFull:
		return "promote"
	case SetImage:
		return "set the image of"
	}
	return act
}

// plan is an action for one Rollout as read: why it makes no sense (nil
// when it does), the patch, and the line said after.
type plan struct {
	check func() error
	patch func() (client.Patch, error)
	done  string
}

// Do carries out act on the Rollout name in ns: it reads it, checks the
// action (*NotApplicableError), writes only the fields the controller's
// contract defines, with the version read as a precondition, reads and
// checks again on a conflict (the controller writes status often), and
// returns the line to show, such as `rollout "web" promoted`.
func Do(ctx context.Context, c client.Client, ns, name, act string, opts Options) (string, error) {
	build, ok := builders[act]
	if !ok {
		return "", fmt.Errorf("unknown action %q; the actions are %v", act, append(append([]string{}, Names...), SetImage))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// Undo picks its revision once, from the ReplicaSets.
	if act == Undo {
		var err error
		if opts, err = resolveUndo(ctx, c, ns, name, opts); err != nil {
			return "", err
		}
	}
	_, _, sub := Permission(act)
	var done string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ro, err := get(ctx, c, ns, name)
		if err != nil {
			return err
		}
		p := build(ro, opts)
		if err := p.check(); err != nil {
			return &NotApplicableError{Action: act, Rollout: name, Reason: err}
		}
		patch, err := p.patch()
		if err != nil {
			return err
		}
		if sub == "status" {
			err = c.Status().Patch(ctx, ro, patch)
		} else {
			err = c.Patch(ctx, ro, patch)
		}
		if err != nil {
			return &writeFailure{err}
		}
		done = p.done
		return nil
	})
	var wf *writeFailure
	if errors.As(err, &wf) {
		return "", writeError(wf.err, act, ns, name)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("rollout %q %s", name, done), nil
}

// writeFailure is an error of the write itself (not of the read or the
// check).
type writeFailure struct{ err error }

func (w *writeFailure) Error() string { return w.err.Error() }

func (w *writeFailure) Unwrap() error { return w.err }

// writeError explains a failed write: RBAC names what the user lacks; a
// conflict says to try again.
func writeError(err error, act, ns, name string) error {
	verb, resource, sub := Permission(act)
	if sub != "" {
		resource += "/" + sub
	}
	switch {
	case apierrors.IsForbidden(err):
		return &ForbiddenError{Action: act, Rollout: name, Namespace: ns, Verb: verb, Resource: resource, Err: err}
	case apierrors.IsConflict(err):
		return fmt.Errorf("rollout %q kept changing while it was being written (%s); try again: %w", name, verbOf(act), err)
	}
	return fmt.Errorf("%s rollout %q: %w", verbOf(act), name, err)
}

// get reads the Rollout.
func get(ctx context.Context, c client.Client, ns, name string) (*rampv1alpha1.Rollout, error) {
	ro := &rampv1alpha1.Rollout{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return nil, &NotFoundError{Namespace: ns, Rollout: name}
		case apierrors.IsForbidden(err):
			return nil, fmt.Errorf("you may not read rollout %q: the verb get on rollouts (API group ramp.dev) in namespace %q is needed: %w", name, ns, err)
		}
		return nil, fmt.Errorf("get rollout %q: %w", name, err)
	}
	return ro, nil
}
