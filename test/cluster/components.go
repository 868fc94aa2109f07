package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/rampdev/ramp/test/childproc"
)

// componentTimeout bounds the wait for one component to become healthy.
const componentTimeout = 90 * time.Second

// Controllers run by kube-controller-manager: the workload controllers Ramp
// drives, garbage collection, namespace deletion, service accounts and their
// tokens, and service endpoints. Node lifecycle, IPAM, volumes and cloud
// controllers are off: kwok nodes need none of them.
var controllers = []string{
	"deployment-controller",
	"replicaset-controller",
	"statefulset-controller",
	"daemonset-controller",
	"job-controller",
	"cronjob-controller",
	"ttl-after-finished-controller",
	"garbage-collector-controller",
	"namespace-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller",
	"endpoints-controller",
	"endpointslice-controller",
	"disruption-controller",
	"pod-garbage-collector-controller",
	"clusterrole-aggregation-controller",
}

// kubeconfig file names in the plane directory, one per user.
var kubeconfigFiles = map[string]string{
	userAdmin:             "admin.kubeconfig",
	userControllerManager: "controller-manager.kubeconfig",
	userScheduler:         "scheduler.kubeconfig",
	userKwok:              "kwok.kubeconfig",
}

func (c *Cluster) apiServerURL() string {
	return "https://127.0.0.1:" + strconv.Itoa(c.ports.apiServer)
}

// writeKubeconfigs writes a kubeconfig per user and builds the admin
// rest.Config.
func (c *Cluster) writeKubeconfigs() error {
	for user, file := range kubeconfigFiles {
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["ramp-plane"] = &clientcmdapi.Cluster{
			Server:                   c.apiServerURL(),
			CertificateAuthorityData: c.pki.caPEM,
		}
		cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: c.pki.componentToks[user]}
		cfg.Contexts["ramp-plane"] = &clientcmdapi.Context{Cluster: "ramp-plane", AuthInfo: user}
		cfg.CurrentContext = "ramp-plane"
		if err := clientcmd.WriteToFile(*cfg, filepath.Join(c.dir, file)); err != nil {
			return fmt.Errorf("write kubeconfig for %s: %w", user, err)
		}
	}
	c.kubeconfigPath = filepath.Join(c.dir, kubeconfigFiles[userAdmin])
	c.restConfig = &rest.Config{
		Host:            c.apiServerURL(),
		BearerToken:     c.pki.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.pki.caPEM},
		QPS:             200,
		Burst:           400,
	}
	client, err := kubernetes.NewForConfig(c.restConfig)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	c.client = client
	return nil
}

