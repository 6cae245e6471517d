//go:build js && wasm

package main

import (
	"encoding/base64"
	"strings"
	"syscall/js"

	"github.com/caddybridge/caddy-bridge/protocol"
)

// core is what parents and children share.
type core interface {
	HandleMessage(m protocol.Message)
	State() protocol.State
	SessionID() string
	Version() int
	Stats() protocol.Stats
	KeyID() string
	Destroy()
	SendEvent(name string, payload protocol.Value, opts protocol.Options, done func(*protocol.Error))
	Request(name string, payload protocol.Value, opts protocol.Options, done func(protocol.Value, *protocol.Error))
	On(name string, f func(payload protocol.Value)) (func(), error)
	HandleRequest(name string, h protocol.RequestHandler) (func(), error)
}

// winRef is the comparable handle of a peer window. It is not empty, so
// that two handles never share an address.
type winRef struct{ _ byte }

// otherWindow is the source handle of every window that is not a
// bridge's peer.
var otherWindow = &winRef{}

// handle is one bridge as bridge.js sees it.
type handle struct {
	core core
	win  *windowTransport
	ref  *winRef
	subs map[int]func()
	next int
	resp map[int]*protocol.Responder
}

func newHandle(win js.Value) *handle {
	return &handle{win: &windowTransport{win: win}, ref: &winRef{}, subs: map[int]func(){}, resp: map[int]*protocol.Responder{}}
}

// receive hands an inbound window message to the bridge: text is origin
// NUL packed (see inbound), flags say which slots go with it, data is the
// v1 payload or the raw data.
func (h *handle) receive(text string, flags int32, data protocol.Value) {
	var src any = otherWindow
	if flags&msgFromPeer != 0 {
		src = h.ref
	}
	origin, v := inbound(text, data)
	var p protocol.Port
	if flags&msgPort != 0 {
		p = portOf(hostSlots.Get("port"))
	}
	h.core.HandleMessage(protocol.Message{Origin: origin, Source: src, Data: v, Port: p})
}

// errorObject returns the plain {code, message, details} of an error;
// bridge.js turns it into an IframeBridgeError.
func errorObject(err error) js.Value {
	e := protocol.AsError(err)
	if e == nil {
		e = &protocol.Error{Code: protocol.CodeConfigInvalidEnvironment, Message: "Unexpected runtime error."}
	}
	o := newObject()
	o.Set("code", e.Code)
	o.Set("message", e.Message)
	d := newObject()
	for k, v := range e.Details {
		switch x := v.(type) {
		case string, bool, int64, float64, int:
			d.Set(k, x)
		case protocol.Value:
			d.Set(k, toJS(x))
		case *protocol.RemoteError:
			if x != nil {
				d.Set(k, remoteErrorObject(x))
			}
		}
	}
	o.Set("details", d)
	return o
}

// errValue returns errorObject(err), or null for no error.
func errValue(e *protocol.Error) js.Value {
	if e == nil {
		return js.Null()
	}
	return errorObject(e)
}

// options reads {timeoutMs, signal}.
func options(v js.Value) protocol.Options {
	var o protocol.Options
	if typeOf(v) != js.TypeObject {
		return o
	}
	if t := v.Get("timeoutMs"); !t.IsUndefined() {
		o.HasTimeout = true
		o.TimeoutMs = -1
		if typeOf(t) == js.TypeNumber {
			o.TimeoutMs = t.Float()
		}
	}
	if s := v.Get("signal"); typeOf(s) == js.TypeObject {
		o.Signal = signal{s}
	}
	return o
}

// statsObject returns stats() of a bridge.
func statsObject(s protocol.Stats, state protocol.State, version int) js.Value {
	o := newObject()
	o.Set("state", string(state))
	o.Set("version", version)
	o.Set("received", float64(s.Received))
	o.Set("accepted", float64(s.Accepted))
	o.Set("sent", float64(s.Sent))
	o.Set("postErrors", float64(s.PostErrors))
	o.Set("handshakes", float64(s.Handshakes))
	o.Set("rekeys", float64(s.Rekeys))
	o.Set("dropped", float64(s.DroppedTotal()))
	d := newObject()
	for i := 1; i < protocol.NumDropReasons; i++ {
		d.Set(protocol.DropReason(i).String(), float64(s.Dropped[i]))
	}
	o.Set("droppedBy", d)
	return o
}

// arg returns args[i], or undefined.
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// str returns a string argument, or "".
func str(v js.Value) string {
	if typeOf(v) != js.TypeString {
		return ""
	}
	return v.String()
}

// intOf reads an optional integer option: 0 when undefined (the
// default), -1 when it is not a positive integer (so that the core
// refuses it).
func intOf(v js.Value) int64 {
	if v.IsUndefined() {
		return 0
	}
	if typeOf(v) != js.TypeNumber {
		return -1
	}
	f := v.Float()
	if f != float64(int64(f)) || f < 1 {
		return -1
	}
	return int64(f)
}

