//go:build js && wasm

// Command gofloor is the least a page pays to start a Go WebAssembly
// program (GOOS=js GOARCH=wasm) at all: it registers one JavaScript
// function, globalThis.goFloorEcho, and blocks. bench/browser builds it
// with the runtime's flags and serves it, brotli-compressed and
// immutable like the runtime, to the "Go js/wasm floor" pages, whose
// ready time is the raw window handshake made after each page has
// started this program: what any bridge written in Go for GOOS=js costs
// before it does any work of its own.
package main

import "syscall/js"

func main() {
	js.Global().Set("goFloorEcho", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 {
			return nil
		}
		return args[0]
	}))
	select {}
}
