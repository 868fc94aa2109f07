// Package childproc starts the child processes of test helpers (control-plane
// components, prometheus, ramp-controller, hack/dev) so that they die with
// the test binary, and stops them again.
//
// # Pdeathsig and threads
//
// A child started with SysProcAttr.Pdeathsig = SIGKILL is killed by the
// kernel when its parent dies, so a test binary killed by go test -timeout,
// a panic or SIGKILL leaves no process behind. But Linux ties that signal to
// the thread that forked the child, not to the whole process: the child is
// killed as soon as that one thread exits. The Go runtime forks from
// whichever OS thread the calling goroutine happens to run on, and ends
// threads when it sees fit (every time a goroutine that called
// runtime.LockOSThread returns without unlocking, for one). A child started
// with Pdeathsig from an ordinary goroutine may therefore be killed in the
// middle of a test, long before the test binary exits.
//
// A Launcher avoids this: it starts every child from one goroutine that has
// locked itself to its OS thread and stays parked there until Close. That
// thread lives as long as the launcher, and dies with the test binary.
//
// # Processes and logs
//
// Launcher.StartProcess returns a Process, whose exit is awaited in the
// background and which Stop ends with SIGTERM, then SIGKILL after a grace
// period. LogBuffer keeps the last part of a process's output in memory,
// Tail and TailFile return the last lines of an output, and Alive tells
// whether a pid is a live process.
package childproc
