package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// This file holds the commands that change a Rollout's spec: undo,
// restart and set image.

func init() {
	commands = append(commands, newUndoCommand, newRestartCommand, newSetCommand)
}

func newUndoCommand(o *options) *cobra.Command {
	var to int64
	cmd := &cobra.Command{
		Use:               "undo NAME",
		Short:             "Roll back to the previous revision, or to --to-revision N",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.undo(cmd.Context(), args[0], to)
		},
	}
	cmd.Flags().Int64Var(&to, "to-revision", 0, "The revision to go back to (see kubectl ramp get rollout); 0 is the one before the current")
	return cmd
}

// revision is one ReplicaSet of a Rollout and its revision number.
type revision struct {
	number int64
	rs     *appsv1.ReplicaSet
}

// revisionsOf lists the ReplicaSets the Rollout controls, oldest first.
func revisionsOf(ctx context.Context, c client.Client, ro *rampv1alpha1.Rollout) ([]revision, error) {
	var list appsv1.ReplicaSetList
	if err := c.List(ctx, &list, client.InNamespace(ro.Namespace)); err != nil {
		return nil, fmt.Errorf("list replica sets: %w", err)
	}
	var out []revision
	for i := range list.Items {
		rs := &list.Items[i]
		if ref := metav1.GetControllerOf(rs); ref == nil || ref.UID != ro.UID {
			continue
		}
		n, err := strconv.ParseInt(rs.Annotations[rampv1alpha1.AnnotationRevision], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, revision{number: n, rs: rs})
	}
	slices.SortFunc(out, func(a, b revision) int { return int(a.number - b.number) })
	return out, nil
}

// undo copies the pod template of an older revision into spec.template.
func (o *options) undo(ctx context.Context, name string, to int64) error {
	c, _, ro, err := o.getRollout(ctx, name)
	if err != nil {
		return err
	}
	if ro.Spec.WorkloadRef != nil {
		return fmt.Errorf("cannot undo rollout %q: its pod template comes from Deployment %q (spec.workloadRef); change the Deployment instead",
			name, ro.Spec.WorkloadRef.Name)
	}
	revs, err := revisionsOf(ctx, c, ro)
	if err != nil {
		return err
	}
	target, err := undoTarget(revs, ro.Status.CurrentPodHash, to)
	if err != nil {
		return fmt.Errorf("cannot undo rollout %q: %w", name, err)
	}
	tmpl, err := revisionTemplate(target.rs)
	if err != nil {
		return fmt.Errorf("cannot undo rollout %q: %w", name, err)
	}
	data, err := json.Marshal(tmpl)
	if err != nil {
		return fmt.Errorf("encode the pod template of revision %d: %w", target.number, err)
	}
	return o.apply(ctx, name, action{verb: "undo", done: fmt.Sprintf("rolled back to revision %d", target.number),
		check: func(*rampv1alpha1.Rollout) error { return nil },
		// The whole template is replaced (a merge patch would keep labels
		// or annotations the newer revision added), with the version read
		// as a precondition.
		patch: func(ro *rampv1alpha1.Rollout) (client.Patch, error) {
			return client.RawPatch(types.JSONPatchType, fmt.Appendf(nil,
				`[{"op":"replace","path":"/metadata/resourceVersion","value":%q},{"op":"replace","path":"/spec/template","value":%s}]`,
				ro.ResourceVersion, data)), nil
		},
	})
}

// undoTarget picks the revision to go back to: to, or the newest one older
// than the current revision.
func undoTarget(revs []revision, current string, to int64) (revision, error) {
	numbers := make([]string, 0, len(revs))
	var cur int64
	for _, r := range revs {
		numbers = append(numbers, strconv.FormatInt(r.number, 10))
		if r.rs.Labels[rampv1alpha1.LabelPodTemplateHash] == current {
			cur = r.number
		}
	}
	if to > 0 {
		for _, r := range revs {
			if r.number == to {
				if r.number == cur {
					return revision{}, fmt.Errorf("revision %d is the current one", to)
				}
				return r, nil
			}
		}
		return revision{}, fmt.Errorf("revision %d not found; the revisions kept are %s (spec.revisionHistoryLimit)", to, strings.Join(numbers, ", "))
	}
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].number < cur {
			return revs[i], nil
		}
	}
	return revision{}, errors.New("there is no revision before the current one")
}

