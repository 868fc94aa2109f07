package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RolloutProfile is a team's shared strategy: steps, analysis, surge and
// delays written once and named by every Rollout of the team with
// spec.strategy.profileRef. Service and route names stay in each Rollout.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rprof,categories=ramp
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Strategy",type=string,JSONPath=`.status.strategy`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RolloutProfile struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec holds the shared strategy.
	// +required
	Spec RolloutProfileSpec `json:"spec"`

	// Status is the observed state of the profile.
	// +optional
	Status RolloutProfileStatus `json:"status,omitzero"`
}

// RolloutProfileSpec holds a shared strategy and default analysis arguments.
type RolloutProfileSpec struct {
	// Strategy is the shared canary or blue-green strategy.
	// +required
	Strategy ProfileStrategy `json:"strategy"`

	// Args are default arguments for every analysis of the strategy; a
	// Rollout's own args of the same name win.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []AnalysisRunArgument `json:"args,omitempty"`
}

// ProfileStrategy is the strategy part of a profile: exactly one of canary
// or blueGreen, without the per-application Service and route names.
//
// +kubebuilder:validation:XValidation:rule="has(self.canary) != has(self.blueGreen)",message="spec.strategy: set exactly one of canary or blueGreen"
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || (!has(self.canary.canaryService) && !has(self.canary.stableService) && !has(self.canary.baselineService))",message="spec.strategy.canary: canaryService, stableService and baselineService belong to each Rollout, not to a profile",fieldPath=`.canary`
// +kubebuilder:validation:XValidation:rule="!has(self.blueGreen) || (!has(self.blueGreen.activeService) && !has(self.blueGreen.previewService))",message="spec.strategy.blueGreen: activeService and previewService belong to each Rollout, not to a profile",fieldPath=`.blueGreen`
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || !has(self.canary.trafficRouting) || (!has(self.canary.trafficRouting.gatewayAPI) && !has(self.canary.trafficRouting.istio))",message="spec.strategy.canary.trafficRouting: route names belong to each Rollout; a profile may set managedRoutes only",fieldPath=`.canary.trafficRouting`
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || !has(self.canary.steps) || self.canary.steps.all(s, !has(s.setHeaderRoute) || (has(self.canary.trafficRouting) && has(self.canary.trafficRouting.managedRoutes) && self.canary.trafficRouting.managedRoutes.exists(r, r.name == s.setHeaderRoute.name)))",message="spec.strategy.canary.steps[].setHeaderRoute.name must be declared in spec.strategy.canary.trafficRouting.managedRoutes",fieldPath=`.canary.steps`
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || !has(self.canary.steps) || self.canary.steps.all(s, !has(s.setMirrorRoute) || (has(self.canary.trafficRouting) && has(self.canary.trafficRouting.managedRoutes) && self.canary.trafficRouting.managedRoutes.exists(r, r.name == s.setMirrorRoute.name)))",message="spec.strategy.canary.steps[].setMirrorRoute.name must be declared in spec.strategy.canary.trafficRouting.managedRoutes",fieldPath=`.canary.steps`
type ProfileStrategy struct {
	// Canary is the shared canary strategy.
	// +optional
	Canary *CanaryStrategy `json:"canary,omitempty"`

	// BlueGreen is the shared blue-green strategy.
	// +optional
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
}

// RolloutProfileStatus is the observed state of a profile.
type RolloutProfileStatus struct {
	// ObservedGeneration is the metadata.generation this status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Strategy is Canary or BlueGreen.
	// +optional
	Strategy string `json:"strategy,omitempty"`

	// Conditions include Ready.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// +kubebuilder:object:root=true

// RolloutProfileList is a list of RolloutProfiles.
type RolloutProfileList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the RolloutProfiles.
	Items []RolloutProfile `json:"items"`
}

// ClusterRolloutProfile is a strategy shared across namespaces, written by a
// platform team. With a namespaceSelector it is also the default profile of
// every Rollout in the matching namespaces that names none.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=crprof,categories=ramp
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Strategy",type=string,JSONPath=`.status.strategy`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterRolloutProfile struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec holds the shared strategy.
	// +required
	Spec ClusterRolloutProfileSpec `json:"spec"`

	// Status is the observed state of the profile.
	// +optional
	Status RolloutProfileStatus `json:"status,omitzero"`
}

// ClusterRolloutProfileSpec holds a shared strategy, default analysis
// arguments and the namespaces it is the default for.
type ClusterRolloutProfileSpec struct {
	RolloutProfileSpec `json:",inline"`

	// NamespaceSelector makes this profile the default for Rollouts that
	// name no profile in the namespaces it selects. Left out, the profile is
	// used only where named.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterRolloutProfileList is a list of ClusterRolloutProfiles.
type ClusterRolloutProfileList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ClusterRolloutProfiles.
	Items []ClusterRolloutProfile `json:"items"`
}
