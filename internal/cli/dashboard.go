package cli

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/internal/dashboard"
	"github.com/rampdev/ramp/internal/dashboard/ui"
)

func init() {
	commands = append(commands, newDashboardCommand)
}

func newDashboardCommand(o *options) *cobra.Command {
	var address string
	var port int
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve the Ramp dashboard on this machine, acting with your own credentials",
		Long: `Serve the Ramp dashboard at http://127.0.0.1:3100 (change with --address and --port).
It reads the cluster of your kubeconfig with your own credentials: every namespace,
or only the one given with -n. Actions (promote, abort, …) are carried out as you.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.dashboard(cmd.Context(), net.JoinHostPort(address, strconv.Itoa(port)))
		},
	}
	cmd.Flags().StringVar(&address, "address", "127.0.0.1", "The address to listen on; anything but a loopback address exposes the dashboard, and your credentials, to others")
	cmd.Flags().IntVar(&port, "port", 3100, "The port to listen on")
	return cmd
}

// dashboard serves the dashboard at addr until ctx ends.
func (o *options) dashboard(ctx context.Context, addr string) error {
	cfg, err := o.flags.ToRESTConfig()
	if err != nil {
		return fmt.Errorf("read the kubeconfig: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ServeDashboard(ctx, cfg, *o.flags.Namespace, ln, func() {
		fmt.Fprintf(o.out, "Ramp dashboard at http://%s (Ctrl-C to stop)\n", ln.Addr())
	})
}

// ServeDashboard serves the dashboard as kubectl ramp dashboard does on ln
// until ctx ends: it reads the cluster of cfg (every namespace, or only
// namespace) through informers, and carries out actions with cfg's own
// credentials, without sign-in. ready is called once the informers have
// synced and requests are served.
func ServeDashboard(ctx context.Context, cfg *rest.Config, namespace string, ln net.Listener, ready func()) error {
	byObject, err := dashboard.CacheByObject()
	if err != nil {
		return err
	}
	cacheOpts := cache.Options{Scheme: Scheme(), ByObject: byObject}
	if namespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	}
	informers, err := cache.New(cfg, cacheOpts)
	if err != nil {
		return fmt.Errorf("create the informer cache: %w", err)
	}
	writer, err := client.New(rest.CopyConfig(cfg), client.Options{Scheme: Scheme()})
	if err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.Host, err)
	}
	srv, err := dashboard.New(dashboard.Options{
		Reader: dashboard.EventsDirect(informers, writer), Informers: informers, UI: ui.Files,
		Authenticate: dashboard.AuthNone, Writer: writer, Logger: logr.Discard(),
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = informers.Start(ctx) }()
	if !informers.WaitForCacheSync(ctx) {
		return fmt.Errorf("the informer cache did not sync: can you list rollouts, replica sets, pods and analysis runs in %s? (try -n NAMESPACE)",
			scopeOf(namespace))
	}
	if ready != nil {
		ready()
	}
	return srv.Serve(ctx, ln)
}

// scopeOf names the namespaces read, for messages.
func scopeOf(ns string) string {
	if ns == "" {
		return "every namespace"
	}
	return fmt.Sprintf("namespace %q", ns)
}
