package protocol

import (
	"math"
	"testing"
)

// TestSignedErrors covers the v2 paths of remote errors, payloads that
// cannot be serialized, and requests from the iframe.
func TestSignedErrors(t *testing.T) {
	w := connect(t, SigningRequired, SigningRequired)
	p, c := w.parent, w.child
	c.HandleRequest("reject", func(_ Value, r *Responder) {
		r.Reject(&RemoteError{Code: "NOPE", Message: "no \"way\"", Data: obj(map[string]any{"why": "x"})})
	})
	c.HandleRequest("reject bad data", func(_ Value, r *Responder) {
		r.Reject(&RemoteError{Code: "NOPE", Message: "m", Data: GoValue(math.NaN())})
	})
	c.HandleRequest("unserializable", func(_ Value, r *Responder) { r.Resolve(GoValue(math.Inf(1))) })
	p.HandleRequest("p", func(_ Value, r *Responder) { r.Fail() })

	var a, b, u, nf, fromChild result
	p.Request("reject", nil, Options{}, a.done)
	p.Request("reject bad data", nil, Options{}, b.done)
	p.Request("unserializable", nil, Options{}, u.done)
	p.Request("missing", nil, Options{}, nf.done)
	c.Request("p", GoValue("x"), Options{}, fromChild.done)
	w.run()
	e := a.wantErr(t, CodeRequestRemoteError)
	re := e.Details["remoteError"].(*RemoteError)
	if e.Message != `no "way"` || re.Code != "NOPE" || re.Data.Get("why").String() != "x" {
		t.Fatalf("remote error %+v", re)
	}
	if re := b.wantErr(t, CodeRequestRemoteError).Details["remoteError"].(*RemoteError); re.Data != nil {
		t.Fatal("unserializable data sent")
	}
	if re := u.wantErr(t, CodeRequestRemoteError).Details["remoteError"].(*RemoteError); re.Code != CodeRequestHandlerError {
		t.Fatal(re)
	}
	if re := nf.wantErr(t, CodeRequestRemoteError).Details["remoteError"].(*RemoteError); re.Code != CodeRequestHandlerNotFound {
		t.Fatal(re)
	}
	e = fromChild.wantErr(t, CodeRequestRemoteError)
	if re := e.Details["remoteError"].(*RemoteError); re.Message != "Parent request handler failed." {
		t.Fatal(re)
	}

	// Payloads the codec refuses fail the operation before anything is
	// sent.
	n := len(w.posts)
	var r1, r2, r3 result
	p.Request("m", GoValue(math.NaN()), Options{}, r1.done)
	p.SendEvent("e", GoValue(math.NaN()), Options{}, r2.doneErr)
	c.SendEvent("e", GoValue(math.NaN()), Options{}, r3.doneErr)
	for _, r := range []*result{&r1, &r2, &r3} {
		r.wantErr(t, CodeMessageInvalidPayload)
	}
	if len(w.posts) != n || len(p.requests.m) != 0 {
		t.Fatal("unserializable payload sent or left pending")
	}

	// A port that refuses posts fails the operation.
	p.port.(*memPort).fail = true
	var r4 result
	p.Request("m", nil, Options{}, r4.done)
	r4.wantErr(t, CodeMessageTargetMismatch)
	if _, err := p.Rekey(); AsError(err).Code != CodeMessageTargetMismatch {
		t.Fatal(err)
	}
	p.port.(*memPort).fail = false

	// No randomness, no rotation.
	p.rt.Rand = failReader{}
	if _, err := p.Rekey(); AsError(err).Code != CodeKeyUnavailable {
		t.Fatal(err)
	}
}

