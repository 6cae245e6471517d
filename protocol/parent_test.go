package protocol

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// fromChild delivers data to the parent as the iframe's window would.
func (w *world) fromChild(data Value) {
	w.parent.HandleMessage(Message{Origin: testChildOrigin, Source: w.childWin, Data: data})
}

// rawV1Parent returns a world with a v1 parent (signing off) and no child
// runtime: the tests play an SDK-style iframe by hand.
func rawV1Parent(t *testing.T, edit func(*ParentConfig)) *world {
	w := newWorld(t)
	cfg := w.parentConfig(SigningOff)
	if edit != nil {
		edit(&cfg)
	}
	w.newParent(cfg)
	return w
}

// lastPost returns the last recorded post.
func (w *world) lastPost() post {
	if len(w.posts) == 0 {
		w.t.Fatal("nothing posted")
	}
	return w.posts[len(w.posts)-1]
}

func TestParentStates(t *testing.T) {
	w := newWorld(t)
	var states []State
	cfg := w.parentConfig(SigningOff)
	cfg.OnStateChange = func(s State) { states = append(states, s) }
	p, err := NewParent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.parent = p
	if p.State() != StateCreated || p.Version() != 0 || p.SessionID() != testSession {
		t.Fatalf("new parent: %s v%d %s", p.State(), p.Version(), p.SessionID())
	}
	// A ready before Mount is not taken.
	w.fromChild(v1msg(TypeReady, nil))
	if p.Stats().Dropped[DropState] != 1 {
		t.Fatal("ready before mount not dropped")
	}
	p.Mount()
	p.Mount()
	w.fromChild(v1msg(TypeReady, nil))
	p.Destroy()
	want := []State{StateMounting, StateWaitingForHandshake, StateReady, StateDestroyed}
	if !slices.Equal(states, want) {
		t.Fatalf("states %v, want %v", states, want)
	}
}

func TestParentReadyAcceptedOnce(t *testing.T) {
	w := rawV1Parent(t, nil)
	p := w.parent
	var ready1, ready2 result
	p.WhenReady(ready1.doneErr)
	var queued []*result
	for i := range 3 {
		r := new(result)
		queued = append(queued, r)
		p.SendEvent("e", GoValue(float64(i)), Options{}, r.doneErr)
	}
	w.fromChild(v1msg(TypeReady, nil))
	w.fromChild(v1msg(TypeReady, nil))
	w.fromChild(v1msg(TypeReady, nil))
	ready1.wantOK(t)
	p.WhenReady(ready2.doneErr)
	ready2.wantOK(t)
	if n := len(w.postsOf(TypeConnected)); n != 1 {
		t.Fatalf("%d bridge:connected, want exactly 1", n)
	}
	c := w.postsOf(TypeConnected)[0]
	if c.target != testChildOrigin || c.env.Version != 1 || c.env.SessionID != testSession || c.port {
		t.Fatalf("connected = %+v", c)
	}
	events := w.postsOf(TypeEvent)
	if len(events) != 3 {
		t.Fatalf("%d events flushed, want 3", len(events))
	}
	for i, e := range events {
		queued[i].wantOK(t)
		if e.env.Payload.Float() != float64(i) {
			t.Fatalf("queue order: event %d carries %v", i, e.env.Payload.Float())
		}
	}
	// The connected went out before the flushed operations.
	if w.posts[0].env.Type != TypeConnected {
		t.Fatalf("first post is %s", w.posts[0].env.Type)
	}
	if p.Stats().Dropped[DropState] != 2 || p.Stats().Accepted != 1 {
		t.Fatalf("stats %+v", p.Stats())
	}
}

