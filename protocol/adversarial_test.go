package protocol

import (
	"crypto/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// fingerprint summarizes the protocol state of a link: everything that an
// invalid message must leave alone.
func fingerprint(l *link) string {
	return strings.Join([]string{
		strconv.Itoa(l.version), strconv.FormatBool(l.open),
		strconv.FormatUint(l.inSeq, 10), strconv.FormatUint(l.outSeq, 10), strconv.Itoa(int(l.gen)),
		l.ring.cur.id, l.ring.prev.id, strconv.Itoa(len(l.requests.m)), strconv.Itoa(len(l.events.waiters)),
		strconv.FormatUint(l.stats.Accepted, 10), strconv.FormatUint(l.stats.Sent, 10),
		strconv.FormatUint(l.stats.Handshakes, 10), strconv.FormatUint(l.stats.Rekeys, 10),
	}, "|")
}

func parentPrint(p *Parent) string {
	return fingerprint(&p.link) + "|" + string(p.state) + "|" + p.epoch + "|" + strconv.Itoa(p.queue.size())
}

func childPrint(c *Child) string {
	return fingerprint(&c.link) + "|" + string(c.state)
}

// toParentPort delivers data on the parent's port, as from the iframe.
func (w *world) toParentPort(data Value) {
	w.parent.port.(*memPort).handler(data)
}

// toChildPort delivers data on the child's port, as from the parent.
func (w *world) toChildPort(data Value) {
	w.child.port.(*memPort).handler(data)
}

// expectDrop runs deliver and checks that it dropped one message for
// reason and changed nothing else.
func expectDrop(t *testing.T, w *world, reason DropReason, deliver func()) {
	t.Helper()
	beforeP, beforeC := parentPrint(w.parent), ""
	if w.child != nil {
		beforeC = childPrint(w.child)
	}
	dropsP := w.parent.Stats().Dropped[reason]
	var dropsC uint64
	if w.child != nil {
		dropsC = w.child.Stats().Dropped[reason]
	}
	deliver()
	got := w.parent.Stats().Dropped[reason] - dropsP
	if w.child != nil {
		got += w.child.Stats().Dropped[reason] - dropsC
	}
	if got != 1 {
		t.Fatalf("%d drops for %s, want 1 (parent %v, child %v)", got, reason, w.parent.Stats().Dropped, w.child.Stats().Dropped)
	}
	if after := parentPrint(w.parent); after != beforeP {
		t.Fatalf("parent state changed:\n%s\n%s", beforeP, after)
	}
	if w.child != nil {
		if after := childPrint(w.child); after != beforeC {
			t.Fatalf("child state changed:\n%s\n%s", beforeC, after)
		}
	}
}

// childSigner signs as the iframe of the test session does, continuing
// after the sequence numbers it has used.
func childSigner(w *world) *signer {
	return &signer{key: w.child.ring.cur.key, kid: w.child.KeyID(), dir: bridgekey.ChildToParent, seq: w.child.outSeq, now: w.clock.now}
}

func parentSigner(w *world) *signer {
	return &signer{key: w.parent.ring.cur.key, kid: w.parent.KeyID(), dir: bridgekey.ParentToChild, seq: w.parent.outSeq, now: w.clock.now}
}

func TestAdversarialWindow(t *testing.T) {
	t.Run("wrong origin", func(t *testing.T) {
		w := rawV1Parent(t, nil)
		expectDrop(t, w, DropOrigin, func() {
			w.parent.HandleMessage(Message{Origin: "https://evil.example", Source: w.childWin, Data: v1msg(TypeReady, nil)})
		})
	})
	t.Run("wrong source", func(t *testing.T) {
		w := rawV1Parent(t, nil)
		other := &window{"another frame of the same origin"}
		expectDrop(t, w, DropSource, func() {
			w.parent.HandleMessage(Message{Origin: testChildOrigin, Source: other, Data: v1msg(TypeReady, nil)})
		})
	})
	t.Run("wrong session", func(t *testing.T) {
		w := rawV1Parent(t, nil)
		expectDrop(t, w, DropSession, func() { w.fromChild(v1msg(TypeReady, map[string]any{"sessionId": "x"})) })
	})
	t.Run("not an envelope", func(t *testing.T) {
		w := rawV1Parent(t, nil)
		expectDrop(t, w, DropEnvelope, func() { w.fromChild(GoValue("hello")) })
		expectDrop(t, w, DropVersion, func() { w.fromChild(v1msg(TypeReady, map[string]any{"version": 7.0})) })
	})
	t.Run("v1 on a signing-required parent", func(t *testing.T) {
		w := newWorld(t)
		w.newParent(w.parentConfig(SigningRequired))
		expectDrop(t, w, DropDowngrade, func() { w.fromChild(v1msg(TypeReady, nil)) })
		w.advance(DefaultHandshakeTimeoutMs)
		if w.parent.State() != StateHandshakeFailed || len(w.postsOf(TypeConnected)) != 0 {
			t.Fatal("unsigned handshake accepted")
		}
	})
	t.Run("v1 on a signing-required child", func(t *testing.T) {
		w := newWorld(t)
		w.newParent(w.parentConfig(SigningOff))
		w.newChild(w.childConfig(SigningRequired))
		w.run()
		expectDrop(t, w, DropDowngrade, func() { w.fromParent(v1msg(TypeConnected, nil), nil) })
		if w.child.State() != StateConnecting {
			t.Fatal("unsigned connected accepted")
		}
	})
	t.Run("v2 on a signing-off bridge", func(t *testing.T) {
		w := rawV1Parent(t, nil)
		s := &signer{key: testKey, kid: testKID, dir: bridgekey.ChildToParent, now: w.clock.now}
		expectDrop(t, w, DropVersion, func() { w.fromChild(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"e"}`))) })
	})
	t.Run("forged ready", func(t *testing.T) {
		w := newWorld(t)
		w.newParent(w.parentConfig(SigningRequired))
		wrongKey := make([]byte, 32)
		s := &signer{key: wrongKey, kid: testKID, dir: bridgekey.ChildToParent, now: w.clock.now}
		expectDrop(t, w, DropMAC, func() { w.fromChild(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"e"}`))) })
		s = &signer{key: wrongKey, kid: bridgekey.KeyID(wrongKey), dir: bridgekey.ChildToParent, now: w.clock.now}
		expectDrop(t, w, DropKID, func() { w.fromChild(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"e"}`))) })
		// A reflected parent message fails: the direction is in the MAC.
		s = &signer{key: testKey, kid: testKID, dir: bridgekey.ParentToChild, now: w.clock.now}
		expectDrop(t, w, DropMAC, func() { w.fromChild(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"e"}`))) })
	})
	t.Run("ready clock and body", func(t *testing.T) {
		w := newWorld(t)
		w.newParent(w.parentConfig(SigningRequired))
		s := &signer{key: testKey, kid: testKID, dir: bridgekey.ChildToParent, now: w.clock.now - DefaultMaxClockSkewMs - 1}
		expectDrop(t, w, DropClock, func() { w.fromChild(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"e"}`))) })
		s.now = w.clock.now + DefaultMaxClockSkewMs + 1
		expectDrop(t, w, DropClock, func() { w.fromChild(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"e"}`))) })
		s.now = w.clock.now
		for _, body := range []string{``, `{}`, `{"epoch":""}`, `{"epoch":1}`, `[`} {
			expectDrop(t, w, DropEnvelope, func() { w.fromChild(envelopeValue(s.env(TypeReady, "", "", body))) })
		}
	})
}

