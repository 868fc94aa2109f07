package bluegreen

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// labelRole is the label activeMetadata and previewMetadata set in
// TestMetadata, to active and preview.
const labelRole = "role"

// TestMetadata checks activeMetadata (role=active) and previewMetadata
// (role=preview) on the pods: the first revision's pods are active; while
// an update waits for promotion the old pods are active and the preview's
// pods are preview; after promotion the new revision's pods, which the
// active Service now selects, are active. At each stage every pod a
// Service selects carries that Service's role.
func TestMetadata(t *testing.T) {
	f := newFixture(t, "meta", 2)
	f.bg().AutoPromotionEnabled = ptr.To(false)
	f.bg().ActiveMetadata = &rampv1alpha1.PodTemplateMetadata{Labels: map[string]string{labelRole: "active"}}
	f.bg().PreviewMetadata = &rampv1alpha1.PodTemplateMetadata{Labels: map[string]string{labelRole: "preview"}}
	v1 := f.start()
	f.waitPods("the 2 pods of v1 to be labeled role=active", func(byHash map[string][]*corev1.Pod) bool {
		return len(byHash) == 1 && len(byHash[v1]) == 2 && haveRole(byHash[v1], "active")
	}, labelRole)
	f.checkSelectedRole("the first revision", f.activeService(), "active")

	v2 := f.setImage(image("v2"))
	f.waitPaused(v2)
	f.waitService(f.previewService(), v2)
	f.waitPods("the pods of v1 to be labeled role=active and those of v2 role=preview", func(byHash map[string][]*corev1.Pod) bool {
		return len(byHash) == 2 && len(byHash[v1]) == 2 && haveRole(byHash[v1], "active") && len(byHash[v2]) == 2 && haveRole(byHash[v2], "preview")
	}, labelRole)
	f.checkSelectedRole("while paused", f.activeService(), "active")
	f.checkSelectedRole("while paused", f.previewService(), "preview")

	f.promote()
	f.waitHealthyAt(v2)
	f.waitService(f.activeService(), v2)
	f.waitPods("the pods of v2, promoted, to be labeled role=active", func(byHash map[string][]*corev1.Pod) bool {
		return len(byHash[v2]) == 2 && haveRole(byHash[v2], "active")
	}, labelRole)
	f.checkSelectedRole("after promotion", f.activeService(), "active")
}

// haveRole reports whether every one of pods is labeled role=<role>.
func haveRole(pods []*corev1.Pod, role string) bool {
	for _, p := range pods {
		if p.Labels[labelRole] != role {
			return false
		}
	}
	return true
}

// checkSelectedRole checks that the Service name selects some live pods,
// all labeled role=<role>.
func (f *fixture) checkSelectedRole(what, name, role string) {
	f.t.Helper()
	svc := framework.Get(f.t, f.k8s, f.serviceKey(name), &corev1.Service{})
	pods := livePods(framework.List(f.t, f.k8s, &corev1.PodList{}, client.InNamespace(f.ns),
		client.MatchingLabelsSelector{Selector: labels.SelectorFromSet(svc.Spec.Selector)}))
	if len(pods) == 0 || !haveRole(pods, role) {
		f.t.Errorf("%s: Service %s (selector %v) selects %s, want pods all labeled %s=%s",
			what, name, svc.Spec.Selector, describePods(pods, labelRole), labelRole, role)
	}
}
