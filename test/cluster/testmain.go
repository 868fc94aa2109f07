package cluster

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// current is the plane started by RunTestMain in this test binary.
var current atomic.Pointer[Cluster]

// Current returns the plane that RunTestMain started for this test binary,
// or nil outside RunTestMain.
func Current() *Cluster {
	return current.Load()
}

// RunTestMain runs a test package against its own plane. Call it from
// TestMain; it does not return:
//
//	func TestMain(m *testing.M) {
//		cluster.RunTestMain(m, cluster.Options{}, nil)
//	}
//
//	func TestSomething(t *testing.T) {
//		cfg := cluster.Current().RESTConfig()
//		...
//	}
//
// It starts a plane with opts. When opts.CRDPaths is nil it installs the
// default CRDs (DefaultCRDPaths: Ramp's, Gateway API's and Istio's); pass an
// empty, non-nil slice to install none. Then it calls setup, if not nil,
// with a context that is canceled once the tests have run (use it to start
// the controller under test), runs the tests, writes every component's log
// tail to standard error when a test failed, stops the plane and exits with
// the tests' exit code. SIGINT and SIGTERM stop the plane before exiting.
func RunTestMain(m *testing.M, opts Options, setup func(ctx context.Context, c *Cluster) error) {
	os.Exit(runTestMain(m, opts, setup))
}

func runTestMain(m *testing.M, opts Options, setup func(ctx context.Context, c *Cluster) error) int {
	if opts.CRDPaths == nil {
		paths, err := DefaultCRDPaths()
		if err != nil {
			fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
			return 1
		}
		opts.CRDPaths = paths
	}
	started := time.Now()
	c, err := Start(context.Background(), opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cluster: start the control plane: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "cluster: control plane ready in %s (%s)\n", time.Since(started).Round(10*time.Millisecond), c.Dir())
	current.Store(c)
	defer func() {
		current.Store(nil)
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "cluster: stop the control plane: %v\n", err)
		}
	}()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "cluster: %v: stopping the control plane\n", sig)
		_ = c.Stop()
		os.Exit(1)
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if setup != nil {
		if err := setup(ctx, c); err != nil {
			fmt.Fprintf(os.Stderr, "cluster: test setup: %v\n", err)
			c.DumpLogs(os.Stderr)
			return 1
		}
	}
	code := m.Run()
	cancel()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "cluster: tests failed; control-plane logs follow\n")
		c.DumpLogs(os.Stderr)
	}
	return code
}

// RampCRDDir returns charts/ramp/crds in the repository, where Ramp's
// generated CRDs live. The directory may not exist before they are
// generated.
func RampCRDDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "charts", "ramp", "crds"), nil
}

// DefaultCRDPaths returns the CRDs that e2e tests install: Ramp's
// (RampCRDDir), Gateway API's (GatewayAPICRDDir) and Istio's
// (IstioCRDFile). It fails when Ramp's CRDs have not been generated.
func DefaultCRDPaths() ([]string, error) {
	ramp, err := RampCRDDir()
	if err != nil {
		return nil, err
	}
	return defaultCRDPaths(ramp, GatewayAPICRDDir, IstioCRDFile)
}

func defaultCRDPaths(rampDir string, gateway, istio func() (string, error)) ([]string, error) {
	if _, err := os.Stat(rampDir); err != nil {
		return nil, fmt.Errorf("ramp crds not found (generate them with make manifests): %w", err)
	}
	gatewayDir, err := gateway()
	if err != nil {
		return nil, err
	}
	istioFile, err := istio()
	if err != nil {
		return nil, err
	}
	return []string{rampDir, gatewayDir, istioFile}, nil
}
