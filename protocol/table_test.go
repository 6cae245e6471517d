package protocol

import (
	"testing"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// TestParentTransitions is the table of the parent's lifecycle.
func TestParentTransitions(t *testing.T) {
	type step func(w *world)
	mount := func(w *world) { w.parent.Mount() }
	ready := func(w *world) { w.fromChild(v1msg(TypeReady, nil)) }
	timeout := func(w *world) { w.advance(DefaultHandshakeTimeoutMs) }
	destroy := func(w *world) { w.parent.Destroy() }
	tests := []struct {
		name  string
		setup []step
		event step
		want  State
	}{
		{"created, Mount", nil, mount, StateWaitingForHandshake},
		{"created, ready", nil, ready, StateCreated},
		{"created, Destroy", nil, destroy, StateDestroyed},
		{"waiting, ready", []step{mount}, ready, StateReady},
		{"waiting, timeout", []step{mount}, timeout, StateHandshakeFailed},
		{"waiting, Destroy", []step{mount}, destroy, StateDestroyed},
		{"waiting, Mount", []step{mount}, mount, StateWaitingForHandshake},
		{"ready, ready", []step{mount, ready}, ready, StateReady},
		{"ready, timeout", []step{mount, ready}, timeout, StateReady},
		{"ready, Destroy", []step{mount, ready}, destroy, StateDestroyed},
		{"failed, ready", []step{mount, timeout}, ready, StateHandshakeFailed},
		{"failed, Destroy", []step{mount, timeout}, destroy, StateDestroyed},
		{"destroyed, Mount", []step{destroy}, mount, StateDestroyed},
		{"destroyed, ready", []step{mount, destroy}, ready, StateDestroyed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			p, err := NewParent(w.parentConfig(SigningOff))
			if err != nil {
				t.Fatal(err)
			}
			w.parent = p
			for _, s := range tt.setup {
				s(w)
			}
			tt.event(w)
			if p.State() != tt.want {
				t.Fatalf("state %s, want %s", p.State(), tt.want)
			}
			if n := len(w.postsOf(TypeConnected)); n > 1 {
				t.Fatalf("%d bridge:connected", n)
			}
		})
	}
}

// TestChildTransitions is the table of the child's lifecycle.
func TestChildTransitions(t *testing.T) {
	type step func(w *world)
	start := func(w *world) { w.child.Start() }
	connected := func(w *world) { w.fromParent(v1msg(TypeConnected, nil), nil) }
	timeout := func(w *world) { w.advance(DefaultHandshakeTimeoutMs) }
	destroy := func(w *world) { w.child.Destroy() }
	tests := []struct {
		name  string
		setup []step
		event step
		want  State
	}{
		{"created, Start", nil, start, StateConnecting},
		{"created, connected", nil, connected, StateCreated},
		{"created, Destroy", nil, destroy, StateDestroyed},
		{"connecting, connected", []step{start}, connected, StateConnected},
		{"connecting, timeout", []step{start}, timeout, StateConnectionFailed},
		{"connecting, Destroy", []step{start}, destroy, StateDestroyed},
		{"connected, connected", []step{start, connected}, connected, StateConnected},
		{"connected, timeout", []step{start, connected}, timeout, StateConnected},
		{"connected, Destroy", []step{start, connected}, destroy, StateDestroyed},
		{"failed, connected", []step{start, timeout}, connected, StateConnectionFailed},
		{"failed, Destroy", []step{start, timeout}, destroy, StateDestroyed},
		{"destroyed, Start", []step{destroy}, start, StateDestroyed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			c, err := NewChild(w.childConfig(SigningOff))
			if err != nil {
				t.Fatal(err)
			}
			w.child = c
			for _, s := range tt.setup {
				s(w)
			}
			tt.event(w)
			if c.State() != tt.want {
				t.Fatalf("state %s, want %s", c.State(), tt.want)
			}
		})
	}
}

