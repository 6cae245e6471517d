//go:build js && wasm

package main

import (
	"math"
	"syscall/js"

	"github.com/caddybridge/caddy-bridge/protocol"
)

// Browser functions, looked up once.
var (
	global       = js.Global()
	jsObject     = global.Get("Object")
	jsArray      = global.Get("Array")
	jsIsArray    = jsArray.Get("isArray")
	jsHasOwn     = jsObject.Get("hasOwn")
	jsUint8Array = global.Get("Uint8Array")
	jsChannel    = global.Get("MessageChannel")
	jsCrypto     = global.Get("crypto")
	setTimeout   = global.Get("setTimeout")
	clearTimeout = global.Get("clearTimeout")

	// hostSize is the loader's size(value, limit) helper: it walks a
	// value in JavaScript, which is far cheaper than from Go.
	hostSize js.Value

	// hostListen is the loader's listen(port, id): it sets the port's
	// onmessage to a function that hands each message to receiver id
	// (bridge_message).
	hostListen js.Value

	// hostTarget is the loader's target(v): it registers a window or a
	// port for the post import and returns its id.
	hostTarget js.Value

	// hostSlots is the loader's slots object (see abi.go).
	hostSlots js.Value

	// hostHeld is the loader's held(n): the value it holds under n.
	hostHeld js.Value
)

// jsError is a JavaScript exception caught in Go. Its text is fixed, so
// that no payload content reaches an error message.
type jsError struct{ what string }

func (e jsError) Error() string { return e.what }

// catch turns a JavaScript exception (a panic of js.Error) into *err:
// MESSAGE_INVALID_PAYLOAD for a DataCloneError (a v1 payload that
// postMessage cannot clone), otherwise jsError{what}.
func catch(err *error, what string) {
	if r := recover(); r != nil {
		je, ok := r.(js.Error)
		if !ok {
			panic(r)
		}
		if typeOf(je.Value) == js.TypeObject && typeOf(je.Value.Get("name")) == js.TypeString && je.Value.Get("name").String() == "DataCloneError" {
			*err = errNotCloneable
			return
		}
		*err = jsError{what}
	}
}

// errNotCloneable is a v1 payload that postMessage could not clone (a
// function, a DOM node, …).
var errNotCloneable = &protocol.Error{Code: protocol.CodeMessageInvalidPayload, Message: "Bridge payload cannot be cloned.", Details: protocol.Details{"cause": "postMessage could not clone the payload"}}

// typeOther is what typeOf returns for a value that syscall/js has no
// type for (a BigInt).
const typeOther js.Type = -1

// typeOf is v.Type() for any value an application can hand the runtime:
// syscall/js panics on a BigInt, which would end the program and every
// bridge of the page with it.
func typeOf(v js.Value) (t js.Type) {
	defer func() {
		if recover() != nil {
			t = typeOther
		}
	}()
	return v.Type()
}

// truthy is v.Truthy(), false for a value typeOf cannot tell.
func truthy(v js.Value) bool {
	return typeOf(v) != typeOther && v.Truthy()
}

// newObject returns a new plain object.
func newObject() js.Value { return jsObject.New() }

// envelopeObject builds the plain object of an outbound envelope (see
// protocol.Envelope for which members are written).
func envelopeObject(env *protocol.Envelope) js.Value {
	o := newObject()
	o.Set("protocol", env.Protocol)
	o.Set("version", env.Version)
	o.Set("sessionId", env.SessionID)
	o.Set("type", env.Type)
	if env.Name != "" {
		o.Set("name", env.Name)
	}
	if env.RequestID != "" {
		o.Set("requestId", env.RequestID)
	}
	if env.Version == protocol.Version1 {
		if env.Payload != nil {
			o.Set("payload", toJS(env.Payload))
		}
		if env.Error != nil {
			o.Set("error", remoteErrorObject(env.Error))
		}
		return o
	}
	o.Set("body", env.Body)
	a := newObject()
	a.Set("kid", env.Auth.KID)
	a.Set("seq", float64(env.Auth.Seq))
	a.Set("ts", float64(env.Auth.TS))
	a.Set("mac", env.Auth.MAC)
	o.Set("auth", a)
	return o
}

