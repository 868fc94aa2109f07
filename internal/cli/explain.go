package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/profile"
)

func init() { commands = append(commands, newExplainStrategyCommand) }

// newExplainStrategyCommand is `kubectl ramp explain-strategy NAME`.
func newExplainStrategyCommand(o *options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "explain-strategy NAME",
		Short: "Print the strategy a rollout runs with: its spec.strategy laid over its profile's",
		Long: `Print the effective strategy of a rollout: its own spec.strategy laid over the
strategy of the RolloutProfile or ClusterRolloutProfile it names (or of the
namespace's default ClusterRolloutProfile), field by field, the rollout's
fields winning and lists replaced whole.

Comment lines above the YAML say where it comes from. The controller reads
the profile when a revision starts and records it in status.profile; that
record is used until the next revision, so editing the profile never changes
a revision in flight. When the status holds no record for the current
revision yet, the profile is read from the cluster as it is now.

A profile that does not exist, or whose kind (canary or blue-green) does not
fit the rollout's, is an error. With -o json the strategy is printed in an
object that also names the rollout, the revision and the profile.`,
		Example: `  kubectl ramp explain-strategy web
  kubectl ramp explain-strategy web -n shop -o json | jq .strategy`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("name one rollout: kubectl ramp explain-strategy NAME (got %d arguments)", len(args))
			}
			return nil
		},
		ValidArgsFunction: o.completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.explainStrategy(cmd.Context(), args[0], output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "yaml (with comments saying where the strategy comes from) or json")
	return cmd
}

// Where an effective strategy's profile was read.
const (
	// sourceNone: no profile; spec.strategy as written.
	sourceNone = "none"
	// sourceRecorded: the profile status.profile records for the current
	// revision.
	sourceRecorded = "recorded"
	// sourceCluster: the profile read from the cluster now, the status
	// holding no record for the current revision.
	sourceCluster = "cluster"
)

// explanation is an effective strategy and where it comes from; it is
// also what -o json prints.
type explanation struct {
	// Rollout and Namespace name the rollout.
	Rollout   string `json:"rollout"`
	Namespace string `json:"namespace"`
	// Revision is the pod template hash of the current revision
	// (status.currentPodHash); empty before the controller started one.
	Revision string `json:"revision,omitempty"`
	// Source is none, recorded or cluster.
	Source string `json:"source"`
	// Profile is the profile the strategy comes from; null for none.
	Profile *explainedProfile `json:"profile"`
	// Strategy is the effective strategy.
	Strategy rampv1alpha1.RolloutStrategy `json:"strategy"`
}

// explainedProfile names a profile and the generation of it read.
type explainedProfile struct {
	Kind       rampv1alpha1.ProfileKind `json:"kind"`
	Name       string                   `json:"name"`
	Generation int64                    `json:"generation"`
	// Default is true for the namespace's default ClusterRolloutProfile.
	Default bool `json:"default"`
}

// explainStrategy runs `explain-strategy`.
func (o *options) explainStrategy(ctx context.Context, name, output string) error {
	if output != "yaml" && output != "json" {
		return fmt.Errorf("--output %q is not supported: use -o yaml (the default) or -o json", output)
	}
	c, _, ro, err := o.getRollout(ctx, name)
	if err != nil {
		return err
	}
	ex, err := o.explain(ctx, c, ro)
	if err != nil {
		return err
	}
	if output == "json" {
		b, err := json.MarshalIndent(ex, "", "  ")
		if err != nil {
			return fmt.Errorf("print the strategy as json: %w", err)
		}
		_, err = fmt.Fprintf(o.out, "%s\n", b)
		return err
	}
	b, err := yaml.Marshal(ex.Strategy)
	if err != nil {
		return fmt.Errorf("print the strategy as yaml: %w", err)
	}
	_, err = io.WriteString(o.out, ex.comments()+string(b))
	return err
}

