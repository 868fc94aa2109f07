package analysis_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampdev/ramp/analysis"
	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Measurements one after the other reuse one connection: a client per
// measurement must not leave a connection open per measurement.
func TestHTTPClientsReuseConnections(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("1")) }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	ctx := context.Background()
	for range 20 {
		c, err := analysis.HTTPClient(ctx, analysistest.Secrets{}, nil, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("20 measurements opened %d connections, want 1", n)
	}
}

func TestHTTPClientTLSSettingsApart(t *testing.T) {
	ctx := context.Background()
	plain, _ := analysis.HTTPClient(ctx, analysistest.Secrets{}, nil, time.Second)
	plain2, _ := analysis.HTTPClient(ctx, analysistest.Secrets{}, nil, 2*time.Second)
	named, _ := analysis.HTTPClient(ctx, analysistest.Secrets{}, &rampv1alpha1.TLSConfig{ServerName: "metrics.example"}, time.Second)
	if plain.Transport != plain2.Transport {
		t.Error("two clients without TLS settings do not share a transport")
	}
	if plain.Timeout != time.Second || plain2.Timeout != 2*time.Second {
		t.Error("timeouts not kept per client")
	}
	if named.Transport == plain.Transport {
		t.Fatal("a client with a TLS server name shares the plain transport")
	}
	if got := named.Transport.(*http.Transport).TLSClientConfig.ServerName; got != "metrics.example" {
		t.Errorf("server name %q", got)
	}
	_, err := analysis.HTTPClient(ctx, analysistest.Secrets{"ca": {"ca.crt": "not a certificate"}}, &rampv1alpha1.TLSConfig{
		CASecretRef: &rampv1alpha1.SecretKeyRef{Name: "ca", Key: "ca.crt"},
	}, time.Second)
	if err == nil {
		t.Error("a CA Secret without a certificate was accepted")
	}
}
