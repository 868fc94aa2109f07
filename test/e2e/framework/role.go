package framework

import (
	"context"
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/cluster"
)

// The identity of a controller that runs with the chart's ClusterRole.
const (
	ControllerNamespace = "ramp-system"
	ControllerAccount   = "ramp-controller"
)

// ChartRoleConfig creates the controller's ServiceAccount, the ClusterRole
// the chart installs (generated from the code's RBAC markers,
// charts/ramp/files/rbac/role.yaml) and their binding, and returns a
// configuration of the plane that acts as that ServiceAccount: a controller
// run with it is held to the least privilege the chart grants.
func ChartRoleConfig(ctx context.Context, c *cluster.Cluster) (*rest.Config, error) {
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
	docs, err := DecodeYAMLFile(roleFile)
	if err != nil {
		return nil, err
	}
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ControllerNamespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ControllerNamespace, Name: ControllerAccount}},
	}
	for _, d := range docs {
		if d.GetKind() != "ClusterRole" {
			return nil, fmt.Errorf("%s: unexpected %s %s", roleFile, d.GetKind(), d.GetName())
		}
		objs = append(objs, d)
		objs = append(objs, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: d.GetName()},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: d.GetName()},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ControllerNamespace, Name: ControllerAccount}},
		})
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			return nil, fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	cfg := rest.CopyConfig(c.RESTConfig())
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: fmt.Sprintf("system:serviceaccount:%s:%s", ControllerNamespace, ControllerAccount),
	}
	return cfg, nil
}

// StartSharedControllerWithChartRole is StartSharedController with the
// chart's ClusterRole (ChartRoleConfig).
func StartSharedControllerWithChartRole(ctx context.Context, c *cluster.Cluster) error {
	cfg, err := ChartRoleConfig(ctx, c)
	if err != nil {
		return err
	}
	_, err = StartControllerWith(ctx, cfg, ControllerOptions())
	return err
}
