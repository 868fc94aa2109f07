package gatewayapi

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// The router reads routes and patches their weights and managed rules;
// it never creates or deletes a route.
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes;grpcroutes,verbs=get;list;watch;patch

// The kinds of route the router reads and patches.
var (
	httpRouteKind = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: kindHTTPRoute}
	grpcRouteKind = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: kindGRPCRoute}
)

// Plugin describes the Gateway API router to the controller.
var Plugin = trafficrouting.Plugin{
	Name:    "gatewayAPI",
	New:     New,
	Kinds:   []schema.GroupVersionKind{httpRouteKind, grpcRouteKind},
	Objects: objects,
}

// objects lists the routes routing names.
func objects(routing *rampv1alpha1.RolloutTrafficRouting) []trafficrouting.ObjectRef {
	if routing == nil || routing.GatewayAPI == nil {
		return nil
	}
	var out []trafficrouting.ObjectRef
	for _, r := range routing.GatewayAPI.HTTPRoutes {
		out = append(out, trafficrouting.ObjectRef{Kind: httpRouteKind.GroupKind(), Name: r.Name})
	}
	for _, r := range routing.GatewayAPI.GRPCRoutes {
		out = append(out, trafficrouting.ObjectRef{Kind: grpcRouteKind.GroupKind(), Name: r.Name})
	}
	return out
}
