package harness

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/rampdev/ramp/test/childproc"
	"github.com/rampdev/ramp/test/cluster"
)

// startPlane starts a local control plane with nodes fake nodes, the
// default CRDs and the audit log of the controller's requests at
// <dir>/audit.log.
func startPlane(ctx context.Context, dir string, nodes int) (*cluster.Cluster, string, error) {
	crds, err := cluster.DefaultCRDPaths()
	if err != nil {
		return nil, "", err
	}
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy(controllerUser)), 0o644); err != nil {
		return nil, "", fmt.Errorf("write the audit policy: %w", err)
	}
	auditPath := filepath.Join(dir, "audit.log")
	c, err := cluster.Start(ctx, cluster.Options{
		Name:                    "ramp-bench",
		Nodes:                   nodes,
		CRDPaths:                crds,
		ExtraKubeAPIServerFlags: auditFlags(policy, auditPath),
		LogDir:                  filepath.Join(dir, "plane"),
		StartTimeout:            5 * time.Minute,
	})
	if err != nil {
		return nil, "", fmt.Errorf("start the control plane: %w", err)
	}
	return c, auditPath, nil
}

// controllerKubeconfig creates the controller's ServiceAccount, bound to
// cluster-admin, and writes a kubeconfig with a token of it to path.
func controllerKubeconfig(ctx context.Context, c *cluster.Cluster, path string) error {
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controllerNamespace}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", controllerNamespace, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNamespace, Name: controllerAccount}}
	if _, err := cs.CoreV1().ServiceAccounts(controllerNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the controller's ServiceAccount: %w", err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ramp-bench-controller"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: controllerNamespace, Name: controllerAccount}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("bind the controller's ServiceAccount to cluster-admin: %w", err)
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](48 * 3600)}}
	tok, err := cs.CoreV1().ServiceAccounts(controllerNamespace).CreateToken(ctx, controllerAccount, req, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("request a token of the controller's ServiceAccount: %w", err)
	}
	admin := c.RESTConfig()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["plane"] = &clientcmdapi.Cluster{Server: admin.Host, CertificateAuthorityData: admin.CAData}
	kc.AuthInfos[controllerAccount] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	kc.Contexts[controllerAccount] = &clientcmdapi.Context{Cluster: "plane", AuthInfo: controllerAccount}
	kc.CurrentContext = controllerAccount
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("write the controller's kubeconfig: %w", err)
	}
	return nil
}

// buildController builds ./cmd/ramp-controller into dir, as released.
func buildController(ctx context.Context, dir string) (string, error) {
	root, err := cluster.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ramp-controller")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ramp-controller")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ramp-controller: %w\n%s", err, out)
	}
	return bin, nil
}

// controllerProcess is ramp-controller running beside the harness.
type controllerProcess struct {
	proc        *childproc.Process
	launcher    *childproc.Launcher
	logPath     string
	metricsAddr string
	pprofAddr   string
}

// startController runs the binary with the kubeconfig, without leader
// election, its metrics, health and profiling endpoints on free loopback
// ports, and waits until it is ready.
func startController(ctx context.Context, bin, kubeconfig, logPath string, extra []string) (*controllerProcess, error) {
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	healthAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create the controller log: %w", err)
	}
	args := append([]string{
		"--kubeconfig", kubeconfig,
		"--leader-elect=false",
		"--metrics-bind-address", metricsAddr,
		"--health-probe-bind-address", healthAddr,
		"--pprof-bind-address", pprofAddr,
		"--log-format", "json",
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	launcher := childproc.NewLauncher()
	proc, err := launcher.StartProcess(cmd)
	if err != nil {
		launcher.Close()
		_ = logFile.Close()
		return nil, fmt.Errorf("start ramp-controller: %w", err)
	}
	go func() {
		<-proc.Exited()
		_ = logFile.Close()
	}()
	p := &controllerProcess{proc: proc, launcher: launcher, logPath: logPath, metricsAddr: metricsAddr, pprofAddr: pprofAddr}
	ready := "http://" + healthAddr + "/readyz"
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if proc.HasExited() {
			p.stop()
			return nil, fmt.Errorf("ramp-controller exited (%s); its log:\n%s", proc.State(), childproc.TailFile(logPath, 30))
		}
		if httpOK(ctx, ready) {
			return p, nil
		}
		if time.Now().After(deadline) || !sleep(ctx, 200*time.Millisecond) {
			p.stop()
			return nil, fmt.Errorf("ramp-controller not ready within 2m; its log:\n%s", childproc.TailFile(logPath, 30))
		}
	}
}

// alive says why the controller is no longer running, nil while it runs.
func (p *controllerProcess) alive() error {
	if p.proc.HasExited() {
		return fmt.Errorf("ramp-controller exited (%s); its log:\n%s", p.proc.State(), childproc.TailFile(p.logPath, 30))
	}
	return nil
}

func (p *controllerProcess) stop() {
	p.proc.Stop(10 * time.Second)
	p.launcher.Close()
}

func httpOK(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// saveHeapProfile writes the controller's heap profile to path, after a
// garbage collection, for `go tool pprof`.
func (p *controllerProcess) saveHeapProfile(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.pprofAddr+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// freeAddr returns a loopback address with a free port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}
