package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// jsonValue turns fuzz bytes into a Value: the JSON they hold, or the
// bytes as a string when they are not JSON.
func jsonValue(b []byte) Value {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return GoValue(string(b))
	}
	return GoValue(v)
}

// envelopeJSON is the JSON form of an envelope, for seeds.
func envelopeJSON(env *Envelope) []byte {
	b, err := json.Marshal(toGo(envelopeValue(env)))
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzDecodeEnvelope(f *testing.F) {
	seeds := []string{
		`{"protocol":"iframe-bridge","version":1,"sessionId":"s","type":"bridge:ready"}`,
		`{"protocol":"iframe-bridge","version":1,"sessionId":"s","type":"bridge:response","requestId":"r","error":{"code":"C","message":"M","data":[1]}}`,
		`{"protocol":"iframe-bridge","version":1,"sessionId":"s","type":"bridge:request","requestId":"r","name":"n","payload":{"a":null}}`,
		`{"protocol":"iframe-bridge","version":2,"sessionId":"s","type":"bridge:event","name":"e","body":"{}","auth":{"kid":"k","seq":1,"ts":2,"mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}`,
		`{"protocol":"iframe-bridge","version":2,"sessionId":"s","type":"bridge:response","requestId":"r","name":"error","body":"","auth":{"kid":"k","seq":9007199254740991,"ts":0,"mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}`,
		`[]`, `null`, `"bridge"`, `{"protocol":"iframe-bridge","version":3}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		data := jsonValue(b)
		env, err := DecodeEnvelope(data)
		if err != nil {
			if AsError(err).Code != CodeMessageInvalidEnvelope {
				t.Fatalf("error %v", err)
			}
			return
		}
		if env.Protocol != ProtocolName || (env.Version != 1 && env.Version != 2) || blankJS(env.SessionID) || !knownType(env.Type, env.Version) {
			t.Fatalf("accepted %+v", env)
		}
		if needsName(env.Type) && blankJS(env.Name) || needsRequestID(env.Type) && blankJS(env.RequestID) {
			t.Fatalf("accepted without required members: %+v", env)
		}
		if env.Version == 2 && (env.Auth.Seq < 1 || env.Auth.Seq > maxSafeInteger || env.Auth.TS < 0 || len(env.Auth.MAC) != macLen || env.Auth.KID == "") {
			t.Fatalf("accepted auth %+v", env.Auth)
		}
		// What the transport would post decodes to the same envelope.
		again, err := DecodeEnvelope(envelopeValue(&env))
		if err != nil {
			t.Fatalf("re-encoded envelope refused: %v", err)
		}
		if again.Type != env.Type || again.Name != env.Name || again.RequestID != env.RequestID ||
			again.Body != env.Body || again.Auth != env.Auth || (again.Error == nil) != (env.Error == nil) {
			t.Fatalf("round trip:\n%+v\n%+v", env, again)
		}
	})
}

// FuzzReceiver feeds arbitrary data to a connected v2 session, on each of
// the four paths (parent and child, window and port): nothing panics, and
// a dropped message changes nothing but the drop counters.
func FuzzReceiver(f *testing.F) {
	seedWorld := connect(f, SigningRequired, SigningRequired)
	cs, ps := childSigner(seedWorld), parentSigner(seedWorld)
	for _, env := range []*Envelope{
		cs.env(TypeEvent, "e", "", `{"n":1}`),
		cs.env(TypeRequest, "m", "request-1", `[1,2]`),
		cs.env(TypeResponse, "", "request-1", `"ok"`),
		cs.env(TypeResponse, "error", "request-1", `{"code":"C","message":"M"}`),
		cs.env(TypeReady, "", "", `{"epoch":"next"}`),
	} {
		f.Add(envelopeJSON(env), uint8(1))
		f.Add(envelopeJSON(env), uint8(0))
	}
	for _, env := range []*Envelope{
		ps.env(TypeEvent, "e", "", ``),
		ps.env(TypeRekey, "", "", `{"kid":"k2"}`),
		ps.env(TypeConnected, "", "", `{"epoch":"x"}`),
	} {
		f.Add(envelopeJSON(env), uint8(3))
		f.Add(envelopeJSON(env), uint8(2))
	}
	f.Add([]byte(`{"protocol":"iframe-bridge","version":1,"sessionId":"`+testSession+`","type":"bridge:event","name":"e"}`), uint8(0))
	f.Add([]byte(`not json`), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, path uint8) {
		w := connect(t, SigningRequired, SigningRequired)
		w.record = false
		var pending result
		w.parent.Request("request", nil, Options{}, pending.done)
		w.tasks = nil
		data := jsonValue(b)
		beforeP, beforeC := parentPrint(w.parent), childPrint(w.child)
		dropsP, dropsC := w.parent.Stats().DroppedTotal(), w.child.Stats().DroppedTotal()
		switch path % 4 {
		case 0:
			w.fromChild(data)
		case 1:
			w.toParentPort(data)
		case 2:
			w.fromParent(data, nil)
		case 3:
			w.toChildPort(data)
		}
		if w.parent.Stats().DroppedTotal() != dropsP && parentPrint(w.parent) != beforeP {
			t.Fatalf("dropped message changed the parent:\n%s\n%s", beforeP, parentPrint(w.parent))
		}
		if w.child.Stats().DroppedTotal() != dropsC && childPrint(w.child) != beforeC {
			t.Fatalf("dropped message changed the child:\n%s\n%s", beforeC, childPrint(w.child))
		}
		w.run()
		w.parent.Destroy()
		w.child.Destroy()
		if w.clock.active() != 0 {
			t.Fatal("timers left")
		}
	})
}

// FuzzReceiverV1 feeds arbitrary data to a ready v1 parent.
func FuzzReceiverV1(f *testing.F) {
	f.Add([]byte(`{"protocol":"iframe-bridge","version":1,"sessionId":"` + testSession + `","type":"bridge:response","requestId":"request-1","payload":1}`))
	f.Add([]byte(`{"protocol":"iframe-bridge","version":1,"sessionId":"` + testSession + `","type":"bridge:response","requestId":"request-1","error":{"code":"C","message":"M"}}`))
	f.Add([]byte(`{"protocol":"iframe-bridge","version":1,"sessionId":"` + testSession + `","type":"bridge:event","name":"e","payload":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w := rawV1Parent(t, nil)
		w.record = false
		w.fromChild(v1msg(TypeReady, nil))
		var r result
		w.parent.Request("m", nil, Options{}, r.done)
		before, drops := parentPrint(w.parent), w.parent.Stats().DroppedTotal()
		w.fromChild(jsonValue(b))
		if w.parent.Stats().DroppedTotal() != drops && parentPrint(w.parent) != before {
			t.Fatal("dropped message changed the parent")
		}
		w.parent.Destroy()
		if r.called != 1 || w.clock.active() != 0 {
			t.Fatal("request not settled exactly once")
		}
	})
}

// FuzzJSONObject checks the core's small JSON reader against
// encoding/json: what it accepts is valid JSON, and it accepts every
// valid object that is not nested too deep.
func FuzzJSONObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":"\u00e9"}]}`, `{"kid":"x"}`, `{"a":1e-5}`, ` {"a" : true } `, `{"a":"\ud83d"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var members []jsonMember
		ok := readJSONObject(s, func(m jsonMember) { members = append(members, m) })
		valid := json.Valid([]byte(s)) && strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "{")
		if ok && !valid {
			t.Fatalf("accepted invalid %q", s)
		}
		shallow := strings.Count(s, "[")+strings.Count(s, "{") < maxJSONDepth
		if valid && !ok && shallow && utf8.ValidString(s) {
			t.Fatalf("refused valid %q", s)
		}
		if !ok {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		for _, mem := range members {
			if _, found := m[mem.key]; !found && utf8.ValidString(mem.key) {
				t.Fatalf("member %q not in %q", mem.key, s)
			}
			if len(mem.raw) > 0 && mem.raw[0] == '"' {
				if _, ok := unquoteJSON(mem.raw); !ok {
					t.Fatalf("member %q does not unquote", mem.raw)
				}
			}
		}
	})
}
