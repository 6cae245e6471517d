package sha256lite

import (
	"slices"
	"testing"

	"github.com/caddybridge/caddy-bridge/internal/importcheck"
)

// TestImports keeps the package free of dependencies beyond math/bits, for
// the host and for js/wasm: its reason to exist is that it links nothing
// else into the WebAssembly runtime.
func TestImports(t *testing.T) {
	for _, env := range importcheck.Envs {
		_, imports := importcheck.List(t, "github.com/caddybridge/caddy-bridge/bridgekey/internal/sha256lite", env)
		if !slices.Equal(imports, []string{"math/bits"}) {
			t.Errorf("%v: imports %v, want only math/bits", env, imports)
		}
	}
}
