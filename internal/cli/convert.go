package cli

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampdev/ramp/internal/cli/convert"
)

// init registers kubectl ramp convert.
func init() { commands = append(commands, newConvertCommand) }

// convertFlags are the flags of kubectl ramp convert.
type convertFlags struct {
	// files are the -f values: files, directories, or - for stdin.
	files []string
	// output is the -o format; only yaml.
	output string
	// inPlace rewrites the files instead of printing.
	inPlace bool
}

// stdinName names stdin in messages.
const stdinName = "<stdin>"

// newConvertCommand returns kubectl ramp convert, which rewrites Argo
// Rollouts manifests as Ramp manifests.
func newConvertCommand(o *options) *cobra.Command {
	var f convertFlags
	cmd := &cobra.Command{
		Use:   "convert -f FILE|DIR|-",
		Short: "Rewrite Argo Rollouts manifests as Ramp manifests",
		Long: `Rewrite Argo Rollouts manifests as Ramp manifests.

Every argoproj.io/v1alpha1 Rollout, AnalysisTemplate and ClusterAnalysisTemplate
becomes the ramp.dev/v1alpha1 kind of the same name; every other document is
kept exactly as written. The result is printed as one YAML stream, or written
back to the files with --in-place.

Fields that Ramp lacks (traffic routers other than Gateway API and Istio,
experiments, metric providers other than prometheus, job and web, ...) are
dropped with a warning on stderr, one per field, as
  file:line: field: warning: what Ramp does instead

Exit status: 0 when every document was converted, even with warnings; 1 when a
document cannot be converted (the errors say why, and nothing is written).`,
		Example: `  # Print the Ramp version of a file
  kubectl ramp convert -f rollout.yaml

  # Convert every manifest under a directory, rewriting the files
  kubectl ramp convert -f deploy/ --in-place

  # Convert what another tool renders
  kustomize build overlays/prod | kubectl ramp convert -f -`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runConvert(o, f) },
	}
	cmd.Flags().StringArrayVarP(&f.files, "filename", "f", nil, "File, directory (read recursively: *.yaml, *.yml, *.json) or - for stdin; repeatable")
	cmd.Flags().StringVarP(&f.output, "output", "o", "yaml", "Output format: yaml")
	cmd.Flags().BoolVar(&f.inPlace, "in-place", false, "Rewrite the files instead of printing the result")
	return cmd
}

// convertInput is one file to convert.
type convertInput struct {
	// name is the file's name in messages; path is empty for stdin.
	name, path string
	data       []byte
	mode       fs.FileMode
}

// runConvert converts the inputs and prints or writes the result; it
// writes nothing when a document cannot be converted.
func runConvert(o *options, f convertFlags) error {
	switch {
	case len(f.files) == 0:
		return exitWith(1, "name the manifests to convert: -f FILE, -f DIR, or -f - for stdin")
	case f.output != "yaml":
		return exitWith(1, "-o %s: convert writes yaml only; leave out -o or write -o yaml", f.output)
	}
	inputs, err := readConvertInputs(o.in, f.files)
	if err != nil {
		return err
	}
	results := make([]convert.Result, len(inputs))
	converted, unconverted := 0, 0
	for i, in := range inputs {
		results[i] = convert.File(in.name, in.data)
		for _, d := range results[i].Diagnostics {
			fmt.Fprintln(o.errOut, d)
		}
		converted += results[i].Converted
		unconverted += results[i].Unconverted
	}
	if unconverted > 0 {
		return exitWith(1, "%d document(s) cannot be converted, for the errors above; nothing was written", unconverted)
	}
	if converted == 0 {
		fmt.Fprintln(o.errOut, "warning: found no argoproj.io/v1alpha1 Rollout, AnalysisTemplate or ClusterAnalysisTemplate to convert")
	}
	if f.inPlace {
		return writeInPlace(o.out, inputs, results)
	}
	outputs := make([][]byte, len(results))
	for i, r := range results {
		outputs[i] = r.Output
	}
	if _, err := o.out.Write(convert.Join(outputs...)); err != nil {
		return fmt.Errorf("write the result: %w", err)
	}
	return nil
}

// readConvertInputs reads the -f values: files, directories walked for
// manifests, and - for stdin. A file named twice is read once.
func readConvertInputs(stdin io.Reader, names []string) ([]convertInput, error) {
	var inputs []convertInput
	seen := map[string]bool{}
	add := func(path string, mode fs.FileMode) error {
		clean := filepath.Clean(path)
		if seen[clean] {
			return nil
		}
		seen[clean] = true
		data, err := os.ReadFile(path)
		if err != nil {
			return exitWith(1, "read %s: %v", path, err)
		}
		inputs = append(inputs, convertInput{name: path, path: path, data: data, mode: mode})
		return nil
	}
	for _, name := range names {
		if name == "-" {
			if seen["-"] {
				continue
			}
			seen["-"] = true
			if stdin == nil {
				return nil, exitWith(1, "-f -: there is no stdin to read")
			}
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, exitWith(1, "read stdin: %v", err)
			}
			inputs = append(inputs, convertInput{name: stdinName, data: data})
			continue
		}
		info, err := os.Stat(name)
		if err != nil {
			return nil, exitWith(1, "-f %s: %v", name, err)
		}
		if !info.IsDir() {
			if err := add(name, info.Mode().Perm()); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(name, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return exitWith(1, "read %s: %v", path, err)
			}
			if d.IsDir() {
				if path != name && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				info, err := d.Info()
				if err != nil {
					return exitWith(1, "read %s: %v", path, err)
				}
				return add(path, info.Mode().Perm())
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return inputs, nil
}

// writeInPlace rewrites the files that had documents to convert, after
// checking that every one of them can be rewritten.
func writeInPlace(out io.Writer, inputs []convertInput, results []convert.Result) error {
	for i, in := range inputs {
		if results[i].Converted == 0 {
			continue
		}
		switch {
		case in.path == "":
			return exitWith(1, "--in-place cannot rewrite stdin; leave out --in-place to print the result")
		case strings.EqualFold(filepath.Ext(in.path), ".json"):
			return exitWith(1, "--in-place rewrites YAML files only, and %s is JSON; leave out --in-place to print the result as YAML", in.path)
		}
	}
	for i, in := range inputs {
		r := results[i]
		if r.Converted == 0 {
			continue
		}
		if err := os.WriteFile(in.path, r.Output, in.mode); err != nil {
			return exitWith(1, "write %s: %v", in.path, err)
		}
		fmt.Fprintf(out, "%s: converted %d document(s)\n", in.path, r.Converted)
	}
	return nil
}