// TestErrorCodes is the table of the error codes an operation can fail
// with, one scenario each.
func TestErrorCodes(t *testing.T) {
	readyV1 := func(t *testing.T) *world {
		w := rawV1Parent(t, nil)
		w.fromChild(v1msg(TypeReady, nil))
		return w
	}
	tests := []struct {
		code string
		run  func(t *testing.T) *Error
	}{
		{CodeHandshakeTimeout, func(t *testing.T) *Error {
			w := rawV1Parent(t, nil)
			var r result
			w.parent.WhenReady(r.doneErr)
			w.advance(DefaultHandshakeTimeoutMs)
			return r.err
		}},
		{CodeRequestTimeout, func(t *testing.T) *Error {
			w := readyV1(t)
			var r result
			w.parent.Request("m", nil, Options{}, r.done)
			w.advance(DefaultOperationTimeoutMs)
			return r.err
		}},
		{CodeRequestRemoteError, func(t *testing.T) *Error {
			w := readyV1(t)
			var r result
			w.parent.Request("m", nil, Options{}, r.done)
			w.fromChild(v1msg(TypeResponse, map[string]any{"requestId": "request-1", "error": map[string]any{"code": "X", "message": "Y"}}))
			return r.err
		}},
		{CodeOperationAborted, func(t *testing.T) *Error {
			w := readyV1(t)
			ac := NewAbortController()
			var r result
			w.parent.Request("m", nil, Options{Signal: ac.Signal()}, r.done)
			ac.Abort()
			return r.err
		}},
		{CodeBridgeDestroyed, func(t *testing.T) *Error {
			w := readyV1(t)
			var r result
			w.parent.Request("m", nil, Options{}, r.done)
			w.parent.Destroy()
			return r.err
		}},
		{CodeQueueLimitExceeded, func(t *testing.T) *Error {
			w := rawV1Parent(t, func(c *ParentConfig) { c.QueueMaxSize = 1 })
			var a, b result
			w.parent.SendEvent("e", nil, Options{}, a.doneErr)
			w.parent.SendEvent("e", nil, Options{}, b.doneErr)
			return b.err
		}},
		{CodeEventWaitTimeout, func(t *testing.T) *Error {
			w := readyV1(t)
			var r result
			w.parent.WaitForEvent("e", Options{}, r.done)
			w.advance(DefaultOperationTimeoutMs)
			return r.err
		}},
		{CodeBridgeNotReady, func(t *testing.T) *Error {
			w := rawV1Parent(t, nil)
			_, err := w.parent.Rekey()
			return AsError(err)
		}},
		{CodeOperationInvalidTimeout, func(t *testing.T) *Error {
			w := readyV1(t)
			var r result
			w.parent.Request("m", nil, Options{HasTimeout: true}, r.done)
			return r.err
		}},
		{CodeMessageTargetMismatch, func(t *testing.T) *Error {
			w := readyV1(t)
			w.failWindow = true
			var r result
			w.parent.SendEvent("e", nil, Options{}, r.doneErr)
			return r.err
		}},
		{CodeMessageInvalidEnvelope, func(t *testing.T) *Error {
			_, err := DecodeEnvelope(GoValue(nil))
			return AsError(err)
		}},
		{CodeKeyUnavailable, func(t *testing.T) *Error {
			w := readyV1(t)
			_, err := w.parent.Rekey()
			return AsError(err)
		}},
		{CodeRequestUnsupported, func(t *testing.T) *Error {
			w := connect(t, SigningOff, SigningOff)
			var r result
			w.child.Request("m", nil, Options{}, r.done)
			return r.err
		}},
		{CodeConfigUnsafeOrigin, func(t *testing.T) *Error {
			w := newWorld(t)
			cfg := w.parentConfig(SigningOff)
			cfg.Origin = "https://*.example"
			_, err := NewParent(cfg)
			return AsError(err)
		}},
		{CodeConfigInvalidTimeout, func(t *testing.T) *Error {
			w := newWorld(t)
			cfg := w.parentConfig(SigningOff)
			cfg.HandshakeTimeoutMs = -1
			_, err := NewParent(cfg)
			return AsError(err)
		}},
		{CodeConfigInvalidQueue, func(t *testing.T) *Error {
			w := newWorld(t)
			cfg := w.parentConfig(SigningOff)
			cfg.QueueMaxSize = -3
			_, err := NewParent(cfg)
			return AsError(err)
		}},
		{CodeConfigInvalidSrc, func(t *testing.T) *Error {
			w := newWorld(t)
			cfg := w.childConfig(SigningOff)
			cfg.SessionID = ""
			_, err := NewChild(cfg)
			return AsError(err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := tt.run(t)
			if err == nil || err.Code != tt.code || err.Message == "" {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
		})
	}
}

// TestDiagnosticCodes checks the codes that signed drops report:
// AUTH_FAILED, REPLAY_REJECTED and KEY_UNAVAILABLE.
func TestDiagnosticCodes(t *testing.T) {
	w := newWorld(t)
	var codes []string
	cfg := w.parentConfig(SigningRequired)
	cfg.OnDrop = func(r DropReason) { codes = append(codes, r.Code()) }
	w.newParent(cfg)
	w.fromChild(v1msg(TypeReady, nil))
	s := &signer{key: make([]byte, 32), kid: testKID, dir: bridgekey.ChildToParent, now: w.clock.now}
	w.fromChild(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"e"}`)))
	s.kid = "other"
	w.fromChild(envelopeValue(s.env(TypeReady, "", "", `{"epoch":"e"}`)))
	w.newChild(w.childConfig(SigningRequired))
	w.run()
	ready := w.postsOf(TypeReady)[0].env
	w.fromChild(envelopeValue(&ready))
	cs := childSigner(w)
	w.toParentPort(envelopeValue(cs.env(TypeEvent, "e", "", "")))
	cs.seq--
	w.toParentPort(envelopeValue(cs.env(TypeEvent, "e", "", "")))
	want := []string{CodeAuthFailed, CodeAuthFailed, CodeKeyUnavailable, CodeMessageIgnored, CodeReplayRejected}
	if len(codes) != len(want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("codes %v, want %v", codes, want)
		}
	}
}
