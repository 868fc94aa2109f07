package rollout

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func hashTemplate(image string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", "tier": "front"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

// TestPodTemplateHashIsStable pins the hash of a fixed template: a change
// here would give every running Rollout a new revision after an upgrade of
// the controller.
func TestPodTemplateHashIsStable(t *testing.T) {
	got, err := podTemplateHash(hashTemplate("nginx:1.27"), nil)
	if err != nil {
		t.Fatal(err)
	}
	const want = "64dfd6975d"
	if got != want {
		t.Errorf("hash = %s, want %s (the hash must not change between controller versions)", got, want)
	}
}

func TestPodTemplateHash(t *testing.T) {
	a, _ := podTemplateHash(hashTemplate("nginx:1.27"), nil)
	zero, _ := podTemplateHash(hashTemplate("nginx:1.27"), ptr.To[int32](0))
	b, _ := podTemplateHash(hashTemplate("nginx:1.28"), nil)
	c1, _ := podTemplateHash(hashTemplate("nginx:1.27"), ptr.To[int32](1))
	c2, _ := podTemplateHash(hashTemplate("nginx:1.27"), ptr.To[int32](2))
	if a != zero {
		t.Error("collision count 0 changes the hash")
	}
	if a == b || a == c1 || c1 == c2 {
		t.Errorf("hashes collide: %s %s %s %s", a, b, c1, c2)
	}
	// Label order does not matter.
	tmpl := hashTemplate("nginx:1.27")
	tmpl.Labels = map[string]string{"tier": "front", "app": "web"}
	if again, _ := podTemplateHash(tmpl, nil); again != a {
		t.Errorf("map order changed the hash: %s vs %s", again, a)
	}
}