// startComponents starts etcd and kube-apiserver one after the other, then
// kube-controller-manager, kube-scheduler and kwok together, waiting for each
// to be healthy.
func (c *Cluster) startComponents(ctx context.Context) error {
	etcd, err := c.startComponent(binEtcd, c.etcdArgs(), nil)
	if err != nil {
		return err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d/health", c.ports.etcdClient)
	if err := c.waitHealthy(ctx, etcd, httpCheck(http.DefaultClient, etcdURL, "", `"health":"true"`)); err != nil {
		return err
	}

	apiServer, err := c.startComponent(binKubeAPIServer, append(c.apiServerArgs(), c.opts.ExtraKubeAPIServerFlags...), nil)
	if err != nil {
		return err
	}
	if err := c.waitHealthy(ctx, apiServer, c.apiServerReady()); err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Join(c.dir, "kwok"), 0o755); err != nil {
		return fmt.Errorf("create kwok directory: %w", err)
	}
	kwokConfig := filepath.Join(c.dir, "kwok", "stages.yaml")
	if err := writeKwokConfig(kwokConfig, c.opts.KwokStages); err != nil {
		return err
	}
	kcm, err := c.startComponent(binKubeControllerManager, append(c.controllerManagerArgs(), c.opts.ExtraKubeControllerManagerFlags...), nil)
	if err != nil {
		return err
	}
	scheduler, err := c.startComponent(binKubeScheduler, c.schedulerArgs(), nil)
	if err != nil {
		return err
	}
	// kwok reads ~/.kwok/kwok.yaml when it exists; a private HOME keeps a
	// developer's own kwok configuration out of the plane.
	kwok, err := c.startComponent(binKwok, c.kwokArgs(kwokConfig), []string{"HOME=" + filepath.Join(c.dir, "kwok")})
	if err != nil {
		return err
	}

	// Components serving their own self-signed certificates.
	selfSigned := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe of a self-signed test component
	}}
	checks := []struct {
		p     *process
		check func(context.Context) error
	}{
		{kcm, httpCheck(selfSigned, fmt.Sprintf("https://127.0.0.1:%d/healthz", c.ports.controllerManager), "", "ok")},
		{scheduler, httpCheck(selfSigned, fmt.Sprintf("https://127.0.0.1:%d/healthz", c.ports.scheduler), "", "ok")},
		{kwok, httpCheck(http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/healthz", c.ports.kwok), "", "ok")},
	}
	for _, ch := range checks {
		if err := c.waitHealthy(ctx, ch.p, ch.check); err != nil {
			return err
		}
	}
	return nil
}

// startComponent starts one binary with its log in the log directory.
func (c *Cluster) startComponent(name string, args, extraEnv []string) (*process, error) {
	env := append(os.Environ(), extraEnv...)
	p, err := startProcess(c.launcher, name, filepath.Join(c.binDir, name), args, env, c.dir,
		filepath.Join(c.logDir, name+".log"), c.opts.LogWriter)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return p, nil
}

func (c *Cluster) etcdArgs() []string {
	client := fmt.Sprintf("http://127.0.0.1:%d", c.ports.etcdClient)
	peer := fmt.Sprintf("http://127.0.0.1:%d", c.ports.etcdPeer)
	return []string{
		"--name=plane",
		"--data-dir=" + filepath.Join(c.dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=plane=" + peer,
		"--initial-cluster-state=new",
		// Test data is thrown away; skipping fsync makes etcd much faster.
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
}

func (c *Cluster) apiServerArgs() []string {
	return []string{
		"--advertise-address=127.0.0.1",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.ports.apiServer),
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", c.ports.etcdClient),
		"--cert-dir=" + filepath.Join(c.dir, "apiserver"),
		"--tls-cert-file=" + c.pki.servingCert,
		"--tls-private-key-file=" + c.pki.servingKey,
		"--client-ca-file=" + c.pki.caCert,
		"--token-auth-file=" + c.pki.tokensCSV,
		"--authorization-mode=RBAC",
		"--service-account-key-file=" + c.pki.saPub,
		"--service-account-signing-key-file=" + c.pki.saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=" + serviceCIDR,
		// The kubernetes service cannot have loopback endpoints.
		"--endpoint-reconciler-type=none",
		// Front-proxy settings, published for the delegated authentication
		// of kube-controller-manager and kube-scheduler. No client
		// certificate with the allowed name is ever issued.
		"--requestheader-client-ca-file=" + c.pki.caCert,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--allow-privileged=true",
		"--profiling=false",
		// Tests and controllers under test send bursts of requests.
		"--max-requests-inflight=1000",
		"--max-mutating-requests-inflight=500",
	}
}

func (c *Cluster) controllerManagerArgs() []string {
	kubeconfig := filepath.Join(c.dir, kubeconfigFiles[userControllerManager])
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.ports.controllerManager),
		"--cert-dir=" + filepath.Join(c.dir, "controller-manager"),
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file=" + c.pki.saKey,
		"--root-ca-file=" + c.pki.caCert,
		"--controllers=" + strings.Join(controllers, ","),
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--profiling=false",
	}
}

