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
// JavaScript values that go with a call (a port, an abort signal, a value
// that the loader does not hold) wait in the loader's slots object, which
// Go reads only when the call's flags say they are there. The values of
// the round trip itself (an operation's payload, a parsed body, a
// handler's answer, a v1 payload or an event's) stay in the loader's held
// table, and Go refers to them by number (heldValue): a
// js.Value of an object is a reference with a finalizer, and adding a
// finalizer grows a list that the runtime walks, so that it cost more
// than anything else in a round trip once the crossings were gone.
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
	msgData                 // the loader holds the v1 payload, or the raw data
)

// receivers are the message handlers of bridges (their windows) and of
// ports, by the id that the loader passes to bridge_message.
var (
	receivers    = map[int32]func(text string, flags int32, data protocol.Value){}
	nextReceiver int32
)

// addReceiver registers f and returns its id.
func addReceiver(f func(text string, flags int32, data protocol.Value)) int32 {
	nextReceiver++
	receivers[nextReceiver] = f
	return nextReceiver
}

// bridgeMessage hands a message to receiver id: the first n bytes of
// inBuf are origin NUL packed (see inbound), flags say which slots go
// with it, and data is the number under which the loader holds the v1
// payload or the raw data (when flags has msgData).
//
//go:wasmexport bridge_message
func bridgeMessage(id, n, flags, data int32) {
	if f := receivers[id]; f != nil {
		d := undefinedValue
		if flags&msgData != 0 {
			d = heldValue(data)
		}
		f(inText(n), flags, d)
	}
}

// Flags of bridge_request and bridge_event.
const (
	opPayload = 1 << iota // the loader holds the payload under the call's number
	opTimeout             // timeout is options.timeoutMs (NaN: not a number)
	opSignal              // slots.signal holds options.signal
)

// handles are the bridges, by the id that bridge.js passes to
// bridge_request and bridge_event (the id of their window receiver).
var handles = map[int32]*handle{}

