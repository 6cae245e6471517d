package bridgekey

import (
	"slices"
	"testing"

	"github.com/caddybridge/caddy-bridge/internal/importcheck"
)

// allowedImports are the packages bridgekey may import directly.
var allowedImports = []string{
	"crypto/hkdf", "crypto/hmac", "crypto/sha256", "crypto/subtle", "crypto/rand",
	"encoding/base64", "errors", "io", "strconv", "sync", "time", "strings", "bytes",
	"github.com/caddybridge/caddy-bridge/bridgekey/internal/sha256lite",
}

// heavyPackages must not be linked into the WebAssembly runtime through
// this package, not even indirectly.
var heavyPackages = []string{"fmt", "encoding/json", "regexp", "reflect", "encoding/binary"}

// wasmForbidden must not be among the package's js/wasm dependencies:
// crypto/sha256 links Go's FIPS 140 module (crypto/internal/fips140 and
// its self-tests, with AES-GCM, the DRBG, SHA-3 and SHA-512) and, through
// crypto/internal/sysrand, os and time; time comes with tokens too. Together
// they cost the runtime about 190 KB brotli. sha_js.go and the build tags on
// token.go and session.go keep them out.
var wasmForbidden = []string{
	"crypto/sha256", "crypto/internal/fips140", "crypto/internal/sysrand",
	"crypto/internal/fips140/sha256", "crypto/internal/fips140/drbg", "os", "time",
}

// TestNoHeavyImports keeps the package fit for the WebAssembly runtime: it
// lists the package's non-test dependencies, for the host and for js/wasm,
// and fails if a direct import is outside allowedImports or if any
// dependency is one of heavyPackages, or for js/wasm one of wasmForbidden.
// (encoding/binary is on the first list because it imports reflect.)
func TestNoHeavyImports(t *testing.T) {
	for _, env := range importcheck.Envs {
		deps, imports := importcheck.List(t, "github.com/caddybridge/caddy-bridge/bridgekey", env)
		if len(deps) < 10 || len(imports) == 0 {
			t.Fatalf("go list %v found only %v and imports %v", env, deps, imports)
		}
		forbidden := heavyPackages
		if env != nil {
			forbidden = append(slices.Clip(forbidden), wasmForbidden...)
		}
		for _, p := range forbidden {
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
