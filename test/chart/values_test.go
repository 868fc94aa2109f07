package chart

import (
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestDefaultClusterRoleMatchesMarkers(t *testing.T) {
	objs := parse(t, render(t))
	role := only(t, objs, "ClusterRole")
	if want := generatedRules(t); !reflect.DeepEqual(role.Rules, want) {
		t.Errorf("ClusterRole %s rules differ from files/rbac/role.yaml (run make manifests?)\n got: %+v\nwant: %+v",
			role.Metadata.Name, role.Rules, want)
	}
	binding := only(t, objs, "ClusterRoleBinding")
	if !strings.Contains(binding.Raw, "name: "+role.Metadata.Name) {
		t.Errorf("ClusterRoleBinding does not reference ClusterRole %s:\n%s", role.Metadata.Name, binding.Raw)
	}
	if n := len(ofKind(objs, "Role")); n != 0 {
		t.Errorf("default render has %d Roles, want none (the ClusterRole covers the Lease)", n)
	}
}

func TestDefaultDeployment(t *testing.T) {
	objs := parse(t, render(t))
	d := only(t, objs, "Deployment").Raw
	for _, want := range []string{
		"replicas: 2",
		"- --leader-elect=true",
		"- --metrics-bind-address=:8080",
		"- --health-probe-bind-address=:8081",
		"- --dashboard-bind-address=:3100",
		"name: POD_NAMESPACE",
		"path: /healthz",
		"path: /readyz",
		"runAsNonRoot: true",
		"readOnlyRootFilesystem: true",
		"allowPrivilegeEscalation: false",
		"- ALL",
		"type: RuntimeDefault",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("Deployment lacks %q:\n%s", want, d)
		}
	}
	for _, absent := range []string{"--dashboard-actions", "--pprof-bind-address"} {
		if strings.Contains(d, absent) {
			t.Errorf("default Deployment has %s", absent)
		}
	}
	var names []string
	for _, s := range ofKind(objs, "Service") {
		names = append(names, s.Metadata.Name)
	}
	if !reflect.DeepEqual(names, []string{"ramp-metrics", "ramp-dashboard"}) {
		t.Errorf("Services = %v, want [ramp-metrics ramp-dashboard]", names)
	}
	only(t, objs, "PodDisruptionBudget")
	if n := len(ofKind(objs, "ServiceMonitor")); n != 0 {
		t.Errorf("default render has %d ServiceMonitors, want none", n)
	}
}

func TestWatchNamespace(t *testing.T) {
	objs := parse(t, render(t, "watchNamespace=apps"))

	var role object
	for _, r := range ofKind(objs, "Role") {
		if r.Metadata.Namespace == "apps" {
			role = r
		}
	}
	if role.Kind == "" {
		t.Fatal("no Role in the watched namespace apps")
	}
	var bound bool
	for _, b := range ofKind(objs, "RoleBinding") {
		if b.Metadata.Namespace == "apps" && strings.Contains(b.Raw, "name: "+role.Metadata.Name) {
			bound = true
		}
	}
	if !bound {
		t.Errorf("no RoleBinding in apps binding Role %s", role.Metadata.Name)
	}

	// Nothing cluster-wide: the Role alone grants what the markers ask
	// for, less the cluster-scoped resources the controller does not read
	// with --namespace.
	if n := len(ofKind(objs, "ClusterRole")) + len(ofKind(objs, "ClusterRoleBinding")); n != 0 {
		t.Errorf("watchNamespace render has %d ClusterRoles and ClusterRoleBindings, want none", n)
	}
	clusterScoped := map[string]bool{"clusteranalysistemplates": true, "clusterrolloutprofiles": true, "namespaces": true}
	want := []rbacv1.PolicyRule{}
	for _, r := range generatedRules(t) {
		var res []string
		for _, name := range r.Resources {
			if base, _, _ := strings.Cut(name, "/"); !clusterScoped[base] {
				res = append(res, name)
			}
		}
		if len(res) > 0 {
			r.Resources = res
			want = append(want, r)
		}
	}
	if got, want := grants(role.Rules), grants(want); !reflect.DeepEqual(got, want) {
		t.Errorf("Role grants %v, want %v", got, want)
	}

	// The Lease lives in the release namespace, outside the watched one.
	var lease bool
	for _, r := range ofKind(objs, "Role") {
		if r.Metadata.Namespace == releaseNamespace && grants(r.Rules)["coordination.k8s.io leases update"] {
			lease = true
		}
	}
	if !lease {
		t.Errorf("no Role in %s granting the leader election Lease", releaseNamespace)
	}
	if d := only(t, objs, "Deployment").Raw; !strings.Contains(d, "- --namespace=apps") {
		t.Errorf("Deployment lacks --namespace=apps:\n%s", d)
	}
}