// opArgs reads the payload and options of operation call.
func opArgs(call, flags int32, timeout float64) (payload protocol.Value, o protocol.Options) {
	if flags&opPayload != 0 {
		payload = heldValue(call)
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
	return payload, o
}

// bridgeRequest is request(name, payload, options) of bridge id as
// operation call (the loader's number for its callback, and for its
// payload); name is the first n bytes of inBuf. The answer goes to the
// settle import.
//
//go:wasmexport bridge_request
func bridgeRequest(id, n, flags int32, timeout float64, call int32) {
	h := handles[id]
	if h == nil {
		return
	}
	payload, o := opArgs(call, flags, timeout)
	h.core.Request(inText(n), payload, o, func(v protocol.Value, e *protocol.Error) {
		settle(call, v, e)
	})
}

// bridgeEvent is sendEvent(name, payload, options) of bridge id as
// operation call.
//
//go:wasmexport bridge_event
func bridgeEvent(id, n, flags int32, timeout float64, call int32) {
	h := handles[id]
	if h == nil {
		return
	}
	payload, o := opArgs(call, flags, timeout)
	h.core.SendEvent(inText(n), payload, o, func(e *protocol.Error) {
		settle(call, nil, e)
	})
}

// hostSettle ends operation call: status 0 with the value held under
// value (value > 0) or in slots.res (value < 0), status 1 with the error
// object in slots.res. The loader then forgets the call's payload.
//
//go:wasmimport bridge settle
func hostSettle(call, status, value int32)

// settle ends operation call with v or e.
func settle(call int32, v protocol.Value, e *protocol.Error) {
	if e != nil {
		hostSlots.Set("res", errorObject(e))
		hostSettle(call, 1, 0)
		return
	}
	hostSettle(call, 0, heldOr(v, "res"))
}

// heldOr returns the number under which the loader holds v; for a value
// that it does not hold, it puts v in slots[slot] and returns -1.
func heldOr(v protocol.Value, slot string) int32 {
	if hv, ok := v.(heldValue); ok {
		return int32(hv)
	}
	hostSlots.Set(slot, toJS(v))
	return -1
}

// hostServe calls the request handler that the loader registered as
// server with (payload, rid): the payload is held under value (value > 0)
// or in slots.res. It returns the number under which the loader holds the
// handler's answer, 0 if the handler returned a promise (respond(rid)
// follows), -1 if it threw, -2 if it answered undefined.
//
//go:wasmimport bridge serve
func hostServe(server, rid, value int32) int32

// serve hands a request to the loader's handler server and answers r
// when the handler answered at once.
func serve(server, rid int32, p protocol.Value, r *protocol.Responder) (answered bool) {
	switch a := hostServe(server, rid, heldOr(p, "res")); {
	case a == 0:
		return false
	case a == -1:
		r.Fail()
	case a == -2:
		r.Resolve(nil)
	default:
		r.Resolve(heldValue(a))
	}
	return true
}

// hostEmit calls the event listener that the loader registered as
// listener with the payload held under value (value > 0) or in slots.res.
//
//go:wasmimport bridge emit
func hostEmit(listener, value int32)

// emit hands an event's payload to the loader's listener.
func emit(listener int32, p protocol.Value) {
	hostEmit(listener, heldOr(p, "res"))
}

// heldValue is a value that the loader holds for Go, by its number: the
// payload of an operation (until the operation settles), or a parsed body,
// a handler's answer or an inbound message's data (until the call from
// JavaScript that made it returns). Go reads it through a js.Value only when it must look inside
// (a raw message that the loader could not pack).
type heldValue int32

// js returns the held value as a js.Value.
func (h heldValue) js() js.Value { return hostHeld.Invoke(int32(h)) }

func (h heldValue) Kind() protocol.Kind            { return jsValue{h.js()}.Kind() }
func (h heldValue) Bool() bool                     { return jsValue{h.js()}.Bool() }
func (h heldValue) Float() float64                 { return jsValue{h.js()}.Float() }
func (h heldValue) String() string                 { return jsValue{h.js()}.String() }
func (h heldValue) Get(name string) protocol.Value { return jsValue{h.js()}.Get(name) }
func (h heldValue) Has(name string) bool           { return jsValue{h.js()}.Has(name) }
func (h heldValue) Size(limit int) int {
	return int(hostHeldSize(int32(h), int32(min(limit, math.MaxInt32))))
}

// hostHeldSize is the loader's size() of the value held under v.
//
//go:wasmimport bridge size
func hostHeldSize(v, limit int32) int32

// Flags of the post import.
const (
	postPayload = 1 << iota // the envelope has a v1 payload
	postPort                // slots.port is to be transferred
	postWindow              // the text is origin NUL packed, for a window
)

// hostPostBytes posts the packed envelope of the n bytes at p on the
// loader's target t (a window or a port, see target), with the v1 payload
// held under payload (payload > 0) or in slots.payload; it returns 0, 2
// if postMessage could not clone the payload (DataCloneError), or 1 if it
// threw anything else.
//
//go:wasmimport bridge post
func hostPostBytes(t int32, p unsafe.Pointer, n, flags, payload int32) int32

// hostParse holds JSON.parse of the n bytes at p and returns its number,
// or 0 if JSON.parse threw.
//
//go:wasmimport bridge parse
func hostParse(p unsafe.Pointer, n int32) int32

// hostStringify runs JSON.stringify on the value held under v (v > 0) or
// on slots.arg (v < 0). When its UTF-8 text surely fits in the capacity
// bytes at p, it writes it there and returns its length; otherwise it
// keeps the text and returns -3 minus its length, and hostTake copies it
// to a buffer of that length. It returns -1 if the result is not a string
// (undefined) and -2 if JSON.stringify threw.
//
//go:wasmimport bridge stringify
func hostStringify(v int32, p unsafe.Pointer, capacity int32) int32

//go:wasmimport bridge take
func hostTake(p unsafe.Pointer)

// hostDateNow is Date.now().
//
//go:wasmimport bridge dateNow
func hostDateNow() float64

// hostPerfNow is performance.now(): monotonic, for timer deadlines.
//
//go:wasmimport bridge perfNow
func hostPerfNow() float64

// target registers a window or a port with the loader and returns the id
// under which post reaches it.
func target(v js.Value) int32 { return int32(hostTarget.Invoke(v).Int()) }

// postPacked posts packBuf's envelope on target t, with env's v1 payload.
func postPacked(t int32, flags int32, env *protocol.Envelope) error {
	var payload int32
	if env.Payload != nil {
		flags |= postPayload
		payload = heldOr(env.Payload, "payload")
	}
	switch hostPostBytes(t, unsafe.Pointer(unsafe.SliceData(packBuf)), int32(len(packBuf)), flags, payload) {
	case 0:
	case 2:
		return errNotCloneable
	default:
		return jsError{"postMessage failed"}
	}
	return nil
}

// stringify returns JSON.stringify(v), or "" for undefined.
func stringify(v protocol.Value) (string, error) {
	n := hostStringify(heldOr(v, "arg"), unsafe.Pointer(unsafe.SliceData(jsonBuf)), int32(len(jsonBuf)))
	switch {
	case n == -2:
		return "", jsError{"JSON.stringify failed"}
	case n == -1:
		return "", nil
	case n >= 0:
		return string(jsonBuf[:n]), nil
	}
	b := make([]byte, -3-n)
	hostTake(unsafe.Pointer(unsafe.SliceData(b)))
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// jsonBuf receives JSON.stringify's text when it is short. A call into the
// runtime from inside JSON.stringify (a toJSON that sends an event) uses
// it too, but copies its own text out before the outer call writes.
var jsonBuf = make([]byte, 4096)

// parse returns JSON.parse(text), held by the loader.
func parse(text string) (protocol.Value, error) {
	id := hostParse(unsafe.Pointer(unsafe.StringData(text)), int32(len(text)))
	if id == 0 {
		return nil, jsError{"JSON.parse failed"}
	}
	return heldValue(id), nil
}
