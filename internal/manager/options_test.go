package manager

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// TestCtrlOptionsPprof checks that the pprof address reaches
// controller-runtime's manager, off ("0") by default. That the manager
// then serves /debug/pprof/ is checked on the binary in test/e2e/controller.
func TestCtrlOptionsPprof(t *testing.T) {
	opts := DefaultOptions()
	if got := ctrlOptions(opts, nil, cache.Options{}).PprofBindAddress; got != "0" {
		t.Errorf("default PprofBindAddress = %q; want 0 (off)", got)
	}
	opts.PprofBindAddress = "localhost:6060"
	if got := ctrlOptions(opts, nil, cache.Options{}).PprofBindAddress; got != "localhost:6060" {
		t.Errorf("PprofBindAddress = %q; want localhost:6060", got)
	}
}

func TestCtrlOptions(t *testing.T) {
	opts := DefaultOptions()
	opts.InstanceID = "blue"
	opts.MetricsBindAddress, opts.HealthProbeBindAddress = ":9090", "0"
	got := ctrlOptions(opts, nil, cache.Options{})
	if got.LeaderElectionID != DefaultLeaderElectionID+"-blue" {
		t.Errorf("LeaderElectionID = %q; want the instance ID appended", got.LeaderElectionID)
	}
	if got.Metrics.BindAddress != ":9090" || got.HealthProbeBindAddress != "0" {
		t.Errorf("metrics/health = %q/%q; want :9090/0", got.Metrics.BindAddress, got.HealthProbeBindAddress)
	}
	if !got.LeaderElection || !got.LeaderElectionReleaseOnCancel || *got.LeaseDuration != opts.LeaseDuration {
		t.Errorf("leader election options not mapped: %+v", got)
	}
}
