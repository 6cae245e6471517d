package bridgekey

// Direction values for MACInput.Direction.
const (
	// ParentToChild is the direction of messages from the parent page to
	// the iframe.
	ParentToChild = "p2c"

	// ChildToParent is the direction of messages from the iframe to the
	// parent page.
	ChildToParent = "c2p"
)

// macDomain starts every MAC'd encoding.
const macDomain = "caddy-bridge/v2 mac\x00"

// macStringLen is the length of a MAC in unpadded base64url.
const macStringLen = (sumSize*8 + 5) / 6 // 43 characters

// MACInput holds the fields that the MAC of a v2 message covers (DESIGN §6).
type MACInput struct {
	// Protocol is the envelope's protocol, "iframe-bridge".
	Protocol string

	// Version is the envelope's version, 2.
	Version int

	// SessionID is the session id, which is the session's token.
	SessionID string

	// Direction is ParentToChild or ChildToParent.
	Direction string

	// Type is the message type, such as "bridge:request".
	Type string

	// Name is the event or request name, or "" for types that have none.
	Name string

	// RequestID is the request id, or "" for types that have none.
	RequestID string

	// KID is the id of the key that signs the message.
	KID string

	// Seq is the message's sequence number in its direction.
	Seq uint64

	// TS is the message's timestamp in unix milliseconds.
	TS int64

	// Body holds the exact bytes (UTF-8) of the message's body string.
	Body []byte
}

// AppendMACMessage appends the canonical encoding of m to dst and returns
// the extended buffer. The encoding is the domain "caddy-bridge/v2 mac\x00"
// followed by each field in the order Protocol, Version, SessionID,
// Direction, Type, Name, RequestID, KID, Seq, TS, Body, each as a 4-byte
// big-endian length and the bytes; Version, Seq and TS are written in
// decimal ASCII (TS with a leading '-' when negative). Because every field is
// length-prefixed, no two different MACInputs encode alike. It panics if a
// field is 4 GiB or longer.
func AppendMACMessage(dst []byte, m *MACInput) []byte {
	return append(appendMACHead(dst, m), m.Body...)
}

// appendMACHead appends the encoding of m up to and including the length
// of Body: everything but Body's bytes.
func appendMACHead(b []byte, m *MACInput) []byte {
	b = append(b, macDomain...)
	b = appendField(b, m.Protocol)
	b = appendIntField(b, int64(m.Version))
	b = appendField(b, m.SessionID)
	b = appendField(b, m.Direction)
	b = appendField(b, m.Type)
	b = appendField(b, m.Name)
	b = appendField(b, m.RequestID)
	b = appendField(b, m.KID)
	b = appendUintField(b, m.Seq)
	b = appendIntField(b, m.TS)
	if !fieldFits(len(m.Body)) {
		panic("bridgekey: field longer than 4 GiB")
	}
	return appendUint32(b, uint32(len(m.Body)))
}

// MAC returns the MAC of the message that m describes:
// HMAC-SHA256(key, AppendMACMessage(nil, m)), 32 bytes. It panics if a field
// of m is 4 GiB or longer. For many MACs under one key, NewMACKey is
// cheaper: these functions make one per call.
func MAC(key []byte, m *MACInput) []byte {
	k := NewMACKey(key)
	sum := k.sum(m)
	return sum[:]
}

// MACString returns MAC(key, m) as unpadded base64url, 43 characters: the
// form of the mac member of a v2 message's auth.
func MACString(key []byte, m *MACInput) string {
	k := NewMACKey(key)
	return k.MACString(m)
}

// VerifyMAC reports whether mac, in unpadded base64url, is the MAC of m
// under key. The comparison takes constant time. It reports false for a mac
// that is not exactly the canonical encoding of 32 bytes, and for an m with
// a field of 4 GiB or longer.
func VerifyMAC(key []byte, m *MACInput, mac string) bool {
	k := NewMACKey(key)
	return k.VerifyMAC(m, mac)
}

// decodeMAC decodes mac, which must be exactly the canonical unpadded
// base64url of 32 bytes, for a message m whose fields can all be
// length-prefixed.
func decodeMAC(m *MACInput, mac string) (got [sumSize]byte, ok bool) {
	if len(mac) != macStringLen || !m.fits() {
		return got, false
	}
	n, err := b64.Decode(got[:], []byte(mac))
	return got, err == nil && n == sumSize
}

// fits reports whether every variable-length field of m can be
// length-prefixed.
func (m *MACInput) fits() bool {
	for _, s := range [...]string{m.Protocol, m.SessionID, m.Direction, m.Type, m.Name, m.RequestID, m.KID} {
		if !fieldFits(len(s)) {
			return false
		}
	}
	return fieldFits(len(m.Body))
}
