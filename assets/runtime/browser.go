//go:build js && wasm

package main

import (
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
	jsJSON       = global.Get("JSON")
	jsDate       = global.Get("Date")
	jsUint8Array = global.Get("Uint8Array")
	jsChannel    = global.Get("MessageChannel")
	jsCrypto     = global.Get("crypto")
	setTimeout   = global.Get("setTimeout")
	clearTimeout = global.Get("clearTimeout")

	// hostSize is the loader's size(value, limit) helper: it walks a
	// value in JavaScript, which is far cheaper than from Go.
	hostSize js.Value
)

// jsError is a JavaScript exception caught in Go. Its text is fixed, so
// that no payload content reaches an error message.
type jsError struct{ what string }

func (e jsError) Error() string { return e.what }

// catch turns a JavaScript exception (a panic of js.Error) into *err.
func catch(err *error, what string) {
	if r := recover(); r != nil {
		if _, ok := r.(js.Error); !ok {
			panic(r)
		}
		*err = jsError{what}
	}
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
	win js.Value
}

func (t *windowTransport) PostWindow(env *protocol.Envelope, targetOrigin string, transfer protocol.Port) (err error) {
	if targetOrigin == "" || targetOrigin == "*" {
		return jsError{"refusing an inexact target origin"}
	}
	defer catch(&err, "postMessage failed")
	o := envelopeObject(env)
	if p, ok := transfer.(*port); ok && p != nil {
		t.win.Call("postMessage", o, targetOrigin, []any{p.v})
	} else {
		t.win.Call("postMessage", o, targetOrigin)
	}
	return nil
}

func (t *windowTransport) NewChannel() (local, remote protocol.Port, err error) {
	defer catch(&err, "MessageChannel failed")
	ch := jsChannel.New()
	return &port{v: ch.Get("port1")}, &port{v: ch.Get("port2")}, nil
}

// port is a protocol.Port over a MessagePort.
type port struct {
	v  js.Value
	fn js.Func
	on bool
}

func (p *port) Post(env *protocol.Envelope) (err error) {
	defer catch(&err, "port postMessage failed")
	p.v.Call("postMessage", envelopeObject(env))
	return nil
}

func (p *port) SetHandler(h func(data protocol.Value)) {
	p.release()
	if h == nil {
		p.v.Set("onmessage", js.Null())
		return
	}
	p.fn = js.FuncOf(func(this js.Value, args []js.Value) any {
		h(jsValue{args[0].Get("data")})
		return nil
	})
	p.on = true
	p.v.Set("onmessage", p.fn) // setting onmessage starts the port
}

func (p *port) release() {
	if p.on {
		p.fn.Release()
		p.on = false
	}
}

func (p *port) Close() {
	p.v.Set("onmessage", js.Null())
	p.v.Call("close")
	p.release()
}

// portOf returns the first port of an event's ports, or nil.
func portOf(ports js.Value) protocol.Port {
	if ports.Type() != js.TypeObject || ports.Length() == 0 {
		return nil
	}
	return &port{v: ports.Index(0)}
}

// clock is Date.now and setTimeout.
type clock struct{}

func (clock) Now() int64 { return int64(jsDate.Call("now").Float()) }

func (clock) AfterFunc(ms int64, f func()) protocol.Timer {
	t := &timer{}
	t.fn = js.FuncOf(func(this js.Value, args []js.Value) any {
		if !t.done {
			t.done = true
			t.fn.Release()
			f()
		}
		return nil
	})
	t.id = setTimeout.Invoke(t.fn, float64(ms))
	return t
}

// timer is a pending setTimeout.
type timer struct {
	id   js.Value
	fn   js.Func
	done bool
}

func (t *timer) Stop() {
	if t.done {
		return
	}
	t.done = true
	clearTimeout.Invoke(t.id)
	t.fn.Release()
}

// codec is JSON.stringify and JSON.parse.
type codec struct{}

func (codec) Encode(v protocol.Value) (text string, err error) {
	defer catch(&err, "JSON.stringify failed")
	r := jsJSON.Call("stringify", toJS(v))
	if r.Type() != js.TypeString {
		return "", nil
	}
	return r.String(), nil
}

func (codec) Decode(text string) (v protocol.Value, err error) {
	if text == "" {
		return jsValue{js.Undefined()}, nil
	}
	defer catch(&err, "JSON.parse failed")
	return jsValue{jsJSON.Call("parse", text)}, nil
}

// signal is an AbortSignal.
type signal struct {
	v js.Value
}

func (s signal) Aborted() bool { return s.v.Get("aborted").Truthy() }

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

// runtimeFor returns the protocol runtime of a bridge posting on win.
func runtimeFor(win js.Value) protocol.Runtime {
	return protocol.Runtime{
		Clock:     clock{},
		Transport: &windowTransport{win: win},
		Codec:     codec{},
		Rand:      random{},
	}
}
