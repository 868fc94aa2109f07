package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Exit codes of kubectl ramp status.
const (
	exitHealthy  = 0
	exitDegraded = 1
	exitTimeout  = 2
	exitInvalid  = 3
)

func init() {
	commands = append(commands, newStatusCommand)
}

func newStatusCommand(o *options) *cobra.Command {
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Wait for a rollout to finish, for CI: exit 0 Healthy, 1 Degraded or aborted, 2 timed out, 3 invalid spec",
		Long: `Print the rollout's state, and with --watch (the default) a line at each change until it is
Healthy (exit 0), Degraded or aborted (exit 1), its spec cannot be carried out (exit 3), or
--timeout passes (exit 2). With --watch=false it prints the state once and exits by it
(0 while the update is still under way).`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			return o.status(ctx, args[0], wait, timeout)
		},
	}
	cmd.Flags().BoolVarP(&wait, "watch", "w", true, "Follow the rollout until it is Healthy, Degraded or stalled")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "Give up after this long (exit 2), such as 10m; 0 waits for ever")
	return cmd
}

// verdict is what a Rollout's status says for CI: done (with the exit
// code) or not yet, and the line to print.
func verdict(ro *rampv1alpha1.Rollout) (done bool, code int, line string) {
	st := &ro.Status
	if st.ObservedGeneration < ro.Generation {
		return false, 0, fmt.Sprintf("Waiting for the controller to observe generation %d (observed %d)", ro.Generation, st.ObservedGeneration)
	}
	if c := meta.FindStatusCondition(st.Conditions, rampv1alpha1.ConditionStalled); c != nil && c.Status == "True" {
		switch c.Reason {
		case rampv1alpha1.ReasonInvalidSpec, rampv1alpha1.ReasonProfileNotFound, rampv1alpha1.ReasonRouteError:
			return true, exitInvalid, fmt.Sprintf("Stalled (%s): %s", c.Reason, c.Message)
		}
	}
	line = fmt.Sprintf("%s: %s", st.Phase, st.Message)
	switch st.Phase {
	case rampv1alpha1.RolloutPhaseHealthy:
		return true, exitHealthy, line
	case rampv1alpha1.RolloutPhaseDegraded:
		return true, exitDegraded, line
	}
	return false, 0, line
}

// status prints the Rollout's state, following it with wait until it is
// done or ctx ends.
func (o *options) status(ctx context.Context, name string, wait bool, timeout time.Duration) error {
	c, ns, ro, err := o.getRollout(ctx, name)
	if err != nil {
		return err
	}
	last := ""
	report := func(ro *rampv1alpha1.Rollout) (bool, error) {
		done, code, line := verdict(ro)
		if line != last {
			fmt.Fprintln(o.out, line)
			last = line
		}
		switch {
		case done && code != exitHealthy:
			return true, exitWith(code, "rollout %q: %s", name, line)
		case done || !wait:
			return true, nil
		}
		return false, nil
	}
	if done, err := report(ro); done {
		return err
	}
	err = followRollout(ctx, c, ns, name, ro.ResourceVersion, func(ro *rampv1alpha1.Rollout) (bool, error) { return report(ro) })
	if errors.Is(err, context.DeadlineExceeded) {
		return exitWith(exitTimeout, "rollout %q: not done after %s (--timeout); last: %s", name, timeout, last)
	}
	return err
}

// followRollout watches the Rollout name from resourceVersion rv and calls
// each with every new version until each is done, the Rollout is deleted,
// or ctx ends. A watch that closes is resumed; one that cannot resume
// reads the Rollout again.
func followRollout(ctx context.Context, c client.WithWatch, ns, name, rv string, each func(*rampv1alpha1.Rollout) (bool, error)) error {
	for {
		w, err := c.Watch(ctx, &rampv1alpha1.RolloutList{}, client.InNamespace(ns),
			client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", name)},
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("watch rollout %q: %w", name, err)
		}
		resume, err := drain(ctx, w, name, &rv, each)
		w.Stop()
		if err != nil || !resume {
			return err
		}
		if rv == "" {
			// The watch could not resume: read the Rollout again.
			ro := &rampv1alpha1.Rollout{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
				return fmt.Errorf("get rollout %q: %w", name, err)
			}
			if done, err := each(ro); done {
				return err
			}
			rv = ro.ResourceVersion
		}
	}
}

// drain handles the events of one watch. resume is true when the watch
// closed and should be started again (from *rv, or from a new read when
// *rv is cleared).
func drain(ctx context.Context, w watch.Interface, name string, rv *string, each func(*rampv1alpha1.Rollout) (bool, error)) (resume bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return true, nil
			}
			switch ev.Type {
			case watch.Error:
				*rv = ""
				return true, nil
			case watch.Deleted:
				return false, fmt.Errorf("rollout %q was deleted", name)
			}
			ro, ok := ev.Object.(*rampv1alpha1.Rollout)
			if !ok {
				continue
			}
			*rv = ro.ResourceVersion
			if ev.Type == watch.Bookmark {
				continue
			}
			if done, err := each(ro); done {
				return false, err
			}
		}
	}
}
