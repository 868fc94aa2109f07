package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// This file holds the commands that act on a Rollout's status through the
// status subresource, as the controller's contract defines: promote,
// abort and retry; and pause and resume, which set spec.paused.

func init() {
	commands = append(commands, newPromoteCommand, newAbortCommand, newRetryCommand, newPauseCommand, newResumeCommand)
}

// action is one change to a Rollout: check says why it makes no sense
// (nil when it does), patch builds the patch of the Rollout as read,
// status tells whether it goes to the status subresource, and done is the
// line printed after.
type action struct {
	verb   string
	check  func(*rampv1alpha1.Rollout) error
	patch  func(*rampv1alpha1.Rollout) (client.Patch, error)
	status bool
	done   string
}

// mergePatch is a merge patch of fields (such as "status":{...}) that
// also carries the resourceVersion read, so that a change made meanwhile
// fails it instead of being overwritten.
func mergePatch(ro *rampv1alpha1.Rollout, fields string) client.Patch {
	return client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"metadata":{"resourceVersion":%q},%s}`, ro.ResourceVersion, fields))
}

// merge returns a patch function for a merge patch of fixed fields.
func merge(fields string) func(*rampv1alpha1.Rollout) (client.Patch, error) {
	return func(ro *rampv1alpha1.Rollout) (client.Patch, error) { return mergePatch(ro, fields), nil }
}

// actionCommand builds a command NAME that applies a.
func actionCommand(o *options, use, short string, a func(cmd *cobra.Command) action) *cobra.Command {
	return &cobra.Command{
		Use:               use + " NAME",
		Short:             short,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.apply(cmd.Context(), args[0], a(cmd))
		},
	}
}

// writeFailure is an error of the write itself (not of the read or the
// check).
type writeFailure struct{ err error }

func (w *writeFailure) Error() string { return w.err.Error() }

func (w *writeFailure) Unwrap() error { return w.err }

// apply reads the Rollout, checks the action, writes its patch and prints
// what it did. The controller writes status often: on a conflict the
// Rollout is read and checked again.
func (o *options) apply(ctx context.Context, name string, a action) error {
	var ns string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		c, n, ro, err := o.getRollout(ctx, name)
		if err != nil {
			return err
		}
		ns = n
		if err := a.check(ro); err != nil {
			return fmt.Errorf("cannot %s rollout %q: %w", a.verb, name, err)
		}
		patch, err := a.patch(ro)
		if err != nil {
			return err
		}
		if a.status {
			err = c.Status().Patch(ctx, ro, patch)
		} else {
			err = c.Patch(ctx, ro, patch)
		}
		if err != nil {
			return &writeFailure{err}
		}
		return nil
	})
	var wf *writeFailure
	if errors.As(err, &wf) {
		return o.writeError(wf.err, a, name, ns)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "rollout %q %s\n", name, a.done)
	return nil
}

// writeError explains a failed write: RBAC names what the user lacks; a
// conflict says to try again.
func (o *options) writeError(err error, a action, name, ns string) error {
	resource := "rollouts"
	if a.status {
		resource = "rollouts/status"
	}
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("you may not %s rollout %q: %s needs the verb patch on %s (API group ramp.dev) in namespace %q; ask for a role that grants it: %w",
			a.verb, name, a.verb, resource, ns, err)
	case apierrors.IsConflict(err):
		return fmt.Errorf("rollout %q kept changing while kubectl ramp %s tried to write it; run the command again: %w", name, a.verb, err)
	}
	return fmt.Errorf("%s rollout %q: %w", a.verb, name, err)
}

// getRollout reads the Rollout name in the command's namespace.
func (o *options) getRollout(ctx context.Context, name string) (client.WithWatch, string, *rampv1alpha1.Rollout, error) {
	ns, err := o.namespace()
	if err != nil {
		return nil, "", nil, err
	}
	c, err := o.client()
	if err != nil {
		return nil, "", nil, err
	}
	ro := &rampv1alpha1.Rollout{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return nil, "", nil, fmt.Errorf("rollout %q not found in namespace %q", name, ns)
		case apierrors.IsForbidden(err):
			return nil, "", nil, fmt.Errorf("you may not read rollout %q: the verb get on rollouts (API group ramp.dev) in namespace %q is needed: %w", name, ns, err)
		}
		return nil, "", nil, fmt.Errorf("get rollout %q: %w", name, err)
	}
	return c, ns, ro, nil
}

// inFlight reports whether an update is under way (not yet stable).
func inFlight(ro *rampv1alpha1.Rollout) bool {
	st := &ro.Status
	return st.StableRS != "" && st.CurrentPodHash != "" && st.StableRS != st.CurrentPodHash
}

// errNoUpdate is the reason most actions make no sense on a stable rollout.
var errNoUpdate = errors.New("no update is in flight (the current revision is the stable one)")

func newPromoteCommand(o *options) *cobra.Command {
	var full bool
	cmd := actionCommand(o, "promote", "Move a paused rollout to its next step, or with --full skip every remaining step and analysis",
		func(*cobra.Command) action {
			if full {
				return action{verb: "promote", status: true, done: "promoted to the end of its steps (--full)",
					check: func(ro *rampv1alpha1.Rollout) error {
						switch {
						case !inFlight(ro):
							return errNoUpdate
						case ro.Status.Abort:
							return errors.New("the update is aborted; run kubectl ramp retry to start it again")
						}
						return nil
					},
					patch: merge(`"status":{"promoteFull":true,"pauseConditions":null}`),
				}
			}
			return action{verb: "promote", status: true, done: "promoted",
				check: func(ro *rampv1alpha1.Rollout) error {
					switch {
					case ro.Status.Abort:
						return errors.New("the update is aborted; run kubectl ramp retry to start it again")
					case ro.Spec.Paused:
						return errors.New("it is paused by spec.paused; run kubectl ramp resume to let it go on")
					case len(ro.Status.PauseConditions) == 0 && !inFlight(ro):
						return errNoUpdate
					case len(ro.Status.PauseConditions) == 0:
						return errors.New("it is not paused (it moves on by itself); use --full to skip the remaining steps")
					}
					return nil
				},
				patch: merge(`"status":{"pauseConditions":null}`),
			}
		})
	cmd.Flags().BoolVar(&full, "full", false, "Skip every remaining step, pause and analysis: the update becomes stable as soon as it is at full size")
	return cmd
}

func newAbortCommand(o *options) *cobra.Command {
	return actionCommand(o, "abort", "Abort the update in flight: traffic and pods go back to the stable version",
		func(*cobra.Command) action {
			return action{verb: "abort", status: true, done: "aborted: going back to the stable version",
				check: func(ro *rampv1alpha1.Rollout) error {
					switch {
					case !inFlight(ro):
						return errNoUpdate
					case ro.Status.Abort:
						return errors.New("it is aborted already; run kubectl ramp retry to start the update again")
					}
					return nil
				},
				patch: merge(`"status":{"abort":true,"abortedBy":"kubectl ramp abort"}`),
			}
		})
}

func newRetryCommand(o *options) *cobra.Command {
	return actionCommand(o, "retry", "Start an aborted update again from its first step",
		func(*cobra.Command) action {
			return action{verb: "retry", status: true, done: "retrying the update from its first step",
				check: func(ro *rampv1alpha1.Rollout) error {
					if !ro.Status.Abort {
						return errors.New("it is not aborted; only an aborted update can be retried")
					}
					return nil
				},
				patch: merge(`"status":{"abort":false,"abortedBy":null}`),
			}
		})
}

func newPauseCommand(o *options) *cobra.Command {
	return actionCommand(o, "pause", "Hold the rollout where it is (sets spec.paused)",
		func(*cobra.Command) action {
			return action{verb: "pause", done: "paused (spec.paused: true)",
				check: func(ro *rampv1alpha1.Rollout) error {
					if ro.Spec.Paused {
						return errors.New("it is paused already")
					}
					return nil
				},
				patch: merge(`"spec":{"paused":true}`),
			}
		})
}

func newResumeCommand(o *options) *cobra.Command {
	return actionCommand(o, "resume", "Let a rollout paused with kubectl ramp pause go on (clears spec.paused)",
		func(*cobra.Command) action {
			return action{verb: "resume", done: "resumed (spec.paused: false)",
				check: func(ro *rampv1alpha1.Rollout) error {
					if !ro.Spec.Paused {
						if len(ro.Status.PauseConditions) > 0 {
							return errors.New("it was not paused by a person but waits at a pause of its own; run kubectl ramp promote to move past it")
						}
						return errors.New("it is not paused")
					}
					return nil
				},
				patch: merge(`"spec":{"paused":false}`),
			}
		})
}
