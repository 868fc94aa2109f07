package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImageCopiesTheStaticBinary checks the Dockerfile against make build:
// the image copies bin/ramp-controller and runs it as a non-root user, and
// the binary built the way make build builds it is static (no dynamic
// loader, no shared libraries), so it runs on a base without libc.
func TestImageCopiesTheStaticBinary(t *testing.T) {
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"COPY bin/ramp-controller /ramp-controller", "USER 65532:65532", `ENTRYPOINT ["/ramp-controller"]`} {
		if !strings.Contains(string(dockerfile), want) {
			t.Errorf("the Dockerfile has no line %q", want)
		}
	}
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	const buildLine = `CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/ramp-controller ./cmd/ramp-controller`
	if !strings.Contains(string(makefile), buildLine) {
		t.Fatalf("make build no longer builds ramp-controller with %q; update this test with it", buildLine)
	}

	bin := filepath.Join(t.TempDir(), "ramp-controller")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader (PT_INTERP): it would not run on the distroless static base")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}
}