func TestParentHandshakeTimeout(t *testing.T) {
	w := rawV1Parent(t, nil)
	p := w.parent
	var ready, req, ev, wait result
	p.WhenReady(ready.doneErr)
	p.Request("m", nil, Options{}, req.done)
	p.SendEvent("e", nil, Options{}, ev.doneErr)
	p.WaitForEvent("e", Options{}, wait.done)
	w.fromChild(v1msg(TypeReady, map[string]any{"sessionId": "other"}))
	w.advance(DefaultHandshakeTimeoutMs - 1)
	ready.pending(t)
	w.advance(1)
	if p.State() != StateHandshakeFailed {
		t.Fatalf("state %s", p.State())
	}
	e := ready.wantErr(t, CodeHandshakeTimeout)
	if e.Message != "Bridge handshake timed out." || e.Details["timeoutMs"] != int64(DefaultHandshakeTimeoutMs) ||
		e.Details["lastRejection"] != CodeHandshakeSessionMismatch {
		t.Fatalf("error %+v", e)
	}
	for _, r := range []*result{&req, &ev, &wait} {
		if r.wantErr(t, CodeHandshakeTimeout) != e {
			t.Fatal("not the terminal error")
		}
	}
	var later, whenReady result
	p.Request("m", nil, Options{}, later.done)
	later.wantErr(t, CodeHandshakeTimeout)
	p.WhenReady(whenReady.doneErr)
	whenReady.wantErr(t, CodeHandshakeTimeout)
	if _, err := p.On("e", func(Value) {}); AsError(err).Code != CodeHandshakeTimeout {
		t.Fatalf("On after failure: %v", err)
	}
	if _, err := p.HandleRequest("e", nil); AsError(err).Code != CodeHandshakeTimeout {
		t.Fatalf("HandleRequest after failure: %v", err)
	}
	w.fromChild(v1msg(TypeReady, nil))
	if p.State() != StateHandshakeFailed || p.Stats().Dropped[DropState] != 1 {
		t.Fatal("late ready accepted")
	}
	if w.clock.active() != 0 || len(w.posts) != 0 {
		t.Fatalf("timers %d, posts %d", w.clock.active(), len(w.posts))
	}
	p.Destroy()
	if p.State() != StateDestroyed {
		t.Fatal("destroy after failure")
	}
}

func TestParentQueue(t *testing.T) {
	t.Run("limit", func(t *testing.T) {
		w := rawV1Parent(t, nil)
		results := make([]result, DefaultQueueMaxSize+1)
		for i := range results {
			w.parent.SendEvent("e", nil, Options{}, results[i].doneErr)
		}
		e := results[DefaultQueueMaxSize].wantErr(t, CodeQueueLimitExceeded)
		if e.Message != "Pre-ready queue limit exceeded." || e.Details["maxSize"] != int64(DefaultQueueMaxSize) {
			t.Fatalf("error %+v", e)
		}
		results[0].pending(t)
		w.fromChild(v1msg(TypeReady, nil))
		for i := range DefaultQueueMaxSize {
			results[i].wantOK(t)
		}
	})
	t.Run("custom size", func(t *testing.T) {
		w := rawV1Parent(t, func(c *ParentConfig) { c.QueueMaxSize = 1 })
		var a, b result
		w.parent.SendEvent("e", nil, Options{}, a.doneErr)
		w.parent.SendEvent("e", nil, Options{}, b.doneErr)
		b.wantErr(t, CodeQueueLimitExceeded)
	})
	t.Run("disabled", func(t *testing.T) {
		w := rawV1Parent(t, func(c *ParentConfig) { c.QueueDisabled = true })
		var a result
		w.parent.Request("m", nil, Options{}, a.done)
		if a.wantErr(t, CodeBridgeNotReady).Message != "Bridge is not ready." {
			t.Fatal(a.err)
		}
	})
	t.Run("abort while queued", func(t *testing.T) {
		w := rawV1Parent(t, nil)
		ac := NewAbortController()
		var a, b, pre result
		w.parent.Request("m", nil, Options{Signal: ac.Signal()}, a.done)
		w.parent.WaitForEvent("e", Options{Signal: ac.Signal()}, b.done)
		if ac.Listeners() != 2 {
			t.Fatalf("%d abort listeners", ac.Listeners())
		}
		ac.Abort()
		if a.wantErr(t, CodeOperationAborted).Details != nil || b.wantErr(t, CodeOperationAborted).Details != nil {
			t.Fatal("queued aborts carry no details in the SDK")
		}
		w.parent.SendEvent("e", nil, Options{Signal: ac.Signal()}, pre.doneErr)
		pre.wantErr(t, CodeOperationAborted)
		if w.parent.queue.size() != 0 || ac.Listeners() != 0 {
			t.Fatal("aborted operations left behind")
		}
		w.fromChild(v1msg(TypeReady, nil))
		if len(w.posts) != 1 {
			t.Fatalf("aborted operations were sent: %+v", w.posts)
		}
	})
	t.Run("flush removes abort listeners", func(t *testing.T) {
		w := rawV1Parent(t, nil)
		ac := NewAbortController()
		var a result
		w.parent.SendEvent("e", nil, Options{Signal: ac.Signal()}, a.doneErr)
		w.fromChild(v1msg(TypeReady, nil))
		a.wantOK(t)
		if ac.Listeners() != 0 {
			t.Fatal("abort listener left after flush")
		}
		ac.Abort()
		if a.called != 1 {
			t.Fatal("abort after completion reached the operation")
		}
	})
}

