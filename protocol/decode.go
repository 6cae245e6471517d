package protocol

import "math"

// macLen is the length of a MAC in unpadded base64url.
const macLen = 43

// DecodeEnvelope validates data as an envelope of v1 or v2 and returns
// it. The v1 rules are the SDK's validateBridgeEnvelope exactly: an
// object with protocol "iframe-bridge", version 1, a non-blank sessionId,
// a known type, a non-blank name on events and requests, a non-blank
// requestId on requests and responses, and on a response with an own
// error member an object with non-blank code and message (and data, kept
// if present). v2 (DESIGN §6) has the same base fields with version 2,
// the extra type bridge:rekey, a string body, an auth object
// {kid, seq, ts, mac} with a non-empty kid of at most 64 characters, seq a
// safe integer of at least 1, ts a non-negative safe integer and mac 43
// characters, and nothing unsigned: no payload, no error, no name or
// requestId where the type has none. The error is a
// MESSAGE_INVALID_ENVELOPE *Error with the SDK's message.
func DecodeEnvelope(data Value) (Envelope, error) {
	var env Envelope
	if _, msg := decodeEnvelope(data, &env); msg != "" {
		return Envelope{}, newError(CodeMessageInvalidEnvelope, msg, nil)
	}
	return env, nil
}

// decodeEnvelope fills env from data. On failure it returns DropEnvelope
// or DropVersion and the reason in the SDK's words. It allocates only the
// RemoteError of a valid v1 error response.
func decodeEnvelope(data Value, env *Envelope) (DropReason, string) {
	if kindOf(data) != KindObject {
		return DropEnvelope, "Bridge message must be an object."
	}
	if p := data.Get("protocol"); p.Kind() != KindString || p.String() != ProtocolName {
		return DropEnvelope, "Bridge message protocol is invalid."
	}
	v := data.Get("version")
	if v.Kind() != KindNumber || (v.Float() != Version1 && v.Float() != Version2) {
		return DropVersion, "Bridge message version is invalid."
	}
	env.Protocol = ProtocolName
	env.Version = int(v.Float())
	sid := data.Get("sessionId")
	if sid.Kind() != KindString || blankJS(sid.String()) {
		return DropEnvelope, "Bridge message session id is required."
	}
	env.SessionID = sid.String()
	t := data.Get("type")
	if t.Kind() != KindString || !knownType(t.String(), env.Version) {
		return DropEnvelope, "Bridge message type is invalid."
	}
	env.Type = t.String()
	if env.Version == Version1 {
		return decodeV1(data, env)
	}
	return decodeV2(data, env)
}

// knownType reports whether typ is a message type of the version.
func knownType(typ string, version int) bool {
	switch typ {
	case TypeReady, TypeConnected, TypeEvent, TypeRequest, TypeResponse:
		return true
	case TypeRekey:
		return version == Version2
	}
	return false
}

// needsName and needsRequestID say which types carry which member.
func needsName(typ string) bool      { return typ == TypeEvent || typ == TypeRequest }
func needsRequestID(typ string) bool { return typ == TypeRequest || typ == TypeResponse }

// requiredString reads the non-blank string member name.
func requiredString(data Value, name string) (string, bool) {
	v := data.Get(name)
	if v.Kind() != KindString || blankJS(v.String()) {
		return "", false
	}
	return v.String(), true
}

func decodeV1(data Value, env *Envelope) (DropReason, string) {
	var ok bool
	if needsRequestID(env.Type) {
		if env.RequestID, ok = requiredString(data, "requestId"); !ok {
			return DropEnvelope, "Bridge message requestId is required."
		}
	}
	if needsName(env.Type) {
		if env.Name, ok = requiredString(data, "name"); !ok {
			return DropEnvelope, "Bridge message name is required."
		}
	}
	switch env.Type {
	case TypeEvent, TypeRequest:
		env.Payload = data.Get("payload")
	case TypeResponse:
		env.Payload = data.Get("payload")
		if data.Has("error") {
			if msg := decodeRemoteError(data.Get("error"), env); msg != "" {
				return DropEnvelope, msg
			}
		}
	}
	return dropNone, ""
}

// decodeRemoteError normalizes a v1 response's error member as the SDK's
// normalizeBridgeRemoteError does.
func decodeRemoteError(e Value, env *Envelope) string {
	if e.Kind() != KindObject {
		return "Bridge remote error must be an object."
	}
	code, ok := requiredString(e, "code")
	if !ok {
		return "Bridge remote error code is required."
	}
	message, ok := requiredString(e, "message")
	if !ok {
		return "Bridge remote error message is required."
	}
	env.Error = &RemoteError{Code: code, Message: message}
	if e.Has("data") {
		env.Error.Data = e.Get("data")
	}
	return ""
}

func decodeV2(data Value, env *Envelope) (DropReason, string) {
	name, ok := optionalString(data, "name")
	switch {
	case !ok:
		return DropEnvelope, "Bridge message name is invalid."
	case needsName(env.Type):
		if blankJS(name) {
			return DropEnvelope, "Bridge message name is required."
		}
	case env.Type == TypeResponse:
		if name != "" && name != errorResponseName {
			return DropEnvelope, "Bridge message name is invalid."
		}
	case name != "":
		return DropEnvelope, "Bridge message name is invalid."
	}
	env.Name = name
	id, ok := optionalString(data, "requestId")
	switch {
	case !ok:
		return DropEnvelope, "Bridge message requestId is invalid."
	case needsRequestID(env.Type):
		if blankJS(id) {
			return DropEnvelope, "Bridge message requestId is required."
		}
	case id != "":
		return DropEnvelope, "Bridge message requestId is invalid."
	}
	env.RequestID = id
	if data.Get("payload").Kind() != KindUndefined || data.Get("error").Kind() != KindUndefined {
		return DropEnvelope, "Signed bridge messages carry their content in the body."
	}
	body := data.Get("body")
	if body.Kind() != KindString {
		return DropEnvelope, "Bridge message body is required."
	}
	env.Body = body.String()
	auth := data.Get("auth")
	if auth.Kind() != KindObject {
		return DropEnvelope, "Bridge message auth is required."
	}
	kid := auth.Get("kid")
	if kid.Kind() != KindString || kid.String() == "" || len(kid.String()) > maxKIDLen {
		return DropEnvelope, "Bridge message key id is invalid."
	}
	seq, ok := safeInteger(auth.Get("seq"), 1)
	if !ok {
		return DropEnvelope, "Bridge message sequence number is invalid."
	}
	ts, ok := safeInteger(auth.Get("ts"), 0)
	if !ok {
		return DropEnvelope, "Bridge message timestamp is invalid."
	}
	mac := auth.Get("mac")
	if mac.Kind() != KindString || len(mac.String()) != macLen {
		return DropEnvelope, "Bridge message MAC is invalid."
	}
	env.Auth = Auth{KID: kid.String(), Seq: uint64(seq), TS: ts, MAC: mac.String()}
	return dropNone, ""
}

// optionalString reads member name, which must be a string or absent
// (undefined, read as "").
func optionalString(data Value, name string) (string, bool) {
	v := data.Get(name)
	switch v.Kind() {
	case KindUndefined:
		return "", true
	case KindString:
		return v.String(), true
	}
	return "", false
}

// safeInteger reads a number that is an integer from min to
// Number.MAX_SAFE_INTEGER.
func safeInteger(v Value, min float64) (int64, bool) {
	if v.Kind() != KindNumber {
		return 0, false
	}
	f := v.Float()
	if f != math.Trunc(f) || f < min || f > maxSafeInteger {
		return 0, false
	}
	return int64(f), true
}
