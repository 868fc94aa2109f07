package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/cli/view"
)

// init registers the command with the root command.
func init() {
	commands = append(commands, newGetCommand)
}

// newGetCommand is `kubectl ramp get`, the parent of `get rollout`.
func newGetCommand(o *options) *cobra.Command {
	get := &cobra.Command{
		Use:   "get",
		Short: "Show one object in detail",
		Args:  cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			return kindMissing("get rollout NAME", args)
		},
	}
	get.AddCommand(newGetRolloutCommand(o))
	return get
}

// kindMissing is the error of `get` or `list` run without a kind, or
// with one they do not know; usage shows the command to run instead.
func kindMissing(usage string, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("name what to show: kubectl ramp %s", usage)
	}
	return fmt.Errorf("unknown kind %q: kubectl ramp %s", args[0], usage)
}

// getRolloutFlags are the flags of `get rollout`.
type getRolloutFlags struct {
	// watch redraws on every change until Ctrl-C or the Rollout is deleted.
	watch bool
	// output is "", "yaml" or "json".
	output string
}

// newGetRolloutCommand is `kubectl ramp get rollout NAME`.
func newGetRolloutCommand(o *options) *cobra.Command {
	var f getRolloutFlags
	cmd := &cobra.Command{
		Use:     "rollout NAME",
		Aliases: []string{"ro", "rollouts"},
		Short:   "Show a rollout: its status, step and weights, then its revisions, pods and analysis runs",
		Long: `Show a rollout: its status and message, strategy (with the profile it comes
from, if any), step and weights, images by role and replica counts, then a
tree of its revisions, newest first: each revision's ReplicaSet with its
pods, and its AnalysisRuns with the metric that decided them.

The strategy shown is the effective one: spec.strategy laid over the profile
strategy the controller recorded for the current revision (see kubectl ramp
explain-strategy). With --watch the view is drawn again on every change (in
place on a terminal) until Ctrl-C or until the rollout is deleted. With
-o yaml or -o json the Rollout object is printed as kubectl prints it.`,
		Example: `  kubectl ramp get rollout web
  kubectl ramp get ro web -n shop --watch
  kubectl ramp get rollout web -o yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("name one rollout: kubectl ramp get rollout NAME (got %d arguments)", len(args))
			}
			return nil
		},
		ValidArgsFunction: o.completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.showRollout(cmd.Context(), args[0], f)
		},
	}
	cmd.Flags().BoolVarP(&f.watch, "watch", "w", false, "Draw the rollout again on every change, until Ctrl-C or until it is deleted")
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "Print the Rollout object instead of the tree: yaml or json")
	return cmd
}

// showRollout runs `get rollout`.
func (o *options) showRollout(ctx context.Context, name string, f getRolloutFlags) error {
	switch {
	case f.output != "" && f.output != "yaml" && f.output != "json":
		return fmt.Errorf("--output %q is not supported: use -o yaml or -o json, or leave it out for the tree", f.output)
	case f.output != "" && f.watch:
		return errors.New("--watch draws the tree and cannot be used with --output; " +
			"to follow the object itself, use kubectl get rollouts.ramp.dev NAME -o yaml --watch")
	}
	if f.watch {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	c, _, ro, err := o.getRollout(ctx, name)
	if err != nil {
		if f.watch && ctx.Err() != nil {
			return nil
		}
		return err
	}
	if f.output != "" {
		return printObject(o.out, ro, f.output)
	}
	w := newRolloutWatch(ro)
	for _, s := range w.sets() {
		if err := s.list(ctx, c); err != nil {
			if f.watch && ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	if !f.watch {
		objs, _ := w.objects()
		_, err := io.WriteString(o.out, view.Rollout(objs, o.viewOptions()))
		return err
	}
	return o.watchRollout(ctx, c, w)
}

// viewOptions are the rendering options of this run: the time now and
// whether to color.
func (o *options) viewOptions() view.Options {
	return view.Options{Now: o.now(), Color: o.color()}
}

// watchRollout draws the rollout of w, then again after every burst of
// changes (and every second on a terminal, so ages move), until ctx ends
// or the rollout is deleted.
func (o *options) watchRollout(ctx context.Context, c client.WithWatch, w *rolloutWatch) error {
	scr := newScreen(o.out)
	draw := func() (bool, error) {
		objs, ok := w.objects()
		if !ok {
			_, err := fmt.Fprintf(o.out, "\nrollout %q was deleted from namespace %q\n", w.name, w.namespace)
			return false, err
		}
		return true, scr.show(view.Rollout(objs, o.viewOptions()))
	}
	if more, err := draw(); !more || err != nil {
		return err
	}
	changed, errs := followAll(ctx, c, w.sets())
	var tick <-chan time.Time
	if scr.isTerminal() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		ok, err := nextBurst(ctx, changed, errs, tick)
		if !ok || err != nil {
			return err
		}
		if more, err := draw(); !more || err != nil {
			return err
		}
	}
}

// rolloutWatch holds the objects `get rollout` shows: the Rollout, its
// ReplicaSets, their pods and its AnalysisRuns.
type rolloutWatch struct {
	name, namespace                  string
	rollout, replicaSets, pods, runs *watchedSet
}

// newRolloutWatch selects the objects of ro: the Rollout by name; the
// ReplicaSets and pods by the rollout's pod selector (which only Ramp's
// pods match, having the pod template hash label); the AnalysisRuns by
// their rollout label.
func newRolloutWatch(ro *rampv1alpha1.Rollout) *rolloutWatch {
	ns, name := ro.Namespace, ro.Name
	pods := client.MatchingLabelsSelector{Selector: podSelector(ro)}
	return &rolloutWatch{
		name: name, namespace: ns,
		rollout: &watchedSet{
			what:    fmt.Sprintf("rollout %q", name),
			newList: func() client.ObjectList { return &rampv1alpha1.RolloutList{} },
			opts: []client.ListOption{client.InNamespace(ns),
				client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", name)}},
			keep: func(obj client.Object) bool { return obj.GetName() == name },
		},
		replicaSets: &watchedSet{
			what:    fmt.Sprintf("the replica sets of rollout %q", name),
			newList: func() client.ObjectList { return &appsv1.ReplicaSetList{} },
			opts:    []client.ListOption{client.InNamespace(ns), pods},
			keep: func(obj client.Object) bool {
				ref := metav1.GetControllerOf(obj)
				return ref != nil && ref.Kind == "Rollout" && ref.Name == name
			},
		},
		pods: &watchedSet{
			what:    fmt.Sprintf("the pods of rollout %q", name),
			newList: func() client.ObjectList { return &corev1.PodList{} },
			opts:    []client.ListOption{client.InNamespace(ns), pods},
			keep:    func(obj client.Object) bool { return pods.Matches(labels.Set(obj.GetLabels())) },
		},
		runs: &watchedSet{
			what:    fmt.Sprintf("the analysis runs of rollout %q", name),
			newList: func() client.ObjectList { return &rampv1alpha1.AnalysisRunList{} },
			opts:    []client.ListOption{client.InNamespace(ns), client.MatchingLabels{rampv1alpha1.LabelRollout: name}},
			keep:    func(obj client.Object) bool { return obj.GetLabels()[rampv1alpha1.LabelRollout] == name },
		},
	}
}

// sets are the watched sets, Rollout first.
func (w *rolloutWatch) sets() []*watchedSet {
	return []*watchedSet{w.rollout, w.replicaSets, w.pods, w.runs}
}

// objects returns what the view shows; ok is false once the Rollout is
// gone.
func (w *rolloutWatch) objects() (view.Objects, bool) {
	rollouts := typed[rampv1alpha1.Rollout](w.rollout.snapshot())
	if len(rollouts) == 0 {
		return view.Objects{}, false
	}
	return view.Objects{
		Rollout:      &rollouts[0],
		ReplicaSets:  typed[appsv1.ReplicaSet](w.replicaSets.snapshot()),
		Pods:         typed[corev1.Pod](w.pods.snapshot()),
		AnalysisRuns: typed[rampv1alpha1.AnalysisRun](w.runs.snapshot()),
	}, true
}

// podSelector selects the pods and ReplicaSets of ro: its selector (from
// spec, or from status with a workloadRef), narrowed to objects with
// Ramp's pod template hash label.
func podSelector(ro *rampv1alpha1.Rollout) labels.Selector {
	sel := labels.Everything()
	switch {
	case ro.Spec.Selector != nil:
		if s, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector); err == nil {
			sel = s
		}
	case ro.Status.Selector != "":
		if s, err := labels.Parse(ro.Status.Selector); err == nil {
			sel = s
		}
	}
	hashed, err := labels.NewRequirement(rampv1alpha1.LabelPodTemplateHash, selection.Exists, nil)
	if err != nil {
		return sel
	}
	return sel.Add(*hashed)
}

// printObject prints obj as kubectl get -o yaml|json does: with its
// apiVersion and kind, without managed fields.
func printObject(w io.Writer, obj runtime.Object, format string) error {
	var p printers.ResourcePrinter = &printers.YAMLPrinter{}
	if format == "json" {
		p = &printers.JSONPrinter{}
	}
	p = printers.NewTypeSetter(Scheme()).ToPrinter(&printers.OmitManagedFieldsPrinter{Delegate: p})
	if err := p.PrintObj(obj, w); err != nil {
		return fmt.Errorf("print the rollout as %s: %w", format, err)
	}
	return nil
}
