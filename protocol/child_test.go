package protocol

import (
	"slices"
	"testing"
)

// fromParent delivers data to the child as the parent window would.
func (w *world) fromParent(data Value, port Port) {
	w.child.HandleMessage(Message{Origin: testParentOrigin, Source: w.parentWin, Data: data, Port: port})
}

// rawV1Child returns a world with a v1 child (signing off) and no parent
// runtime: the tests play an SDK parent by hand.
func rawV1Child(t *testing.T, edit func(*ChildConfig)) *world {
	w := newWorld(t)
	cfg := w.childConfig(SigningOff)
	if edit != nil {
		edit(&cfg)
	}
	w.newChild(cfg)
	return w
}

func TestChildStates(t *testing.T) {
	w := newWorld(t)
	var states []State
	cfg := w.childConfig(SigningOff)
	cfg.OnStateChange = func(s State) { states = append(states, s) }
	c, err := NewChild(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.child = c
	if c.State() != StateCreated || c.ParentOrigin() != testParentOrigin || c.SessionID() != testSession || c.KeyID() != "" {
		t.Fatal("new child")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	readies := w.postsOf(TypeReady)
	if len(readies) != 1 || readies[0].env.Version != 1 || readies[0].target != testParentOrigin {
		t.Fatalf("readies %+v", readies)
	}
	var connected result
	c.WhenConnected(connected.doneErr)
	w.fromParent(v1msg(TypeConnected, nil), nil)
	w.fromParent(v1msg(TypeConnected, nil), nil)
	connected.wantOK(t)
	var again result
	c.WhenConnected(again.doneErr)
	again.wantOK(t)
	if c.Stats().Dropped[DropState] != 1 || c.Version() != 1 {
		t.Fatalf("stats %+v", c.Stats())
	}
	c.Destroy()
	want := []State{StateConnecting, StateConnected, StateDestroyed}
	if !slices.Equal(states, want) {
		t.Fatalf("states %v, want %v", states, want)
	}
}

func TestChildReadies(t *testing.T) {
	for _, tt := range []struct {
		signing  Signing
		versions []int
	}{
		{SigningRequired, []int{2}},
		{SigningOptional, []int{2, 1}},
		{SigningOff, []int{1}},
	} {
		w := newWorld(t)
		w.newChild(w.childConfig(tt.signing))
		var got []int
		for _, p := range w.postsOf(TypeReady) {
			got = append(got, p.env.Version)
			if p.onPort || p.target != testParentOrigin {
				t.Fatalf("ready %+v", p)
			}
		}
		if !slices.Equal(got, tt.versions) {
			t.Errorf("%s: ready versions %v, want %v", tt.signing, got, tt.versions)
		}
	}
}

func TestChildConnectionTimeout(t *testing.T) {
	w := rawV1Child(t, func(c *ChildConfig) { c.ConnectionTimeoutMs = 3000 })
	c := w.child
	var connected, sent result
	c.WhenConnected(connected.doneErr)
	c.SendEvent("e", nil, Options{}, sent.doneErr)
	if sent.wantErr(t, CodeBridgeNotReady).Message != "Child bridge is not connected." {
		t.Fatal(sent.err)
	}
	w.fromParent(v1msg(TypeConnected, map[string]any{"sessionId": "other"}), nil)
	w.advance(3000)
	e := connected.wantErr(t, CodeHandshakeTimeout)
	if e.Message != "Child bridge connection timed out." || e.Details["timeoutMs"] != int64(3000) ||
		e.Details["lastRejection"] != CodeHandshakeSessionMismatch || c.State() != StateConnectionFailed {
		t.Fatalf("error %+v, state %s", e, c.State())
	}
	var after, later result
	c.SendEvent("e", nil, Options{}, after.doneErr)
	after.wantErr(t, CodeHandshakeTimeout)
	c.WhenConnected(later.doneErr)
	later.wantErr(t, CodeHandshakeTimeout)
	if _, err := c.On("e", func(Value) {}); AsError(err).Code != CodeHandshakeTimeout {
		t.Fatal(err)
	}
	if _, err := c.HandleRequest("e", nil); AsError(err).Code != CodeHandshakeTimeout {
		t.Fatal(err)
	}
	w.fromParent(v1msg(TypeConnected, nil), nil)
	if c.State() != StateConnectionFailed || w.clock.active() != 0 {
		t.Fatal("late connected accepted")
	}
}

func TestChildRequests(t *testing.T) {
	w := rawV1Child(t, nil)
	c := w.child
	w.fromParent(v1msg(TypeConnected, nil), nil)
	var later *Responder
	unregOld, _ := c.HandleRequest("m", func(Value, *Responder) { t.Fatal("replaced handler ran") })
	if _, err := c.HandleRequest("m", func(p Value, r *Responder) { later = r }); err != nil {
		t.Fatal(err)
	}
	unregOld() // removes nothing: the name has a newer handler
	c.HandleRequest("reject", func(p Value, r *Responder) {
		r.Reject(&RemoteError{Code: "BAD", Message: "bad input", Data: GoValue(1.0)})
		r.Resolve(nil)
	})
	c.HandleRequest("fail", func(p Value, r *Responder) { r.Fail() })
	c.HandleRequest("nil", func(p Value, r *Responder) { r.Reject(nil) })
	c.HandleRequest("blank", func(p Value, r *Responder) { r.Reject(&RemoteError{Code: " ", Message: "m"}) })
	unreg, _ := c.HandleRequest("gone", func(Value, *Responder) { t.Fatal("unregistered handler ran") })
	unreg()

	ask := func(name, id string) post {
		t.Helper()
		n := len(w.posts)
		w.fromParent(v1msg(TypeRequest, map[string]any{"name": name, "requestId": id, "payload": "p"}), nil)
		if len(w.posts) != n+1 {
			t.Fatalf("%s: %d responses", name, len(w.posts)-n)
		}
		return w.lastPost()
	}
	r := ask("reject", "1").env
	if r.Type != TypeResponse || r.RequestID != "1" || r.Error.Code != "BAD" || r.Error.Message != "bad input" || r.Error.Data.Float() != 1 {
		t.Fatalf("reject: %+v %+v", r, r.Error)
	}
	for _, name := range []string{"fail", "nil", "blank"} {
		r = ask(name, name).env
		if r.Error.Code != CodeRequestHandlerError || r.Error.Message != "Child request handler failed." {
			t.Fatalf("%s: %+v", name, r.Error)
		}
	}
	r = ask("gone", "g").env
	if r.Error.Code != CodeRequestHandlerNotFound || r.Error.Message != "No child request handler registered for gone." {
		t.Fatalf("not found: %+v", r.Error)
	}
	n := len(w.posts)
	w.fromParent(v1msg(TypeRequest, map[string]any{"name": "m", "requestId": "late", "payload": "p"}), nil)
	if later == nil || len(w.posts) != n {
		t.Fatal("asynchronous handler answered at once")
	}
	later.Resolve(GoValue("done"))
	later.Resolve(GoValue("twice"))
	if len(w.posts) != n+1 || w.lastPost().env.Payload.String() != "done" {
		t.Fatalf("asynchronous answer: %+v", w.lastPost())
	}
	// An answer after destroy is not sent.
	w.fromParent(v1msg(TypeRequest, map[string]any{"name": "m", "requestId": "after", "payload": "p"}), nil)
	c.Destroy()
	later.Resolve(GoValue("after destroy"))
	if len(w.posts) != n+1 {
		t.Fatal("answered after destroy")
	}
}

func TestChildEvents(t *testing.T) {
	w := rawV1Child(t, nil)
	c := w.child
	var got []string
	unsub, _ := c.On("theme", func(v Value) { got = append(got, v.String()) })
	w.fromParent(v1msg(TypeEvent, map[string]any{"name": "theme", "payload": "early"}), nil)
	w.fromParent(v1msg(TypeConnected, nil), nil)
	w.fromParent(v1msg(TypeEvent, map[string]any{"name": "theme", "payload": "dark"}), nil)
	unsub()
	w.fromParent(v1msg(TypeEvent, map[string]any{"name": "theme", "payload": "light"}), nil)
	if !slices.Equal(got, []string{"dark"}) {
		t.Fatalf("events %v", got)
	}
	ac := NewAbortController()
	ac.Abort()
	var aborted result
	c.SendEvent("e", nil, Options{Signal: ac.Signal()}, aborted.doneErr)
	if aborted.wantErr(t, CodeOperationAborted).Details["name"] != "e" {
		t.Fatal(aborted.err)
	}
	var req result
	c.Request("m", nil, Options{Signal: ac.Signal()}, req.done)
	req.wantErr(t, CodeOperationAborted)
	// A response in v1 matches nothing: the v1 child sends no requests.
	w.fromParent(v1msg(TypeResponse, map[string]any{"requestId": "request-1"}), nil)
	// Nor does a child take a ready.
	w.fromParent(v1msg(TypeReady, nil), nil)
	if c.Stats().Dropped[DropUnmatched] != 1 || c.Stats().Dropped[DropState] != 2 {
		t.Fatalf("drops %+v", c.Stats().Dropped)
	}
}

func TestChildDestroy(t *testing.T) {
	w := connect(t, SigningRequired, SigningRequired)
	c := w.child
	var req, when result
	c.Request("m", nil, Options{}, req.done)
	c.Destroy()
	c.Destroy()
	req.wantErr(t, CodeBridgeDestroyed)
	c.WhenConnected(when.doneErr)
	when.wantErr(t, CodeBridgeDestroyed)
	var sent, req2 result
	c.SendEvent("e", nil, Options{}, sent.doneErr)
	sent.wantErr(t, CodeBridgeDestroyed)
	c.Request("m", nil, Options{}, req2.done)
	req2.wantErr(t, CodeBridgeDestroyed)
	if _, err := c.On("e", nil); AsError(err).Code != CodeBridgeDestroyed {
		t.Fatal(err)
	}
	if c.port != nil || c.ring.cur.key != nil {
		t.Fatal("port or key left")
	}
	w.parent.Destroy()
	if w.clock.active() != 0 {
		t.Fatalf("%d timers", w.clock.active())
	}

	// Destroy while connecting.
	w = rawV1Child(t, nil)
	var conn result
	w.child.WhenConnected(conn.doneErr)
	w.child.Destroy()
	conn.wantErr(t, CodeBridgeDestroyed)
	if w.clock.active() != 0 || w.child.Start() != nil || w.child.State() != StateDestroyed {
		t.Fatal("destroy while connecting")
	}
}

func TestChildConfigErrors(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name string
		edit func(*ChildConfig)
		code string
	}{
		{"no session", func(c *ChildConfig) { c.SessionID = "" }, CodeConfigInvalidSrc},
		{"wildcard parent", func(c *ChildConfig) { c.ParentOrigin = "*" }, CodeConfigUnsafeOrigin},
		{"http parent", func(c *ChildConfig) { c.ParentOrigin = "http://shop.example" }, CodeConfigUnsafeOrigin},
		{"no window", func(c *ChildConfig) { c.Window = nil }, CodeConfigInvalidEnvironment},
		{"no key", func(c *ChildConfig) { c.Key = nil }, CodeKeyUnavailable},
		{"timeout", func(c *ChildConfig) { c.ConnectionTimeoutMs = -1 }, CodeConfigInvalidTimeout},
		{"broken rand", func(c *ChildConfig) { c.Runtime.Rand = failReader{} }, CodeConfigInvalidEnvironment},
	}
	for _, tt := range tests {
		cfg := w.childConfig(SigningRequired)
		tt.edit(&cfg)
		if c, err := NewChild(cfg); c != nil || AsError(err) == nil || AsError(err).Code != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	cfg := w.childConfig(SigningOff)
	cfg.SessionID = "\u3000"
	if _, err := NewChild(cfg); AsError(err).Message != "Child bootstrap parameter is missing." {
		t.Fatal(err)
	}
	// Start reports a post that fails, for both kinds of ready.
	for _, s := range []Signing{SigningRequired, SigningOff} {
		w := newWorld(t)
		w.failWindow = true
		c, err := NewChild(w.childConfig(s))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); AsError(err) == nil || AsError(err).Code != CodeMessageTargetMismatch {
			t.Fatalf("%s: Start = %v", s, err)
		}
		c.Destroy()
	}
}

func TestSigningNames(t *testing.T) {
	for _, s := range []Signing{SigningRequired, SigningOptional, SigningOff} {
		got, ok := ParseSigning(s.String())
		if !ok || got != s {
			t.Fatalf("%v round trip", s)
		}
	}
	if _, ok := ParseSigning("sometimes"); ok || Signing(7).String() != "invalid" {
		t.Fatal("invalid signing")
	}
}
