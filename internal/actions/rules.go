package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/rolloutinfo"
)

// builders make each action's plan for a Rollout as read.
var builders = map[string]func(*rampv1alpha1.Rollout, Options) plan{
	Promote: func(ro *rampv1alpha1.Rollout, _ Options) plan {
		return plan{done: "promoted", patch: merge(ro, `"status":{"pauseConditions":null}`), check: func() error {
			switch {
			case ro.Status.Abort:
				return errAborted
			case ro.Spec.Paused:
				return errors.New("it is paused by spec.paused; resume it to let it go on")
			case len(ro.Status.PauseConditions) == 0 && !inFlight(ro):
				return errNoUpdate
			case len(ro.Status.PauseConditions) == 0:
				return errors.New("it is not paused (it moves on by itself); promote it fully to skip the remaining steps")
			}
			return nil
		}}
	},
	PromoteFull: func(ro *rampv1alpha1.Rollout, _ Options) plan {
		return plan{done: "promoted to the end of its steps (--full)", patch: merge(ro, `"status":{"promoteFull":true,"pauseConditions":null}`),
			check: func() error {
				switch {
				case !inFlight(ro):
					return errNoUpdate
				case ro.Status.Abort:
					return errAborted
				}
				return nil
			}}
	},
	Abort: func(ro *rampv1alpha1.Rollout, o Options) plan {
		by := o.AbortedBy
		if by == "" {
			by = "kubectl ramp abort"
		}
		return plan{done: "aborted: going back to the stable version", patch: merge(ro, fmt.Sprintf(`"status":{"abort":true,"abortedBy":%q}`, by)),
			check: func() error {
				switch {
				case !inFlight(ro):
					return errNoUpdate
				case ro.Status.Abort:
					return errors.New("it is aborted already; retry it to start the update again")
				}
				return nil
			}}
	},
	Retry: func(ro *rampv1alpha1.Rollout, _ Options) plan {
		return plan{done: "retrying the update from its first step", patch: merge(ro, `"status":{"abort":false,"abortedBy":null}`),
			check: func() error {
				if !ro.Status.Abort {
					return errors.New("it is not aborted; only an aborted update can be retried")
				}
				return nil
			}}
	},
	Pause: func(ro *rampv1alpha1.Rollout, _ Options) plan {
		return plan{done: "paused (spec.paused: true)", patch: merge(ro, `"spec":{"paused":true}`), check: func() error {
			if ro.Spec.Paused {
				return errors.New("it is paused already")
			}
			return nil
		}}
	},
	Resume: func(ro *rampv1alpha1.Rollout, _ Options) plan {
		return plan{done: "resumed (spec.paused: false)", patch: merge(ro, `"spec":{"paused":false}`), check: func() error {
			switch {
			case ro.Spec.Paused:
				return nil
			case len(ro.Status.PauseConditions) > 0:
				return errors.New("it was not paused by a person but waits at a pause of its own; promote it to move past it")
			}
			return errors.New("it is not paused")
		}}
	},
	Restart: func(ro *rampv1alpha1.Rollout, o Options) plan {
		// restartAt is stored in whole seconds: the next one, so that
		// every pod running now was created before it.
		at := o.Now().Add(o.RestartIn).Truncate(time.Second).Add(time.Second).UTC()
		when := "now"
		if o.RestartIn > 0 {
			when = "at " + at.Format(time.RFC3339)
		}
		return plan{done: "restarting its pods " + when, check: func() error { return nil },
			patch: merge(ro, fmt.Sprintf(`"spec":{"restartAt":%q}`, at.Format(time.RFC3339)))}
	},
	Undo: func(ro *rampv1alpha1.Rollout, o Options) plan {
		return plan{done: fmt.Sprintf("rolled back to revision %d", o.undoRevision), check: func() error { return nil },
			// The whole template is replaced (a merge patch would keep
			// labels or annotations the newer revision added).
			patch: func() (client.Patch, error) {
				return client.RawPatch(types.JSONPatchType, fmt.Appendf(nil,
					`[{"op":"replace","path":"/metadata/resourceVersion","value":%q},{"op":"replace","path":"/spec/template","value":%s}]`,
					ro.ResourceVersion, o.undoTemplate)), nil
			}}
	},
	SetImage: func(ro *rampv1alpha1.Rollout, o Options) plan {
		var tmpl *corev1.PodTemplateSpec
		return plan{done: "image updated",
			check: func() error {
				if ro.Spec.WorkloadRef != nil || ro.Spec.Template == nil {
					return errors.New("its pod template comes from a Deployment (spec.workloadRef); set the image there")
				}
				var err error
				tmpl, err = withImages(ro.Spec.Template, o.Images)
				return err
			},
			patch: func() (client.Patch, error) {
				data, err := json.Marshal(tmpl.Spec)
				if err != nil {
					return nil, fmt.Errorf("encode the pod spec: %w", err)
				}
				return merge(ro, fmt.Sprintf(`"spec":{"template":{"spec":%s}}`, data))()
			}}
	},
}

var (
	errNoUpdate = errors.New("no update is in flight (the current revision is the stable one)")
	errAborted  = errors.New("the update is aborted; retry it to start it again")
)

// inFlight reports whether an update is under way (not yet stable).
var inFlight = rolloutinfo.InFlight

// merge returns a merge patch of fields (such as "status":{...}) that also
// carries the resourceVersion read, so that a change made meanwhile fails
// it instead of being overwritten.
func merge(ro *rampv1alpha1.Rollout, fields string) func() (client.Patch, error) {
	return func() (client.Patch, error) {
		return client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"metadata":{"resourceVersion":%q},%s}`, ro.ResourceVersion, fields)), nil
	}
}

// withImages returns a copy of tmpl with the images set: by container
// name, or "*" for every container and init container.
func withImages(tmpl *corev1.PodTemplateSpec, images map[string]string) (*corev1.PodTemplateSpec, error) {
	if len(images) == 0 {
		return nil, errors.New("no image given")
	}
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
