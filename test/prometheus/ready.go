package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/rampdev/ramp/test/childproc"
)

// readyPoll is how often readiness is checked.
const readyPoll = 100 * time.Millisecond

// waitReady waits until prometheus answers /-/ready and has scraped every
// target successfully since started, and its up samples can be queried.
func (s *Server) waitReady(ctx context.Context, p *childproc.Process, started time.Time) error {
	client, err := api.NewClient(api.Config{Address: s.Address()})
	if err != nil {
		return fmt.Errorf("prometheus client: %w", err)
	}
	promAPI := promv1.NewAPI(client)
	httpClient := &http.Client{Timeout: 2 * time.Second}
	ticker := time.NewTicker(readyPoll)
	defer ticker.Stop()
	for {
		if p.HasExited() {
			return fmt.Errorf("prometheus exited while starting (%s); last lines of its log:\n%s", state(p), childproc.Tail(s.logs.String(), logTailLines))
		}
		ok, waiting := s.checkReady(ctx, httpClient, promAPI, started)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("prometheus at %s was not ready in time (%w): %s; last lines of its log:\n%s", s.Address(), ctx.Err(), waiting, childproc.Tail(s.logs.String(), logTailLines))
		case <-p.Exited():
		case <-ticker.C:
		}
	}
}

// checkReady reports whether the server is ready, or what it waits for.
func (s *Server) checkReady(ctx context.Context, httpClient *http.Client, promAPI promv1.API, started time.Time) (bool, string) {
	if err := getOK(ctx, httpClient, s.Address()+"/-/ready"); err != nil {
		return false, "/-/ready: " + err.Error()
	}
	targets, err := promAPI.Targets(ctx)
	if err != nil {
		return false, "targets: " + err.Error()
	}
	scraped := map[string]bool{}
	for _, t := range targets.Active {
		if t.Health == promv1.HealthGood && t.LastScrape.After(started) {
			scraped[string(t.Labels[model.InstanceLabel])] = true
		}
	}
	for _, want := range s.opts.Targets {
		if !scraped[want] {
			return false, fmt.Sprintf("target %s not scraped successfully yet", want)
		}
	}
	value, _, err := promAPI.Query(ctx, "up == 1", time.Now())
	if err != nil {
		return false, "query up: " + err.Error()
	}
	up := map[string]bool{}
	if vec, ok := value.(model.Vector); ok {
		for _, sample := range vec {
			up[string(sample.Metric[model.InstanceLabel])] = true
		}
	}
	for _, want := range s.opts.Targets {
		if !up[want] {
			return false, fmt.Sprintf("up of target %s is not 1 yet", want)
		}
	}
	return true, ""
}

// getOK sends a GET to url and expects 200.
func getOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}
