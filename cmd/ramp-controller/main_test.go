package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	f, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := f.manager
	if !m.LeaderElect {
		t.Error("leader election is off by default; want on")
	}
	if m.MetricsBindAddress != ":8080" || m.HealthProbeBindAddress != ":8081" {
		t.Errorf("addresses = %q, %q; want :8080, :8081", m.MetricsBindAddress, m.HealthProbeBindAddress)
	}
	if m.PprofBindAddress != "0" {
		t.Errorf("pprof address = %q; want 0 (off)", m.PprofBindAddress)
	}
	if m.QPS != 200 || m.Burst != 400 {
		t.Errorf("qps/burst = %v/%v; want 200/400", m.QPS, m.Burst)
	}
	if m.Namespace != "" || m.InstanceID != "" {
		t.Errorf("namespace/instance = %q/%q; want empty", m.Namespace, m.InstanceID)
	}
	if f.logLevel != "info" || f.logFormat != "json" {
		t.Errorf("log = %s/%s; want info/json", f.logLevel, f.logFormat)
	}
}

func TestParseFlagsAll(t *testing.T) {
	f, err := parseFlags([]string{
		"--namespace=team-a", "--instance-id=blue", "--leader-elect=false",
		"--leader-election-namespace=ramp-system", "--leader-election-lease-duration=5s",
		"--metrics-bind-address=127.0.0.1:9090", "--health-probe-bind-address=0", "--pprof-bind-address=localhost:6060",
		"--kube-api-qps=12.5", "--kube-api-burst=30", "--log-level=debug", "--log-format=text",
	})
	if err != nil {
		t.Fatal(err)
	}
	m := f.manager
	if m.Namespace != "team-a" || m.InstanceID != "blue" || m.LeaderElect ||
		m.LeaderElectionNamespace != "ramp-system" || m.LeaseDuration != 5*time.Second ||
		m.MetricsBindAddress != "127.0.0.1:9090" || m.HealthProbeBindAddress != "0" || m.PprofBindAddress != "localhost:6060" ||
		m.QPS != 12.5 || m.Burst != 30 || f.logLevel != "debug" || f.logFormat != "text" {
		t.Errorf("flags not applied: %+v", f)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kube-api-qps=0"}, "--kube-api-qps and --kube-api-burst must be greater than 0"},
		{[]string{"--kube-api-burst=-1"}, "--kube-api-qps and --kube-api-burst must be greater than 0"},
		{[]string{"extra"}, "unexpected arguments: extra"},
		{[]string{"--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
	} {
		_, err := parseFlags(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%v) error = %v; want %q", tc.args, err, tc.want)
		}
	}
}

func TestLoggerOptions(t *testing.T) {
	for _, tc := range []struct {
		level, format string
		wantErr       string
	}{
		{"info", "json", ""},
		{"debug", "text", ""},
		{"error", "json", ""},
		{"4", "json", ""},
		{"loud", "json", "--log-level must be debug, info, error or a number >= 0"},
		{"-1", "json", "--log-level must be"},
		{"info", "xml", "--log-format must be json or text"},
	} {
		_, err := loggerOptions(tc.level, tc.format)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("loggerOptions(%q, %q): %v", tc.level, tc.format, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("loggerOptions(%q, %q) error = %v; want %q", tc.level, tc.format, err, tc.wantErr)
		}
	}
}
