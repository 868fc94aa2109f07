package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/cli/view"
)

// init registers the command with the root command.
func init() {
	commands = append(commands, newListCommand)
}

// newListCommand is `kubectl ramp list`, the parent of `list rollouts`.
func newListCommand(o *options) *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List objects in a table",
		Args:  cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			return kindMissing("list rollouts", args)
		},
	}
	list.AddCommand(newListRolloutsCommand(o))
	return list
}

// listRolloutsFlags are the flags of `list rollouts`.
type listRolloutsFlags struct {
	// allNamespaces lists the rollouts of every namespace.
	allNamespaces bool
	// selector is a label selector, as kubectl's -l.
	selector string
	// watch prints a line for every rollout that changes.
	watch bool
}

// newListRolloutsCommand is `kubectl ramp list rollouts`.
func newListRolloutsCommand(o *options) *cobra.Command {
	var f listRolloutsFlags
	cmd := &cobra.Command{
		Use:     "rollouts",
		Aliases: []string{"ro", "rollout"},
		Short:   "List rollouts with their strategy, status, step, weight, ready pods and age",
		Long: `List the rollouts of the namespace (or of every namespace with -A) in a table,
sorted by namespace and name: strategy, status, canary step, canary weight,
ready pods out of those wanted, and age.

With --watch the table is followed by a line for each rollout that changes,
until Ctrl-C.`,
		Example: `  kubectl ramp list rollouts
  kubectl ramp list ro -A -l team=payments
  kubectl ramp list rollouts --watch`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.listRollouts(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "List the rollouts of every namespace")
	cmd.Flags().StringVarP(&f.selector, "selector", "l", "", "Only rollouts whose labels match this selector, such as team=payments,tier!=batch")
	cmd.Flags().BoolVarP(&f.watch, "watch", "w", false, "After the table, print a line for each rollout that changes, until Ctrl-C")
	return cmd
}

// listRollouts runs `list rollouts`.
func (o *options) listRollouts(ctx context.Context, f listRolloutsFlags) error {
	sel, err := labels.Parse(f.selector)
	if err != nil {
		return fmt.Errorf("--selector %q is not a label selector (write it as kubectl's -l, such as app=web,tier!=batch): %w", f.selector, err)
	}
	ns := ""
	if !f.allNamespaces {
		if ns, err = o.namespace(); err != nil {
			return err
		}
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	if f.watch {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	set := &watchedSet{
		what:    "rollouts",
		newList: func() client.ObjectList { return &rampv1alpha1.RolloutList{} },
		opts:    []client.ListOption{client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}},
		keep:    func(obj client.Object) bool { return sel.Matches(labels.Set(obj.GetLabels())) },
	}
	if err := set.list(ctx, c); err != nil {
		if f.watch && ctx.Err() != nil {
			return nil
		}
		return listError(err, ns)
	}
	set.takeChanges()
	rollouts := typed[rampv1alpha1.Rollout](set.snapshot())
	if len(rollouts) == 0 && !f.watch {
		fmt.Fprintln(o.errOut, noRollouts(ns, f.selector))
		return nil
	}
	table := &view.RolloutTable{AllNamespaces: f.allNamespaces}
	if _, err := io.WriteString(o.out, table.Render(rollouts, o.viewOptions())); err != nil || !f.watch {
		return err
	}
	return o.watchRolloutList(ctx, c, set, table)
}

// watchRolloutList prints a line for each rollout of set that changes, once
// per burst of changes, until ctx ends.
func (o *options) watchRolloutList(ctx context.Context, c client.WithWatch, set *watchedSet, table *view.RolloutTable) error {
	changed, errs := followAll(ctx, c, []*watchedSet{set})
	last := map[client.ObjectKey]string{}
	for {
		ok, err := nextBurst(ctx, changed, errs, nil)
		if !ok || err != nil {
			return err
		}
		for _, ch := range set.takeChanges() {
			ro, isRollout := ch.obj.(*rampv1alpha1.Rollout)
			if !isRollout {
				continue
			}
			key := client.ObjectKeyFromObject(ro)
			line := table.Line(ro, ch.deleted, o.viewOptions())
			if line == last[key] {
				continue
			}
			last[key] = line
			if _, err := io.WriteString(o.out, line); err != nil {
				return err
			}
		}
	}
}

// listError explains a failed list: RBAC names the verb and resource
// needed.
func listError(err error, ns string) error {
	if apierrors.IsForbidden(err) {
		where := fmt.Sprintf("in namespace %q", ns)
		if ns == "" {
			where = "in every namespace (-A)"
		}
		return fmt.Errorf("you may not list rollouts %s: the verb list on rollouts (API group ramp.dev) is needed; ask for a role that grants it: %w", where, err)
	}
	return err
}

// noRollouts says that the list is empty, as kubectl does.
func noRollouts(ns, selector string) string {
	where := "in any namespace"
	if ns != "" {
		where = fmt.Sprintf("in namespace %q", ns)
	}
	if selector != "" {
		return fmt.Sprintf("No rollouts matching %q found %s.", selector, where)
	}
	return fmt.Sprintf("No rollouts found %s.", where)
}