// TestRekeyTwice checks that a second rotation inside the grace period
// erases the oldest key at once and that OnKeyChange gets copies.
func TestRekeyTwice(t *testing.T) {
	w := newWorld(t)
	w.newParent(w.parentConfig(SigningRequired))
	var reported [][]byte
	cfg := w.childConfig(SigningRequired)
	cfg.OnKeyChange = func(kid string, key []byte) { reported = append(reported, key) }
	w.newChild(cfg)
	w.run()
	p, c := w.parent, w.child
	first := p.ring.cur.key
	k1, _ := p.Rekey()
	w.run()
	second := p.ring.cur.key
	k2, _ := p.Rekey()
	w.run()
	if p.KeyID() != k2 || c.KeyID() != k2 || p.ring.prev.id != k1 || c.ring.prev.id != k1 {
		t.Fatalf("ids %s %s %s", p.KeyID(), c.KeyID(), p.ring.prev.id)
	}
	for _, b := range first {
		if b != 0 {
			t.Fatal("the first key was not zeroed")
		}
	}
	if len(second) != 32 || len(reported) != 2 || &reported[1][0] == &c.ring.cur.key[0] {
		t.Fatal("OnKeyChange must get a copy")
	}
	if p.Stats().Rekeys != 2 || c.Stats().Rekeys != 2 || w.clock.active() != 2 {
		t.Fatalf("rekeys %d/%d, timers %d", p.Stats().Rekeys, c.Stats().Rekeys, w.clock.active())
	}
	var got result
	c.HandleRequest("m", func(_ Value, r *Responder) { r.Resolve(GoValue(1.0)) })
	p.Request("m", nil, Options{}, got.done)
	w.run()
	got.wantOK(t)
	p.Destroy()
	c.Destroy()
	if w.clock.active() != 0 {
		t.Fatal("grace timers left after destroy")
	}
}

// TestReloadAfterRekey covers an iframe that reloads while the parent
// rotates the key: the old page may unload before it handles
// bridge:rekey, and the reloaded page then starts from the key that
// sessionStorage kept, an earlier one. A key the parent still holds (the
// previous one, in its grace period) brings the iframe up to the current
// key; an erased one is refused, as it must be.
func TestReloadAfterRekey(t *testing.T) {
	for _, tt := range []struct {
		name      string
		rotations int   // Rekey calls before the reload
		handled   int   // how many of them the old page handled
		wait      int64 // ms from the last Rekey to the reload
		connects  bool
	}{
		{"rekey handled", 1, 1, 500, true},
		{"rekey not handled", 1, 0, 500, true},
		{"rekey not handled, end of grace", 1, 0, DefaultRekeyGraceMs - 1, true},
		{"second rekey not handled", 2, 1, 500, true},
		{"rekey not handled, grace over", 1, 0, DefaultRekeyGraceMs, false},
		{"two rekeys not handled", 2, 0, 500, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			p := w.newParent(w.parentConfig(SigningRequired))
			// stored is what the iframe keeps in sessionStorage.
			stored := struct {
				kid string
				key []byte
			}{testKID, testKey}
			store := func(kid string, key []byte) { stored.kid, stored.key = kid, key }
			cfg := w.childConfig(SigningRequired)
			cfg.OnKeyChange = store
			w.newChild(cfg)
			w.run()
			for i := range tt.rotations {
				if _, err := p.Rekey(); err != nil {
					t.Fatal(err)
				}
				if i < tt.handled {
					w.run()
				} else {
					w.tasks = nil // the old page unloads first
				}
			}
			w.advance(tt.wait)

			handshakes := p.Stats().Handshakes
			cfg = w.childConfig(SigningRequired)
			cfg.Key, cfg.KeyID, cfg.OnKeyChange = stored.key, stored.kid, store
			c := w.newChild(cfg)
			w.advance(DefaultHandshakeTimeoutMs)
			var got result
			c.HandleRequest("m", func(_ Value, r *Responder) { r.Resolve(GoValue(1.0)) })
			p.Request("m", nil, Options{}, got.done)
			w.advance(DefaultOperationTimeoutMs)

			if !tt.connects {
				// The ready is signed with an erased key: dropped before
				// anything changes, so the parent never answers it.
				if c.State() != StateConnectionFailed || p.Stats().Handshakes != handshakes || p.Stats().Dropped[DropKID] != 1 {
					t.Fatalf("child %s, parent handshakes %d, drops %v", c.State(), p.Stats().Handshakes, p.Stats().Dropped)
				}
				got.wantErr(t, CodeRequestTimeout)
				return
			}
			if c.State() != StateConnected || p.Stats().Handshakes != handshakes+1 {
				t.Fatalf("child %s, parent handshakes %d, child drops %v", c.State(), p.Stats().Handshakes, c.Stats().Dropped)
			}
			got.wantOK(t)
			var back result
			p.HandleRequest("n", func(_ Value, r *Responder) { r.Resolve(GoValue(2.0)) })
			c.Request("n", nil, Options{}, back.done)
			w.run()
			back.wantOK(t)
			// Both sides sign with the current key, and the iframe keeps
			// it for its next reload; the catch-up is not a new rotation.
			if c.KeyID() != p.KeyID() || string(c.ring.cur.key) != string(p.ring.cur.key) || stored.kid != p.KeyID() {
				t.Fatalf("keys: child %s, parent %s, stored %s", c.KeyID(), p.KeyID(), stored.kid)
			}
			if p.Stats().Rekeys != uint64(tt.rotations) || p.Stats().DroppedTotal() != 0 || c.Stats().DroppedTotal() != 0 {
				t.Fatalf("rekeys %d, drops %v / %v", p.Stats().Rekeys, p.Stats().Dropped, c.Stats().Dropped)
			}
			// The next reload starts from the current key.
			w.advance(DefaultRekeyGraceMs)
			cfg.Key, cfg.KeyID = stored.key, stored.kid
			c = w.newChild(cfg)
			w.run()
			if c.State() != StateConnected {
				t.Fatalf("second reload: %s", c.State())
			}
		})
	}
}

