package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/rampdev/ramp/test/childproc"
)

// Options configure a plane. The zero value is a plane with one fake node
// and no CRDs.
type Options struct {
	// Name prefixes the plane's temporary directory
	// (<TMPDIR>/<Name>-<pid>-<random>). Default "ramp-plane".
	Name string

	// Nodes is the number of fake nodes created at start. Default 1;
	// a negative value creates none.
	Nodes int

	// CRDPaths are YAML files or directories of YAML files whose
	// CustomResourceDefinitions are installed once the plane is up; see
	// InstallCRDs.
	CRDPaths []string

	// ExtraKubeAPIServerFlags are appended to kube-apiserver's flags, for
	// example "--feature-gates=...". A later flag overrides an earlier one.
	ExtraKubeAPIServerFlags []string

	// ExtraKubeControllerManagerFlags are appended to
	// kube-controller-manager's flags.
	ExtraKubeControllerManagerFlags []string

	// KwokStages are extra kwok Stage YAML documents, loaded after the
	// default stages. See StageAnnotation for how to keep the defaults off a
	// pod.
	KwokStages []string

	// LogWriter, when set, also receives every component's output, each line
	// prefixed with "[component] ".
	LogWriter io.Writer

	// LogDir, when set, holds the component logs (<component>.log, truncated
	// at start) instead of the temporary directory, so that they survive
	// Stop. Use one LogDir per plane.
	LogDir string

	// StartTimeout bounds Start once the binaries are built, node creation
	// and CRD installation included. Default 2m.
	StartTimeout time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		o.Name = "ramp-plane"
	}
	if strings.ContainsAny(o.Name, `/\`) {
		return o, fmt.Errorf("plane name %q must not contain a path separator", o.Name)
	}
	if o.Nodes == 0 {
		o.Nodes = 1
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 2 * time.Minute
	}
	return o, nil
}

// Network settings of every plane. They are virtual: nothing routes them.
const (
	serviceCIDR = "10.96.0.0/16"
	podCIDR     = "10.64.0.0/10"
)

// serviceIP is the ClusterIP of the default/kubernetes service.
var serviceIP = net.IPv4(10, 96, 0, 1)

// pidFile in a plane directory names the process that owns it.
const pidFile = "plane.pid"

// errPortInUse marks a start failure caused by a port taken between choosing
// it and binding it; Start retries with new ports.
var errPortInUse = errors.New("port already in use")

// Cluster is a running local control plane: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok as child processes bound
// to loopback. Its methods are safe for concurrent use.
type Cluster struct {
	opts   Options
	dir    string // temporary directory, removed by Stop
	logDir string
	binDir string
	ports  ports
	pki    *pkiFiles

	restConfig     *rest.Config
	kubeconfigPath string
	client         kubernetes.Interface

	launcher *childproc.Launcher

	mu        sync.Mutex
	procs     []*process // in start order
	nodeCount int

	stopOnce sync.Once
	stopErr  error
}

// ports are the loopback ports of one plane.
type ports struct {
	etcdClient, etcdPeer, apiServer, controllerManager, scheduler, kwok int
}

// Start builds the binaries if needed (see EnsureBinaries), starts a plane,
// creates opts.Nodes fake nodes, installs opts.CRDPaths and returns once all
// of it is ready. On failure everything started is stopped again, and the
// error includes the log tail of a component that exited. Call Stop when
// done.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	// The first build takes minutes and is not part of StartTimeout.
	binDir, err := EnsureBinaries(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	removeStaleDirs(os.TempDir())

	const attempts = 3
	for attempt := 1; ; attempt++ {
		c, err := start(ctx, opts, binDir)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == attempts {
			return nil, err
		}
	}
}

// start makes one attempt at starting a plane.
func start(ctx context.Context, opts Options, binDir string) (_ *Cluster, err error) {
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s-%d-", opts.Name, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("create plane directory: %w", err)
	}
	c := &Cluster{opts: opts, dir: dir, logDir: dir, binDir: binDir, launcher: childproc.NewLauncher()}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("write plane pid file: %w", err)
	}
	if opts.LogDir != "" {
		if err := os.MkdirAll(opts.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("create log directory: %w", err)
		}
		c.logDir = opts.LogDir
	}
	free, err := freePorts(6)
	if err != nil {
		return nil, err
	}
	c.ports = ports{free[0], free[1], free[2], free[3], free[4], free[5]}
	if c.pki, err = writePKI(filepath.Join(dir, "pki"), serviceIP); err != nil {
		return nil, err
	}
	if err := c.writeKubeconfigs(); err != nil {
		return nil, err
	}
	if err := c.startComponents(ctx); err != nil {
		return nil, err
	}
	if err := c.CreateNodes(ctx, opts.Nodes); err != nil {
		return nil, err
	}
	if err := c.waitDefaultServiceAccount(ctx); err != nil {
		return nil, err
	}
	if err := c.InstallCRDs(ctx, opts.CRDPaths...); err != nil {
		return nil, err
	}
	return c, nil
}

// RESTConfig returns a new copy of the admin client configuration: bearer
// token of a user in system:masters, the plane's CA, QPS 200 and burst 400.
func (c *Cluster) RESTConfig() *rest.Config {
	return rest.CopyConfig(c.restConfig)
}

// KubeconfigPath returns the path of an admin kubeconfig file for kubectl
// and other clients. It is removed by Stop.
func (c *Cluster) KubeconfigPath() string { return c.kubeconfigPath }

// KubectlPath returns the path of the kubectl binary matching the plane's
// Kubernetes version.
func (c *Cluster) KubectlPath() string { return filepath.Join(c.binDir, binKubectl) }

// BinDir returns the directory of the control-plane binaries.
func (c *Cluster) BinDir() string { return c.binDir }

// Dir returns the plane's temporary directory, removed by Stop.
func (c *Cluster) Dir() string { return c.dir }

// Stop stops the components in reverse start order (SIGTERM, then SIGKILL
// after a grace period), waits for them to exit and removes the temporary
// directory. It is idempotent; later calls return the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		procs := append([]*process(nil), c.procs...)
		c.mu.Unlock()
		// Leaf components first, together; then kube-apiserver, then etcd.
		var leaves sync.WaitGroup
		for i := len(procs) - 1; i >= 0; i-- {
			p := procs[i]
			if p.name == binKubeAPIServer || p.name == binEtcd {
				continue
			}
			leaves.Add(1)
			go func() {
				defer leaves.Done()
				p.Stop(stopGrace)
			}()
		}
		leaves.Wait()
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].Stop(stopGrace)
		}
		c.launcher.Close()
		if err := os.RemoveAll(c.dir); err != nil {
			c.stopErr = fmt.Errorf("remove plane directory: %w", err)
		}
	})
	return c.stopErr
}

// DumpLogs writes the last 100 lines of each component's log to w, in start
// order, each under a header with the component's state.
func (c *Cluster) DumpLogs(w io.Writer) {
	c.mu.Lock()
	procs := append([]*process(nil), c.procs...)
	c.mu.Unlock()
	for _, p := range procs {
		_, _ = fmt.Fprintf(w, "===== %s (pid %d, %s), last %d lines of %s =====\n%s\n",
			p.name, p.Pid(), p.State(), logTailLines, p.logPath, childproc.TailFile(p.logPath, logTailLines))
	}
}

// pids returns the process ids of the components, in start order.
func (c *Cluster) pids() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, p := range c.procs {
		out[p.name] = p.Pid()
	}
	return out
}

// logTail returns the last n lines of a component's log.
func (c *Cluster) logTail(name string, n int) string {
	return childproc.TailFile(filepath.Join(c.logDir, name+".log"), n)
}

// freePorts returns n distinct free loopback TCP ports. The listeners are
// held until all ports are chosen so that no port is returned twice.
func freePorts(n int) ([]int, error) {
	out := make([]int, 0, n)
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// removeStaleDirs removes plane directories under root whose owning process
// is gone, such as those of a test binary killed by go test -timeout.
func removeStaleDirs(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, pidFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if !strings.Contains(e.Name(), "-"+strconv.Itoa(pid)+"-") || childproc.Alive(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// poll calls check every 100ms until it returns nil. An error from check
// says why the wait is not over yet; the last one is part of the error
// returned when ctx ends or timeout passes. An error wrapped by permanent
// ends the wait at once and is returned unwrapped.
func poll(ctx context.Context, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		var p permanentError
		if errors.As(err, &p) {
			return p.err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last seen: %w", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// permanentError marks an error that ends a poll.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }

// permanent makes poll stop with err.
func permanent(err error) error { return permanentError{err: err} }
