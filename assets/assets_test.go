package assets

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestDistIsReproducible rebuilds the runtime from its sources and checks
// that the committed dist/ is exactly that. The build is only
// reproducible with the Go release recorded in dist/BUILD; with another
// one the test says so and stops.
func TestDistIsReproducible(t *testing.T) {
	build, err := fs.ReadFile(Dist, "BUILD")
	if err != nil {
		t.Fatal(err)
	}
	recorded, _, _ := strings.Cut(strings.TrimPrefix(string(build), "go "), "\n")
	if recorded != runtime.Version() {
		if os.Getenv("CI") != "" {
			t.Fatalf("dist/ was built with %s and CI runs %s: rebuild with go generate ./assets using %s, or run CI with the recorded release", recorded, runtime.Version(), runtime.Version())
		}
		t.Skipf("dist/ was built with %s and this is %s: the WebAssembly differs between Go releases, so reproducibility cannot be checked here; rebuild with go generate ./assets to refresh it", recorded, runtime.Version())
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "./build", "-out", out)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building the runtime: %v", err)
	}
	built, _ := os.ReadDir(out)
	committed, _ := fs.ReadDir(Dist, ".")
	if len(built) != len(committed) {
		t.Errorf("built %d files, %d committed", len(built), len(committed))
	}
	for _, e := range built {
		want, _ := os.ReadFile(filepath.Join(out, e.Name()))
		got, err := fs.ReadFile(Dist, e.Name())
		if err != nil {
			t.Errorf("%s is built but not committed: run go generate ./assets", e.Name())
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("committed %s differs from what the sources build: run go generate ./assets", e.Name())
		}
	}
}

// TestRuntimeLeavesHeavyPackagesOut keeps fmt, encoding/json, reflect and
// regexp (and encoding/binary, which pulls in reflect) out of the
// WebAssembly runtime: the browser's JSON does that work, and each of
// them would add tens of kilobytes.
func TestRuntimeLeavesHeavyPackagesOut(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".")
	cmd.Dir = "runtime"
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list the runtime: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !slices.Contains(deps, "syscall/js") {
		t.Fatalf("go list found only %v", deps)
	}
	for _, p := range []string{"fmt", "encoding/json", "reflect", "regexp", "encoding/binary"} {
		if slices.Contains(deps, p) {
			t.Errorf("the runtime depends on %s", p)
		}
	}
}

// TestRuntimePackagesUnderWasm runs the tests of the packages that the
// runtime is built from (bridgekey, with its WebAssembly-only SHA-256, and
// protocol) compiled with GOOS=js GOARCH=wasm, under Node.js through Go's
// own go_js_wasm_exec: the runtime's MACs and key derivations are then
// checked against crypto/hmac and crypto/hkdf in the form the browser
// runs, not only in the server's.
func TestRuntimePackagesUnderWasm(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("Node.js is needed to run the runtime's packages compiled to WebAssembly: apt-get install -y nodejs")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	wasmExec := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "go_js_wasm_exec")
	cmd := exec.Command("go", "test", "-exec", wasmExec, "./bridgekey/...", "./protocol/...")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test under GOOS=js GOARCH=wasm: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
