package rollout

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
)

// writtenVersions remembers, per Rollout, the resourceVersion of this
// controller's last status write. A reconcile that reads an older version
// from the cache would act on a status that no longer holds (say, point
// the active Service back at a version it has just left) before its own
// status write failed on the conflict; it waits for the cache instead.
// The zero value is ready.
type writtenVersions struct {
	mu  sync.Mutex
	rvs map[types.NamespacedName]string
}

// record remembers rv as the version the controller wrote for key.
func (w *writtenVersions) record(key types.NamespacedName, rv string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rvs == nil {
		w.rvs = map[types.NamespacedName]string{}
	}
	w.rvs[key] = rv
}

// stale reports whether rv, read from the cache, is older than the version
// the controller last wrote for key.
func (w *writtenVersions) stale(key types.NamespacedName, rv string) bool {
	w.mu.Lock()
	written, ok := w.rvs[key]
	w.mu.Unlock()
	if !ok {
		return false
	}
	c, err := resourceversion.CompareResourceVersion(rv, written)
	return err == nil && c < 0
}

// forget drops what is remembered for key (the Rollout is gone).
func (w *writtenVersions) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.rvs, key)
}
