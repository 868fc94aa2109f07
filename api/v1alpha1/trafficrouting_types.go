package v1alpha1

// RolloutTrafficRouting says which routes carry the traffic of a canary.
type RolloutTrafficRouting struct {
	// GatewayAPI moves weights in Gateway API HTTPRoutes.
	// +optional
	GatewayAPI *GatewayAPITrafficRouting `json:"gatewayAPI,omitempty"`

	// Istio moves weights in Istio VirtualServices.
	// +optional
	Istio *IstioTrafficRouting `json:"istio,omitempty"`

	// ManagedRoutes declares the header and mirror routes the steps may
	// add, in the order they take precedence. Ramp adds them before the
	// user's rules and removes them at promotion and abort.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	ManagedRoutes []ManagedRoute `json:"managedRoutes,omitempty"`
}

// ManagedRoute declares a route Ramp may add.
type ManagedRoute struct {
	// Name of the route, used by setHeaderRoute and setMirrorRoute steps.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`
}

// GatewayAPITrafficRouting names the Gateway API routes of a canary.
type GatewayAPITrafficRouting struct {
	// HTTPRoutes whose rules reference stableService and canaryService.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +required
	HTTPRoutes []GatewayAPIRoute `json:"httpRoutes"`

	// GRPCRoutes whose rules reference stableService and canaryService.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	GRPCRoutes []GatewayAPIRoute `json:"grpcRoutes,omitempty"`
}

// GatewayAPIRoute names one route, in the Rollout's namespace.
type GatewayAPIRoute struct {
	// Name of the route.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`

	// UseHeaderRoutes lets the managed header and mirror routes be added to
	// this route. Defaults to true.
	// +optional
	UseHeaderRoutes *bool `json:"useHeaderRoutes,omitempty"`
}

// IstioTrafficRouting names the Istio objects of a canary.
type IstioTrafficRouting struct {
	// VirtualServices whose routes send traffic to the stable and canary
	// destinations.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +required
	VirtualServices []IstioVirtualService `json:"virtualServices"`

	// DestinationRule splits by subset instead of by Service: its canary and
	// stable subsets get the pod template hash label of each version.
	// +optional
	DestinationRule *IstioDestinationRule `json:"destinationRule,omitempty"`
}

// IstioVirtualService names a VirtualService and the routes in it to weigh.
type IstioVirtualService struct {
	// Name of the VirtualService, in the Rollout's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`

	// Routes are the names of the http routes to weigh. Left out, the
	// VirtualService must have exactly one http route.
	// +kubebuilder:validation:MaxItems=32
	// +listType=set
	// +optional
	Routes []string `json:"routes,omitempty"`

	// TLSRoutes are the tls routes to weigh, by port and SNI hosts.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	TLSRoutes []IstioTLSRoute `json:"tlsRoutes,omitempty"`

	// TCPRoutes are the tcp routes to weigh, by port.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	TCPRoutes []IstioTCPRoute `json:"tcpRoutes,omitempty"`
}

// IstioTLSRoute selects a tls route of a VirtualService.
type IstioTLSRoute struct {
	// Port of the route's match.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// SNIHosts of the route's match.
	// +kubebuilder:validation:MaxItems=32
	// +listType=set
	// +optional
	SNIHosts []string `json:"sniHosts,omitempty"`
}

// IstioTCPRoute selects a tcp route of a VirtualService.
type IstioTCPRoute struct {
	// Port of the route's match.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
}

// IstioDestinationRule names a DestinationRule and its two subsets.
type IstioDestinationRule struct {
	// Name of the DestinationRule, in the Rollout's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`

	// CanarySubsetName is the subset that selects the canary.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	CanarySubsetName string `json:"canarySubsetName"`

	// StableSubsetName is the subset that selects the stable version.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	StableSubsetName string `json:"stableSubsetName"`

	// BaselineSubsetName is the subset that selects the baseline, for a
	// canary with baselineService: it gets the baseline's share of the
	// traffic. Required then with subset-level splitting.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	BaselineSubsetName string `json:"baselineSubsetName,omitempty"`
}