func TestParentRequest(t *testing.T) {
	ready := func(t *testing.T) *world {
		w := rawV1Parent(t, nil)
		w.fromChild(v1msg(TypeReady, nil))
		return w
	}
	lastID := func(w *world) string { return w.lastPost().env.RequestID }

	t.Run("timeout", func(t *testing.T) {
		w := ready(t)
		var a, b result
		w.parent.Request("m", nil, Options{}, a.done)
		w.parent.Request("m", nil, Options{TimeoutMs: 100, HasTimeout: true}, b.done)
		w.advance(100)
		e := b.wantErr(t, CodeRequestTimeout)
		if e.Message != "Request timed out." || e.Details["requestId"] != "request-2" || e.Details["timeoutMs"] != int64(100) {
			t.Fatalf("error %+v", e)
		}
		a.pending(t)
		w.advance(DefaultOperationTimeoutMs)
		if a.wantErr(t, CodeRequestTimeout).Details["timeoutMs"] != int64(DefaultOperationTimeoutMs) {
			t.Fatal(a.err)
		}
		w.fromChild(v1msg(TypeResponse, map[string]any{"requestId": "request-1"}))
		if w.parent.Stats().Dropped[DropUnmatched] != 1 || a.called != 1 {
			t.Fatal("late response not dropped")
		}
	})
	t.Run("invalid timeouts", func(t *testing.T) {
		w := ready(t)
		for _, ms := range []float64{0, -1, 1.5, math.NaN(), math.Inf(1), 1 << 60} {
			var a, b, c result
			opts := Options{TimeoutMs: ms, HasTimeout: true}
			w.parent.Request("m", nil, opts, a.done)
			w.parent.SendEvent("e", nil, opts, b.doneErr)
			w.parent.WaitForEvent("e", opts, c.done)
			for _, r := range []*result{&a, &b, &c} {
				e := r.wantErr(t, CodeOperationInvalidTimeout)
				if e.Message != "Operation timeout must be a finite positive integer." {
					t.Fatal(e)
				}
			}
		}
		if len(w.posts) != 1 || w.clock.active() != 0 {
			t.Fatalf("invalid operations posted %d, timers %d", len(w.posts)-1, w.clock.active())
		}
	})
	t.Run("remote error", func(t *testing.T) {
		w := ready(t)
		var a result
		w.parent.Request("m", nil, Options{}, a.done)
		data := GoValue("ctx")
		w.fromChild(v1msg(TypeResponse, map[string]any{"requestId": lastID(w),
			"error": map[string]any{"code": "VALIDATION_ERROR", "message": "Bad id", "data": data}}))
		e := a.wantErr(t, CodeRequestRemoteError)
		re := e.Details["remoteError"].(*RemoteError)
		if e.Message != "Bad id" || e.Details["requestId"] != "request-1" || re.Code != "VALIDATION_ERROR" || re.Data.String() != "ctx" {
			t.Fatalf("error %+v %+v", e, re)
		}
	})
	t.Run("first response wins", func(t *testing.T) {
		w := ready(t)
		var a result
		w.parent.Request("m", nil, Options{}, a.done)
		id := lastID(w)
		w.fromChild(v1msg(TypeResponse, map[string]any{"requestId": id, "payload": "first"}))
		w.fromChild(v1msg(TypeResponse, map[string]any{"requestId": id, "payload": "second"}))
		w.fromChild(v1msg(TypeResponse, map[string]any{"requestId": "request-99", "payload": "x"}))
		if v := a.wantOK(t); v.String() != "first" {
			t.Fatalf("got %q", v.String())
		}
		if w.parent.Stats().Dropped[DropUnmatched] != 2 || w.clock.active() != 0 {
			t.Fatalf("stats %+v, timers %d", w.parent.Stats(), w.clock.active())
		}
	})
	t.Run("abort after send", func(t *testing.T) {
		w := ready(t)
		ac := NewAbortController()
		var a result
		w.parent.Request("m", nil, Options{Signal: ac.Signal()}, a.done)
		ac.Abort()
		if a.wantErr(t, CodeOperationAborted).Details["requestId"] != "request-1" {
			t.Fatal(a.err)
		}
		w.fromChild(v1msg(TypeResponse, map[string]any{"requestId": "request-1"}))
		if a.called != 1 || w.clock.active() != 0 {
			t.Fatal("aborted request settled twice or left a timer")
		}
	})
	t.Run("response clears abort listener", func(t *testing.T) {
		w := ready(t)
		ac := NewAbortController()
		var a result
		w.parent.Request("m", nil, Options{Signal: ac.Signal()}, a.done)
		w.fromChild(v1msg(TypeResponse, map[string]any{"requestId": "request-1"}))
		a.wantOK(t)
		if ac.Listeners() != 0 {
			t.Fatal("abort listener left")
		}
	})
	t.Run("child requests ignored in v1", func(t *testing.T) {
		w := ready(t)
		w.fromChild(v1msg(TypeRequest, map[string]any{"requestId": "x", "name": "m"}))
		w.fromChild(v1msg(TypeConnected, nil))
		if w.parent.Stats().Dropped[DropState] != 2 || len(w.posts) != 1 {
			t.Fatal("v1 request from the iframe not ignored")
		}
	})
	t.Run("post failure", func(t *testing.T) {
		w := ready(t)
		w.failWindow = true
		var a, b result
		w.parent.Request("m", nil, Options{}, a.done)
		w.parent.SendEvent("e", nil, Options{}, b.doneErr)
		e := a.wantErr(t, CodeMessageTargetMismatch)
		if e.Details["cause"] != "window gone" {
			t.Fatal(e)
		}
		b.wantErr(t, CodeMessageTargetMismatch)
		if len(w.parent.requests.m) != 0 || w.clock.active() != 0 || w.parent.Stats().PostErrors != 2 {
			t.Fatal("failed request left behind")
		}
	})
}