func TestRoutersDisabled(t *testing.T) {
	for _, tc := range []struct {
		set, group string
	}{
		{"routers.gatewayAPI.enabled=false", "gateway.networking.k8s.io"},
		{"routers.istio.enabled=false", "networking.istio.io"},
	} {
		t.Run(tc.set, func(t *testing.T) {
			rules := only(t, parse(t, render(t, tc.set)), "ClusterRole").Rules
			if hasGroup(rules, tc.group) {
				t.Errorf("ClusterRole still grants %s with %s", tc.group, tc.set)
			}
			if !hasGroup(rules, "ramp.dev") {
				t.Errorf("ClusterRole lost the ramp.dev rules with %s", tc.set)
			}
		})
	}
}

func TestServiceMonitor(t *testing.T) {
	objs := parse(t, render(t, "metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=prom"))
	sm := only(t, objs, "ServiceMonitor").Raw
	for _, want := range []string{"port: metrics", "release: prom", "- " + releaseNamespace} {
		if !strings.Contains(sm, want) {
			t.Errorf("ServiceMonitor lacks %q:\n%s", want, sm)
		}
	}
}

func TestDashboard(t *testing.T) {
	d := only(t, parse(t, render(t, "dashboard.actions=true")), "Deployment").Raw
	if !strings.Contains(d, "- --dashboard-actions\n") {
		t.Errorf("Deployment lacks --dashboard-actions with dashboard.actions=true:\n%s", d)
	}

	objs := parse(t, render(t, "dashboard.enabled=false", "dashboard.actions=true"))
	if d := only(t, objs, "Deployment").Raw; strings.Contains(d, "--dashboard") {
		t.Errorf("Deployment has dashboard flags with dashboard.enabled=false:\n%s", d)
	}
	for _, s := range ofKind(objs, "Service") {
		if s.Metadata.Name == "ramp-dashboard" {
			t.Error("ramp-dashboard Service rendered with dashboard.enabled=false")
		}
	}
}

func TestPprof(t *testing.T) {
	d := only(t, parse(t, render(t, "pprof.bindAddress=127.0.0.1:6060")), "Deployment").Raw
	if !strings.Contains(d, "- --pprof-bind-address=127.0.0.1:6060") {
		t.Errorf("Deployment lacks --pprof-bind-address=127.0.0.1:6060:\n%s", d)
	}
}

func TestSchemaRejectsBadValues(t *testing.T) {
	for _, tc := range []struct {
		name, set, want string
	}{
		{"string replicas", "replicas=two", "/replicas"},
		{"unknown top-level key", "replica=3", "'replica' not allowed"},
		{"bad logLevel", "logLevel=loud", "/logLevel"},
		{"bad logFormat", "logFormat=xml", "/logFormat"},
		{"zero replicas", "replicas=0", "/replicas"},
		{"port out of range", "dashboard.port=70000", "/dashboard/port"},
		{"pprof address with a space", "pprof.bindAddress=localhost 6060", "/pprof/bindAddress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := helm(t, "template", releaseName, "charts/ramp", "--set", tc.set)
			if err == nil {
				t.Fatalf("helm template --set %s succeeded; want the schema to reject it", tc.set)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("helm template --set %s failed without naming %q:\n%s", tc.set, tc.want, errOut)
			}
		})
	}
}
