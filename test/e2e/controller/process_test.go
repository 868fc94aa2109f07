package controller

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampdev/ramp/test/e2e/framework"
)

// controllerProcess is a running ramp-controller with its endpoints.
type controllerProcess struct {
	*framework.ControllerProcess
	metricsAddr string
	healthAddr  string
}

// startController runs ramp-controller against the test plane with args
// and its metrics and health endpoints on free ports, stops it when the
// test ends and prints its output if the test failed.
func startController(t *testing.T, args ...string) *controllerProcess {
	t.Helper()
	p := &controllerProcess{metricsAddr: framework.FreeAddr(t), healthAddr: framework.FreeAddr(t)}
	all := append([]string{"--metrics-bind-address", p.metricsAddr, "--health-probe-bind-address", p.healthAddr}, args...)
	p.ControllerProcess = framework.StartControllerProcess(t, controllerBinary, strings.Join(args, " "), all...)
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
			t.Fatalf("ramp-controller exited while waiting for %s:\n%s", path, p.Out.String())
		case <-ctx.Done():
			t.Fatalf("%s never answered with %q; last: %s", path, want, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