// explain works out ro's effective strategy: from the profile record of
// the current revision when the status holds one, else from the profile
// as it is in the cluster now.
func (o *options) explain(ctx context.Context, c client.Client, ro *rampv1alpha1.Rollout) (*explanation, error) {
	ex := &explanation{Rollout: ro.Name, Namespace: ro.Namespace, Revision: ro.Status.CurrentPodHash, Source: sourceNone}
	ref, rec := ro.Spec.Strategy.ProfileRef, ro.Status.Profile
	var (
		strategy *rampv1alpha1.ProfileStrategy
		field    = "spec.strategy.profileRef"
	)
	switch {
	case recordedForRevision(ro):
		ex.Source = sourceRecorded
		ex.Profile = &explainedProfile{Kind: kindOf(rec.Kind), Name: rec.Name, Generation: rec.Generation, Default: rec.Default}
		strategy = rec.Strategy
	case ref != nil:
		p, st, err := readProfile(ctx, c, ro, kindOf(ref.Kind), ref.Name)
		if err != nil {
			return nil, err
		}
		ex.Source, ex.Profile, strategy = sourceCluster, p, st
	case ro.Status.CurrentPodHash == "" || (rec != nil && rec.PodTemplateHash != ro.Status.CurrentPodHash):
		// The controller has not chosen a profile for this revision yet
		// (a revision that started without one keeps none): a namespace
		// default may apply.
		p, st, err := o.namespaceDefault(ctx, c, ro)
		if err != nil {
			return nil, err
		}
		if p != nil {
			ex.Source, ex.Profile, strategy = sourceCluster, p, st
			field = "the namespace's default profile"
		}
	}
	eff, err := profile.Effective(ro.Spec.Strategy, strategy)
	var clash *profile.ClashError
	if errors.As(err, &clash) {
		return nil, fmt.Errorf("rollout %q: %s: %s %q %s", ro.Name, field, ex.Profile.Kind, ex.Profile.Name, clash.Message)
	}
	if err != nil {
		return nil, err
	}
	ex.Strategy = eff
	return ex, nil
}

// recordedForRevision tells whether status.profile is the record of the
// current revision for the profile the rollout uses now: the one
// spec.strategy.profileRef names, or, naming none, a namespace default.
// The controller reads a profile again when profileRef names another.
func recordedForRevision(ro *rampv1alpha1.Rollout) bool {
	if !profile.Recorded(ro) {
		return false
	}
	rec, ref := ro.Status.Profile, ro.Spec.Strategy.ProfileRef
	if ref == nil {
		return rec.Default
	}
	return kindOf(ref.Kind) == kindOf(rec.Kind) && ref.Name == rec.Name
}

// kindOf is a profile kind with profileRef's default, RolloutProfile.
func kindOf(k rampv1alpha1.ProfileKind) rampv1alpha1.ProfileKind {
	if k == "" {
		return rampv1alpha1.ProfileKindNamespaced
	}
	return k
}

// readProfile reads the profile kind/name that ro names from the cluster.
func readProfile(ctx context.Context, c client.Client, ro *rampv1alpha1.Rollout, kind rampv1alpha1.ProfileKind, name string) (*explainedProfile, *rampv1alpha1.ProfileStrategy, error) {
	var (
		obj      client.Object
		strategy *rampv1alpha1.ProfileStrategy
		key      = client.ObjectKey{Name: name}
		resource = "clusterrolloutprofiles"
		where    = ""
	)
	switch kind {
	case rampv1alpha1.ProfileKindCluster:
		p := &rampv1alpha1.ClusterRolloutProfile{}
		obj, strategy = p, &p.Spec.Strategy
	case rampv1alpha1.ProfileKindNamespaced:
		p := &rampv1alpha1.RolloutProfile{}
		obj, strategy = p, &p.Spec.Strategy
		key.Namespace, resource, where = ro.Namespace, "rolloutprofiles", fmt.Sprintf(" in namespace %q", ro.Namespace)
	default:
		return nil, nil, fmt.Errorf("rollout %q: spec.strategy.profileRef.kind %q is not a profile kind: write RolloutProfile or ClusterRolloutProfile", ro.Name, kind)
	}
	if err := c.Get(ctx, key, obj); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return nil, nil, fmt.Errorf("%s %q not found%s: rollout %q names it in spec.strategy.profileRef; create it, or fix the name "+
				"(until then the controller stalls the rollout and the stable version keeps running)", kind, name, where, ro.Name)
		case apierrors.IsForbidden(err):
			return nil, nil, fmt.Errorf("you may not read %s %q: the verb get on %s (API group ramp.dev)%s is needed: %w", kind, name, resource, where, err)
		case meta.IsNoMatchError(err):
			return nil, nil, fmt.Errorf("the cluster does not serve %ss: install or upgrade Ramp's CRDs: %w", kind, err)
		}
		return nil, nil, fmt.Errorf("get %s %q: %w", kind, name, err)
	}
	return &explainedProfile{Kind: kind, Name: name, Generation: obj.GetGeneration()}, strategy, nil
}

