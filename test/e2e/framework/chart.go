package framework

import (
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/helmbin"
)

// RenderChart renders charts/ramp as release in namespace with the --set
// values given, with the pinned helm.
func RenderChart(t testing.TB, release, namespace string, sets ...string) []*unstructured.Unstructured {
	t.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := helmbin.Template(root, t.TempDir(), release, namespace, sets...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeYAML([]byte(out))
	if err != nil {
		t.Fatalf("parse the rendered chart: %v", err)
	}
	return objs
}

// Rendered returns the rendered objects of kind.
func Rendered(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var of []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			of = append(of, o)
		}
	}
	return of
}

// ApplyIdentity creates the rendered ServiceAccount and RBAC objects
// (the Deployment, Services and the rest need an image and are left out),
// and deletes the cluster-scoped ones when the test ends.
func ApplyIdentity(t testing.TB, k8s client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, kind := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
		for _, o := range Rendered(objs, kind) {
			Create(t, k8s, o)
			if o.GetNamespace() == "" {
				t.Cleanup(func() {
					ctx, cancel := APIContext()
					defer cancel()
					_ = k8s.Delete(ctx, o)
				})
			}
		}
	}
}

// ServiceAccountKubeconfig writes a kubeconfig that authenticates as the
// ServiceAccount name in namespace, with a token from the TokenRequest API,
// and returns its path.
func ServiceAccountKubeconfig(t testing.TB, k8s client.Client, namespace, name string) string {
	t.Helper()
	ctx, cancel := APIContext()
	defer cancel()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
	if err := k8s.SubResource("token").Create(ctx, sa, req); err != nil {
		t.Fatalf("request a token of ServiceAccount %s/%s: %v", namespace, name, err)
	}
	admin := cluster.Current().RESTConfig()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["plane"] = &clientcmdapi.Cluster{Server: admin.Host, CertificateAuthorityData: admin.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: req.Status.Token}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: "plane", AuthInfo: name, Namespace: namespace}
	kc.CurrentContext = name
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatalf("write kubeconfig: %v", err)
	}
	return path
}

// ChartControllerArgs returns the arguments of the rendered Deployment's
// container, with $(POD_NAMESPACE) set to namespace.
func ChartControllerArgs(t testing.TB, objs []*unstructured.Unstructured, namespace string) []string {
	t.Helper()
	deploys := Rendered(objs, "Deployment")
	if len(deploys) != 1 {
		t.Fatalf("the chart rendered %d Deployments, want 1", len(deploys))
	}
	containers, _, _ := unstructured.NestedSlice(deploys[0].Object, "spec", "template", "spec", "containers")
	if len(containers) == 0 {
		t.Fatal("the chart's Deployment has no containers")
	}
	rawArgs, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	var args []string
	for _, a := range rawArgs {
		args = append(args, strings.ReplaceAll(a, "$(POD_NAMESPACE)", namespace))
	}
	return args
}

// ChartController renders the chart as release ramp in namespace, applies
// its ServiceAccount and RBAC, and returns the arguments that run
// ramp-controller as the chart's Deployment would, authenticated as that
// ServiceAccount, with its metrics, health and dashboard endpoints off.
// Later arguments win, so a caller may append others.
func ChartController(t testing.TB, k8s client.Client, namespace string) []string {
	t.Helper()
	objs := RenderChart(t, "ramp", namespace)
	ApplyIdentity(t, k8s, objs)
	args := append([]string{"--kubeconfig", ServiceAccountKubeconfig(t, k8s, namespace, "ramp-controller")},
		ChartControllerArgs(t, objs, namespace)...)
	return append(args, "--metrics-bind-address=0", "--health-probe-bind-address=0", "--dashboard-bind-address=0")
}
