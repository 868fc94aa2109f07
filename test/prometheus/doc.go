// Package prometheus runs a real Prometheus server for Ramp's end-to-end
// tests, and a traffic source for it to scrape.
//
// Start runs Debian's /usr/bin/prometheus (installed by make prometheus) as
// a child process on a free loopback port, with its configuration and data
// in a temporary directory, and returns once it has scraped every target:
//
//	traffic := prometheus.NewTraffic("checkout")
//	defer traffic.Close()
//	traffic.SetErrorRatio(0.2)
//	srv, err := prometheus.Start(ctx, prometheus.Options{Targets: []string{traffic.Addr()}})
//	if err != nil { ... }
//	defer srv.Stop()
//	// query srv.Address(), such as
//	// sum(rate(http_requests_total{service="checkout",code=~"5.."}[5s])) / sum(rate(http_requests_total{service="checkout"}[5s]))
//
// Kill and Restart simulate an outage of the server mid-run. The process
// gets SIGKILL when the test binary dies, however it dies, so no server
// outlives its test; a directory left by such a death is removed by the
// next Start.
package prometheus
