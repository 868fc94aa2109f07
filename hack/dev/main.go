// Command dev is `make dev`: it starts a local control plane, installs the
// CRDs, runs ramp-controller against it, applies an example Rollout and
// prints how to reach it. Ctrl-C stops everything.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func main() {
	example := flag.String("example", "examples/canary/rollout.yaml", "Manifest applied once the controller runs (path from the repository root).")
	nodes := flag.Int("nodes", 2, "Number of fake nodes.")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, *example, *nodes)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, example string, nodes int) error {
	root, err := cluster.RepoRoot()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(example) {
		example = filepath.Join(root, example)
	}
	objs, err := framework.DecodeYAMLFile(example)
	if err != nil {
		return err
	}
	crds, err := cluster.DefaultCRDPaths()
	if err != nil {
		return err
	}

	fmt.Println("Starting the local control plane (the first run builds Kubernetes; that takes a few minutes)...")
	c, err := cluster.Start(ctx, cluster.Options{Name: "ramp-dev", Nodes: nodes, CRDPaths: crds})
	if err != nil {
		return fmt.Errorf("start the control plane: %w", err)
	}
	defer func() {
		fmt.Println("Stopping the control plane...")
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "dev: stop the control plane:", err)
		}
	}()

	metricsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	healthAddr, err := freeAddr()
	if err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.ConsoleEncoder()))
	opts := manager.DefaultOptions()
	opts.LeaderElect = false
	opts.MetricsBindAddress = metricsAddr
	opts.HealthProbeBindAddress = healthAddr
	mgr, err := manager.New(c.RESTConfig(), opts)
	if err != nil {
		return err
	}
	mgrCtx, stopMgr := context.WithCancel(ctx)
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(mgrCtx) }()
	defer func() {
		stopMgr()
		if err := <-mgrDone; err != nil {
			fmt.Fprintln(os.Stderr, "dev: controller:", err)
		}
	}()

	if err := apply(ctx, mgr.GetClient(), objs); err != nil {
		return err
	}

	kubectl := fmt.Sprintf("%s --kubeconfig %s", c.KubectlPath(), c.KubeconfigPath())
	fmt.Printf(`
Ramp is running against a local control plane.

  kubeconfig:  %s
  kubectl:     %s
  metrics:     http://%s/metrics
  health:      http://%s/readyz

Applied %s. Try:

  %s get rollouts -A
  %s get rollout canary-demo -o yaml
  %s get replicasets,pods,services

Press Ctrl-C to stop the controller and the control plane.
`, c.KubeconfigPath(), c.KubectlPath(), metricsAddr, healthAddr, filepath.Base(example), kubectl, kubectl, kubectl)

	select {
	case <-ctx.Done():
		return nil
	case err := <-mgrDone:
		mgrDone <- err
		if err != nil {
			return fmt.Errorf("controller stopped: %w", err)
		}
		return errors.New("controller stopped")
	}
}

// apply creates or updates the example's objects in the default namespace
// with server-side apply.
func apply(ctx context.Context, k8s client.Client, objs []*unstructured.Unstructured) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, obj := range objs {
		if obj.GetNamespace() == "" {
			obj.SetNamespace("default")
		}
		if err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("ramp-dev"), client.ForceOwnership); err != nil {
			return fmt.Errorf("apply %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	return nil
}

// freeAddr returns a loopback address with a free port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
