// Package v1alpha1 contains the Ramp API: Rollout, AnalysisTemplate,
// ClusterAnalysisTemplate, AnalysisRun, RolloutProfile,
// ClusterRolloutProfile and NotificationConfig in the ramp.dev/v1alpha1
// group version.
//
// Field names and meanings follow Argo Rollouts wherever they fit, so a team
// migrating from it finds every field where it expects it.
//
// +kubebuilder:object:generate=true
// +groupName=ramp.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every Ramp kind.
	GroupVersion = schema.GroupVersion{Group: "ramp.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Ramp kinds with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the Ramp kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&Rollout{}, &RolloutList{},
		&AnalysisTemplate{}, &AnalysisTemplateList{},
		&ClusterAnalysisTemplate{}, &ClusterAnalysisTemplateList{},
		&AnalysisRun{}, &AnalysisRunList{},
		&RolloutProfile{}, &RolloutProfileList{},
		&ClusterRolloutProfile{}, &ClusterRolloutProfileList{},
		&NotificationConfig{}, &NotificationConfigList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
