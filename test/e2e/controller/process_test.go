package controller

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampdev/ramp/test/cluster"
)

// controllerProcess is a running ramp-controller.
type controllerProcess struct {
	cmd         *exec.Cmd
	metricsAddr string
	healthAddr  string
	out         *syncBuffer
	done        chan struct{}
}

// syncBuffer is a bytes.Buffer safe for a writer process and a reader test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

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
		out:         &syncBuffer{},
		done:        make(chan struct{}),
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
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start ramp-controller: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("ramp-controller %s output:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// kill sends sig and waits for the process to exit (SIGKILL after 10s).
func (p *controllerProcess) kill(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
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
		case <-p.done:
			t.Fatalf("ramp-controller exited while waiting for %s:\n%s", path, p.out.String())
		case <-ctx.Done():
			t.Fatalf("%s never answered with %q; last: %s", path, want, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