func (c *Cluster) schedulerArgs() []string {
	kubeconfig := filepath.Join(c.dir, kubeconfigFiles[userScheduler])
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.ports.scheduler),
		"--cert-dir=" + filepath.Join(c.dir, "scheduler"),
		"--leader-elect=false",
		"--profiling=false",
	}
}

func (c *Cluster) kwokArgs(config string) []string {
	return []string{
		"--kubeconfig=" + filepath.Join(c.dir, kubeconfigFiles[userKwok]),
		"--config=" + config,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + fakeNodeAnnotation + "=" + fakeNodeValue,
		"--server-address=127.0.0.1:" + strconv.Itoa(c.ports.kwok),
		"--cidr=" + podCIDR,
		"--node-ip=10.63.255.254",
	}
}

// waitHealthy polls check until it succeeds. It fails early, with the log
// tail, when the process exits, and fails with the last check error and the
// log tail on timeout.
func (c *Cluster) waitHealthy(ctx context.Context, p *process, check func(context.Context) error) error {
	err := poll(ctx, componentTimeout, func(ctx context.Context) error {
		if p.HasExited() {
			return permanent(p.exitError())
		}
		return check(ctx)
	})
	switch {
	case err == nil:
		return nil
	case p.HasExited():
		if strings.Contains(err.Error(), "address already in use") {
			return fmt.Errorf("%w: %w", errPortInUse, err)
		}
		return err
	default:
		return fmt.Errorf("wait for %s to be healthy: %w; last lines of %s:\n%s",
			p.name, err, p.logPath, childproc.TailFile(p.logPath, logTailLines))
	}
}

// httpCheck returns a check that GETs url (with a bearer token when not
// empty) and wants status 200 and a body containing want.
func httpCheck(client *http.Client, url, token, want string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		}
		return nil
	}
}

// waitDefaultServiceAccount waits for the service account controller to
// create default/default, a sign that kube-controller-manager works.
func (c *Cluster) waitDefaultServiceAccount(ctx context.Context) error {
	err := poll(ctx, componentTimeout, func(ctx context.Context) error {
		_, err := c.client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("wait for the default service account: %w; kube-controller-manager log:\n%s",
			err, c.logTail(binKubeControllerManager, 30))
	}
	return nil
}

// RestartAPIServer stops kube-apiserver (SIGTERM, then SIGKILL after the
// grace period), keeps it down for down, starts it again with the same
// flags and returns once it is ready. Its earlier log is kept beside the
// new one (kube-apiserver.log.1, .2, ...). Clients see their connections
// fail while it is down, as in an API server upgrade or crash.
func (c *Cluster) RestartAPIServer(ctx context.Context, down time.Duration) error {
	c.mu.Lock()
	idx := -1
	var old *process
	for i, p := range c.procs {
		if p.name == binKubeAPIServer {
			idx, old = i, p
		}
	}
	c.mu.Unlock()
	if old == nil {
		return errors.New("no kube-apiserver to restart")
	}
	old.Stop(stopGrace)
	for n := 1; ; n++ {
		kept := fmt.Sprintf("%s.%d", old.logPath, n)
		if _, err := os.Stat(kept); errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(old.logPath, kept); err != nil {
				return fmt.Errorf("keep the kube-apiserver log: %w", err)
			}
			break
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(down):
	}
	p, err := startProcess(c.launcher, binKubeAPIServer, filepath.Join(c.binDir, binKubeAPIServer),
		append(c.apiServerArgs(), c.opts.ExtraKubeAPIServerFlags...), os.Environ(), c.dir, old.logPath, c.opts.LogWriter)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.procs[idx] = p
	c.mu.Unlock()
	return c.waitHealthy(ctx, p, c.apiServerReady())
}

// apiServerReady checks kube-apiserver's /readyz as the admin.
func (c *Cluster) apiServerReady() func(context.Context) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.pki.caPEM)
	apiClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return httpCheck(apiClient, c.apiServerURL()+"/readyz", c.pki.adminToken, "ok")
}
