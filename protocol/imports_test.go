package protocol

import (
	"slices"
	"testing"

	"github.com/caddybridge/caddy-bridge/internal/importcheck"
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
	for _, env := range importcheck.Envs {
		deps, imports := importcheck.List(t, "github.com/caddybridge/caddy-bridge/protocol", env)
		if len(deps) < 10 || len(imports) == 0 {
			t.Fatalf("go list %v found only %v and imports %v", env, deps, imports)
		}
		for _, p := range heavyPackages {
			if slices.Contains(deps, p) {
				t.Errorf("%v: %s is among the dependencies", env, p)
			}
		}
		for _, p := range imports {
			if !slices.Contains(allowedImports, p) {
				t.Errorf("%v: imports %s, which is not allowed", env, p)
			}
		}
	}
}
