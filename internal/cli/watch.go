package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Watching: `get rollout --watch` and `list rollouts --watch` keep a copy
// of the objects they show, listed once and then kept up to date by
// watches (never by polling), and redraw when a burst of changes is over.

// coalesceWindow is how long a redraw waits after a change for the rest of
// its burst (a step changes the Rollout, ReplicaSets and pods within
// milliseconds of each other).
const coalesceWindow = 150 * time.Millisecond

// Relisting after a watch fails: the pause before each try doubles from
// relistBackoff up to relistMaxBackoff, and the command gives up after
// relistTries failures in a row.
const (
	relistBackoff    = 500 * time.Millisecond
	relistMaxBackoff = 8 * time.Second
	relistTries      = 6
)

// watchedSet is a copy of the objects of one kind that a list and a watch
// with the same options select. Its methods are safe for concurrent use.
type watchedSet struct {
	// what names the objects in errors, such as "replica sets".
	what string
	// newList returns an empty list of the kind.
	newList func() client.ObjectList
	// opts select the objects: namespace, label and field selectors.
	opts []client.ListOption
	// keep, when set, drops objects the selectors should have left out
	// (clients that ignore selectors on watches, such as fakes).
	keep func(client.Object) bool

	mu sync.Mutex
	// objects are the objects selected, by namespace and name.
	objects map[types.NamespacedName]client.Object
	// changed are the objects that changed since takeChanges, each in its
	// last version seen; deleted says which of them are gone.
	changed map[types.NamespacedName]client.Object
	deleted map[types.NamespacedName]bool
	// version is the resource version to watch from; "" asks for a list.
	version string
}

// list reads the objects afresh, noting what changed since the last copy.
func (s *watchedSet) list(ctx context.Context, c client.WithWatch) error {
	list := s.newList()
	if err := c.List(ctx, list, s.opts...); err != nil {
		return fmt.Errorf("list %s: %w", s.what, err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return fmt.Errorf("read the list of %s: %w", s.what, err)
	}
	fresh := map[types.NamespacedName]client.Object{}
	for _, item := range items {
		if obj, ok := item.(client.Object); ok && (s.keep == nil || s.keep(obj)) {
			fresh[client.ObjectKeyFromObject(obj)] = obj
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, old := range s.objects {
		if _, ok := fresh[key]; !ok {
			s.note(key, old, true)
		}
	}
	for key, obj := range fresh {
		if old, ok := s.objects[key]; !ok || old.GetResourceVersion() != obj.GetResourceVersion() {
			s.note(key, obj, false)
		}
	}
	s.objects = fresh
	s.version = list.GetResourceVersion()
	return nil
}

// note records a change; the caller holds s.mu.
func (s *watchedSet) note(key types.NamespacedName, obj client.Object, gone bool) {
	if s.changed == nil {
		s.changed = map[types.NamespacedName]client.Object{}
		s.deleted = map[types.NamespacedName]bool{}
	}
	s.changed[key], s.deleted[key] = obj, gone
}

// apply applies one watch event to the copy. It returns false when the
// watch must start again from a new list.
func (s *watchedSet) apply(ev watch.Event) bool {
	if ev.Type == watch.Error {
		return false
	}
	obj, ok := ev.Object.(client.Object)
	if !ok {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := obj.GetResourceVersion(); v != "" {
		s.version = v
	}
	key := client.ObjectKeyFromObject(obj)
	switch ev.Type {
	case watch.Added, watch.Modified:
		if s.keep != nil && !s.keep(obj) {
			return true
		}
		if s.objects == nil {
			s.objects = map[types.NamespacedName]client.Object{}
		}
		s.objects[key] = obj
		s.note(key, obj, false)
	case watch.Deleted:
		if _, ok := s.objects[key]; ok {
			delete(s.objects, key)
			s.note(key, obj, true)
		}
	}
	return true
}

// follow keeps the copy up to date until ctx ends, calling changed after
// every change. A watch that ends is started again from the last resource
// version seen, or from a new list when that version has expired. It
// returns nil when ctx ends, and an error when the API server could not
// be reached relistTries times in a row.
func (s *watchedSet) follow(ctx context.Context, c client.WithWatch, changed func()) error {
	failures := 0
	for ctx.Err() == nil {
		if err := s.watchOnce(ctx, c, changed); err != nil {
			failures++
			if failures >= relistTries {
				return fmt.Errorf("lost the watch of %s after %d tries: %w", s.what, failures, err)
			}
			pause := min(relistBackoff<<(failures-1), relistMaxBackoff)
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
			continue
		}
		failures = 0
	}
	return nil
}

// watchOnce lists when needed, then watches until the watch ends.
func (s *watchedSet) watchOnce(ctx context.Context, c client.WithWatch, changed func()) error {
	s.mu.Lock()
	version := s.version
	s.mu.Unlock()
	if version == "" {
		if err := s.list(ctx, c); err != nil {
			return err
		}
		changed()
		s.mu.Lock()
		version = s.version
		s.mu.Unlock()
	}
	opts := append(append([]client.ListOption(nil), s.opts...),
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: version, AllowWatchBookmarks: true}})
	w, err := c.Watch(ctx, s.newList(), opts...)
	if err != nil {
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			s.forgetVersion()
			return nil
		}
		return fmt.Errorf("watch %s: %w", s.what, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil
			}
			if !s.apply(ev) {
				s.forgetVersion()
				return nil
			}
			if ev.Type != watch.Bookmark {
				changed()
			}
		}
	}
}

