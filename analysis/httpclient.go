package analysis

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// HTTPClient returns a client for a provider's requests: timeout bounds each
// request, and cfg (may be nil) sets TLS, with certificate authorities read
// from a Secret.
func HTTPClient(ctx context.Context, secrets SecretReader, cfg *rampv1alpha1.TLSConfig, timeout time.Duration) (*http.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cfg != nil {
		tc := &tls.Config{
			MinVersion:         tls.VersionTLS12,
			ServerName:         cfg.ServerName,
			InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // the user asked for it in tls.insecureSkipVerify
		}
		if cfg.CASecretRef != nil {
			pem, err := secrets.SecretValue(ctx, *cfg.CASecretRef)
			if err != nil {
				return nil, fmt.Errorf("tls.caSecretRef: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(pem)) {
				return nil, fmt.Errorf("tls.caSecretRef: key %q of Secret %q holds no PEM certificate", cfg.CASecretRef.Key, cfg.CASecretRef.Name)
			}
			tc.RootCAs = pool
		}
		transport.TLSClientConfig = tc
	}
	return &http.Client{Transport: transport, Timeout: timeout}, nil
}

// SetHeaders sets a provider's headers and authentication on req, reading
// secret values through secrets. Errors name the header or the Secret, never
// a secret value.
func SetHeaders(ctx context.Context, req *http.Request, secrets SecretReader, headers []rampv1alpha1.WebMetricHeader, auth *rampv1alpha1.MetricAuthentication) error {
	for _, h := range headers {
		value := ""
		switch {
		case h.Value != nil:
			value = *h.Value
		case h.ValueFrom != nil:
			v, err := secrets.SecretValue(ctx, h.ValueFrom.SecretKeyRef)
			if err != nil {
				return fmt.Errorf("header %s: %w", h.Key, err)
			}
			value = v
		}
		req.Header.Set(h.Key, value)
	}
	if auth == nil {
		return nil
	}
	switch {
	case auth.BearerToken != nil:
		token, err := secrets.SecretValue(ctx, *auth.BearerToken)
		if err != nil {
			return fmt.Errorf("authentication.bearerToken: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	case auth.Basic != nil:
		user, err := secrets.SecretValue(ctx, auth.Basic.Username)
		if err != nil {
			return fmt.Errorf("authentication.basic.username: %w", err)
		}
		pass, err := secrets.SecretValue(ctx, auth.Basic.Password)
		if err != nil {
			return fmt.Errorf("authentication.basic.password: %w", err)
		}
		req.SetBasicAuth(user, pass)
	default:
		return errors.New("authentication: set bearerToken or basic")
	}
	return nil
}
