package protocol

// Protocol constants: the iframe-bridge wire protocol (v1, exactly as
// src/protocol/envelope.ts of the SDK) and its signed extension (v2,
// DESIGN §6).
const (
	// ProtocolName is the protocol member of every envelope.
	ProtocolName = "iframe-bridge"

	// Version1 is the SDK's unsigned protocol.
	Version1 = 1

	// Version2 is the signed protocol.
	Version2 = 2
)

// Message types. The first five are v1's (BRIDGE_MESSAGE_TYPES); v2 has
// them all and adds TypeRekey.
const (
	TypeReady     = "bridge:ready"
	TypeConnected = "bridge:connected"
	TypeEvent     = "bridge:event"
	TypeRequest   = "bridge:request"
	TypeResponse  = "bridge:response"
	TypeRekey     = "bridge:rekey"
)

// errorResponseName is the name of a v2 bridge:response that carries an
// error: the MAC covers the name, so a success cannot be turned into an
// error or back.
const errorResponseName = "error"

// Envelope is one protocol message, inbound (after validation) or
// outbound (for the Transport to turn into a JavaScript object).
//
// The Transport writes protocol, version, sessionId and type always;
// name and requestId when not empty; for v1, payload when Payload is not
// nil and error when Error is not nil; for v2, body and auth
// {kid, seq, ts, mac} always.
type Envelope struct {
	// Protocol is ProtocolName.
	Protocol string

	// Version is Version1 or Version2.
	Version int

	// SessionID is the session id.
	SessionID string

	// Type is one of the Type constants.
	Type string

	// Name is the event or request name; for a v2 response, "error" or
	// empty.
	Name string

	// RequestID pairs a request with its response.
	RequestID string

	// Payload is the v1 payload, passed through untouched, or nil.
	Payload Value

	// Error is the error of a v1 response, or nil.
	Error *RemoteError

	// Body is the v2 content: JSON text, or "" for none.
	Body string

	// Auth is the v2 signature.
	Auth Auth
}

// Auth is the auth member of a v2 envelope (DESIGN §6).
type Auth struct {
	// KID is the id of the key that signs the message.
	KID string

	// Seq is the message's sequence number in its direction, from 1.
	Seq uint64

	// TS is the sender's clock in Unix milliseconds.
	TS int64

	// MAC is bridgekey.MACString over the envelope.
	MAC string
}

// RemoteError is the error member of a response: what a request handler
// on the other side failed with.
type RemoteError struct {
	// Code is a non-empty machine-readable code.
	Code string

	// Message is a non-empty description.
	Message string

	// Data is optional context, or nil.
	Data Value
}
