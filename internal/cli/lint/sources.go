package lint

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// StdinName is the name findings give standard input.
const StdinName = "<stdin>"

// manifestExtensions are the extensions of the files read from a
// directory, as kubectl apply -R reads them.
var manifestExtensions = []string{".yaml", ".yml", ".json"}

// ReadSources reads the inputs named by paths: a file, a directory (its
// .yaml, .yml and .json files, recursively, in lexical order) or "-" for
// stdin (read once).
func ReadSources(paths []string, stdin io.Reader) ([]Source, error) {
	var out []Source
	readStdin := false
	for _, p := range paths {
		if p == "-" {
			if readStdin {
				continue
			}
			readStdin = true
			if stdin == nil {
				return nil, fmt.Errorf("read stdin: no standard input")
			}
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("read stdin: %w", err)
			}
			out = append(out, Source{Name: StdinName, Data: data})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if !info.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", p, err)
			}
			out = append(out, Source{Name: p, Data: data})
			continue
		}
		files, err := manifestFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", f, err)
			}
			out = append(out, Source{Name: f, Data: data})
		}
	}
	return out, nil
}

// manifestFiles lists the manifest files under dir.
func manifestFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if !e.IsDir() && slices.Contains(manifestExtensions, strings.ToLower(filepath.Ext(path))) {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}
