//go:build js && wasm

package main

import (
	"math"
	"syscall/js"
	"unsafe"

	"github.com/caddybridge/caddy-bridge/protocol"
)

// The hot paths (a message in, a message out, a request or an event from
// the page, JSON text either way) cross between JavaScript and Go through
// WebAssembly exports and imports (go:wasmexport, go:wasmimport) with
// their text in linear memory, not through syscall/js: a js.FuncOf call
// parks and resumes goroutines and a string argument or result is a
// reference with a finalizer, about 13 µs and 4-6 µs each in V8, where an
// export or an import with bytes in memory costs well under a microsecond.
// JavaScript values that go with a call (a v1 payload, a port, an abort
// signal, a callback) wait in the loader's slots object, which Go reads
// only when the call's flags say they are there.
//
// The loader (bridge.js) is the other half: it writes a call's text with
// TextEncoder.encodeInto at the address bridge_buf returns, provides the
// imports of module "bridge", and never lets one of them throw (an
// exception must not unwind through Go's frames).

// inBuf holds the text of the current export call.
var inBuf = make([]byte, 4096)

// bridgeBuf returns the address of a buffer of at least n bytes for the
// text of the next export call.
//
//go:wasmexport bridge_buf
func bridgeBuf(n int32) unsafe.Pointer {
	if int(n) > len(inBuf) {
		inBuf = make([]byte, max(int(n), 2*len(inBuf)))
	}
	return unsafe.Pointer(unsafe.SliceData(inBuf))
}

// inText returns a copy of the first n bytes of inBuf.
func inText(n int32) string {
	if n <= 0 || int(n) > len(inBuf) {
		return ""
	}
	return string(inBuf[:n])
}

// Flags of bridge_message.
const (
	msgFromPeer = 1 << iota // the message came from the bridge's peer window
	msgPort                 // slots.port holds the event's first port
	msgData                 // slots.data holds the v1 payload, or the raw data
)

// receivers are the message handlers of bridges (their windows) and of
// ports, by the id that the loader passes to bridge_message.
var (
	receivers    = map[int32]func(text string, flags int32){}
	nextReceiver int32
)

// addReceiver registers f and returns its id.
func addReceiver(f func(text string, flags int32)) int32 {
	nextReceiver++
	receivers[nextReceiver] = f
	return nextReceiver
}

// bridgeMessage hands a message to receiver id: the first n bytes of
// inBuf are origin NUL packed (see inbound), flags say which slots go
// with it.
//
//go:wasmexport bridge_message
func bridgeMessage(id, n, flags int32) {
	if f := receivers[id]; f != nil {
		f(inText(n), flags)
	}
}

// messageData returns the data that goes with a message: slots.data, or
// undefined.
func messageData(flags int32) js.Value {
	if flags&msgData == 0 {
		return js.Undefined()
	}
	return hostSlots.Get("data")
}

// Flags of bridge_request and bridge_event.
const (
	opPayload = 1 << iota // slots.arg holds the payload
	opTimeout             // timeout is options.timeoutMs (NaN: not a number)
	opSignal              // slots.signal holds options.signal
)

// handles are the bridges, by the id that bridge.js passes to
// bridge_request and bridge_event (the id of their window receiver).
var handles = map[int32]*handle{}

// opArgs reads the payload, options and callback (slots.done) of an
// operation.
func opArgs(flags int32, timeout float64) (payload protocol.Value, o protocol.Options, done js.Value) {
	if flags&opPayload != 0 {
		payload = payloadOf(hostSlots.Get("arg"))
	}
	if flags&opTimeout != 0 {
		o.HasTimeout, o.TimeoutMs = true, timeout
		if math.IsNaN(timeout) {
			o.TimeoutMs = -1
		}
	}
	if flags&opSignal != 0 {
		o.Signal = signal{hostSlots.Get("signal")}
	}
	return payload, o, hostSlots.Get("done")
}

// bridgeRequest is request(name, payload, options, done) of bridge id;
// name is the first n bytes of inBuf.
//
//go:wasmexport bridge_request
func bridgeRequest(id, n, flags int32, timeout float64) {
	h := handles[id]
	if h == nil {
		return
	}
	payload, o, done := opArgs(flags, timeout)
	h.core.Request(inText(n), payload, o, func(v protocol.Value, e *protocol.Error) {
		if e != nil {
			done.Invoke(errValue(e))
			return
		}
		done.Invoke(js.Null(), toJS(v))
	})
}

// bridgeEvent is sendEvent(name, payload, options, done) of bridge id.
//
//go:wasmexport bridge_event
func bridgeEvent(id, n, flags int32, timeout float64) {
	h := handles[id]
	if h == nil {
		return
	}
	payload, o, done := opArgs(flags, timeout)
	h.core.SendEvent(inText(n), payload, o, func(e *protocol.Error) {
		done.Invoke(errValue(e))
	})
}

// Flags of the post import.
const (
	postPayload = 1 << iota // slots.payload holds the v1 payload
	postPort                // slots.port is to be transferred
	postWindow              // the text is origin NUL packed, for a window
)

// hostPostBytes posts the packed envelope of the n bytes at p on the
// loader's target t (a window or a port, see target); it returns 0, or 1
// if postMessage threw.
//
//go:wasmimport bridge post
func hostPostBytes(t int32, p unsafe.Pointer, n, flags int32) int32

// hostParse sets slots.parsed to JSON.parse of the n bytes at p; it
// returns 0 if that threw.
//
//go:wasmimport bridge parse
func hostParse(p unsafe.Pointer, n int32) int32

// hostStringify keeps JSON.stringify(slots.arg) and returns the length of
// its UTF-8 text, -1 if the result is not a string (undefined) or -2 if it
// threw; hostTake then copies the text to p.
//
//go:wasmimport bridge stringify
func hostStringify() int32

//go:wasmimport bridge take
func hostTake(p unsafe.Pointer)

// target registers a window or a port with the loader and returns the id
// under which post reaches it.
func target(v js.Value) int32 { return int32(hostTarget.Invoke(v).Int()) }

// postPacked posts packBuf's envelope on target t.
func postPacked(t int32, flags int32) error {
	if hostPostBytes(t, unsafe.Pointer(unsafe.SliceData(packBuf)), int32(len(packBuf)), flags) != 0 {
		return jsError{"postMessage failed"}
	}
	return nil
}

// stringify returns JSON.stringify(v), or "" for undefined.
func stringify(v js.Value) (string, error) {
	hostSlots.Set("arg", v)
	n := hostStringify()
	switch {
	case n == -2:
		return "", jsError{"JSON.stringify failed"}
	case n <= 0:
		return "", nil
	}
	b := make([]byte, n)
	hostTake(unsafe.Pointer(unsafe.SliceData(b)))
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// parse returns JSON.parse(text).
func parse(text string) (js.Value, error) {
	if hostParse(unsafe.Pointer(unsafe.StringData(text)), int32(len(text))) == 0 {
		return js.Undefined(), jsError{"JSON.parse failed"}
	}
	v := hostSlots.Get("parsed")
	hostSlots.Set("parsed", js.Undefined())
	return v, nil
}