// namespaceDefault finds the ClusterRolloutProfile that is the default of
// ro's namespace, as the controller does: one whose namespaceSelector
// selects the namespace and whose kind fits ro's inline strategy. Nil
// without one; two are an error. When the cluster does not let this be
// checked, a warning says so and no default is assumed.
func (o *options) namespaceDefault(ctx context.Context, c client.Client, ro *rampv1alpha1.Rollout) (*explainedProfile, *rampv1alpha1.ProfileStrategy, error) {
	warn := func(what string, err error) (*explainedProfile, *rampv1alpha1.ProfileStrategy, error) {
		fmt.Fprintf(o.errOut, "warning: could not check for a default profile of namespace %q (%s: %v); showing spec.strategy as written\n",
			ro.Namespace, what, err)
		return nil, nil, nil
	}
	var list rampv1alpha1.ClusterRolloutProfileList
	if err := c.List(ctx, &list); err != nil {
		if apierrors.IsForbidden(err) || meta.IsNoMatchError(err) {
			return warn("list clusterrolloutprofiles", err)
		}
		return nil, nil, fmt.Errorf("list cluster rollout profiles: %w", err)
	}
	candidates := profile.DefaultCandidates(ro.Spec.Strategy, list.Items)
	if len(candidates) == 0 {
		return nil, nil, nil
	}
	ns := &corev1.Namespace{}
	if err := c.Get(ctx, client.ObjectKey{Name: ro.Namespace}, ns); err != nil {
		if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
			return warn("get namespace", err)
		}
		return nil, nil, fmt.Errorf("get namespace %q: %w", ro.Namespace, err)
	}
	chosen := profile.Defaults(candidates, ns.Labels)
	switch len(chosen) {
	case 0:
		return nil, nil, nil
	case 1:
		p := chosen[0]
		return &explainedProfile{Kind: rampv1alpha1.ProfileKindCluster, Name: p.Name, Generation: p.Generation, Default: true},
			&p.Spec.Strategy, nil
	}
	return nil, nil, fmt.Errorf("namespace %q is selected by the default ClusterRolloutProfiles %s: name one in spec.strategy.profileRef "+
		"of rollout %q, or narrow their namespaceSelectors", ro.Namespace, profile.Names(chosen), ro.Name)
}

// comments are the lines printed above the YAML: which rollout and
// revision, and where the strategy comes from.
func (ex *explanation) comments() string {
	var b strings.Builder
	revision := "no revision yet: the controller has not reconciled it"
	if ex.Revision != "" {
		revision = "revision " + ex.Revision
	}
	fmt.Fprintf(&b, "# Effective strategy of rollout %s (%s)\n", ex.Rollout, oneLine(revision))
	if ex.Profile == nil {
		b.WriteString("# no profile: spec.strategy as written\n")
		return b.String()
	}
	p := ex.Profile
	from := oneLine(fmt.Sprintf("%s %s generation %s", p.Kind, p.Name, strconv.FormatInt(p.Generation, 10)))
	if p.Default {
		from += " (the namespace's default)"
	}
	if ex.Source == sourceRecorded {
		fmt.Fprintf(&b, "# from %s, recorded when the revision started; fields set in the Rollout win\n", from)
		return b.String()
	}
	fmt.Fprintf(&b, "# from %s as it is now (the controller has not recorded it for this revision yet)\n", from)
	b.WriteString("# fields set in the Rollout win\n")
	return b.String()
}

// oneLine keeps text from the cluster on its comment line.
var oneLine = strings.NewReplacer("\n", " ", "\r", " ").Replace