// remoteErrorObject returns {code, message, data?}.
func remoteErrorObject(e *protocol.RemoteError) js.Value {
	o := newObject()
	o.Set("code", e.Code)
	o.Set("message", e.Message)
	if e.Data != nil {
		o.Set("data", toJS(e.Data))
	}
	return o
}

// windowTransport posts on one peer window: the iframe's contentWindow
// for a parent, window.parent for a child.
type windowTransport struct {
	win      js.Value
	id       int32    // its loader target, once registered
	origin   string   // the last target origin
	originJS js.Value // origin as a JavaScript string
}

func (t *windowTransport) PostWindow(env *protocol.Envelope, targetOrigin string, transfer protocol.Port) (err error) {
	if targetOrigin == "" || targetOrigin == "*" {
		return jsError{"refusing an inexact target origin"}
	}
	defer catch(&err, "postMessage failed")
	tr := js.Undefined()
	if p, ok := transfer.(*port); ok && p != nil {
		tr = p.v
	}
	if packOutbound(targetOrigin, env) {
		if t.id == 0 {
			t.id = target(t.win)
		}
		flags := int32(postWindow)
		if !tr.IsUndefined() {
			hostSlots.Set("port", tr)
			flags |= postPort
		}
		return postPacked(t.id, flags, env)
	}
	if t.origin != targetOrigin {
		t.origin, t.originJS = targetOrigin, js.ValueOf(targetOrigin)
	}
	o := envelopeObject(env)
	if tr.IsUndefined() {
		t.win.Call("postMessage", o, t.originJS)
	} else {
		t.win.Call("postMessage", o, t.originJS, []any{tr})
	}
	return nil
}

// retarget makes the transport post on win, the new window of the same
// iframe element (moving an iframe in the document gives it a new
// browsing context).
func (t *windowTransport) retarget(win js.Value) {
	t.forget()
	t.win = win
}

// forget unregisters the window from the loader's targets.
func (t *windowTransport) forget() {
	if t.id != 0 {
		hostTarget.Invoke(t.id)
		t.id = 0
	}
}

func (t *windowTransport) NewChannel() (local, remote protocol.Port, err error) {
	defer catch(&err, "MessageChannel failed")
	ch := jsChannel.New()
	return &port{v: ch.Get("port1")}, &port{v: ch.Get("port2")}, nil
}

// port is a protocol.Port over a MessagePort.
type port struct {
	v    js.Value
	id   int32 // its loader target, once registered
	recv int32 // its receiver, while it has a handler
}

func (p *port) Post(env *protocol.Envelope) (err error) {
	defer catch(&err, "port postMessage failed")
	if packOutbound("", env) {
		if p.id == 0 {
			p.id = target(p.v)
		}
		return postPacked(p.id, 0, env)
	}
	p.v.Call("postMessage", envelopeObject(env))
	return nil
}

func (p *port) SetHandler(h func(data protocol.Value)) {
	p.release()
	if h == nil {
		p.v.Set("onmessage", js.Null())
		return
	}
	p.recv = addReceiver(func(text string, flags int32, data protocol.Value) {
		_, v := inbound(text, data)
		h(v)
	})
	hostListen.Invoke(p.v, p.recv) // setting onmessage starts the port
}

func (p *port) release() {
	if p.recv != 0 {
		delete(receivers, p.recv)
		p.recv = 0
	}
}

func (p *port) Close() {
	p.v.Set("onmessage", js.Null())
	p.v.Call("close")
	p.release()
	if p.id != 0 {
		hostTarget.Invoke(p.id) // forgets the target
		p.id = 0
	}
}

// portOf returns the port that the loader took from an event's ports
// (undefined for none), or nil.
func portOf(v js.Value) protocol.Port {
	if typeOf(v) != js.TypeObject {
		return nil
	}
	return &port{v: v}
}

// clock is Date.now (for timestamps) and setTimeout. One JavaScript
// timeout serves all timers: it is armed for the earliest deadline, so
// that a timer ending after it (every request's timeout, in a stream of
// requests) costs no call out of WebAssembly, and stopping a timer costs
// none either. Deadlines count on performance.now, which a change of the
// system clock does not move, as setTimeout's own do not.
type clock struct{}

func (clock) Now() int64 { return int64(hostDateNow()) }

