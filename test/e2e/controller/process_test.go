package controller

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampdev/ramp/test/childproc"
	"github.com/rampdev/ramp/test/cluster"
)

// controllerProcess is a running ramp-controller.
type controllerProcess struct {
	*childproc.Process
	cmd         *exec.Cmd
	metricsAddr string
	healthAddr  string
	out         *childproc.LogBuffer
}

// maxOutput is how much of a controller's output a test keeps: more than a
// test's run writes, so that no line a test looks for is dropped.
const maxOutput = 64 << 20

// handedOut holds the addresses freeAddr returned, so that two processes of
// this test binary never get the same port (the kernel readily hands a just
// closed port out again).
var handedOut sync.Map

// freeAddr returns a free loopback address not yet given to another process.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		if _, taken := handedOut.LoadOrStore(addr, true); !taken {
			return addr
		}
	}
	t.Fatal("no free port found")
	return ""
}

// startController runs ramp-controller against the test plane with args,
// stops it when the test ends and prints its output if the test failed.
func startController(t *testing.T, args ...string) *controllerProcess {
	t.Helper()
	c := cluster.Current()
	p := &controllerProcess{
		metricsAddr: freeAddr(t),
		healthAddr:  freeAddr(t),
		out:         &childproc.LogBuffer{MaxBytes: maxOutput},
	}
	all := append([]string{
		"--kubeconfig", c.KubeconfigPath(),
		"--metrics-bind-address", p.metricsAddr,
		"--health-probe-bind-address", p.healthAddr,
		"--log-format", "text",
	}, args...)
	p.cmd = exec.Command(controllerBinary, all...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	// The launcher starts the controller with Pdeathsig from a thread that
	// lives until the controller has exited.
	launcher := childproc.NewLauncher()
	var err error
	if p.Process, err = launcher.StartProcess(p.cmd); err != nil {
		launcher.Close()
		t.Fatalf("start ramp-controller: %v", err)
	}
	t.Cleanup(func() {
		p.Stop(10 * time.Second)
		launcher.Close()
		if t.Failed() {
			t.Logf("ramp-controller %s output:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// get fetches a path of one of the controller's endpoints.
func get(ctx context.Context, addr, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// waitEndpoint waits until path answers 200 with a body containing want.
// The endpoint is a plain HTTP server with nothing to watch, so this one
// wait polls, every 100ms.
func (p *controllerProcess) waitEndpoint(t *testing.T, addr, path, want string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	last := ""
	for {
		code, body, err := get(ctx, addr, path)
		if err == nil && code == http.StatusOK && strings.Contains(body, want) {
			return body
		}
		last = fmt.Sprintf("status %d, error %v", code, err)
		select {
		case <-p.Exited():
			t.Fatalf("ramp-controller exited while waiting for %s:\n%s", path, p.out.String())
		case <-ctx.Done():
			t.Fatalf("%s never answered with %q; last: %s", path, want, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
