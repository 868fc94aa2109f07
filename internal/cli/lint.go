package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/internal/cli/lint"
)

func init() { commands = append(commands, newLintCommand) }

// lintFlags are the flags of kubectl ramp lint.
type lintFlags struct {
	// files are the -f arguments: files, directories or - for stdin.
	files []string
	// strict makes warnings fail the lint too.
	strict bool
	// cluster looks references the files miss up in the cluster.
	cluster bool
}

// newLintCommand returns `kubectl ramp lint`.
func newLintCommand(o *options) *cobra.Command {
	f := &lintFlags{}
	cmd := &cobra.Command{
		Use:   "lint -f FILE|DIR|- [-f ...]",
		Short: "Check Ramp manifests before applying them: schema, CEL rules and references",
		Long: `Check Rollouts, AnalysisTemplates, ClusterAnalysisTemplates, RolloutProfiles
and ClusterRolloutProfiles without a cluster.

Each object is checked against the schema and CEL rules of Ramp's CRDs, with
the API server's own validators, so lint rejects what kubectl apply would.
Then lint checks what no API server does, among all the files given:
templates, Services, routes and profiles a strategy names exist; routes
carry both Services; every template argument without a default is passed;
metric conditions parse; and the steps make sense. Objects of other kinds
are read for these checks only.

A weight that goes down from one setWeight to the next is a warning, unless
a header or mirror route step comes between them or the step carries a YAML
comment that says why.

Objects that name no namespace are taken to be in the namespace of -n, or
default; with --cluster, in the kubeconfig context's namespace.

Each finding is one line, file:line: field: message, sorted by file and line.
The exit code is 1 when there are errors (or, with --strict, warnings), 0
otherwise. With --cluster, references missing from the files are looked up
in the cluster of the kubeconfig (choose one with --context; in this command
--cluster is this switch, not kubectl's --cluster).`,
		Example: `  # Check a directory of manifests, recursively
  kubectl ramp lint -f deploy/

  # Check what a template renders
  helm template my-app ./chart | kubectl ramp lint -f -

  # Fail on warnings too, and resolve references in the current cluster
  kubectl ramp lint -f rollout.yaml -f templates/ --strict --cluster`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("lint reads the files given with -f; write kubectl ramp lint -f %s", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLint(cmd.Context(), o, f)
		},
	}
	cmd.Flags().StringSliceVarP(&f.files, "filename", "f", nil, "File, directory (read recursively) or - (stdin) holding the manifests; repeat for more")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "Exit 1 on warnings as well as errors")
	cmd.Flags().BoolVar(&f.cluster, "cluster", false, "Look up templates, Services, routes and profiles missing from the files in the cluster")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// runLint lints the files and prints the findings.
func runLint(ctx context.Context, o *options, f *lintFlags) error {
	sources, err := lint.ReadSources(f.files, o.in)
	if err != nil {
		return err
	}
	opts := lint.Options{}
	if ns := o.flags.Namespace; ns != nil {
		opts.Namespace = *ns
	}
	if f.cluster {
		c, err := o.client()
		if err != nil {
			return err
		}
		if opts.Namespace, err = o.namespace(); err != nil {
			return err
		}
		opts.Cluster = lintCluster{c: c}
	}
	findings, err := lint.Lint(ctx, sources, opts)
	if err != nil {
		return err
	}
	for _, finding := range findings {
		fmt.Fprintln(o.out, finding)
	}
	errs, warnings := lint.Count(findings)
	if errs > 0 || (f.strict && warnings > 0) {
		return exitWith(1, "lint found %s and %s", lintPlural(errs, "error"), lintPlural(warnings, "warning"))
	}
	if warnings > 0 {
		fmt.Fprintf(o.errOut, "lint found %s\n", lintPlural(warnings, "warning"))
	}
	return nil
}

// lintPlural writes a count and a noun, with an s when the count is not one.
func lintPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// lintCluster answers lint's lookups from the cluster.
type lintCluster struct {
	c client.Client
}

// Get reads an object as unstructured content; nil when it does not exist
// or its kind is not served (Istio or Gateway API not installed).
func (lc lintCluster) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (map[string]any, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := lc.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	switch {
	case apierrors.IsNotFound(err), meta.IsNoMatchError(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get %s %s: %w", gvk.Kind, name, err)
	}
	return u.Object, nil
}