// timer is a pending AfterFunc call.
type timer struct {
	due float64 // performance.now() at which it fires
	seq uint64  // creation order, for timers due at the same time
	f   func()
	at  int // index in timers, -1 once fired or stopped
}

var (
	timers      []*timer // pending, in no order
	timerSeq    uint64
	armedDue    float64  // deadline of the armed JavaScript timeout; 0 for none
	armedHandle js.Value // its setTimeout id
	fireTimers  js.Func  // the timeout's function
)

func init() {
	fireTimers = js.FuncOf(func(this js.Value, args []js.Value) any {
		armedDue = 0
		runTimers()
		return nil
	})
}

func (clock) AfterFunc(ms int64, f func()) protocol.Timer {
	timerSeq++
	t := &timer{due: hostPerfNow() + float64(max(ms, 0)), seq: timerSeq, f: f, at: len(timers)}
	timers = append(timers, t)
	if armedDue == 0 || t.due < armedDue {
		arm(t.due)
	}
	return t
}

func (t *timer) Stop() { t.remove() }

func (t *timer) remove() {
	if t.at < 0 {
		return
	}
	last := timers[len(timers)-1]
	timers[t.at], last.at = last, t.at
	timers[len(timers)-1] = nil
	timers = timers[:len(timers)-1]
	t.at = -1
}

// maxTimeoutDelay is the longest delay setTimeout keeps (2^31-1 ms).
const maxTimeoutDelay = 1<<31 - 1

// arm sets the JavaScript timeout for due, replacing the armed one.
func arm(due float64) {
	if armedDue != 0 {
		clearTimeout.Invoke(armedHandle)
	}
	armedDue = due
	// Whole milliseconds, rounded up: a browser may truncate a fraction
	// and fire before due, which would only arm the timeout again.
	// Browsers keep a delay in 32 bits (a longer one fires at once), so a
	// deadline further away than that is approached in steps.
	armedHandle = setTimeout.Invoke(fireTimers, min(math.Ceil(max(due-hostPerfNow(), 0)), maxTimeoutDelay))
}

// runTimers runs the timers that are due, earliest first (as setTimeout
// would), then arms the timeout for the next one. A timer's function may
// start and stop timers.
func runTimers() {
	for {
		now := hostPerfNow()
		var next *timer
		for _, t := range timers {
			if next == nil || t.due < next.due || t.due == next.due && t.seq < next.seq {
				next = t
			}
		}
		if next == nil {
			return
		}
		if next.due > now {
			if armedDue == 0 || next.due < armedDue {
				arm(next.due)
			}
			return
		}
		next.remove()
		next.f()
	}
}

// codec is JSON.stringify and JSON.parse.
type codec struct{}

func (codec) Encode(v protocol.Value) (text string, err error) {
	defer catch(&err, "JSON.stringify failed")
	return stringify(v)
}

func (codec) Decode(text string) (v protocol.Value, err error) {
	if text == "" {
		return undefinedValue, nil
	}
	return parse(text)
}

// signal is an AbortSignal.
type signal struct {
	v js.Value
}

func (s signal) Aborted() bool { return truthy(s.v.Get("aborted")) }

func (s signal) OnAbort(f func()) (remove func()) {
	var fn js.Func
	done := false
	fn = js.FuncOf(func(this js.Value, args []js.Value) any {
		if !done {
			done = true
			s.v.Call("removeEventListener", "abort", fn)
			fn.Release()
			f()
		}
		return nil
	})
	s.v.Call("addEventListener", "abort", fn)
	return func() {
		if !done {
			done = true
			s.v.Call("removeEventListener", "abort", fn)
			fn.Release()
		}
	}
}

// random is crypto.getRandomValues.
type random struct{}

func (random) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m := len(b) - n
		if m > 65536 {
			m = 65536
		}
		a := jsUint8Array.New(m)
		jsCrypto.Call("getRandomValues", a)
		js.CopyBytesToGo(b[n:n+m], a)
		n += m
	}
	return n, nil
}

// runtimeFor returns the protocol runtime of a bridge posting on t.
func runtimeFor(t *windowTransport) protocol.Runtime {
	return protocol.Runtime{
		Clock:     clock{},
		Transport: t,
		Codec:     codec{},
		Rand:      random{},
	}
}
