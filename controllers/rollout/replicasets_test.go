package rollout

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// TestEnsureNewReplicaSetFindsItsOwn checks that a ReplicaSet this rollout
// created in an earlier reconcile, which the cache did not have yet, is
// taken as its own although the API server defaulted its template: no
// collision, no second ReplicaSet.
func TestEnsureNewReplicaSetFindsItsOwn(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := appsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	ro := &rampv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "uid-1"},
		Spec: rampv1alpha1.RolloutSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	tmpl := &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}
	s := &scope{rollout: ro, template: tmpl, hash: "abc123"}
	existing := newReplicaSet(s, 1)
	// The API server's defaults.
	existing.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
	existing.Spec.Template.Spec.Containers[0].TerminationMessagePath = "/dev/termination-log"
	r := &Reconciler{Client: fake.NewClientBuilder().WithScheme(scheme).WithObjects(existing).Build()}
	if err := r.ensureNewReplicaSet(context.Background(), s); err != nil {
		t.Fatalf("ensureNewReplicaSet: %v", err)
	}
	if s.newRS == nil || s.newRS.Name != existing.Name {
		t.Errorf("newRS = %v, want the existing %s", s.newRS, existing.Name)
	}
	if ro.Status.CollisionCount != nil {
		t.Errorf("collision count %d: our own ReplicaSet was taken for someone else's", *ro.Status.CollisionCount)
	}
}
