// Command ramp-controller runs Ramp's controllers: it reconciles Rollouts and
// AnalysisRuns, with leader election, Prometheus metrics and health probes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/rampdev/ramp/internal/manager"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ramp-controller:", err)
		os.Exit(1)
	}
}

// flags are ramp-controller's command-line options.
type flags struct {
	manager   manager.Options
	logLevel  string
	logFormat string
}

func parseFlags(args []string) (*flags, error) {
	f := &flags{manager: manager.DefaultOptions()}
	fs := flag.NewFlagSet("ramp-controller", flag.ContinueOnError)
	config.RegisterFlags(fs)
	m := &f.manager
	fs.StringVar(&m.Namespace, "namespace", "", "Watch only this namespace (default: all namespaces).")
	fs.StringVar(&m.InstanceID, "instance-id", "", "Handle only objects labeled ramp.dev/instance-id=<id>; without it, only objects without that label.")
	fs.BoolVar(&m.LeaderElect, "leader-elect", m.LeaderElect, "Elect one active controller through a Lease, so several replicas can run.")
	fs.StringVar(&m.LeaderElectionNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"), "Namespace of the leader election Lease (default: the pod's namespace).")
	fs.StringVar(&m.LeaderElectionID, "leader-election-id", m.LeaderElectionID, "Name of the leader election Lease.")
	fs.DurationVar(&m.LeaseDuration, "leader-election-lease-duration", m.LeaseDuration, "How long a non-leader waits before taking over an unrenewed Lease.")
	fs.DurationVar(&m.RenewDeadline, "leader-election-renew-deadline", m.RenewDeadline, "How long the leader retries renewing the Lease before giving it up.")
	fs.DurationVar(&m.RetryPeriod, "leader-election-retry-period", m.RetryPeriod, "How often to try to take or renew the Lease.")
	fs.StringVar(&m.MetricsBindAddress, "metrics-bind-address", m.MetricsBindAddress, "Address of the Prometheus /metrics endpoint; 0 turns it off.")
	fs.StringVar(&m.HealthProbeBindAddress, "health-probe-bind-address", m.HealthProbeBindAddress, "Address of the /healthz and /readyz endpoints; 0 turns them off.")
	fs.StringVar(&m.PprofBindAddress, "pprof-bind-address", m.PprofBindAddress, "Address of Go's profiling endpoints under /debug/pprof/ (such as localhost:6060, reached with kubectl port-forward); they have no authentication; 0 turns them off.")
	fs.StringVar(&m.DashboardBindAddress, "dashboard-bind-address", "0", "Address of the dashboard (such as :3100, reached with kubectl port-forward svc/ramp-dashboard 3100); 0 turns it off.")
	fs.BoolVar(&m.DashboardActions, "dashboard-actions", false, "Let people who sign in to the dashboard with a Kubernetes token take the actions their RBAC allows; without it the dashboard is read-only.")
	qps := float64(m.QPS)
	fs.Float64Var(&qps, "kube-api-qps", qps, "Sustained requests per second to the API server.")
	fs.IntVar(&m.Burst, "kube-api-burst", m.Burst, "Burst of requests to the API server above --kube-api-qps.")
	fs.StringVar(&f.logLevel, "log-level", "info", "Log level: debug, info or error (or a number; higher is more verbose).")
	fs.StringVar(&f.logFormat, "log-format", "json", "Log format: json or text.")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if qps <= 0 || m.Burst <= 0 {
		return nil, errors.New("--kube-api-qps and --kube-api-burst must be greater than 0")
	}
	m.QPS = float32(qps)
	return f, nil
}

func run(args []string) error {
	f, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logOpts, err := loggerOptions(f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(logOpts...))
	log := ctrl.Log.WithName("setup")

	cfg, err := config.GetConfig()
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	mgr, err := manager.New(cfg, f.manager)
	if err != nil {
		return err
	}
	log.Info("Starting ramp-controller", "namespace", f.manager.Namespace, "instanceID", f.manager.InstanceID,
		"leaderElect", f.manager.LeaderElect)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		return fmt.Errorf("run manager: %w", err)
	}
	return nil
}

// loggerOptions turns --log-level and --log-format into zap options.
func loggerOptions(level, format string) ([]zap.Opts, error) {
	var lvl zapcore.Level
	switch level {
	case "debug":
		lvl = zapcore.DebugLevel
	case "info":
		lvl = zapcore.InfoLevel
	case "error":
		lvl = zapcore.ErrorLevel
	default:
		var n int
		if _, err := fmt.Sscanf(level, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != level {
			return nil, fmt.Errorf("--log-level must be debug, info, error or a number >= 0, not %q", level)
		}
		lvl = zapcore.Level(-n)
	}
	opts := []zap.Opts{zap.Level(lvl)}
	switch format {
	case "json":
		opts = append(opts, zap.JSONEncoder())
	case "text":
		opts = append(opts, zap.ConsoleEncoder())
	default:
		return nil, fmt.Errorf("--log-format must be json or text, not %q", format)
	}
	return opts, nil
}
