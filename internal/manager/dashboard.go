package manager

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/internal/dashboard"
	"github.com/rampdev/ramp/internal/dashboard/ui"
)

// The in-cluster dashboard reads the Events of a rollout when its page
// opens. It signs people in and checks each of their actions against the
// cluster's RBAC with their own token (a SelfSubjectReview and a
// SelfSubjectAccessReview, which every authenticated user may create), so
// the controller needs no permission for that.
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=list

// addDashboard serves the dashboard from the manager's cache on every
// replica (not only the leader) when opts.DashboardBindAddress is set:
// read-only unless opts.DashboardActions, and then only for people who
// sign in with a token whose RBAC allows the action.
func addDashboard(mgr ctrl.Manager, cfg *rest.Config, opts Options) error {
	if opts.DashboardBindAddress == "" || opts.DashboardBindAddress == "0" {
		return nil
	}
	srv, err := dashboard.New(dashboard.Options{
		Reader:       dashboard.EventsAndRunsDirect(mgr.GetCache(), mgr.GetAPIReader()),
		Informers:    mgr.GetCache(),
		UI:           ui.Files,
		ReadOnly:     !opts.DashboardActions,
		Authenticate: dashboard.AuthToken,
		ClientForToken: func(token string) (client.Client, error) {
			c := rest.AnonymousClientConfig(cfg)
			c.BearerToken = token
			return client.New(c, client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
		},
		Logger: ctrl.Log.WithName("dashboard"),
	})
	if err != nil {
		return fmt.Errorf("create the dashboard: %w", err)
	}
	return mgr.Add(dashboardRunnable{srv: srv, addr: opts.DashboardBindAddress})
}

// dashboardRunnable runs the dashboard with the manager, on every replica.
type dashboardRunnable struct {
	srv  *dashboard.Server
	addr string
}

// Start serves until ctx ends.
func (d dashboardRunnable) Start(ctx context.Context) error {
	return d.srv.Start(ctx, d.addr)
}

// NeedLeaderElection is false: every replica serves the dashboard.
func (d dashboardRunnable) NeedLeaderElection() bool { return false }
