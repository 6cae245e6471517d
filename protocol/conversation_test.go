package protocol

import (
	"bytes"
	"testing"
)

// TestConversationV2 runs a whole signed session: handshake on the window,
// port hand-over, requests both ways, events both ways, waitForEvent, a
// rotation, an iframe reload and destroy.
func TestConversationV2(t *testing.T) {
	w := connect(t, SigningRequired, SigningRequired)
	p, c := w.parent, w.child

	if p.Version() != 2 || c.Version() != 2 {
		t.Fatalf("versions %d/%d, want 2/2", p.Version(), c.Version())
	}
	// Handshake: one ready (v2) and one connected (v2, with a port), both
	// on the window with exact targets.
	readies, connecteds := w.postsOf(TypeReady), w.postsOf(TypeConnected)
	if len(readies) != 1 || readies[0].onPort || readies[0].target != testParentOrigin || readies[0].env.Version != 2 {
		t.Fatalf("readies = %+v", readies)
	}
	if len(connecteds) != 1 || connecteds[0].onPort || !connecteds[0].port || connecteds[0].target != testChildOrigin {
		t.Fatalf("connecteds = %+v", connecteds)
	}
	handshakePosts := len(w.posts)

	// Requests both ways, events both ways.
	if _, err := c.HandleRequest("user:get", func(payload Value, r *Responder) {
		r.Resolve(obj(map[string]any{"id": payload.Get("id").Float(), "name": "Ada"}))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.HandleRequest("cart:total", func(payload Value, r *Responder) {
		r.Resolve(GoValue(42.5))
	}); err != nil {
		t.Fatal(err)
	}
	var got1, got2 result
	p.Request("user:get", obj(map[string]any{"id": 7.0}), Options{}, got1.done)
	c.Request("cart:total", nil, Options{}, got2.done)
	w.run()
	if v := got1.wantOK(t); v.Get("name").String() != "Ada" || v.Get("id").Float() != 7 {
		t.Fatalf("parent request result %v", toGo(v))
	}
	if v := got2.wantOK(t); v.Float() != 42.5 {
		t.Fatalf("child request result %v", toGo(v))
	}

	var seenByChild, seenByParent []any
	if _, err := c.On("theme", func(v Value) { seenByChild = append(seenByChild, toGo(v)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := p.On("cart:changed", func(v Value) { seenByParent = append(seenByParent, toGo(v)) }); err != nil {
		t.Fatal(err)
	}
	var waited, sent1, sent2 result
	p.WaitForEvent("cart:changed", Options{}, waited.done)
	p.SendEvent("theme", GoValue("dark"), Options{}, sent1.doneErr)
	c.SendEvent("cart:changed", obj(map[string]any{"items": 3.0}), Options{}, sent2.doneErr)
	w.run()
	sent1.wantOK(t)
	sent2.wantOK(t)
	if v := waited.wantOK(t); v.Get("items").Float() != 3 {
		t.Fatalf("waitForEvent got %v", toGo(v))
	}
	if len(seenByChild) != 1 || seenByChild[0] != "dark" || len(seenByParent) != 1 {
		t.Fatalf("events: child %v, parent %v", seenByChild, seenByParent)
	}

	// Everything after the handshake went over the port, signed.
	for _, ps := range w.posts[handshakePosts:] {
		if !ps.onPort || ps.env.Version != 2 || ps.env.Auth.MAC == "" {
			t.Fatalf("post after handshake not signed on the port: %+v", ps)
		}
	}

	// Rotation: both sides switch keys, traffic continues.
	var changed []string
	c.onKeyChange = func(kid string, key []byte) { changed = append(changed, kid) }
	kid, err := p.Rekey()
	if err != nil {
		t.Fatal(err)
	}
	w.run()
	if c.KeyID() != kid || p.KeyID() != kid || len(changed) != 1 || changed[0] != kid {
		t.Fatalf("after rekey: parent %s, child %s, changes %v, want %s", p.KeyID(), c.KeyID(), changed, kid)
	}
	if !bytes.Equal(p.ring.cur.key, c.ring.cur.key) || bytes.Equal(p.ring.cur.key, testKey) {
		t.Fatal("rotated keys differ or did not change")
	}
	var afterRekey result
	p.Request("user:get", obj(map[string]any{"id": 8.0}), Options{}, afterRekey.done)
	w.run()
	afterRekey.wantOK(t)
	w.advance(DefaultRekeyGraceMs)
	if p.ring.prev.key != nil || c.ring.prev.key != nil {
		t.Fatal("previous key not erased after the grace period")
	}

	// Reload: a new child page with the current key re-handshakes on the
	// same session; the old one's port is closed.
	oldPort := p.port.(*memPort)
	var stale result
	p.Request("user:get", obj(map[string]any{"id": 9.0}), Options{}, stale.done)
	cfg := w.childConfig(SigningRequired)
	cfg.Key, cfg.KeyID = append([]byte(nil), c.ring.cur.key...), c.KeyID()
	w.tasks = nil // the old page is gone before it could answer
	w.advance(5)
	c2 := w.newChild(cfg)
	w.run()
	if c2.State() != StateConnected || p.Stats().Handshakes != 2 || !oldPort.closed {
		t.Fatalf("re-handshake: child %s, handshakes %d, old port closed %v", c2.State(), p.Stats().Handshakes, oldPort.closed)
	}
	if _, err := c2.HandleRequest("user:get", func(payload Value, r *Responder) { r.Resolve(GoValue("new")) }); err != nil {
		t.Fatal(err)
	}
	var fresh result
	p.Request("user:get", nil, Options{}, fresh.done)
	w.run()
	if v := fresh.wantOK(t); v.String() != "new" {
		t.Fatalf("after reload got %v", toGo(v))
	}
	w.advance(DefaultOperationTimeoutMs)
	stale.wantErr(t, CodeRequestTimeout)

	// Destroy leaves nothing behind.
	var pendingReq result
	p.Request("never", nil, Options{}, pendingReq.done)
	w.tasks = nil
	p.Destroy()
	c2.Destroy()
	pendingReq.wantErr(t, CodeBridgeDestroyed)
	if w.clock.active() != 0 {
		t.Fatalf("%d timers left after destroy", w.clock.active())
	}
	if p.ring.cur.key != nil || c2.ring.cur.key != nil {
		t.Fatal("keys not erased on destroy")
	}
	if d := p.Stats().DroppedTotal() + c2.Stats().DroppedTotal(); d != 0 {
		t.Fatalf("unexpected drops: %+v %+v", p.Stats().Dropped, c2.Stats().Dropped)
	}
	for _, ps := range w.posts {
		if !ps.onPort && (ps.target == "*" || ps.target == "") {
			t.Fatalf("window post without an exact target: %+v", ps)
		}
	}
}

// TestConversationV1 runs a whole unsigned session on the window.
func TestConversationV1(t *testing.T) {
	w := connect(t, SigningOff, SigningOff)
	p, c := w.parent, w.child
	if p.Version() != 1 || c.Version() != 1 {
		t.Fatalf("versions %d/%d, want 1/1", p.Version(), c.Version())
	}
	if _, err := c.HandleRequest("echo", func(payload Value, r *Responder) { r.Resolve(payload) }); err != nil {
		t.Fatal(err)
	}
	payload := &opaque{obj(map[string]any{"nested": []any{1.0, "two"}})}
	var got, remote, sent result
	p.Request("echo", payload, Options{}, got.done)
	p.Request("missing", nil, Options{}, remote.done)
	c.SendEvent("hello", GoValue(true), Options{}, sent.doneErr)
	var heard []Value
	if _, err := p.On("hello", func(v Value) { heard = append(heard, v) }); err != nil {
		t.Fatal(err)
	}
	w.run()
	if v := got.wantOK(t); v != Value(payload) {
		t.Fatal("v1 payload not passed through as the same value")
	}
	e := remote.wantErr(t, CodeRequestRemoteError)
	re := e.Details["remoteError"].(*RemoteError)
	if re.Code != CodeRequestHandlerNotFound || re.Message != "No child request handler registered for missing." || e.Message != re.Message {
		t.Fatalf("remote error %+v / %+v", e, re)
	}
	sent.wantOK(t)
	if len(heard) != 1 || !heard[0].Bool() {
		t.Fatalf("heard %v", heard)
	}
	var unsupported result
	c.Request("x", nil, Options{}, unsupported.done)
	unsupported.wantErr(t, CodeRequestUnsupported)
	for _, ps := range w.posts {
		if ps.onPort || ps.env.Version != 1 {
			t.Fatalf("v1 post not on the window: %+v", ps)
		}
	}
	if _, err := p.Rekey(); AsError(err) == nil || AsError(err).Code != CodeKeyUnavailable {
		t.Fatalf("Rekey on v1: %v", err)
	}
	p.Destroy()
	c.Destroy()
	if w.clock.active() != 0 {
		t.Fatalf("%d timers left", w.clock.active())
	}
}
