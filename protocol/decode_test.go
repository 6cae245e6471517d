package protocol

import (
	"strings"
	"testing"
)

// with returns a copy of base with the members of extra set (or removed
// when their value is del).
func with(base map[string]any, extra map[string]any) Value {
	m := make(map[string]any, len(base)+len(extra))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range extra {
		if v == del {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return GoValue(m)
}

// del marks a member to remove.
var del = &struct{ x int }{}

func v1base(typ string) map[string]any {
	return map[string]any{"protocol": "iframe-bridge", "version": 1.0, "sessionId": "s-1", "type": typ}
}

func v2base(typ string) map[string]any {
	return map[string]any{
		"protocol": "iframe-bridge", "version": 2.0, "sessionId": "s-1", "type": typ, "body": "",
		"auth": map[string]any{"kid": "kid-1", "seq": 1.0, "ts": 1000.0, "mac": strings.Repeat("A", 43)},
	}
}

func auth(extra map[string]any) map[string]any {
	m := map[string]any{"kid": "kid-1", "seq": 1.0, "ts": 1000.0, "mac": strings.Repeat("A", 43)}
	for k, v := range extra {
		if v == del {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// TestDecodeEnvelope is the table of envelope validation, v1 (the SDK's
// rules) and v2.
func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		data    Value
		reason  DropReason
		message string
	}{
		// v1, valid.
		{"v1 ready", with(v1base(TypeReady), nil), dropNone, ""},
		{"v1 connected", with(v1base(TypeConnected), nil), dropNone, ""},
		{"v1 event", with(v1base(TypeEvent), map[string]any{"name": "e", "payload": 1.0}), dropNone, ""},
		{"v1 event without payload", with(v1base(TypeEvent), map[string]any{"name": "e"}), dropNone, ""},
		{"v1 request", with(v1base(TypeRequest), map[string]any{"name": "m", "requestId": "r"}), dropNone, ""},
		{"v1 response", with(v1base(TypeResponse), map[string]any{"requestId": "r", "payload": "x"}), dropNone, ""},
		{"v1 error response", with(v1base(TypeResponse), map[string]any{"requestId": "r",
			"error": map[string]any{"code": "C", "message": "M", "data": 1.0}}), dropNone, ""},
		{"v1 ready with extra members", with(v1base(TypeReady), map[string]any{"name": 5.0, "extra": true}), dropNone, ""},

		// v1, invalid: the SDK's messages.
		{"string", GoValue("hello"), DropEnvelope, "Bridge message must be an object."},
		{"null", GoValue(nil), DropEnvelope, "Bridge message must be an object."},
		{"array", GoValue([]any{}), DropEnvelope, "Bridge message must be an object."},
		{"nil", nil, DropEnvelope, "Bridge message must be an object."},
		{"undefined", Undefined, DropEnvelope, "Bridge message must be an object."},
		{"wrong protocol", with(v1base(TypeReady), map[string]any{"protocol": "penpal"}), DropEnvelope, "Bridge message protocol is invalid."},
		{"no protocol", with(v1base(TypeReady), map[string]any{"protocol": del}), DropEnvelope, "Bridge message protocol is invalid."},
		{"version 3", with(v1base(TypeReady), map[string]any{"version": 3.0}), DropVersion, "Bridge message version is invalid."},
		{"version string", with(v1base(TypeReady), map[string]any{"version": "1"}), DropVersion, "Bridge message version is invalid."},
		{"version 1.5", with(v1base(TypeReady), map[string]any{"version": 1.5}), DropVersion, "Bridge message version is invalid."},
		{"no version", with(v1base(TypeReady), map[string]any{"version": del}), DropVersion, "Bridge message version is invalid."},
		{"no session", with(v1base(TypeReady), map[string]any{"sessionId": del}), DropEnvelope, "Bridge message session id is required."},
		{"blank session", with(v1base(TypeReady), map[string]any{"sessionId": " \u00a0\u2028\ufeff"}), DropEnvelope, "Bridge message session id is required."},
		{"numeric session", with(v1base(TypeReady), map[string]any{"sessionId": 5.0}), DropEnvelope, "Bridge message session id is required."},
		{"unknown type", with(v1base("bridge:hello"), nil), DropEnvelope, "Bridge message type is invalid."},
		{"rekey in v1", with(v1base(TypeRekey), nil), DropEnvelope, "Bridge message type is invalid."},
		{"numeric type", with(v1base(TypeReady), map[string]any{"type": 1.0}), DropEnvelope, "Bridge message type is invalid."},
		{"event without name", with(v1base(TypeEvent), nil), DropEnvelope, "Bridge message name is required."},
		{"event blank name", with(v1base(TypeEvent), map[string]any{"name": "\t"}), DropEnvelope, "Bridge message name is required."},
		{"request without requestId", with(v1base(TypeRequest), map[string]any{"name": "m"}), DropEnvelope, "Bridge message requestId is required."},
		{"request without name", with(v1base(TypeRequest), map[string]any{"requestId": "r"}), DropEnvelope, "Bridge message name is required."},
		{"response without requestId", with(v1base(TypeResponse), nil), DropEnvelope, "Bridge message requestId is required."},
		{"error not an object", with(v1base(TypeResponse), map[string]any{"requestId": "r", "error": "boom"}),
			DropEnvelope, "Bridge remote error must be an object."},
		{"error undefined but present", with(v1base(TypeResponse), map[string]any{"requestId": "r", "error": Undefined}),
			DropEnvelope, "Bridge remote error must be an object."},
		{"error without code", with(v1base(TypeResponse), map[string]any{"requestId": "r", "error": map[string]any{"message": "M"}}),
			DropEnvelope, "Bridge remote error code is required."},
		{"error blank message", with(v1base(TypeResponse), map[string]any{"requestId": "r", "error": map[string]any{"code": "C", "message": " "}}),
			DropEnvelope, "Bridge remote error message is required."},

		// v2, valid.
		{"v2 ready", with(v2base(TypeReady), map[string]any{"body": `{"epoch":"e"}`}), dropNone, ""},
		{"v2 event", with(v2base(TypeEvent), map[string]any{"name": "e", "body": "1"}), dropNone, ""},
		{"v2 request", with(v2base(TypeRequest), map[string]any{"name": "m", "requestId": "r"}), dropNone, ""},
		{"v2 response", with(v2base(TypeResponse), map[string]any{"requestId": "r"}), dropNone, ""},
		{"v2 error response", with(v2base(TypeResponse), map[string]any{"requestId": "r", "name": "error"}), dropNone, ""},
		{"v2 rekey", with(v2base(TypeRekey), nil), dropNone, ""},
		{"v2 max seq", with(v2base(TypeRekey), map[string]any{"auth": auth(map[string]any{"seq": float64(maxSafeInteger)})}), dropNone, ""},
		{"v2 undefined payload", with(v2base(TypeRekey), map[string]any{"payload": Undefined}), dropNone, ""},

		// v2, invalid.
		{"v2 no body", with(v2base(TypeReady), map[string]any{"body": del}), DropEnvelope, "Bridge message body is required."},
		{"v2 body object", with(v2base(TypeReady), map[string]any{"body": map[string]any{}}), DropEnvelope, "Bridge message body is required."},
		{"v2 payload", with(v2base(TypeEvent), map[string]any{"name": "e", "payload": 1.0}), DropEnvelope, "Signed bridge messages carry their content in the body."},
		{"v2 error member", with(v2base(TypeResponse), map[string]any{"requestId": "r", "error": map[string]any{}}), DropEnvelope, "Signed bridge messages carry their content in the body."},
		{"v2 no auth", with(v2base(TypeReady), map[string]any{"auth": del}), DropEnvelope, "Bridge message auth is required."},
		{"v2 auth array", with(v2base(TypeReady), map[string]any{"auth": []any{}}), DropEnvelope, "Bridge message auth is required."},
		{"v2 empty kid", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"kid": ""})}), DropEnvelope, "Bridge message key id is invalid."},
		{"v2 long kid", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"kid": strings.Repeat("k", 65)})}), DropEnvelope, "Bridge message key id is invalid."},
		{"v2 seq 0", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"seq": 0.0})}), DropEnvelope, "Bridge message sequence number is invalid."},
		{"v2 seq fraction", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"seq": 1.5})}), DropEnvelope, "Bridge message sequence number is invalid."},
		{"v2 seq unsafe", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"seq": float64(maxSafeInteger + 1)})}), DropEnvelope, "Bridge message sequence number is invalid."},
		{"v2 seq string", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"seq": "1"})}), DropEnvelope, "Bridge message sequence number is invalid."},
		{"v2 negative ts", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"ts": -1.0})}), DropEnvelope, "Bridge message timestamp is invalid."},
		{"v2 no ts", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"ts": del})}), DropEnvelope, "Bridge message timestamp is invalid."},
		{"v2 short mac", with(v2base(TypeReady), map[string]any{"auth": auth(map[string]any{"mac": "abc"})}), DropEnvelope, "Bridge message MAC is invalid."},
		{"v2 name on ready", with(v2base(TypeReady), map[string]any{"name": "x"}), DropEnvelope, "Bridge message name is invalid."},
		{"v2 numeric name", with(v2base(TypeEvent), map[string]any{"name": 1.0}), DropEnvelope, "Bridge message name is invalid."},
		{"v2 event without name", with(v2base(TypeEvent), nil), DropEnvelope, "Bridge message name is required."},
		{"v2 response named", with(v2base(TypeResponse), map[string]any{"requestId": "r", "name": "ok"}), DropEnvelope, "Bridge message name is invalid."},
		{"v2 requestId on event", with(v2base(TypeEvent), map[string]any{"name": "e", "requestId": "r"}), DropEnvelope, "Bridge message requestId is invalid."},
		{"v2 numeric requestId", with(v2base(TypeResponse), map[string]any{"requestId": 1.0}), DropEnvelope, "Bridge message requestId is invalid."},
		{"v2 request without requestId", with(v2base(TypeRequest), map[string]any{"name": "m"}), DropEnvelope, "Bridge message requestId is required."},
		{"v2 unknown type", with(v2base("bridge:close"), nil), DropEnvelope, "Bridge message type is invalid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env Envelope
			reason, msg := decodeEnvelope(tt.data, &env)
			if reason != tt.reason || msg != tt.message {
				t.Fatalf("decode = %v %q, want %v %q", reason, msg, tt.reason, tt.message)
			}
			got, err := DecodeEnvelope(tt.data)
			if tt.reason == dropNone {
				if err != nil {
					t.Fatalf("DecodeEnvelope: %v", err)
				}
				if got.Protocol != ProtocolName || got.SessionID != "s-1" {
					t.Fatalf("DecodeEnvelope = %+v", got)
				}
				return
			}
			if e := AsError(err); e == nil || e.Code != CodeMessageInvalidEnvelope || e.Message != tt.message {
				t.Fatalf("DecodeEnvelope error = %v", err)
			}
		})
	}
}

