// Package cluster runs a real local Kubernetes control plane for Ramp's
// end-to-end tests and for make dev, without containers: etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok (which
// plays the kubelet for fake nodes) run as child processes on loopback.
//
// # Binaries
//
// EnsureBinaries builds the binaries from the versions pinned in
// hack/tools/go.mod (the only place they are set) into
// ${XDG_CACHE_HOME:-$HOME/.cache}/ramp/testbin/<k8s>-<etcd>-<kwok>/, once per
// machine and version set; a file lock makes parallel test packages share one
// build. The first build takes several minutes, later ones are instant.
//
// # A plane
//
// Start chooses free loopback ports, generates a CA, a serving certificate,
// a service-account key pair and static bearer tokens, and starts the
// components in order, waiting for each to be healthy. kube-apiserver uses
// RBAC authorization; kube-controller-manager runs the workload, garbage
// collection, namespace, service-account and endpoint controllers; kwok
// makes pods on fake nodes Running and Ready, completes Job pods and removes
// deleted pods (see StageAnnotation and Options.KwokStages for other
// behavior). Start then creates fake nodes and installs CRDs. Once built, a
// plane is ready in a few seconds and uses about half a GiB of memory.
//
// Every child process gets SIGKILL when the test process dies, however it
// dies (panic, go test -timeout, SIGKILL), so no component outlives its test
// binary; temporary directories left by such deaths are removed by the next
// Start. Stop shuts a plane down and removes its directory.
//
// # End-to-end test packages
//
// Each e2e package runs its own plane from TestMain:
//
//	func TestMain(m *testing.M) {
//		cluster.RunTestMain(m, cluster.Options{}, func(ctx context.Context, c *cluster.Cluster) error {
//			return startController(ctx, c.RESTConfig()) // optional
//		})
//	}
//
//	func TestRollout(t *testing.T) {
//		c := cluster.Current()
//		k8sClient, err := client.New(c.RESTConfig(), client.Options{})
//		...
//	}
//
// RunTestMain installs Ramp's CRDs (charts/ramp/crds), Gateway API's and
// Istio's CRDs, and prints every component's log tail when a test fails.
package cluster