// revisionTemplate is the Rollout pod template of a revision: as the
// controller recorded it (AnnotationPodTemplate), or else the ReplicaSet's
// template without the hash label and role metadata.
func revisionTemplate(rs *appsv1.ReplicaSet) (*corev1.PodTemplateSpec, error) {
	if raw := rs.Annotations[rampv1alpha1.AnnotationPodTemplate]; raw != "" {
		tmpl := &corev1.PodTemplateSpec{}
		if err := json.Unmarshal([]byte(raw), tmpl); err != nil {
			return nil, fmt.Errorf("read annotation %s of replica set %s: %w", rampv1alpha1.AnnotationPodTemplate, rs.Name, err)
		}
		return tmpl, nil
	}
	tmpl := rs.Spec.Template.DeepCopy()
	delete(tmpl.Labels, rampv1alpha1.LabelPodTemplateHash)
	var role rampv1alpha1.PodTemplateMetadata
	if raw := rs.Annotations[rampv1alpha1.AnnotationRoleMetadata]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &role); err != nil {
			return nil, fmt.Errorf("read annotation %s of replica set %s: %w", rampv1alpha1.AnnotationRoleMetadata, rs.Name, err)
		}
	}
	for k := range role.Labels {
		delete(tmpl.Labels, k)
	}
	for k := range role.Annotations {
		delete(tmpl.Annotations, k)
	}
	return tmpl, nil
}

func newRestartCommand(o *options) *cobra.Command {
	var in time.Duration
	cmd := &cobra.Command{
		Use:               "restart NAME",
		Short:             "Replace every pod, a few at a time (sets spec.restartAt)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			if in < 0 {
				return fmt.Errorf("--in %s: the delay cannot be negative", in)
			}
			at := metav1.NewTime(o.now().Add(in).Truncate(time.Second).Add(time.Second))
			when := "now"
			if in > 0 {
				when = "at " + at.UTC().Format(time.RFC3339)
			}
			return o.apply(cmd.Context(), args[0], action{verb: "restart", done: "restarting its pods " + when,
				check: func(*rampv1alpha1.Rollout) error { return nil },
				patch: merge(fmt.Sprintf(`"spec":{"restartAt":%q}`, at.UTC().Format(time.RFC3339))),
			})
		},
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
			return o.setImages(cmd.Context(), args[0], images)
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

// setImages writes the images into the containers and init containers of
// spec.template.
func (o *options) setImages(ctx context.Context, name string, images map[string]string) error {
	var tmpl *corev1.PodTemplateSpec
	return o.apply(ctx, name, action{verb: "set the image of", done: "image updated",
		check: func(ro *rampv1alpha1.Rollout) error {
			if ro.Spec.WorkloadRef != nil || ro.Spec.Template == nil {
				return errors.New("its pod template comes from a Deployment (spec.workloadRef); set the image there")
			}
			var err error
			tmpl, err = withImages(ro.Spec.Template, images)
			return err
		},
		patch: func(ro *rampv1alpha1.Rollout) (client.Patch, error) {
			data, err := json.Marshal(tmpl.Spec)
			if err != nil {
				return nil, fmt.Errorf("encode the pod spec: %w", err)
			}
			return mergePatch(ro, fmt.Sprintf(`"spec":{"template":{"spec":%s}}`, data)), nil
		},
	})
}

// withImages returns a copy of tmpl with the images set: by container
// name, or "*" for every container and init container.
func withImages(tmpl *corev1.PodTemplateSpec, images map[string]string) (*corev1.PodTemplateSpec, error) {
	out := tmpl.DeepCopy()
	found := map[string]bool{}
	var names []string
	for _, list := range [][]corev1.Container{out.Spec.InitContainers, out.Spec.Containers} {
		for i := range list {
			names = append(names, list[i].Name)
			if img, ok := images[list[i].Name]; ok {
				list[i].Image, found[list[i].Name] = img, true
			} else if img, ok := images["*"]; ok {
				list[i].Image, found["*"] = img, true
			}
		}
	}
	for k := range images {
		if !found[k] {
			return nil, fmt.Errorf("it has no container %q; its containers are %s", k, strings.Join(names, ", "))
		}
	}
	return out, nil
}
