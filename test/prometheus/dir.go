package prometheus

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rampdev/ramp/test/childproc"
)

// dirPrefix starts the name of every server's temporary directory.
const dirPrefix = "ramp-prometheus-"

// ownerFile, in a server's directory, holds the pid of the test process
// that owns it.
const ownerFile = "owner.pid"

// makeDir creates a server's temporary directory with its configuration.
func makeDir(opts Options) (string, error) {
	dir, err := os.MkdirTemp("", dirPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("create the prometheus directory: %w", err)
	}
	files := map[string]string{
		ownerFile:        strconv.Itoa(os.Getpid()),
		"prometheus.yml": config(opts),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("write %s: %w", name, err)
		}
	}
	return dir, nil
}

// config is prometheus.yml: one job scraping every target's /metrics.
func config(opts Options) string {
	interval := formatDuration(opts.ScrapeInterval)
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", interval, interval, interval)
	b.WriteString("scrape_configs:\n  - job_name: ramp-test\n    static_configs:\n      - targets: [")
	for i, t := range opts.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(t))
	}
	b.WriteString("]\n")
	return b.String()
}

// formatDuration writes d in Prometheus' duration format, in milliseconds
// (such as 1000ms), which holds any interval of a millisecond or more.
func formatDuration(d time.Duration) string {
	ms := d.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// removeStaleDirs removes server directories under root whose owning test
// process is gone, such as those of a test binary killed by go test -timeout
// (its prometheus died with it: see package childproc).
func removeStaleDirs(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		owner, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // being created, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(owner)))
		if err != nil || pid <= 0 || childproc.Alive(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}