func TestAdversarialPort(t *testing.T) {
	t.Run("replayed", func(t *testing.T) {
		w := connect(t, SigningRequired, SigningRequired)
		var heard int
		w.parent.On("e", func(Value) { heard++ })
		w.child.SendEvent("e", GoValue(1.0), Options{}, func(*Error) {})
		w.run()
		sent := w.lastPost().env
		expectDrop(t, w, DropReplay, func() { w.toParentPort(envelopeValue(&sent)) })
		if heard != 1 {
			t.Fatalf("event heard %d times", heard)
		}
	})
	t.Run("reordered", func(t *testing.T) {
		w := connect(t, SigningRequired, SigningRequired)
		var heard []float64
		w.parent.On("e", func(v Value) { heard = append(heard, v.Float()) })
		w.child.SendEvent("e", GoValue(1.0), Options{}, func(*Error) {})
		w.child.SendEvent("e", GoValue(2.0), Options{}, func(*Error) {})
		w.tasks[0], w.tasks[1] = w.tasks[1], w.tasks[0]
		w.run()
		if len(heard) != 1 || heard[0] != 2 || w.parent.Stats().Dropped[DropReplay] != 1 {
			t.Fatalf("heard %v, drops %v", heard, w.parent.Stats().Dropped)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		w := connect(t, SigningRequired, SigningRequired)
		w.child.SendEvent("e", GoValue("pay 1"), Options{}, func(*Error) {})
		orig := w.lastPost().env
		w.tasks = nil
		edits := map[string]func(e *Envelope){
			"body":      func(e *Envelope) { e.Body = `"pay 1000"` },
			"name":      func(e *Envelope) { e.Name = "f" },
			"type":      func(e *Envelope) { e.Type = TypeRequest; e.RequestID = "r" },
			"seq":       func(e *Envelope) { e.Auth.Seq++ },
			"ts":        func(e *Envelope) { e.Auth.TS++ },
			"mac":       func(e *Envelope) { e.Auth.MAC = strings.Repeat("A", 43) },
			"mac chars": func(e *Envelope) { e.Auth.MAC = strings.Repeat("*", 43) },
		}
		for name, edit := range edits {
			e := orig
			edit(&e)
			t.Run(name, func(t *testing.T) { expectDrop(t, w, DropMAC, func() { w.toParentPort(envelopeValue(&e)) }) })
		}
		e := orig
		e.Auth.KID = "unknown"
		expectDrop(t, w, DropKID, func() { w.toParentPort(envelopeValue(&e)) })
		e = orig
		e.SessionID = "other"
		expectDrop(t, w, DropSession, func() { w.toParentPort(envelopeValue(&e)) })
		w.toParentPort(envelopeValue(&orig))
		if w.parent.Stats().Accepted != 2 {
			t.Fatal("the untampered message was not accepted")
		}
	})
	t.Run("v2 content on the window", func(t *testing.T) {
		w := connect(t, SigningRequired, SigningRequired)
		s := childSigner(w)
		expectDrop(t, w, DropTransport, func() { w.fromChild(envelopeValue(s.env(TypeEvent, "e", "", ""))) })
		s = childSigner(w)
		expectDrop(t, w, DropTransport, func() { w.toParentPort(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"x"}`))) })
		expectDrop(t, w, DropDowngrade, func() { w.toParentPort(v1msg(TypeEvent, map[string]any{"name": "e"})) })
		expectDrop(t, w, DropDowngrade, func() { w.fromChild(v1msg(TypeEvent, map[string]any{"name": "e"})) })
	})
	t.Run("stale key after grace", func(t *testing.T) {
		w := connect(t, SigningRequired, SigningRequired)
		old := childSigner(w)
		old.key = append([]byte(nil), old.key...)
		if _, err := w.parent.Rekey(); err != nil {
			t.Fatal(err)
		}
		w.run()
		// Within the grace period the old key still verifies.
		old.seq = w.child.outSeq + 10
		w.toParentPort(envelopeValue(old.env(TypeEvent, "e", "", "")))
		if w.parent.Stats().Accepted != 2 {
			t.Fatalf("old key rejected during the grace period: %v", w.parent.Stats().Dropped)
		}
		w.advance(DefaultRekeyGraceMs)
		expectDrop(t, w, DropKID, func() { w.toParentPort(envelopeValue(old.env(TypeEvent, "e", "", ""))) })
		// And the child refuses the old parent key too.
		ps := &signer{key: testKey, kid: testKID, dir: bridgekey.ParentToChild, seq: w.parent.outSeq + 5, now: w.clock.now}
		expectDrop(t, w, DropKID, func() { w.toChildPort(envelopeValue(ps.env(TypeEvent, "e", "", ""))) })
	})
	t.Run("rekey abuse", func(t *testing.T) {
		w := connect(t, SigningRequired, SigningRequired)
		// The parent takes no rekey from the iframe.
		cs := childSigner(w)
		expectDrop(t, w, DropState, func() { w.toParentPort(envelopeValue(cs.env(TypeRekey, "", "", `{"kid":"x"}`))) })
		ps := parentSigner(w)
		expectDrop(t, w, DropEnvelope, func() { w.toChildPort(envelopeValue(ps.env(TypeRekey, "", "", `{"kid":"`+testKID+`"}`))) })
		expectDrop(t, w, DropEnvelope, func() { w.toChildPort(envelopeValue(ps.env(TypeRekey, "", "", `{}`))) })
		env := ps.env(TypeRekey, "", "", `{"kid":"fresh"}`)
		w.toChildPort(envelopeValue(env))
		if w.child.KeyID() != "fresh" {
			t.Fatal("valid rekey refused")
		}
		expectDrop(t, w, DropReplay, func() { w.toChildPort(envelopeValue(env)) })
	})
	t.Run("oversized", func(t *testing.T) {
		w := newWorld(t)
		cfg := w.parentConfig(SigningRequired)
		cfg.Limits.MaxMessageBytes = 1000
		w.newParent(cfg)
		w.newChild(w.childConfig(SigningRequired))
		w.run()
		var heard int
		w.parent.On("e", func(Value) { heard++ })
		w.child.SendEvent("e", GoValue(strings.Repeat("x", 500)), Options{}, func(*Error) {})
		w.child.SendEvent("e", GoValue(strings.Repeat("x", 2000)), Options{}, func(*Error) {})
		w.run()
		if heard != 1 || w.parent.Stats().Dropped[DropSize] != 1 {
			t.Fatalf("heard %d, drops %v", heard, w.parent.Stats().Dropped)
		}
	})
	t.Run("flood", func(t *testing.T) {
		w := newWorld(t)
		cfg := w.parentConfig(SigningRequired)
		cfg.Limits = Limits{RatePerSecond: 100, RateBurst: 10}
		w.newParent(cfg)
		w.newChild(w.childConfig(SigningRequired))
		w.run() // the ready took one token
		var heard int
		w.parent.On("e", func(Value) { heard++ })
		for range 50 {
			w.child.SendEvent("e", nil, Options{}, func(*Error) {})
		}
		w.run()
		if heard != 9 || w.parent.Stats().Dropped[DropRate] != 41 {
			t.Fatalf("heard %d, drops %v", heard, w.parent.Stats().Dropped)
		}
		// Dropped sequence numbers leave a gap, which is allowed; the
		// bucket refills at the configured rate.
		w.advance(50)
		for range 10 {
			w.child.SendEvent("e", nil, Options{}, func(*Error) {})
		}
		w.run()
		if heard != 14 {
			t.Fatalf("after refill heard %d", heard)
		}
	})
	t.Run("forged connected with a port", func(t *testing.T) {
		w := newWorld(t)
		w.newChild(w.childConfig(SigningRequired))
		w.parent, _ = NewParent(w.parentConfig(SigningRequired)) // only for expectDrop
		rogue, _ := newPortPair(w, "rogue", "x")
		s := &signer{key: make([]byte, 32), kid: testKID, dir: bridgekey.ParentToChild, now: w.clock.now}
		expectDrop(t, w, DropMAC, func() {
			w.fromParent(envelopeValue(s.env(TypeConnected, "", "", `{"epoch":"`+w.child.epoch+`"}`)), rogue)
		})
		if !rogue.closed || w.child.port != nil {
			t.Fatal("rogue port adopted or left open")
		}
		// A correctly signed connected for another epoch (an earlier page
		// of this frame) is stale; one without a port is refused.
		s = &signer{key: testKey, kid: testKID, dir: bridgekey.ParentToChild, now: w.clock.now}
		expectDrop(t, w, DropStale, func() {
			w.fromParent(envelopeValue(s.env(TypeConnected, "", "", `{"epoch":"earlier"}`)), rogue)
		})
		expectDrop(t, w, DropTransport, func() {
			w.fromParent(envelopeValue(s.env(TypeConnected, "", "", `{"epoch":"`+w.child.epoch+`"}`)), nil)
		})
		expectDrop(t, w, DropEnvelope, func() { w.fromParent(envelopeValue(s.env(TypeConnected, "", "", `{}`)), rogue) })
	})
	t.Run("bad bodies", func(t *testing.T) {
		w := connect(t, SigningRequired, SigningRequired)
		cs := childSigner(w)
		expectDrop(t, w, DropEnvelope, func() { w.toParentPort(envelopeValue(cs.env(TypeEvent, "e", "", `{not json`))) })
		var r result
		w.parent.Request("m", nil, Options{}, r.done)
		id := w.lastPost().env.RequestID
		w.tasks = nil
		for _, body := range []string{`{`, `{"code":"C"}`, `{"code":" ","message":"m"}`, `{"code":"C","message":"m","data":{bad}}`, `{"code":1,"message":"m"}`} {
			expectDrop(t, w, DropEnvelope, func() { w.toParentPort(envelopeValue(cs.env(TypeResponse, "error", id, body))) })
		}
		expectDrop(t, w, DropEnvelope, func() { w.toParentPort(envelopeValue(cs.env(TypeResponse, "", id, `nope`))) })
		r.pending(t)
		w.toParentPort(envelopeValue(cs.env(TypeResponse, "error", id, `{"code":"C","message":"m","data":[1]}`)))
		e := r.wantErr(t, CodeRequestRemoteError)
		if re := e.Details["remoteError"].(*RemoteError); re.Code != "C" || re.Message != "m" || toGo(re.Data).([]any)[0] != 1.0 {
			t.Fatalf("remote error %+v", re)
		}
		expectDrop(t, w, DropUnmatched, func() { w.toParentPort(envelopeValue(cs.env(TypeResponse, "", id, ``))) })
	})
}

// TestReload covers the re-handshake after the iframe reloads: same
// session, new epoch, and nothing of the old epoch accepted.
func TestReload(t *testing.T) {
	w := connect(t, SigningRequired, SigningRequired)
	p := w.parent
	var old result
	p.Request("m", nil, Options{}, old.done)
	oldID := w.lastPost().env.RequestID
	oldHandler := p.port.(*memPort).handler
	w.tasks = nil
	oldReady := w.postsOf(TypeReady)[0].env

	// A replay of the first page's ready is a duplicate.
	expectDrop(t, w, DropState, func() { w.fromChild(envelopeValue(&oldReady)) })

	w.advance(1000)
	c2 := w.newChild(w.childConfig(SigningRequired))
	w.run()
	if c2.State() != StateConnected || p.Stats().Handshakes != 2 {
		t.Fatalf("reload: %s, %d handshakes", c2.State(), p.Stats().Handshakes)
	}
	// The old page's port is dead.
	cs := &signer{key: testKey, kid: testKID, dir: bridgekey.ChildToParent, seq: 50, now: w.clock.now}
	expectDrop(t, w, DropStale, func() { oldHandler(envelopeValue(cs.env(TypeEvent, "e", "", ""))) })
	// An answer to a request of the old epoch, even signed and fresh, is
	// stale.
	cs = childSigner(w)
	expectDrop(t, w, DropStale, func() { w.toParentPort(envelopeValue(cs.env(TypeResponse, "", oldID, `1`))) })
	old.pending(t)
	// A replay of the first page's ready is now stale, and one of the
	// second page's a duplicate.
	expectDrop(t, w, DropStale, func() { w.fromChild(envelopeValue(&oldReady)) })
	newReady := w.postsOf(TypeReady)[1].env
	expectDrop(t, w, DropState, func() { w.fromChild(envelopeValue(&newReady)) })
	// And v1 cannot take over a v2 session.
	expectDrop(t, w, DropState, func() { w.fromChild(v1msg(TypeReady, nil)) })
	expectDrop(t, w, DropDowngrade, func() { w.fromChild(v1msg(TypeEvent, map[string]any{"name": "e"})) })
	w.advance(DefaultOperationTimeoutMs)
	old.wantErr(t, CodeRequestTimeout)
}

// TestRateAfterClockStep checks that the inbound rate limit survives a
// step of the system clock (Clock.Now is Date.now): traffic at half the
// limit passes before and after the step, whichever way it goes.
func TestRateAfterClockStep(t *testing.T) {
	for _, step := range []int64{-5000, -3_600_000, 3_600_000} {
		t.Run(strconv.FormatInt(step, 10), func(t *testing.T) {
			w := newWorld(t)
			cfg := w.parentConfig(SigningRequired)
			cfg.Limits = Limits{RatePerSecond: 100, RateBurst: 10}
			w.newParent(cfg)
			w.newChild(w.childConfig(SigningRequired))
			w.run()
			var heard int
			w.parent.On("tick", func(Value) { heard++ })
			const n = 100 // 2 s at 50 messages a second
			for i := range 2 * n {
				if i == n {
					w.clock.now += step
				}
				w.child.SendEvent("tick", nil, Options{}, func(*Error) {})
				w.advance(20)
			}
			if heard != 2*n {
				t.Fatalf("heard %d of %d events; drops %v", heard, 2*n, w.parent.Stats().Dropped)
			}
		})
	}
}

// TestReloadAfterClockStep checks that an iframe reloaded after the
// system clock was stepped (its ready's timestamp is then older than the
// accepted one's, or far newer) connects, and that the readies of the
// earlier pages, replayed verbatim, are still refused.
func TestReloadAfterClockStep(t *testing.T) {
	for _, step := range []int64{-5000, -DefaultMaxClockSkewMs - 1, -3_600_000, 3_600_000, 0} {
		t.Run(strconv.FormatInt(step, 10), func(t *testing.T) {
			w := connect(t, SigningRequired, SigningRequired)
			p := w.parent
			first := w.postsOf(TypeReady)[0].env
			w.advance(1000)
			w.clock.now += step
			c := w.newChild(w.childConfig(SigningRequired))
			w.run()
			if c.State() != StateConnected || p.Stats().Handshakes != 2 {
				t.Fatalf("reloaded iframe %s; parent drops %v", c.State(), p.Stats().Dropped)
			}
			second := w.postsOf(TypeReady)[1].env
			// The old page's ready, replayed, is refused whether or not
			// its timestamp is within the skew window.
			expectDrop(t, w, DropStale, func() { w.fromChild(envelopeValue(&first)) })
			expectDrop(t, w, DropState, func() { w.fromChild(envelopeValue(&second)) })
			var got result
			c.HandleRequest("m", func(_ Value, r *Responder) { r.Resolve(GoValue(1.0)) })
			p.Request("m", nil, Options{}, got.done)
			w.run()
			got.wantOK(t)
		})
	}
}

// TestReloadEpochsForgotten checks the bound on the epochs a parent
// remembers: past maxEpochs reloads the oldest are forgotten, and their
// timestamps become a floor that keeps their readies out.
func TestReloadEpochsForgotten(t *testing.T) {
	w := connect(t, SigningRequired, SigningRequired)
	p := w.parent
	// The harness's randomness repeats every 16 epochs; real pages draw
	// theirs from crypto.getRandomValues.
	cfg := w.childConfig(SigningRequired)
	cfg.Runtime.Rand = rand.Reader
	for range maxEpochs {
		w.advance(10)
		w.newChild(cfg)
		w.run()
	}
	readies := w.postsOf(TypeReady)
	if len(p.epochs) != maxEpochs || p.floorTS != readies[0].env.Auth.TS || p.Stats().Handshakes != maxEpochs+1 {
		t.Fatalf("%d epochs, floor %d, %d handshakes", len(p.epochs), p.floorTS, p.Stats().Handshakes)
	}
	// The forgotten first ready is refused, and so is the second one,
	// still remembered.
	for _, r := range readies[:2] {
		expectDrop(t, w, DropStale, func() { w.fromChild(envelopeValue(&r.env)) })
	}
	// A new page whose clock reads at or below the floor is refused too:
	// the price of the bound, after that many reloads.
	w.clock.now = p.floorTS
	c := w.newChild(cfg)
	w.run()
	if c.State() != StateConnecting || p.Stats().Dropped[DropStale] != 3 {
		t.Fatalf("child %s, drops %v", c.State(), p.Stats().Dropped)
	}
	w.clock.now++
	c = w.newChild(cfg)
	w.run()
	if c.State() != StateConnected {
		t.Fatalf("child %s, drops %v", c.State(), p.Stats().Dropped)
	}
}

// TestOptionalInterop checks signing optional against every peer.
func TestOptionalInterop(t *testing.T) {
	for _, tt := range []struct {
		parent, child Signing
		version       int
	}{
		{SigningOptional, SigningOptional, 2},
		{SigningOptional, SigningRequired, 2},
		{SigningRequired, SigningOptional, 2},
		{SigningOptional, SigningOff, 1},
		{SigningOff, SigningOptional, 1},
	} {
		w := connect(t, tt.parent, tt.child)
		if w.parent.Version() != tt.version || w.child.Version() != tt.version {
			t.Errorf("%s/%s: versions %d/%d, want %d", tt.parent, tt.child, w.parent.Version(), w.child.Version(), tt.version)
		}
		if n := len(w.postsOf(TypeConnected)); n != 1 {
			t.Errorf("%s/%s: %d connected", tt.parent, tt.child, n)
		}
		var got result
		w.child.HandleRequest("m", func(p Value, r *Responder) { r.Resolve(GoValue("ok")) })
		w.parent.Request("m", nil, Options{}, got.done)
		w.run()
		if got.wantOK(t).String() != "ok" {
			t.Error("request")
		}
		// The v1 twin of an optional child's ready counts as a duplicate
		// ready, not as a downgrade.
		if w.parent.Stats().Dropped[DropDowngrade] != 0 {
			t.Errorf("%s/%s: drops %v", tt.parent, tt.child, w.parent.Stats().Dropped)
		}
	}
}

// TestSDKChildInterop plays the SDK's own child against our parent with
// signing off, message for message.
func TestSDKChildInterop(t *testing.T) {
	w := rawV1Parent(t, nil)
	var ready result
	w.parent.WhenReady(ready.doneErr)
	var got result
	w.parent.Request("user:get", obj(map[string]any{"id": "123"}), Options{}, got.done)
	// The SDK child posts exactly this object.
	w.fromChild(obj(map[string]any{"protocol": "iframe-bridge", "version": 1.0, "sessionId": testSession, "type": "bridge:ready"}))
	ready.wantOK(t)
	req := w.lastPost().env
	if req.Type != TypeRequest || req.RequestID != "request-1" || req.Name != "user:get" || req.Version != 1 {
		t.Fatalf("request %+v", req)
	}
	w.fromChild(obj(map[string]any{"protocol": "iframe-bridge", "version": 1.0, "sessionId": testSession,
		"type": "bridge:response", "requestId": "request-1", "payload": map[string]any{"name": "Ada"}}))
	if got.wantOK(t).Get("name").String() != "Ada" {
		t.Fatal("response")
	}
}
