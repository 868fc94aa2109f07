package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/test/childproc"
)

// orphanHelperEnv makes the test binary start a plane, print its directory
// and component pids, and wait to be killed.
const orphanHelperEnv = "RAMP_CLUSTER_ORPHAN_HELPER"

// runOrphanHelper is the body of the helper subprocess. It returns only on
// failure.
func runOrphanHelper() {
	c, err := Start(context.Background(), Options{Name: "ramp-plane-orphan", Nodes: -1})
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper: %v\n", err)
		return
	}
	fields := []string{"PLANE", c.Dir()}
	for _, pid := range c.pids() {
		fields = append(fields, strconv.Itoa(pid))
	}
	fmt.Println(strings.Join(fields, " "))
	time.Sleep(10 * time.Minute) // until the test kills us
}

// waitGone waits until none of pids is a live process.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	eventually(t, 20*time.Second, "component processes gone", func() (bool, string) {
		var alive []int
		for _, pid := range pids {
			if childproc.Alive(pid) {
				alive = append(alive, pid)
			}
		}
		return len(alive) == 0, fmt.Sprintf("alive: %v", alive)
	})
}

func TestTwoPlanesSideBySideAndStop(t *testing.T) {
	var (
		planes [2]*Cluster
		errs   [2]error
		wg     sync.WaitGroup
		copied syncBuffer
	)
	// Plane 0 also copies component output to a writer; plane 1 keeps its
	// logs in a directory that outlives it.
	logDir := t.TempDir()
	opts := [2]Options{
		{Name: "ramp-plane-pair", LogWriter: &copied},
		{Name: "ramp-plane-pair", LogDir: logDir},
	}
	for i := range planes {
		wg.Go(func() {
			planes[i], errs[i] = Start(t.Context(), opts[i])
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start plane %d: %v", i, err)
		}
	}
	for _, p := range planes {
		t.Cleanup(func() { _ = p.Stop() })
	}
	if planes[0].RESTConfig().Host == planes[1].RESTConfig().Host {
		t.Fatalf("both planes serve on %s", planes[0].RESTConfig().Host)
	}

	clients := make([]client.Client, 2)
	for i, p := range planes {
		k8s, err := client.New(p.RESTConfig(), client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = k8s
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("only-in-%d", i)}}
		if err := k8s.Create(t.Context(), ns); err != nil {
			t.Fatalf("plane %d: create namespace: %v", i, err)
		}
	}
	for i, k8s := range clients {
		other := fmt.Sprintf("only-in-%d", 1-i)
		err := k8s.Get(t.Context(), client.ObjectKey{Name: other}, &corev1.Namespace{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("plane %d sees namespace %s of the other plane: %v", i, other, err)
		}
		var nodes corev1.NodeList
		if err := k8s.List(t.Context(), &nodes); err != nil || len(nodes.Items) != 1 {
			t.Fatalf("plane %d: want 1 node, got %d (%v)", i, len(nodes.Items), err)
		}
	}

	for i, p := range planes {
		var pids []int
		for _, pid := range p.pids() {
			pids = append(pids, pid)
		}
		if len(pids) != 5 {
			t.Fatalf("plane %d: want 5 components, got %v", i, p.pids())
		}
		start := time.Now()
		if err := p.Stop(); err != nil {
			t.Fatalf("plane %d: stop: %v", i, err)
		}
		t.Logf("plane %d stopped in %s", i, time.Since(start).Round(time.Millisecond))
		waitGone(t, pids)
		if _, err := os.Stat(p.Dir()); !os.IsNotExist(err) {
			t.Fatalf("plane %d: directory %s still there after Stop (%v)", i, p.Dir(), err)
		}
		if err := p.Stop(); err != nil {
			t.Fatalf("plane %d: second Stop: %v", i, err)
		}
	}

	if out := copied.String(); !strings.Contains(out, "[kube-apiserver] ") || !strings.Contains(out, "[kwok] ") {
		t.Errorf("LogWriter did not receive prefixed component output; got %d bytes", len(out))
	}
	for _, name := range []string{binEtcd, binKubeAPIServer, binKubeControllerManager, binKubeScheduler, binKwok} {
		if info, err := os.Stat(filepath.Join(logDir, name+".log")); err != nil || info.Size() == 0 {
			t.Errorf("log of %s in LogDir after Stop: %v", name, err)
		}
	}
}

// syncBuffer is a strings.Builder safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStartFailureReportsLogAndCleansUp(t *testing.T) {
	const name = "ramp-plane-badflag"
	_, err := Start(t.Context(), Options{Name: name, Nodes: -1, ExtraKubeAPIServerFlags: []string{"--no-such-flag"}})
	if err == nil {
		t.Fatal("Start succeeded with an unknown kube-apiserver flag")
	}
	for _, want := range []string{"kube-apiserver exited unexpectedly", "unknown flag: --no-such-flag"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("%s-%d-*", name, os.Getpid())))
	if len(left) != 0 {
		t.Fatalf("failed Start left directories: %v", left)
	}
}

// TestChildrenDieWithParent starts a plane in a subprocess, SIGKILLs the
// subprocess and checks that the kernel killed every component (Pdeathsig),
// and that the next Start's cleanup removes the dead plane's directory.
func TestChildrenDieWithParent(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd, fields := childproc.StartHelper(ctx, t, orphanHelperEnv+"=1", "PLANE ")
	if len(fields) == 0 {
		t.Fatal("helper printed no plane directory")
	}
	dir := fields[0]
	var pids []int
	for _, f := range fields[1:] {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("bad helper line %q", fields)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 5 {
		t.Fatalf("want 5 component pids, got %q", fields)
	}
	for _, pid := range pids {
		if !childproc.Alive(pid) {
			t.Fatalf("component %d not running before the helper is killed", pid)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitGone(t, pids)

	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the killed helper's directory should remain until cleanup: %v", err)
	}
	removeStaleDirs(filepath.Dir(dir))
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("stale directory %s not removed (%v)", dir, err)
	}
}
