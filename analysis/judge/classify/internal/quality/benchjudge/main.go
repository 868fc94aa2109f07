// Command benchjudge measures the canary judge's false alarms and
// detections on synthetic scenarios and prints a Markdown table (run it
// with `make bench-judge`).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/rampdev/ramp/analysis/judge/classify/internal/quality"
)

func main() {
	trials := flag.Int("trials", 2000, "trials per scenario and sample size")
	seed := flag.Uint64("seed", 1, "seed of the generators (PCG)")
	strict := flag.Bool("strict", false, "exit with status 1 when a target is not met")
	flag.Parse()
	start := time.Now()
	rows := quality.Run(quality.Scenarios(), []int{20, 60}, *trials, *seed, runtime.GOMAXPROCS(0), quality.Ramp)
	fmt.Print(quality.Markdown(rows))
	var missed []string
	for _, r := range rows {
		if !r.Met() {
			missed = append(missed, fmt.Sprintf("%s with %d samples", r.Scenario.Name, r.Samples))
		}
	}
	fmt.Printf("\n%d trials per row, seed %d, %s.\n", *trials, *seed, time.Since(start).Round(time.Second))
	if len(missed) > 0 {
		fmt.Printf("Targets not met (docs/judge.md explains why): %s.\n", strings.Join(missed, "; "))
	}
	if *strict && len(missed) > 0 {
		os.Exit(1)
	}
}
