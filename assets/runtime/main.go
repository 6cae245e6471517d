//go:build js && wasm

// Command runtime is the caddy-bridge WebAssembly runtime. It is built
// with GOOS=js GOARCH=wasm by `go generate ./assets` and loaded by
// bridge.js, which calls into what it registers on globalThis.
//
// This first version only announces itself; the protocol (package
// protocol) is wired in by the runtime issue.
package main

import "syscall/js"

// version is the runtime's protocol generation.
const version = "caddy-bridge/1"

func main() {
	js.Global().Set("__caddyBridgeRuntime", js.ValueOf(map[string]any{
		"version": version,
	}))
	select {}
}
