package analysis

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// NamespaceSecrets reads Secret keys in one namespace straight from the
// API server (Secrets are not cached, so the controller holds none in
// memory).
type NamespaceSecrets struct {
	// Reader is an uncached reader.
	Reader client.Reader
	// Namespace is where the Secrets are.
	Namespace string
}

// SecretValue returns one key of a Secret; errors name the Secret and key,
// never a value.
func (s NamespaceSecrets) SecretValue(ctx context.Context, ref rampv1alpha1.SecretKeyRef) (string, error) {
	if s.Reader == nil {
		return "", fmt.Errorf("secret %q: this controller reads no Secrets", ref.Name)
	}
	sec := &corev1.Secret{}
	err := s.Reader.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: ref.Name}, sec)
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("secret %q not found in namespace %q", ref.Name, s.Namespace)
	}
	if err != nil {
		return "", fmt.Errorf("read secret %q: %w", ref.Name, err)
	}
	v, ok := sec.Data[ref.Key]
	if !ok {
		return "", fmt.Errorf("secret %q has no key %q", ref.Name, ref.Key)
	}
	return string(v), nil
}
