// Package browser drives the dashboard's web UI in Debian's headless
// Chromium through run.mjs (Node and playwright-core, pinned in
// package-lock.json).
package browser

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"testing"
	"time"
)

// browserTimeout bounds one run of run.mjs, npm ci included.
const browserTimeout = 5 * time.Minute

// RunBrowserTest runs `node run.mjs` in this folder against the dashboard
// at url: it checks that rollout (namespace/name), a Paused canary, is
// listed as Paused, that its page shows the step plan and an analysis
// chart, and that Promote moves it to its next step; screenshots go to
// the folder screenshots. node_modules is installed with `npm ci` first
// when it is missing. The test fails with the script's output.
func RunBrowserTest(t *testing.T, url, rollout, screenshots string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	installNodeModules(ctx, t)
	cmd := exec.CommandContext(ctx, "node", "run.mjs")
	cmd.Env = append(os.Environ(),
		"RAMP_DASHBOARD_URL="+url,
		"RAMP_ROLLOUT="+rollout,
		"RAMP_SCREENSHOTS="+screenshots,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser test of %s (rollout %s) failed: %v\n%s", url, rollout, err, out)
	}
	t.Logf("browser test output:\n%s", out)
}

// installNodeModules runs `npm ci` in this folder when node_modules is
// missing.
func installNodeModules(ctx context.Context, t *testing.T) {
	t.Helper()
	if _, err := os.Stat("node_modules"); errors.Is(err, fs.ErrNotExist) {
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in test/browser: %v\n%s", err, out)
		}
	}
}

// TestFakeDashboardInBrowser runs run.mjs against the fake server of
// fake/ (node fake/selftest.mjs), whose canned rollouts show what a test
// cluster cannot easily make: it promotes shop/web, and checks that the
// page of shop/search explains its failed judge verdict in a table.
// Screenshots go to bin/e2e-output/browser-fake.
func TestFakeDashboardInBrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	installNodeModules(ctx, t)
	out, err := exec.CommandContext(ctx, "node", "fake/selftest.mjs", outputDir(t, "browser-fake")).CombinedOutput()
	if err != nil {
		t.Fatalf("node fake/selftest.mjs: %v\n%s", err, out)
	}
	t.Logf("browser test output:\n%s", out)
}

// TestUIUnits runs the UI's own unit tests (parsing of values and
// thresholds, ages, routes) with Node's test runner.
func TestUIUnits(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "--test", "ui.test.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test ui.test.mjs: %v\n%s", err, out)
	}
}
