package protocol

// pendingRequest is a request that waits for its response.
type pendingRequest struct {
	gen         uint32
	timer       Timer
	removeAbort func()
	done        func(Value, *Error)
}

// requestTable holds the pending requests by requestId, as the SDK's
// RequestCoordinator (src/messaging/request-coordinator.ts): ids are
// "request-1", "request-2", …; the first response for an id settles it
// and forgets the id, so a second one is unmatched.
type requestTable struct {
	m    map[string]*pendingRequest
	next uint64
}

// request sends a request and calls done with the response's payload or
// an error, exactly once: REQUEST_REMOTE_ERROR, REQUEST_TIMEOUT after
// timeoutMs, OPERATION_ABORTED when the signal aborts, or the error that
// destroys the bridge.
func (l *link) request(name string, payload Value, opts Options, done func(Value, *Error)) {
	if opts.aborted() {
		done(nil, errAborted(nil))
		return
	}
	timeoutMs, err := opts.timeout(l.opTimeout)
	if err != nil {
		done(nil, err)
		return
	}
	t := &l.requests
	t.next++
	id := string(appendUint([]byte("request-"), t.next))
	env := l.base(l.version, TypeRequest)
	env.Name, env.RequestID = name, id
	if err := l.setContent(&env, payload); err != nil {
		done(nil, err)
		return
	}
	p := &pendingRequest{gen: l.gen, done: done}
	p.timer = l.rt.Clock.AfterFunc(timeoutMs, func() {
		if t.take(id) == p {
			done(nil, errRequestTimeout(id, timeoutMs))
		}
	})
	if opts.Signal != nil {
		p.removeAbort = opts.Signal.OnAbort(func() {
			if t.take(id) == p {
				done(nil, errAborted(Details{"requestId": id}))
			}
		})
	}
	if t.m == nil {
		t.m = make(map[string]*pendingRequest)
	}
	t.m[id] = p
	if err := l.post(&env, nil); err != nil {
		t.take(id)
		done(nil, err)
	}
}

// take removes the request id, stopping its timer and abort listener.
func (t *requestTable) take(id string) *pendingRequest {
	p := t.m[id]
	if p == nil {
		return nil
	}
	delete(t.m, id)
	p.timer.Stop()
	if p.removeAbort != nil {
		p.removeAbort()
	}
	return p
}

// settle completes the request id with a payload or a remote error.
func (t *requestTable) settle(id string, payload Value, remote *RemoteError) {
	p := t.take(id)
	if p == nil {
		return
	}
	if remote != nil {
		p.done(nil, errRemote(id, remote))
		return
	}
	p.done(payload, nil)
}

// rejectAll fails every pending request with err.
func (t *requestTable) rejectAll(err *Error) {
	pending := t.m
	t.m = nil
	for _, p := range pending {
		p.timer.Stop()
		if p.removeAbort != nil {
			p.removeAbort()
		}
		p.done(nil, err)
	}
}

// appendUint appends the decimal form of v to b (strconv.AppendUint
// without strconv's error machinery, which the runtime does not need).
func appendUint(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}
