//go:build js && wasm

// Command runtime is the caddy-bridge WebAssembly runtime: the
// JavaScript layer over package protocol. It is built with GOOS=js
// GOARCH=wasm by `go generate ./assets` and loaded by bridge.js.
//
// bridge.js provides the imports of module "bridge" and sets
// globalThis.__caddyBridgeHost (its helpers) before it runs the program;
// the hot paths then go through the exports and imports of abi.go, the
// rest through syscall/js. The program registers
// globalThis.__caddyBridgeRuntime = {version, maxMessageBytes,
// newParent(cfg), newChild(cfg)}, whose bridges bridge.js wraps into the
// JS API of DESIGN §7. Every JavaScript callback that the runtime calls is
// wrapped by bridge.js so that it never throws.
package main

import (
	"syscall/js"

	"github.com/caddybridge/caddy-bridge/protocol"
)

// version is the runtime's protocol generation.
const version = "caddy-bridge/1"

func main() {
	host := global.Get("__caddyBridgeHost")
	if host.Type() != js.TypeObject {
		panic("caddy-bridge: the runtime must be loaded by bridge.js")
	}
	hostSize = host.Get("size")
	hostListen = host.Get("listen")
	hostTarget = host.Get("target")
	hostSlots = host.Get("slots")
	hostHeld = host.Get("held")
	rt := newObject()
	rt.Set("version", version)
	rt.Set("maxMessageBytes", protocol.DefaultMaxMessageBytes)
	rt.Set("newParent", js.FuncOf(newParent))
	rt.Set("newChild", js.FuncOf(newChild))
	global.Set("__caddyBridgeRuntime", rt)
	select {}
}