// forgetVersion makes the next watch start from a new list.
func (s *watchedSet) forgetVersion() {
	s.mu.Lock()
	s.version = ""
	s.mu.Unlock()
}

// snapshot returns the objects, sorted by namespace and name.
func (s *watchedSet) snapshot() []client.Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]client.Object, 0, len(s.objects))
	for _, obj := range s.objects {
		out = append(out, obj)
	}
	sortObjects(out)
	return out
}

// change is an object that changed, in its last version seen.
type change struct {
	obj     client.Object
	deleted bool
}

// takeChanges returns the objects that changed since the last call,
// sorted by namespace and name, and forgets them.
func (s *watchedSet) takeChanges() []change {
	s.mu.Lock()
	defer s.mu.Unlock()
	objs := make([]client.Object, 0, len(s.changed))
	for _, obj := range s.changed {
		objs = append(objs, obj)
	}
	sortObjects(objs)
	out := make([]change, 0, len(objs))
	for _, obj := range objs {
		out = append(out, change{obj: obj, deleted: s.deleted[client.ObjectKeyFromObject(obj)]})
	}
	s.changed, s.deleted = nil, nil
	return out
}

// sortObjects sorts objects by namespace, then name.
func sortObjects(objs []client.Object) {
	sort.Slice(objs, func(i, j int) bool {
		if objs[i].GetNamespace() != objs[j].GetNamespace() {
			return objs[i].GetNamespace() < objs[j].GetNamespace()
		}
		return objs[i].GetName() < objs[j].GetName()
	})
}

// typed converts a snapshot into values of the set's kind.
func typed[T any, PT interface {
	*T
	client.Object
}](objs []client.Object) []T {
	out := make([]T, 0, len(objs))
	for _, obj := range objs {
		if p, ok := obj.(PT); ok {
			out = append(out, *p)
		}
	}
	return out
}

// followAll starts following every set once they are listed, and returns
// a channel that receives (without blocking, at most one pending) after
// every change, and one that receives the first error.
func followAll(ctx context.Context, c client.WithWatch, sets []*watchedSet) (changed <-chan struct{}, errs <-chan error) {
	ch := make(chan struct{}, 1)
	errCh := make(chan error, len(sets))
	poke := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	for _, s := range sets {
		go func() {
			if err := s.follow(ctx, c, poke); err != nil {
				errCh <- err
			}
		}()
	}
	return ch, errCh
}

// nextBurst waits for a change, then for the burst it starts to end (one
// coalesceWindow), or for tick. It returns false once ctx ends, and the
// first error of the watches.
func nextBurst(ctx context.Context, changed <-chan struct{}, errs <-chan error, tick <-chan time.Time) (bool, error) {
	select {
	case <-ctx.Done():
		return false, nil
	case err := <-errs:
		return false, err
	case <-tick:
		return true, nil
	case <-changed:
	}
	select {
	case <-ctx.Done():
		return false, nil
	case err := <-errs:
		return false, err
	case <-time.After(coalesceWindow):
	}
	select {
	case <-changed:
	default:
	}
	return true, nil
}

// screen shows successive frames of a watch: on a terminal each frame
// replaces the previous one in place; elsewhere frames follow each other,
// separated by a blank line. A frame equal to the last one is not shown
// again.
type screen struct {
	w io.Writer
	// size returns the terminal's columns and rows; nil when w is not a
	// terminal.
	size func() (cols, rows int, err error)
	// last is the last frame shown, and rows the terminal rows it took.
	last string
	rows int
}

// newScreen returns a screen writing to w.
func newScreen(w io.Writer) *screen {
	s := &screen{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		s.size = func() (int, int, error) { return term.GetSize(int(f.Fd())) }
	}
	return s
}

// isTerminal reports whether the screen redraws in place.
func (s *screen) isTerminal() bool { return s.size != nil }

// ANSI sequences that erase a frame: move the cursor up n rows to the
// start of the line, then clear to the end of the screen; or, when the
// frame scrolled past the top, clear the whole screen from its top left.
const (
	ansiUpAndClear = "\x1b[%dF\x1b[J"
	ansiClearAll   = "\x1b[H\x1b[2J"
)

// show draws frame (which ends with a newline) in place of the last one.
func (s *screen) show(frame string) error {
	if frame == s.last {
		return nil
	}
	var b strings.Builder
	cols, height, sizeErr := 0, 0, error(nil)
	if s.isTerminal() {
		cols, height, sizeErr = s.size()
	}
	switch {
	case s.last == "":
	case !s.isTerminal():
		b.WriteByte('\n')
	case sizeErr != nil || s.rows >= height:
		b.WriteString(ansiClearAll)
	default:
		fmt.Fprintf(&b, ansiUpAndClear, s.rows)
	}
	b.WriteString(frame)
	s.last, s.rows = frame, rowsTaken(frame, cols)
	_, err := io.WriteString(s.w, b.String())
	return err
}

// escapes matches ANSI color sequences, which take no room on screen.
var escapes = regexp.MustCompile("\x1b\\[[0-9;]*m")

// rowsTaken is how many terminal rows text takes on a terminal cols wide,
// long lines wrapping.
func rowsTaken(text string, cols int) int {
	rows := 0
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		n := len([]rune(escapes.ReplaceAllString(line, "")))
		if cols <= 0 || n <= cols {
			rows++
			continue
		}
		rows += (n + cols - 1) / cols
	}
	return rows
}
