// Package analysistest holds fakes for testing analysis providers.
package analysistest

import (
	"context"
	"fmt"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Secrets is an analysis.SecretReader over fixed data: secret name → key →
// value.
type Secrets map[string]map[string]string

// SecretValue returns the value of ref, or an error that names the Secret
// and key like the real reader does.
func (s Secrets) SecretValue(_ context.Context, ref rampv1alpha1.SecretKeyRef) (string, error) {
	data, ok := s[ref.Name]
	if !ok {
		return "", fmt.Errorf("secret %q not found", ref.Name)
	}
	v, ok := data[ref.Key]
	if !ok {
		return "", fmt.Errorf("secret %q has no key %q", ref.Name, ref.Key)
	}
	return v, nil
}
