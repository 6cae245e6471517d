// Package assets holds the bridge runtime that the handler serves under
// runtime_path: bridge.js (Go's wasm_exec.js plus the loader),
// bridge.<hash>.wasm with build-time br and gzip variants, and
// bridge.d.ts. The built files in dist/ are committed, since xcaddy users
// cannot run go generate; TestDistIsReproducible proves they are what the
// sources build.
package assets

import (
	"embed"
	"io/fs"
)

//go:generate go run ./build

//go:embed dist
var dist embed.FS

// Dist holds the built runtime files (dist/ without the prefix).
var Dist fs.FS

func init() {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // embed guarantees that dist exists
	}
	Dist = sub
}
