package protocol

// RequestHandler answers an inbound request: it gets the request's
// payload and answers through r, at once or later.
type RequestHandler func(payload Value, r *Responder)

// Responder answers one inbound request. Only the first answer is sent,
// and none once the bridge has failed or been destroyed or the iframe has
// re-handshaken since the request came, as the SDK's child does.
type Responder struct {
	l         *link
	version   int
	requestID string
	gen       uint32
	done      bool
}

// Resolve answers with result as the response's payload.
func (r *Responder) Resolve(result Value) {
	r.respond(result, nil)
}

// Reject answers with e as the response's error. A code or message that
// is blank is replaced as Fail would.
func (r *Responder) Reject(e *RemoteError) {
	if e == nil {
		e = r.l.handlerFailed()
	}
	r.respond(nil, e)
}

// Fail answers that the handler failed: REQUEST_HANDLER_ERROR with the
// SDK's message, which says nothing about the failure. The WebAssembly
// layer calls it when a JavaScript handler throws or rejects.
func (r *Responder) Fail() {
	r.respond(nil, r.l.handlerFailed())
}

func (r *Responder) respond(payload Value, e *RemoteError) {
	if r.done {
		return
	}
	r.done = true
	l := r.l
	if !l.open || r.gen != l.gen || r.version != l.version {
		return
	}
	env := l.base(r.version, TypeResponse)
	env.RequestID = r.requestID
	if e == nil {
		if err := l.setContent(&env, payload); err != nil {
			e = l.handlerFailed()
		}
	}
	answers := e == nil // with a payload, not an error
	if !answers {
		env.Payload, env.Body = nil, ""
		l.setError(&env, e)
	}
	if err := l.post(&env, nil); err != nil && answers && err.Code == CodeMessageInvalidPayload {
		// A v1 payload that the transport could not clone: the
		// requester learns that the handler failed instead of waiting
		// for its timeout.
		env.Payload = nil
		l.setError(&env, l.handlerFailed())
		l.post(&env, nil)
	}
}

// handlerEntry is a registered handler.
type handlerEntry struct {
	id uint64
	f  RequestHandler
}

// handlerRegistry holds one request handler per name.
type handlerRegistry struct {
	m    map[string]handlerEntry
	next uint64
}

// set registers f for name, replacing any earlier handler, and returns
// the function that removes f (and nothing that replaced it).
func (h *handlerRegistry) set(name string, f RequestHandler) func() {
	if h.m == nil {
		h.m = make(map[string]handlerEntry)
	}
	h.next++
	id := h.next
	h.m[name] = handlerEntry{id: id, f: f}
	return func() {
		if e, ok := h.m[name]; ok && e.id == id {
			delete(h.m, name)
		}
	}
}

// serve runs the handler of an inbound request, or answers
// REQUEST_HANDLER_NOT_FOUND.
func (h *handlerRegistry) serve(l *link, env *Envelope, payload Value) {
	r := &Responder{l: l, version: env.Version, requestID: env.RequestID, gen: l.gen}
	e, ok := h.m[env.Name]
	if !ok {
		r.Reject(&RemoteError{
			Code:    CodeRequestHandlerNotFound,
			Message: "No " + l.role + " request handler registered for " + env.Name + ".",
		})
		return
	}
	e.f(payload, r)
}

// clear removes every handler.
func (h *handlerRegistry) clear() {
	h.m = nil
}
