package framework

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rampdev/ramp/test/childproc"
	"github.com/rampdev/ramp/test/cluster"
)

// BuildController builds ramp-controller for one test package, into
// bin/e2e/<dir>/ramp-controller, and returns its path. Each package has its
// own path so that a parallel build by another package's tests does not
// overwrite a binary in use.
func BuildController(ctx context.Context, dir string) (string, error) {
	root, err := cluster.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "bin", "e2e", dir, "ramp-controller")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ramp-controller")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ramp-controller: %w\n%s", err, out)
	}
	return bin, nil
}

// BuildControllerSetup is a setup function for cluster.RunTestMain that
// builds ramp-controller for the package dir (BuildController) and sets
// *binary to its path.
func BuildControllerSetup(dir string, binary *string) func(context.Context, *cluster.Cluster) error {
	return func(ctx context.Context, _ *cluster.Cluster) error {
		var err error
		*binary, err = BuildController(ctx, dir)
		return err
	}
}

// maxProcessOutput is how much of a controller's output a test keeps: more
// than one test's run writes, so that no line a test looks for is dropped.
const maxProcessOutput = 64 << 20

// ControllerProcess is a running ramp-controller.
type ControllerProcess struct {
	*childproc.Process
	// Name tells the process apart in the test's output.
	Name string
	// Out is what the process wrote to stdout and stderr.
	Out *childproc.LogBuffer
}

// StartControllerProcess runs the ramp-controller at binary against the
// current plane, with text logs and no metrics or health endpoints unless
// args say otherwise (later flags win, so args may also name another
// --kubeconfig). It stops the process when the test ends and prints its
// output if the test failed.
func StartControllerProcess(t testing.TB, binary, name string, args ...string) *ControllerProcess {
	t.Helper()
	p := &ControllerProcess{Name: name, Out: &childproc.LogBuffer{MaxBytes: maxProcessOutput}}
	all := append([]string{
		"--kubeconfig", cluster.Current().KubeconfigPath(),
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "0",
		"--log-format", "text",
	}, args...)
	cmd := exec.Command(binary, all...)
	cmd.Stdout = p.Out
	cmd.Stderr = p.Out
	// The launcher starts the controller with Pdeathsig from a thread that
	// lives until the controller has exited.
	launcher := childproc.NewLauncher()
	var err error
	if p.Process, err = launcher.StartProcess(cmd); err != nil {
		launcher.Close()
		t.Fatalf("start ramp-controller %s: %v", name, err)
	}
	t.Cleanup(func() {
		p.Stop(10 * time.Second)
		launcher.Close()
		if t.Failed() {
			t.Logf("ramp-controller %s (%s) output:\n%s", name, p.State(), p.Out.String())
		}
	})
	return p
}

// handedOut holds the addresses FreeAddr returned, so that two processes of
// one test binary never get the same port (the kernel readily hands a just
// closed port out again).
var handedOut sync.Map

// FreeAddr returns a free loopback address not yet given to another
// process of this test binary.
func FreeAddr(t testing.TB) string {
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
