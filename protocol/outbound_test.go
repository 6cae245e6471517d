package protocol

import (
	"strings"
	"testing"
)

// TestOutboundNames: an operation whose name no peer accepts fails at
// once, posts nothing and takes no place in the pre-ready queue.
func TestOutboundNames(t *testing.T) {
	for _, name := range []string{"", " ", "\t\n", "\u00a0\ufeff"} {
		w := newWorld(t)
		cfg := w.parentConfig(SigningRequired)
		cfg.QueueMaxSize = 1
		w.newParent(cfg)
		var a, b, c, d result
		w.parent.Request(name, nil, Options{}, a.done)
		w.parent.SendEvent(name, nil, Options{}, b.doneErr)
		w.parent.WaitForEvent(name, Options{}, c.done)
		for _, r := range []*result{&a, &b, &c} {
			if e := r.wantErr(t, CodeMessageInvalidEnvelope); e.Details["fieldName"] != "name" {
				t.Fatalf("%q: %+v", name, e)
			}
		}
		if _, err := w.parent.On(name, func(Value) {}); AsError(err) == nil || AsError(err).Code != CodeMessageInvalidEnvelope {
			t.Fatalf("On(%q) = %v", name, err)
		}
		if _, err := w.parent.HandleRequest(name, func(Value, *Responder) {}); AsError(err) == nil || AsError(err).Code != CodeMessageInvalidEnvelope {
			t.Fatalf("HandleRequest(%q) = %v", name, err)
		}
		// The queue of one still has its place.
		w.parent.SendEvent("ok", nil, Options{}, d.doneErr)
		w.newChild(w.childConfig(SigningRequired))
		w.run()
		if d.called != 1 || d.err != nil {
			t.Fatalf("queued event: %+v", d)
		}

		var e, f result
		w.child.Request(name, nil, Options{}, e.done)
		w.child.SendEvent(name, nil, Options{}, f.doneErr)
		e.wantErr(t, CodeMessageInvalidEnvelope)
		f.wantErr(t, CodeMessageInvalidEnvelope)
		if _, err := w.child.On(name, func(Value) {}); err == nil {
			t.Fatalf("child On(%q) accepted", name)
		}
		if _, err := w.child.HandleRequest(name, func(Value, *Responder) {}); err == nil {
			t.Fatalf("child HandleRequest(%q) accepted", name)
		}
		if n := len(w.postsOf(TypeRequest)) + len(w.postsOf(TypeEvent)); n != 1 {
			t.Fatalf("%q: %d requests and events posted, want the one valid event", name, n)
		}
	}
}

// TestInvalidTimeoutBeforeQueue: an invalid timeout is refused even when
// the pre-ready queue is full.
func TestInvalidTimeoutBeforeQueue(t *testing.T) {
	w := newWorld(t)
	cfg := w.parentConfig(SigningRequired)
	cfg.QueueMaxSize = 1
	w.newParent(cfg)
	var a, b, c, d result
	w.parent.SendEvent("fill", nil, Options{}, a.doneErr)
	w.parent.Request("m", nil, Options{TimeoutMs: 0, HasTimeout: true}, b.done)
	w.parent.WaitForEvent("m", Options{TimeoutMs: -5, HasTimeout: true}, c.done)
	w.parent.Request("m", nil, Options{}, d.done)
	b.wantErr(t, CodeOperationInvalidTimeout)
	c.wantErr(t, CodeOperationInvalidTimeout)
	d.wantErr(t, CodeQueueLimitExceeded)
	a.pending(t)
}

// TestOutboundSize: a message that the peer would drop as too large is
// refused by the sender with MESSAGE_INVALID_PAYLOAD; everything the
// sender lets through, the peer accepts. Both protocol versions, both
// directions, requests, events and responses.
func TestOutboundSize(t *testing.T) {
	for _, signing := range []Signing{SigningRequired, SigningOff} {
		w := connect(t, signing, signing)
		var got []int
		w.child.HandleRequest("echo", func(p Value, r *Responder) { r.Resolve(p) })
		w.child.On("ev", func(p Value) { got = append(got, len(p.String())) })
		limit := DefaultMaxMessageBytes
		refusedBelow, acceptedAbove := limit, 0
		for n := limit - 600; n <= limit+8; n += 13 {
			payload := GoValue(strings.Repeat("x", n))
			var ev result
			w.parent.SendEvent("ev", payload, Options{}, ev.doneErr)
			w.run()
			if ev.called != 1 {
				t.Fatalf("%v %d: sendEvent did not finish", signing, n)
			}
			if ev.err != nil {
				if ev.err.Code != CodeMessageInvalidPayload || ev.err.Details["maxMessageBytes"] != int64(limit) {
					t.Fatalf("%v %d: %+v", signing, n, ev.err)
				}
				refusedBelow = min(refusedBelow, n)
				continue
			}
			acceptedAbove = max(acceptedAbove, n)
			if len(got) == 0 || got[len(got)-1] != n {
				t.Fatalf("%v %d: sent, but the child did not get it (drops %+v)", signing, n, w.child.Stats().Dropped)
			}
		}
		if acceptedAbove >= refusedBelow || refusedBelow > limit || acceptedAbove < limit-600 {
			t.Fatalf("%v: accepted up to %d, refused from %d", signing, acceptedAbove, refusedBelow)
		}
		if d := w.child.Stats().Dropped[DropSize]; d != 0 {
			t.Fatalf("%v: child dropped %d as too large", signing, d)
		}
		// A request too large fails at once; a response too large
		// reaches the requester as the handler's failure, not as its
		// timeout.
		var big, small result
		w.parent.Request("echo", GoValue(strings.Repeat("x", limit)), Options{}, big.done)
		big.wantErr(t, CodeMessageInvalidPayload)
		w.child.HandleRequest("big", func(_ Value, r *Responder) { r.Resolve(GoValue(strings.Repeat("y", limit))) })
		w.parent.Request("big", nil, Options{}, small.done)
		w.run()
		e := small.wantErr(t, CodeRequestRemoteError)
		if re := e.Details["remoteError"].(*RemoteError); re.Code != CodeRequestHandlerError {
			t.Fatalf("%v: remote error %+v", signing, re)
		}
	}
}

// TestResponseNotCloneable: a v1 response whose payload postMessage
// cannot clone is answered with the handler's failure.
func TestResponseNotCloneable(t *testing.T) {
	w := connect(t, SigningOff, SigningOff)
	w.cloneFails = func(env *Envelope) bool { return env.Type == TypeResponse }
	w.child.HandleRequest("fn", func(_ Value, r *Responder) { r.Resolve(GoValue("a function, say")) })
	var a result
	w.parent.Request("fn", nil, Options{}, a.done)
	w.run()
	e := a.wantErr(t, CodeRequestRemoteError)
	if re := e.Details["remoteError"].(*RemoteError); re.Code != CodeRequestHandlerError || re.Message != "Child request handler failed." {
		t.Fatalf("remote error %+v", re)
	}
	if w.clock.active() != 0 {
		t.Fatalf("%d timers left", w.clock.active())
	}
}