// keyOf decodes the session endpoint's base64url key.
func keyOf(v js.Value) []byte {
	s := strings.TrimRight(str(v), "=")
	if s == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

// methods returns the JavaScript object of a bridge: its id and the
// methods that bridge.js wraps (messages, requests and events go through
// the exports of abi.go).
func (h *handle) methods() js.Value {
	o := newObject()
	// id is what bridge.js passes to bridge_message (messages from
	// windows), bridge_request and bridge_event.
	id := addReceiver(h.receive)
	handles[id] = h
	o.Set("id", id)
	def := func(name string, f func(args []js.Value) any) {
		o.Set(name, js.FuncOf(func(this js.Value, args []js.Value) any { return f(args) }))
	}
	def("state", func([]js.Value) any { return string(h.core.State()) })
	def("sessionId", func([]js.Value) any { return h.core.SessionID() })
	def("version", func([]js.Value) any { return h.core.Version() })
	def("keyId", func([]js.Value) any { return h.core.KeyID() })
	def("stats", func([]js.Value) any {
		return statsObject(h.core.Stats(), h.core.State(), h.core.Version())
	})
	def("destroy", func([]js.Value) any {
		h.core.Destroy()
		delete(receivers, id)
		delete(handles, id)
		h.win.forget()
		for id, off := range h.subs {
			off()
			delete(h.subs, id)
		}
		return nil
	})
	// on(name, listener): listener is the loader's number for the
	// function (see emit).
	def("on", func(args []js.Value) any {
		listener := int32(arg(args, 1).Int())
		off, err := h.core.On(str(arg(args, 0)), func(p protocol.Value) { emit(listener, p) })
		if err != nil {
			return errorObject(err)
		}
		return h.sub(off)
	})
	// handleRequest(name, server): server is the loader's number for
	// the handler (see serve).
	def("handleRequest", func(args []js.Value) any {
		server := int32(arg(args, 1).Int())
		off, err := h.core.HandleRequest(str(arg(args, 0)), func(p protocol.Value, r *protocol.Responder) {
			h.next++
			id := h.next
			// The handler answers at once when it can; otherwise
			// respond(id) follows (a promise). Answering here saves a
			// second entry into Go per request.
			if !serve(server, int32(id), p, r) {
				h.resp[id] = r
			}
		})
		if err != nil {
			return errorObject(err)
		}
		return h.sub(off)
	})
	def("off", func(args []js.Value) any {
		id := args[0].Int()
		if off, ok := h.subs[id]; ok {
			delete(h.subs, id)
			off()
		}
		return nil
	})
	// respond(id, ok, value) answers a request that a handler got.
	def("respond", func(args []js.Value) any {
		id := args[0].Int()
		r, ok := h.resp[id]
		if !ok {
			return nil
		}
		delete(h.resp, id)
		if truthy(arg(args, 1)) {
			r.Resolve(payloadOf(arg(args, 2)))
		} else {
			r.Fail()
		}
		return nil
	})
	return o
}

// sub keeps an unsubscribe function and returns its id.
func (h *handle) sub(off func()) int {
	h.next++
	h.subs[h.next] = off
	return h.next
}

// hooks reads the onState and onDrop callbacks of a config.
func hooks(cfg js.Value) (func(protocol.State), func(protocol.DropReason)) {
	var onState func(protocol.State)
	var onDrop func(protocol.DropReason)
	if f := cfg.Get("onState"); typeOf(f) == js.TypeFunction {
		onState = func(s protocol.State) { f.Invoke(string(s)) }
	}
	if f := cfg.Get("onDrop"); typeOf(f) == js.TypeFunction {
		onDrop = func(r protocol.DropReason) { f.Invoke(r.String(), r.Code()) }
	}
	return onState, onDrop
}

// result returns {bridge} or {error}.
func result(b js.Value, err error) js.Value {
	o := newObject()
	if err != nil {
		o.Set("error", errorObject(err))
	} else {
		o.Set("bridge", b)
	}
	return o
}

// newParent(cfg) creates and mounts a parent bridge. cfg: sessionId,
// origin, window (the iframe's contentWindow), signing, key, keyId and
// optional handshakeTimeoutMs, operationTimeoutMs, queueMaxSize,
// queueDisabled, onState, onDrop.
func newParent(this js.Value, args []js.Value) any {
	cfg := arg(args, 0)
	win := cfg.Get("window")
	signing, ok := protocol.ParseSigning(str(cfg.Get("signing")))
	if !ok {
		return result(js.Undefined(), &protocol.Error{Code: protocol.CodeConfigInvalidSecurityProfile, Message: "Signing must be required, optional or off."})
	}
	h := newHandle(win)
	onState, onDrop := hooks(cfg)
	key := keyOf(cfg.Get("key"))
	queue := intOf(cfg.Get("queueMaxSize"))
	p, err := protocol.NewParent(protocol.ParentConfig{
		SessionID:              str(cfg.Get("sessionId")),
		Origin:                 str(cfg.Get("origin")),
		Window:                 h.ref,
		AllowInsecureLocalhost: true, // the origins come from the server's config, which decided
		Signing:                signing,
		Key:                    key,
		KeyID:                  str(cfg.Get("keyId")),
		HandshakeTimeoutMs:     intOf(cfg.Get("handshakeTimeoutMs")),
		OperationTimeoutMs:     intOf(cfg.Get("operationTimeoutMs")),
		QueueMaxSize:           int(queue),
		QueueDisabled:          truthy(cfg.Get("queueDisabled")),
		Runtime:                runtimeFor(h.win),
		OnStateChange:          onState,
		OnDrop:                 onDrop,
	})
	clear(key)
	if err != nil {
		return result(js.Undefined(), err)
	}
	h.core = p
	o := h.methods()
	o.Set("mount", js.FuncOf(func(js.Value, []js.Value) any { p.Mount(); return nil }))
	// retarget(window): the iframe element now has this window (it was
	// moved in the document); the bridge posts there from now on.
	o.Set("retarget", js.FuncOf(func(this js.Value, args []js.Value) any {
		if w := arg(args, 0); typeOf(w) == js.TypeObject {
			h.win.retarget(w)
		}
		return nil
	}))
	o.Set("whenReady", js.FuncOf(func(this js.Value, args []js.Value) any {
		done := arg(args, 0)
		p.WhenReady(func(e *protocol.Error) { done.Invoke(errValue(e)) })
		return nil
	}))
	o.Set("waitForEvent", js.FuncOf(func(this js.Value, args []js.Value) any {
		done := arg(args, 2)
		p.WaitForEvent(str(arg(args, 0)), options(arg(args, 1)), func(v protocol.Value, e *protocol.Error) {
			if e != nil {
				done.Invoke(errValue(e))
				return
			}
			done.Invoke(js.Null(), toJS(v))
		})
		return nil
	}))
	o.Set("rekey", js.FuncOf(func(js.Value, []js.Value) any {
		kid, err := p.Rekey()
		if err != nil {
			return errorObject(err)
		}
		return kid
	}))
	return result(o, nil)
}

// newChild(cfg) creates a child bridge; start() sends bridge:ready. cfg:
// sessionId, parentOrigin, signing, key, keyId and optional
// connectionTimeoutMs, operationTimeoutMs, onState, onDrop, onKeyChange.
func newChild(this js.Value, args []js.Value) any {
	cfg := arg(args, 0)
	win := global.Get("parent")
	signing, ok := protocol.ParseSigning(str(cfg.Get("signing")))
	if !ok {
		return result(js.Undefined(), &protocol.Error{Code: protocol.CodeConfigInvalidSecurityProfile, Message: "Signing must be required, optional or off."})
	}
	h := newHandle(win)
	onState, onDrop := hooks(cfg)
	var onKey func(string, []byte)
	if f := cfg.Get("onKeyChange"); typeOf(f) == js.TypeFunction {
		onKey = func(kid string, key []byte) {
			f.Invoke(kid, base64.RawURLEncoding.EncodeToString(key))
			clear(key)
		}
	}
	key := keyOf(cfg.Get("key"))
	c, err := protocol.NewChild(protocol.ChildConfig{
		SessionID:              str(cfg.Get("sessionId")),
		ParentOrigin:           str(cfg.Get("parentOrigin")),
		Window:                 h.ref,
		AllowInsecureLocalhost: true,
		Signing:                signing,
		Key:                    key,
		KeyID:                  str(cfg.Get("keyId")),
		ConnectionTimeoutMs:    intOf(cfg.Get("connectionTimeoutMs")),
		OperationTimeoutMs:     intOf(cfg.Get("operationTimeoutMs")),
		Runtime:                runtimeFor(h.win),
		OnStateChange:          onState,
		OnDrop:                 onDrop,
		OnKeyChange:            onKey,
	})
	clear(key)
	if err != nil {
		return result(js.Undefined(), err)
	}
	h.core = c
	o := h.methods()
	o.Set("start", js.FuncOf(func(js.Value, []js.Value) any {
		if err := c.Start(); err != nil {
			return errorObject(err)
		}
		return nil
	}))
	o.Set("whenConnected", js.FuncOf(func(this js.Value, args []js.Value) any {
		done := arg(args, 0)
		c.WhenConnected(func(e *protocol.Error) { done.Invoke(errValue(e)) })
		return nil
	}))
	o.Set("parentOrigin", js.FuncOf(func(js.Value, []js.Value) any { return c.ParentOrigin() }))
	return result(o, nil)
}