// TestLimitsOff checks that negative limits turn the checks off.
func TestLimitsOff(t *testing.T) {
	w := newWorld(t)
	cfg := w.parentConfig(SigningOff)
	cfg.Limits = Limits{MaxMessageBytes: -1, RatePerSecond: -1}
	w.newParent(cfg)
	w.fromChild(v1msg(TypeReady, nil))
	big := v1msg(TypeEvent, map[string]any{"name": "e", "payload": string(make([]byte, 2<<20))})
	for range 2 * DefaultRateBurst {
		w.fromChild(big)
	}
	if w.parent.Stats().DroppedTotal() != 0 {
		t.Fatal(w.parent.Stats().Dropped)
	}
}

// TestOnDrop checks the diagnostics hook.
func TestOnDrop(t *testing.T) {
	w := newWorld(t)
	var reasons []DropReason
	cfg := w.parentConfig(SigningOff)
	cfg.OnDrop = func(r DropReason) { reasons = append(reasons, r) }
	w.newParent(cfg)
	w.parent.HandleMessage(Message{Origin: "https://evil.example", Data: v1msg(TypeReady, nil)})
	if len(reasons) != 1 || reasons[0] != DropOrigin {
		t.Fatal(reasons)
	}
}

// TestResponderAfterReload checks that an answer to a request of an
// earlier epoch is not sent on the new port.
func TestResponderAfterReload(t *testing.T) {
	w := connect(t, SigningRequired, SigningRequired)
	var held *Responder
	w.parent.HandleRequest("slow", func(_ Value, r *Responder) { held = r })
	w.child.Request("slow", nil, Options{}, func(Value, *Error) {})
	w.run()
	w.advance(10)
	w.newChild(w.childConfig(SigningRequired))
	w.run()
	n := len(w.posts)
	held.Resolve(GoValue(1.0))
	if len(w.posts) != n {
		t.Fatal("answer crossed into the new epoch")
	}
}
