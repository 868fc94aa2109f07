package analysis

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// HTTPClient returns a client for a provider's requests: timeout bounds each
// request, and cfg (may be nil) sets TLS, with certificate authorities read
// from a Secret. Clients with the same TLS settings share one transport, so
// measurements reuse connections instead of leaving one open per
// measurement.
func HTTPClient(ctx context.Context, secrets SecretReader, cfg *rampv1alpha1.TLSConfig, timeout time.Duration) (*http.Client, error) {
	var k transportID
	var pem string
	if cfg != nil {
		k = transportID{tls: true, serverName: cfg.ServerName, insecure: cfg.InsecureSkipVerify}
		if cfg.CASecretRef != nil {
			var err error
			if pem, err = secrets.SecretValue(ctx, *cfg.CASecretRef); err != nil {
				return nil, fmt.Errorf("tls.caSecretRef: %w", err)
			}
			if !x509.NewCertPool().AppendCertsFromPEM([]byte(pem)) {
				return nil, fmt.Errorf("tls.caSecretRef: key %q of Secret %q holds no PEM certificate", cfg.CASecretRef.Key, cfg.CASecretRef.Name)
			}
			k.ca = sha256.Sum256([]byte(pem))
		}
	}
	return &http.Client{Transport: transports.get(k, pem), Timeout: timeout}, nil
}

// maxTransports bounds the transports kept; the least recently used one
// beyond it is closed.
const maxTransports = 64

// transportCache shares transports between measurements.
type transportCache struct {
	mu   sync.Mutex
	byID map[transportID]*cachedTransport
	tick uint64
}

// transportID is what makes two providers' transports differ: TLS
// settings, and the certificate authorities by their PEM's hash.
type transportID struct {
	tls        bool
	serverName string
	insecure   bool
	ca         [sha256.Size]byte
}

type cachedTransport struct {
	transport *http.Transport
	used      uint64
}

var transports = &transportCache{byID: map[transportID]*cachedTransport{}}

// get returns the transport of id, making it when needed with the
// certificate authorities of pem.
func (c *transportCache) get(id transportID, pem string) *http.Transport {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	if t, ok := c.byID[id]; ok {
		t.used = c.tick
		return t.transport
	}
	if len(c.byID) >= maxTransports {
		var oldest transportID
		var least uint64 = math.MaxUint64
		for id, t := range c.byID {
			if t.used < least {
				oldest, least = id, t.used
			}
		}
		c.byID[oldest].transport.CloseIdleConnections()
		delete(c.byID, oldest)
	}
	t := newTransport(id, pem)
	c.byID[id] = &cachedTransport{transport: t, used: c.tick}
	return t
}

// newTransport makes the transport of k.
func newTransport(k transportID, pem string) *http.Transport {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if k.tls {
		tc := &tls.Config{
			MinVersion:         tls.VersionTLS12,
			ServerName:         k.serverName,
			InsecureSkipVerify: k.insecure, //nolint:gosec // the user asked for it in tls.insecureSkipVerify
		}
		if pem != "" {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM([]byte(pem))
			tc.RootCAs = pool
		}
		transport.TLSClientConfig = tc
	}
	return transport
}

// HeaderValues returns the value of each header by name, reading
// Secret-backed values through secrets, and those secret values apart (to
// keep out of anything recorded). Errors name the header or the Secret,
// never a secret value.
func HeaderValues(ctx context.Context, secrets SecretReader, headers []rampv1alpha1.WebMetricHeader) (values map[string]string, secret []string, err error) {
	values = make(map[string]string, len(headers))
	for _, h := range headers {
		switch {
		case h.Value != nil:
			values[h.Key] = *h.Value
		case h.ValueFrom != nil:
			v, err := secrets.SecretValue(ctx, h.ValueFrom.SecretKeyRef)
			if err != nil {
				return nil, nil, fmt.Errorf("header %s: %w", h.Key, err)
			}
			values[h.Key] = v
			secret = append(secret, v)
		default:
			values[h.Key] = ""
		}
	}
	return values, secret, nil
}

// SetHeaders sets a provider's headers and authentication on req, reading
// secret values through secrets. Errors name the header or the Secret, never
// a secret value.
func SetHeaders(ctx context.Context, req *http.Request, secrets SecretReader, headers []rampv1alpha1.WebMetricHeader, auth *rampv1alpha1.MetricAuthentication) error {
	values, _, err := HeaderValues(ctx, secrets, headers)
	if err != nil {
		return err
	}
	for _, h := range headers {
		req.Header.Set(h.Key, values[h.Key])
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
