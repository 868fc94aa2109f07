package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/actions"
)

// This file holds the commands that act on a Rollout: promote, abort,
// retry, pause, resume, undo, restart and set image. What each writes and
// when it makes no sense is package actions', shared with the dashboard.

func init() {
	commands = append(commands, newPromoteCommand, newAbortCommand, newRetryCommand, newPauseCommand, newResumeCommand,
		newUndoCommand, newRestartCommand, newSetCommand)
}

// do carries out act on the Rollout name and prints its line.
func (o *options) do(ctx context.Context, name, act string, opts actions.Options) error {
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	opts.Now = o.now
	msg, err := actions.Do(ctx, c, ns, name, act, opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.out, msg)
	return nil
}

// actionCommand builds a command NAME that carries out act with the
// options opts returns when it runs.
func actionCommand(o *options, use, short string, act func() (string, actions.Options)) *cobra.Command {
	return &cobra.Command{
		Use:               use + " NAME",
		Short:             short,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, opts := act()
			return o.do(cmd.Context(), args[0], a, opts)
		},
	}
}

// fixed is an action without options.
func fixed(act string) func() (string, actions.Options) {
	return func() (string, actions.Options) { return act, actions.Options{} }
}

func newPromoteCommand(o *options) *cobra.Command {
	var full bool
	cmd := actionCommand(o, "promote", "Move a paused rollout to its next step, or with --full skip every remaining step and analysis",
		func() (string, actions.Options) {
			if full {
				return actions.PromoteFull, actions.Options{}
			}
			return actions.Promote, actions.Options{}
		})
	cmd.Flags().BoolVar(&full, "full", false, "Skip every remaining step, pause and analysis: the update becomes stable as soon as it is at full size")
	return cmd
}

func newAbortCommand(o *options) *cobra.Command {
	return actionCommand(o, "abort", "Abort the update in flight: traffic and pods go back to the stable version", fixed(actions.Abort))
}

func newRetryCommand(o *options) *cobra.Command {
	return actionCommand(o, "retry", "Start an aborted update again from its first step", fixed(actions.Retry))
}

func newPauseCommand(o *options) *cobra.Command {
	return actionCommand(o, "pause", "Hold the rollout where it is (sets spec.paused)", fixed(actions.Pause))
}

func newResumeCommand(o *options) *cobra.Command {
	return actionCommand(o, "resume", "Let a rollout paused with kubectl ramp pause go on (clears spec.paused)", fixed(actions.Resume))
}

func newUndoCommand(o *options) *cobra.Command {
	var to int64
	cmd := actionCommand(o, "undo", "Roll back to the previous revision, or to --to-revision N",
		func() (string, actions.Options) { return actions.Undo, actions.Options{Revision: to} })
	cmd.Flags().Int64Var(&to, "to-revision", 0, "The revision to go back to (see kubectl ramp get rollout); 0 is the one before the current")
	return cmd
}

func newRestartCommand(o *options) *cobra.Command {
	var in time.Duration
	cmd := actionCommand(o, "restart", "Replace every pod, a few at a time (sets spec.restartAt)",
		func() (string, actions.Options) { return actions.Restart, actions.Options{RestartIn: in} })
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if in < 0 {
			return fmt.Errorf("--in %s: the delay cannot be negative", in)
		}
		return nil
	}
	cmd.Flags().DurationVar(&in, "in", 0, "Restart after this long, such as 10m")
	return cmd
}

func newSetCommand(o *options) *cobra.Command {
	set := &cobra.Command{Use: "set", Short: "Change a rollout's spec"}
	set.AddCommand(&cobra.Command{
		Use:               "image NAME CONTAINER=IMAGE [CONTAINER=IMAGE...]",
		Short:             "Start an update with new container images (CONTAINER * for every container)",
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: o.completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			images, err := parseImages(args[1:])
			if err != nil {
				return err
			}
			return o.do(cmd.Context(), args[0], actions.SetImage, actions.Options{Images: images})
		},
	})
	return set
}

// parseImages reads CONTAINER=IMAGE arguments.
func parseImages(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		name, image, ok := strings.Cut(a, "=")
		if !ok || name == "" || image == "" {
			return nil, fmt.Errorf("%q: write CONTAINER=IMAGE, or *=IMAGE for every container", a)
		}
		out[name] = image
	}
	return out, nil
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
