// Command testbin builds the local control plane's binaries (kube-apiserver,
// kube-controller-manager, kube-scheduler, kubectl, etcd, kwok) into the
// cache if they are not there yet, and prints the directory. `make testbin`
// runs it before the end-to-end tests so the first, slow build is not
// counted against a test timeout.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rampdev/ramp/test/cluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	dir, err := cluster.EnsureBinaries(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testbin:", err)
		os.Exit(1)
	}
	fmt.Println(dir)
}
