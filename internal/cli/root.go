// Package cli holds the commands of the kubectl ramp plugin.
package cli

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Main runs the plugin with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(newOptions(stdin, stdout, stderr), args)
}

// run runs the plugin with o and args and returns the exit code.
func run(o *options, args []string) int {
	cmd := newRootCommand(o)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(o.errOut, "error:", err)
		return exitCode(err)
	}
	return 0
}

// NewRootCommand returns the `kubectl ramp` command with its subcommands.
func NewRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newRootCommand(newOptions(stdin, stdout, stderr))
}

func newRootCommand(o *options) *cobra.Command {
	root := &cobra.Command{
		Use:           "kubectl-ramp",
		Short:         "Drive Ramp rollouts: watch, promote, abort, undo",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl ramp",
		},
	}
	root.SetIn(o.in)
	root.SetOut(o.out)
	root.SetErr(o.errOut)
	o.addFlags(root)
	for _, add := range commands {
		root.AddCommand(add(o))
	}
	return root
}

// commands builds the subcommands; each command's file adds itself here in
// an init function.
var commands = []func(*options) *cobra.Command{newVersionCommand}

func newVersionCommand(*options) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "kubectl-ramp %s\n", version())
			return nil
		},
	}
}

// version is the module version the plugin was built from, or "devel".
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
