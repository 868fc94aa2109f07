// Command kubectl-ramp is the kubectl plugin for Ramp, used as `kubectl ramp`.
package main

import (
	"os"

	"github.com/rampdev/ramp/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