// TestDecodeFields checks what a valid envelope decodes to.
func TestDecodeFields(t *testing.T) {
	env, err := DecodeEnvelope(with(v1base(TypeResponse), map[string]any{"requestId": "r-1", "payload": "p",
		"error": map[string]any{"code": "C", "message": "M", "data": Undefined}}))
	if err != nil {
		t.Fatal(err)
	}
	if env.Version != 1 || env.RequestID != "r-1" || env.Payload.String() != "p" || env.Error == nil ||
		env.Error.Code != "C" || env.Error.Message != "M" || env.Error.Data == nil || env.Error.Data.Kind() != KindUndefined {
		t.Fatalf("v1 response = %+v %+v", env, env.Error)
	}
	env, err = DecodeEnvelope(with(v1base(TypeResponse), map[string]any{"requestId": "r-1",
		"error": map[string]any{"code": "C", "message": "M"}}))
	if err != nil || env.Error.Data != nil {
		t.Fatalf("error without data: %+v %v", env.Error, err)
	}
	env, err = DecodeEnvelope(with(v2base(TypeResponse), map[string]any{"requestId": "r-2", "name": "error", "body": `{}`,
		"auth": auth(map[string]any{"seq": 9.0, "ts": 77.0})}))
	if err != nil {
		t.Fatal(err)
	}
	want := Auth{KID: "kid-1", Seq: 9, TS: 77, MAC: strings.Repeat("A", 43)}
	if env.Version != 2 || env.Name != "error" || env.Body != "{}" || env.Auth != want {
		t.Fatalf("v2 response = %+v", env)
	}
}
