// Package routing checks traffic routing end to end against a local
// control plane with the Gateway API and Istio CRDs installed: canaries
// over an HTTPRoute and over a VirtualService with a DestinationRule,
// checking the route objects at every step, after promotion and after an
// abort (weights, managed routes, subsets with the right hash, the user's
// fields untouched); an analysis failure that sends the weight to 0 before
// the canary scales down; routes that are missing or lack a Service, which
// stall the Rollout with a message naming them and write nothing; and an
// edit by someone else, corrected once and reported.
//
// The package's controller runs as a ServiceAccount bound to the
// ClusterRole generated from the code's RBAC markers
// (charts/ramp/files/rbac/role.yaml), so the suite also proves that the
// role covers the route kinds the routers read and patch.
package routing

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// The controller's identity in the suite.
const (
	controllerNamespace = "ramp-system"
	controllerAccount   = "ramp-controller"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, func(ctx context.Context, c *cluster.Cluster) error {
		cfg, err := controllerConfig(ctx, c)
		if err != nil {
			return err
		}
		_, err = framework.StartControllerWith(ctx, cfg, framework.ControllerOptions())
		return err
	})
}

// controllerConfig creates the controller's ServiceAccount, its ClusterRole
// (the generated one) and their binding, and returns a configuration that
// acts as that ServiceAccount.
func controllerConfig(ctx context.Context, c *cluster.Cluster) (*rest.Config, error) {
	scheme, err := manager.NewScheme()
	if err != nil {
		return nil, err
	}
	k8s, err := client.New(c.RESTConfig(), client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	root, err := cluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	roleFile := filepath.Join(root, "charts", "ramp", "files", "rbac", "role.yaml")
	docs, err := framework.DecodeYAMLFile(roleFile)
	if err != nil {
		return nil, err
	}
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controllerNamespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNamespace, Name: controllerAccount}},
	}
	for _, d := range docs {
		if d.GetKind() != "ClusterRole" {
			return nil, fmt.Errorf("%s: unexpected %s %s", roleFile, d.GetKind(), d.GetName())
		}
		objs = append(objs, d)
		objs = append(objs, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: d.GetName()},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: d.GetName()},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: controllerNamespace, Name: controllerAccount}},
		})
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			return nil, fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	cfg := rest.CopyConfig(c.RESTConfig())
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: fmt.Sprintf("system:serviceaccount:%s:%s", controllerNamespace, controllerAccount),
	}
	return cfg, nil
}
