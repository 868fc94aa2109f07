package istio

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// The router reads VirtualServices and DestinationRules and patches their
// weights, managed routes and subset labels; it never creates or deletes
// one.
// +kubebuilder:rbac:groups=networking.istio.io,resources=virtualservices;destinationrules,verbs=get;list;watch;patch

// The kinds of object the router reads and patches.
var (
	virtualServiceKind  = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	destinationRuleKind = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"}
)

// Plugin describes the Istio router to the controller.
var Plugin = trafficrouting.Plugin{
	Name:    Name,
	New:     New,
	Kinds:   []schema.GroupVersionKind{virtualServiceKind, destinationRuleKind},
	Objects: objects,
}

// objects lists the VirtualServices and the DestinationRule routing names.
func objects(routing *rampv1alpha1.RolloutTrafficRouting) []trafficrouting.ObjectRef {
	if routing == nil || routing.Istio == nil {
		return nil
	}
	var out []trafficrouting.ObjectRef
	for _, vs := range routing.Istio.VirtualServices {
		out = append(out, trafficrouting.ObjectRef{Kind: virtualServiceKind.GroupKind(), Name: vs.Name})
	}
	if dr := routing.Istio.DestinationRule; dr != nil {
		out = append(out, trafficrouting.ObjectRef{Kind: destinationRuleKind.GroupKind(), Name: dr.Name})
	}
	return out
}