func TestParentEvents(t *testing.T) {
	w := rawV1Parent(t, nil)
	p := w.parent
	var order []string
	var unsubB func()
	unsubA, _ := p.On("e", func(Value) { order = append(order, "a"); unsubB() })
	unsubB, _ = p.On("e", func(Value) { order = append(order, "b") })
	if _, err := p.On("other", func(Value) { order = append(order, "other") }); err != nil {
		t.Fatal(err)
	}
	var w1, w2, w3 result
	p.WaitForEvent("e", Options{}, w1.done)
	p.WaitForEvent("e", Options{}, w2.done)
	p.WaitForEvent("x", Options{TimeoutMs: 50, HasTimeout: true}, w3.done)
	w.fromChild(v1msg(TypeEvent, map[string]any{"name": "e", "payload": "p"}))
	// The waiters are queued until ready: the event before ready is dropped.
	if p.Stats().Dropped[DropState] != 1 || len(order) != 0 {
		t.Fatal("event before ready dispatched")
	}
	w.fromChild(v1msg(TypeReady, nil))
	w.fromChild(v1msg(TypeEvent, map[string]any{"name": "e", "payload": "p"}))
	// a removed b before b's turn (TestListenersDuringDispatch).
	if !slices.Equal(order, []string{"a"}) {
		t.Fatalf("order %v", order)
	}
	if w1.wantOK(t).String() != "p" || w2.wantOK(t).String() != "p" {
		t.Fatal("waiters")
	}
	w.fromChild(v1msg(TypeEvent, map[string]any{"name": "e"}))
	if !slices.Equal(order, []string{"a", "a"}) {
		t.Fatalf("after unsubscribe: %v", order)
	}
	unsubA()
	unsubA()
	w.fromChild(v1msg(TypeEvent, map[string]any{"name": "e"}))
	if len(order) != 2 {
		t.Fatalf("unsubscribed listener ran: %v", order)
	}
	w.advance(50)
	e := w3.wantErr(t, CodeEventWaitTimeout)
	if e.Message != "Timed out waiting for bridge event." || e.Details["name"] != "x" || e.Details["timeoutMs"] != int64(50) {
		t.Fatal(e)
	}
	ac := NewAbortController()
	var w4 result
	p.WaitForEvent("y", Options{Signal: ac.Signal()}, w4.done)
	ac.Abort()
	if w4.wantErr(t, CodeOperationAborted).Details["name"] != "y" || w.clock.active() != 0 {
		t.Fatal(w4.err)
	}
}

