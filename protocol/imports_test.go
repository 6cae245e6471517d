package protocol

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// allowedImports are the packages that protocol may import directly.
var allowedImports = []string{
	"github.com/caddybridge/caddy-bridge/bridgekey",
	"encoding/base64", "io", "math", "strconv", "strings", "unicode/utf16", "unicode/utf8", "unsafe",
}

// heavyPackages must not be linked into the WebAssembly runtime through
// this package, not even indirectly (encoding/binary imports reflect).
var heavyPackages = []string{"fmt", "encoding/json", "regexp", "reflect", "encoding/binary"}

// TestNoHeavyImports keeps the package fit for the WebAssembly runtime: it
// lists the package's non-test dependencies for the host and for js/wasm
// and fails if a direct import is not in allowedImports or if any
// dependency is one of heavyPackages. (syscall/js is among the
// dependencies on js/wasm through os, as for any program there; the
// allow-list keeps this package from importing it.)
func TestNoHeavyImports(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no go command inside WebAssembly; the host run checks js/wasm")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	for _, env := range [][]string{nil, {"GOOS=js", "GOARCH=wasm"}} {
		list := func(format string) []string {
			t.Helper()
			cmd := exec.Command(goCmd, "list", "-deps", "-f", format, ".")
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list %v: %v", env, err)
			}
			return strings.Fields(string(out))
		}
		deps := list("{{.ImportPath}}")
		if len(deps) < 10 {
			t.Fatalf("go list %v found only %v", env, deps)
		}
		for _, p := range heavyPackages {
			if slices.Contains(deps, p) {
				t.Errorf("%v: %s is among the dependencies", env, p)
			}
		}
		imports := list(`{{if eq .ImportPath "github.com/caddybridge/caddy-bridge/protocol"}}{{join .Imports " "}}{{end}}`)
		if len(imports) == 0 {
			t.Fatalf("go list %v: no imports found for the package", env)
		}
		for _, p := range imports {
			if !slices.Contains(allowedImports, p) {
				t.Errorf("%v: imports %s, which is not allowed", env, p)
			}
		}
	}
}
