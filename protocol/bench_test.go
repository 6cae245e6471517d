package protocol

import (
	"testing"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// benchRoundTrip measures a request and its response through the
// in-memory harness: sign, post, deliver, check and verify, handle, and
// the same back. The harness's own work (building the plain objects that
// the WebAssembly layer would build, queueing deliveries) is included.
func benchRoundTrip(b *testing.B, s Signing) {
	w := connect(b, s, s)
	w.record = false
	// The fake clock stands still, so the token bucket would never
	// refill.
	w.parent.bucket.off, w.child.bucket.off = true, true
	w.child.HandleRequest("echo", func(p Value, r *Responder) { r.Resolve(p) })
	payload := GoValue(map[string]any{"id": 7.0, "name": "Ada"})
	var got result
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.parent.Request("echo", payload, Options{}, got.done)
		w.run()
	}
	b.StopTimer()
	if got.err != nil || got.called != b.N {
		b.Fatalf("%d round trips, error %v", got.called, got.err)
	}
}

// BenchmarkRoundTripV2Port is a signed request round trip over the port.
func BenchmarkRoundTripV2Port(b *testing.B) { benchRoundTrip(b, SigningRequired) }

// BenchmarkRoundTripV1Window is an unsigned round trip over the window.
func BenchmarkRoundTripV1Window(b *testing.B) { benchRoundTrip(b, SigningOff) }

// BenchmarkSignVerify signs a request envelope and runs it through the
// receiver's checks (size, decode, version, session, MAC).
func BenchmarkSignVerify(b *testing.B) {
	w := connect(b, SigningRequired, SigningRequired)
	p, c := w.parent, w.child
	c.bucket.off = true
	env := p.base(Version2, TypeRequest)
	env.Name, env.RequestID, env.Body = "user:get", "request-1", `{"id":7}`
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.sign(&env, &p.ring.cur)
		data := envelopeValue(&env)
		var in Envelope
		if r := c.check(&Message{Data: data}, true, &in); r != dropNone {
			b.Fatal(r)
		}
	}
}

// BenchmarkMAC is bridgekey's MAC and verification of the same message,
// for comparison.
func BenchmarkMAC(b *testing.B) {
	env := &Envelope{Protocol: ProtocolName, Version: 2, SessionID: testSession, Type: TypeRequest,
		Name: "user:get", RequestID: "request-1", Body: `{"id":7}`, Auth: Auth{KID: testKID, Seq: 1, TS: testStartMs}}
	b.ReportAllocs()
	for range b.N {
		in := macInput(env, bridgekey.ParentToChild)
		mac := bridgekey.MACString(testKey, &in)
		if !bridgekey.VerifyMAC(testKey, &in, mac) {
			b.Fatal("verify")
		}
	}
}

// BenchmarkDecodeV2 validates a v2 envelope.
func BenchmarkDecodeV2(b *testing.B) {
	s := &signer{key: testKey, kid: testKID, dir: bridgekey.ChildToParent}
	data := envelopeValue(s.env(TypeResponse, "", "request-1", `{"name":"Ada"}`))
	b.ReportAllocs()
	for range b.N {
		var env Envelope
		if r, _ := decodeEnvelope(data, &env); r != dropNone {
			b.Fatal(r)
		}
	}
}