// TestListenersDuringDispatch checks what a listener can do to the
// listeners of the event being dispatched, on both sides. As with a DOM
// EventTarget, the listeners are those registered when the event
// arrives: one removed by an earlier listener does not run, nor does any
// once a listener destroyed the bridge; one added waits for the next
// event.
func TestListenersDuringDispatch(t *testing.T) {
	// bridge is the part of a Parent or a Child under test.
	type bridge struct {
		on      func(name string, f func(Value)) (func(), error)
		destroy func()
	}
	// listeners registers named listeners of "e" that record their runs.
	type listeners struct {
		b   bridge
		ran []string
		off map[string]func()
	}
	add := func(t *testing.T, ls *listeners, name string, also func()) {
		f, err := ls.b.on("e", func(Value) {
			ls.ran = append(ls.ran, name)
			if also != nil {
				also()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		ls.off[name] = f
	}
	sides := []struct {
		name string
		// side returns the bridge under test and a function that makes
		// its peer send the event "e".
		side func(w *world) (bridge, func())
	}{
		{"parent", func(w *world) (bridge, func()) {
			return bridge{w.parent.On, w.parent.Destroy},
				func() { w.child.SendEvent("e", nil, Options{}, func(*Error) {}) }
		}},
		{"child", func(w *world) (bridge, func()) {
			return bridge{w.child.On, w.child.Destroy},
				func() { w.parent.SendEvent("e", nil, Options{}, func(*Error) {}) }
		}},
	}
	for _, side := range sides {
		for _, tt := range []struct {
			name string
			// first is what the first of the listeners a, b, c does on
			// the first event.
			first func(t *testing.T, ls *listeners)
			want  []string // the listeners that ran, over two events
		}{
			{"nothing", func(*testing.T, *listeners) {}, []string{"a", "b", "c", "a", "b", "c"}},
			{"removes a later one", func(_ *testing.T, ls *listeners) { ls.off["b"]() }, []string{"a", "c", "a", "c"}},
			{"removes itself", func(_ *testing.T, ls *listeners) { ls.off["a"]() }, []string{"a", "b", "c", "b", "c"}},
			{"removes them all", func(_ *testing.T, ls *listeners) {
				for _, f := range ls.off {
					f()
				}
			}, []string{"a"}},
			{"adds one", func(t *testing.T, ls *listeners) { add(t, ls, "d", nil) }, []string{"a", "b", "c", "a", "b", "c", "d"}},
			{"destroys the bridge", func(_ *testing.T, ls *listeners) { ls.b.destroy() }, []string{"a"}},
		} {
			t.Run(side.name+"/"+tt.name, func(t *testing.T) {
				w := connect(t, SigningRequired, SigningRequired)
				b, send := side.side(w)
				ls := &listeners{b: b, off: map[string]func(){}}
				done := false
				add(t, ls, "a", func() {
					if !done {
						done = true
						tt.first(t, ls)
					}
				})
				add(t, ls, "b", nil)
				add(t, ls, "c", nil)
				var waited result
				if side.name == "parent" {
					w.parent.WaitForEvent("e", Options{}, waited.done)
				}
				for range 2 {
					send()
					w.run()
				}
				if !slices.Equal(ls.ran, tt.want) {
					t.Fatalf("ran %v, want %v", ls.ran, tt.want)
				}
				// Waiters resolve after the listeners, or fail with
				// the bridge.
				switch {
				case side.name != "parent":
				case tt.name == "destroys the bridge":
					waited.wantErr(t, CodeBridgeDestroyed)
				default:
					waited.wantOK(t)
				}
			})
		}
	}
}

// TestHandlerDestroysBridge checks that a request handler that destroys
// its bridge and then answers sends nothing: the requester times out.
func TestHandlerDestroysBridge(t *testing.T) {
	for _, side := range []string{"parent", "child"} {
		t.Run(side, func(t *testing.T) {
			w := connect(t, SigningRequired, SigningRequired)
			var got result
			if side == "parent" {
				w.parent.HandleRequest("m", func(_ Value, r *Responder) { w.parent.Destroy(); r.Resolve(GoValue(1.0)) })
				w.child.Request("m", nil, Options{}, got.done)
			} else {
				w.child.HandleRequest("m", func(_ Value, r *Responder) { w.child.Destroy(); r.Resolve(GoValue(1.0)) })
				w.parent.Request("m", nil, Options{}, got.done)
			}
			w.run()
			if n := len(w.postsOf(TypeResponse)); n != 0 {
				t.Fatalf("%d responses sent", n)
			}
			w.advance(DefaultOperationTimeoutMs)
			got.wantErr(t, CodeRequestTimeout)
		})
	}
}

func TestParentDestroy(t *testing.T) {
	for _, stage := range []string{"created", "waiting", "ready"} {
		t.Run(stage, func(t *testing.T) {
			w := newWorld(t)
			p, err := NewParent(w.parentConfig(SigningOff))
			if err != nil {
				t.Fatal(err)
			}
			w.parent = p
			if stage != "created" {
				p.Mount()
			}
			var queued, whenReady, req, wait result
			p.SendEvent("e", nil, Options{}, queued.doneErr)
			p.WhenReady(whenReady.doneErr)
			if stage == "ready" {
				w.fromChild(v1msg(TypeReady, nil))
				p.Request("m", nil, Options{}, req.done)
				p.WaitForEvent("e", Options{}, wait.done)
			}
			p.On("e", func(Value) { t.Fatal("listener survived destroy") })
			p.Destroy()
			p.Destroy()
			if p.State() != StateDestroyed || w.clock.active() != 0 {
				t.Fatalf("state %s, timers %d", p.State(), w.clock.active())
			}
			if stage == "ready" {
				queued.wantOK(t)
				whenReady.wantOK(t)
				req.wantErr(t, CodeBridgeDestroyed)
				wait.wantErr(t, CodeBridgeDestroyed)
			} else {
				if queued.wantErr(t, CodeBridgeDestroyed).Message != "Bridge destroyed." {
					t.Fatal(queued.err)
				}
				whenReady.wantErr(t, CodeBridgeDestroyed)
			}
			var after result
			p.Request("m", nil, Options{}, after.done)
			after.wantErr(t, CodeBridgeDestroyed)
			if _, err := p.On("e", nil); AsError(err).Code != CodeBridgeDestroyed {
				t.Fatal(err)
			}
			if _, err := p.Rekey(); AsError(err).Code != CodeBridgeDestroyed {
				t.Fatal(err)
			}
			w.fromChild(v1msg(TypeEvent, map[string]any{"name": "e"}))
			p.Mount()
			if p.State() != StateDestroyed {
				t.Fatal("mount after destroy")
			}
		})
	}
}

func TestParentRemount(t *testing.T) {
	w := rawV1Parent(t, nil)
	old := w.parent
	var pending result
	old.Request("m", nil, Options{}, pending.done)
	cfg := w.parentConfig(SigningOff)
	cfg.SessionID = "new-session"
	np, err := old.Remount(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pending.wantErr(t, CodeBridgeDestroyed)
	if old.State() != StateDestroyed || np.State() != StateWaitingForHandshake || np.SessionID() != "new-session" {
		t.Fatalf("remount: old %s, new %s", old.State(), np.State())
	}
	cfg.Origin = "*"
	if _, err := np.Remount(cfg); AsError(err).Code != CodeConfigUnsafeOrigin {
		t.Fatal(err)
	}
}

func TestParentConfigErrors(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name string
		edit func(*ParentConfig)
		code string
	}{
		{"wildcard origin", func(c *ParentConfig) { c.Origin = "*" }, CodeConfigUnsafeOrigin},
		{"wildcard target", func(c *ParentConfig) { c.TargetOrigin = "*" }, CodeConfigUnsafeOrigin},
		{"no session", func(c *ParentConfig) { c.SessionID = " " }, CodeConfigInvalidSrc},
		{"no window", func(c *ParentConfig) { c.Window = nil }, CodeConfigInvalidEnvironment},
		{"bad signing", func(c *ParentConfig) { c.Signing = 9 }, CodeConfigInvalidSecurityProfile},
		{"no clock", func(c *ParentConfig) { c.Runtime.Clock = nil }, CodeConfigInvalidEnvironment},
		{"no transport", func(c *ParentConfig) { c.Runtime.Transport = nil }, CodeConfigInvalidEnvironment},
		{"no key", func(c *ParentConfig) { c.Key = nil }, CodeKeyUnavailable},
		{"short key", func(c *ParentConfig) { c.Key = c.Key[:16] }, CodeKeyUnavailable},
		{"no kid", func(c *ParentConfig) { c.KeyID = "" }, CodeKeyUnavailable},
		{"no codec", func(c *ParentConfig) { c.Runtime.Codec = nil }, CodeConfigInvalidEnvironment},
		{"no rand", func(c *ParentConfig) { c.Runtime.Rand = nil }, CodeConfigInvalidEnvironment},
		{"handshake timeout", func(c *ParentConfig) { c.HandshakeTimeoutMs = -1 }, CodeConfigInvalidTimeout},
		{"operation timeout", func(c *ParentConfig) { c.OperationTimeoutMs = -5 }, CodeConfigInvalidTimeout},
		{"grace", func(c *ParentConfig) { c.RekeyGraceMs = -1 }, CodeConfigInvalidTimeout},
		{"skew", func(c *ParentConfig) { c.MaxClockSkewMs = -1 }, CodeConfigInvalidTimeout},
		{"queue", func(c *ParentConfig) { c.QueueMaxSize = -1 }, CodeConfigInvalidQueue},
	}
	for _, tt := range tests {
		cfg := w.parentConfig(SigningRequired)
		tt.edit(&cfg)
		p, err := NewParent(cfg)
		if p != nil || AsError(err) == nil || AsError(err).Code != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
		if !errors.Is(err, &Error{Code: tt.code}) || err.Error() == "" {
			t.Errorf("%s: errors.Is", tt.name)
		}
	}
	// Signing off needs no key, codec or randomness.
	cfg := w.parentConfig(SigningOff)
	cfg.Key, cfg.KeyID, cfg.Runtime.Codec, cfg.Runtime.Rand = nil, "", nil, nil
	cfg.TargetOrigin = "https://other.example"
	if _, err := NewParent(cfg); err != nil {
		t.Fatal(err)
	}
	// The bridge keeps its own copy of the key.
	cfg = w.parentConfig(SigningRequired)
	key := append([]byte(nil), testKey...)
	cfg.Key = key
	p, err := NewParent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key[0]++
	if p.ring.cur.key[0] != testKey[0] || p.KeyID() != testKID {
		t.Fatal("key not copied")
	}
}

func TestParentTargetOrigin(t *testing.T) {
	w := rawV1Parent(t, func(c *ParentConfig) { c.TargetOrigin = "https://target.example" })
	w.fromChild(v1msg(TypeReady, nil))
	if got := w.lastPost().target; got != "https://target.example" {
		t.Fatalf("target %q", got)
	}
	// A corrupted target is refused rather than posted.
	w.parent.target = "*"
	var a result
	w.parent.SendEvent("e", nil, Options{}, a.doneErr)
	if a.wantErr(t, CodeMessageTargetMismatch).Message != "Bridge transport target origin must be exact." {
		t.Fatal(a.err)
	}
}
