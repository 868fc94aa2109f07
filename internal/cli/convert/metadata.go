package convert

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// serverFields are metadata fields the API server wrote for the Argo
// object; a new object must be created without them.
var serverFields = []string{
	"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
	"deletionGracePeriodSeconds", "managedFields", "selfLink",
}

// metadata converts the object's metadata. Fields the API server wrote and
// Argo Rollouts' own annotations are dropped; the rest is kept as is.
func (c *converter) metadata(root *object) metav1.ObjectMeta {
	var meta metav1.ObjectMeta
	o := root.child("metadata")
	if o == nil {
		return meta
	}
	var dropped []string
	for _, k := range o.keys() {
		if slices.Contains(serverFields, k) {
			o.take(k)
			dropped = append(dropped, k)
		}
	}
	rest := map[string]any{}
	if a := o.child("annotations"); a != nil {
		kept := map[string]any{}
		for _, k := range a.keys() {
			v, at := a.m[k], a.at.key(k)
			switch {
			case k == "kubectl.kubernetes.io/last-applied-configuration":
				dropped = append(dropped, "the annotation "+k)
			case strings.HasPrefix(k, "notifications.argoproj.io/"):
				c.warn(at, "Ramp sends no notifications; dropped (follow the Rollout's Events and conditions instead)")
			case strings.HasPrefix(k, "rollout.argoproj.io/"), strings.HasPrefix(k, "argo-rollouts.argoproj.io/"):
				c.warn(at, "Argo Rollouts' own annotation means nothing to Ramp; dropped")
			default:
				kept[k] = v
			}
		}
		if len(kept) > 0 {
			rest["annotations"] = kept
		}
	}
	if len(dropped) > 0 {
		c.warn(o.at, "dropped %s: the API server wrote them for the Argo object", strings.Join(dropped, ", "))
	}
	for _, k := range o.keys() {
		if !o.used[k] {
			rest[k] = o.m[k]
			o.used[k] = true
		}
	}
	c.decodeValue(o.at, rest, &meta)
	return meta
}
