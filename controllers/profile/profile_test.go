package profile

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spec     rampv1alpha1.RolloutProfileSpec
		strategy string
		message  string
	}{
		{"canary", rampv1alpha1.RolloutProfileSpec{Strategy: rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{
			Steps: make([]rampv1alpha1.CanaryStep, 5)}}}, "Canary", "canary strategy with 5 steps;"},
		{"blue-green with args", rampv1alpha1.RolloutProfileSpec{Strategy: rampv1alpha1.ProfileStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{}},
			Args: []rampv1alpha1.AnalysisRunArgument{{Name: "service"}}}, "BlueGreen", "blue-green strategy and 1 default analysis args;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st rampv1alpha1.RolloutProfileStatus
			Describe(&tc.spec, &st, 4)
			ready := meta.FindStatusCondition(st.Conditions, rampv1alpha1.ConditionReady)
			if st.Strategy != tc.strategy || st.ObservedGeneration != 4 || ready == nil || ready.ObservedGeneration != 4 ||
				!strings.HasPrefix(ready.Message, tc.message) {
				t.Errorf("status %+v", st)
			}
		})
	}
}
