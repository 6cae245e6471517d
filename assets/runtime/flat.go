//go:build js && wasm

package main

import (
	"strconv"
	"strings"

	"github.com/caddybridge/caddy-bridge/protocol"
)

// Envelopes cross between JavaScript and Go packed into one string: every
// crossing costs far more than the work on either side (a property read
// or a string is a call out of WebAssembly, a text conversion and a
// finalizer), so a message costs one text instead of a dozen, and that
// text travels through linear memory (abi.go). The loader's pack() and
// post() are the JavaScript halves of what is here;
// whatever they cannot pack exactly (an unusual or hostile message, a
// string holding NUL, a v1 error response) takes the member-by-member path
// (jsValue, envelopeObject), so both paths see the same envelope.

// sep separates the members of a packed envelope.
const sep = "\x00"

// Presence bits of an inbound packed envelope, in the order of pack() in
// the loader.
const (
	hasProtocol = 1 << iota
	hasVersion
	hasSessionID
	hasType
	hasName
	hasRequestID
	hasBody
	hasAuth
	hasKID
	hasSeq
	hasTS
	hasMAC
	hasPayload
)

// The string members of an inbound packed envelope, by index in
// flatEnv.str.
const (
	fSessionID = iota
	fType
	fName
	fRequestID
	fBody
	fKID
	fMAC
	numStrings
)

// flatEnv is an inbound envelope that pack() flattened: a plain object
// whose members are all of the type the protocol wants, with any v1
// payload beside it. It implements protocol.Value as that object.
type flatEnv struct {
	bits    uint32
	size    int // what the loader's size() counts for the object, payload aside
	version float64
	seq, ts float64
	str     [numStrings]string
	payload protocol.Value
}

// inbound reads the arguments with which the loader hands over a message:
// (origin NUL packed, data) where packed is pack()'s result and data the
// v1 payload, or (origin NUL, data) where data is the message's data as it
// came.
func inbound(packed string, data protocol.Value) (origin string, v protocol.Value) {
	origin, rest, _ := strings.Cut(packed, sep)
	if rest == "" {
		return origin, data
	}
	e := parseFlat(rest, data)
	if e == nil {
		return origin, protocol.Undefined // the loader packed it wrong: dropped as no envelope
	}
	return origin, e
}

// parseFlat parses bits NUL size NUL version NUL seq NUL ts NUL followed by
// the numStrings string members.
func parseFlat(s string, payload protocol.Value) *flatEnv {
	e := &flatEnv{payload: payload}
	var nums [5]uint64
	for i := range nums {
		var f string
		var ok bool
		if f, s, ok = strings.Cut(s, sep); !ok {
			return nil
		}
		if nums[i], ok = decimal(f); !ok {
			return nil
		}
	}
	e.bits, e.size = uint32(nums[0]), int(nums[1])
	e.version, e.seq, e.ts = float64(nums[2]), float64(nums[3]), float64(nums[4])
	for i := range numStrings - 1 {
		var ok bool
		if e.str[i], s, ok = strings.Cut(s, sep); !ok {
			return nil
		}
	}
	e.str[numStrings-1] = s
	return e
}

// decimal parses the decimal form of a safe integer.
func decimal(s string) (uint64, bool) {
	if s == "" || len(s) > 16 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= 1<<53-1
}

func (e *flatEnv) has(bit uint32) bool { return e.bits&bit != 0 }

func (e *flatEnv) Kind() protocol.Kind { return protocol.KindObject }
func (e *flatEnv) Bool() bool          { return false }
func (e *flatEnv) Float() float64      { return 0 }
func (e *flatEnv) String() string      { return "" }

// member returns the bit and, for strings, the index of a member.
func member(name string) (bit uint32, str int) {
	switch name {
	case "protocol":
		return hasProtocol, -1
	case "version":
		return hasVersion, -1
	case "sessionId":
		return hasSessionID, fSessionID
	case "type":
		return hasType, fType
	case "name":
		return hasName, fName
	case "requestId":
		return hasRequestID, fRequestID
	case "body":
		return hasBody, fBody
	case "auth":
		return hasAuth, -1
	case "payload":
		return hasPayload, -1
	}
	return 0, -1
}

func (e *flatEnv) Get(name string) protocol.Value {
	bit, i := member(name)
	switch {
	case !e.has(bit):
		return protocol.Undefined
	case i >= 0:
		return (*strValue)(&e.str[i])
	case bit == hasProtocol:
		return &protocolName
	case bit == hasVersion:
		return (*numValue)(&e.version)
	case bit == hasAuth:
		return flatAuth{e}
	case bit == hasPayload:
		return e.payload
	}
	return protocol.Undefined
}

func (e *flatEnv) Has(name string) bool {
	bit, _ := member(name)
	return e.has(bit)
}

// Size is what the loader's size() returns for the message: pack()
// counted all but the payload, which size() walks here.
func (e *flatEnv) Size(limit int) int {
	if !e.has(hasPayload) {
		return e.size
	}
	return e.size + e.payload.Size(limit-e.size)
}

// flatAuth is the auth member of a flatEnv.
type flatAuth struct{ e *flatEnv }

func (a flatAuth) Kind() protocol.Kind { return protocol.KindObject }
func (a flatAuth) Bool() bool          { return false }
func (a flatAuth) Float() float64      { return 0 }
func (a flatAuth) String() string      { return "" }
func (a flatAuth) Size(int) int        { return 0 } // only the envelope's size is asked for

func (a flatAuth) bit(name string) uint32 {
	switch name {
	case "kid":
		return hasKID
	case "seq":
		return hasSeq
	case "ts":
		return hasTS
	case "mac":
		return hasMAC
	}
	return 0
}

func (a flatAuth) Get(name string) protocol.Value {
	bit := a.bit(name)
	switch {
	case !a.e.has(bit):
		return protocol.Undefined
	case bit == hasKID:
		return (*strValue)(&a.e.str[fKID])
	case bit == hasMAC:
		return (*strValue)(&a.e.str[fMAC])
	case bit == hasSeq:
		return (*numValue)(&a.e.seq)
	}
	return (*numValue)(&a.e.ts)
}

func (a flatAuth) Has(name string) bool { return a.e.has(a.bit(name)) }

// strValue is a string member of a flatEnv as a protocol.Value. Its
// methods take a pointer (into the flatEnv), so that returning one as an
// interface does not allocate a copy of the string header, as a string
// value would.
type strValue string

// protocolName is the protocol member of every flatEnv.
var protocolName = strValue(protocol.ProtocolName)

func (s *strValue) Kind() protocol.Kind       { return protocol.KindString }
func (s *strValue) Bool() bool                { return false }
func (s *strValue) Float() float64            { return 0 }
func (s *strValue) String() string            { return string(*s) }
func (s *strValue) Get(string) protocol.Value { return protocol.Undefined }
func (s *strValue) Has(string) bool           { return false }
func (s *strValue) Size(int) int              { return utf16Len(string(*s)) + 2 }

// numValue is a number member of a flatEnv as a protocol.Value; like
// strValue, it is used through a pointer.
type numValue float64

func (n *numValue) Kind() protocol.Kind       { return protocol.KindNumber }
func (n *numValue) Bool() bool                { return false }
func (n *numValue) Float() float64            { return float64(*n) }
func (n *numValue) String() string            { return "" }
func (n *numValue) Get(string) protocol.Value { return protocol.Undefined }
func (n *numValue) Has(string) bool           { return false }
func (n *numValue) Size(int) int              { return 8 }

// utf16Len returns the length of s in UTF-16 code units, as JavaScript
// counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// packBuf is the buffer in which outbound envelopes are packed. The
// runtime is single-threaded and the post import reads the buffer before
// it is used again.
var packBuf []byte

// packOutbound packs an outbound envelope into packBuf for the loader's
// post(): prefix (a window's target origin, then NUL; nothing for a port)
// payload-flag NUL version NUL sessionId NUL type NUL name NUL requestId
// NUL body NUL kid NUL seq NUL ts NUL mac. It reports false if the
// envelope must be built member by member: a v1 error response, or a
// string that holds NUL.
func packOutbound(prefix string, env *protocol.Envelope) bool {
	if env.Error != nil {
		return false
	}
	b := packBuf[:0]
	if prefix != "" {
		if strings.Contains(prefix, sep) {
			return false
		}
		b = append(b, prefix...)
		b = append(b, sep...)
	}
	if env.Version == protocol.Version1 && env.Payload != nil {
		b = append(b, 'p')
	}
	b = append(b, sep...)
	b = strconv.AppendUint(b, uint64(env.Version), 10)
	for _, s := range [...]string{env.SessionID, env.Type, env.Name, env.RequestID, env.Body, env.Auth.KID} {
		if strings.Contains(s, sep) {
			return false
		}
		b = append(b, sep...)
		b = append(b, s...)
	}
	b = append(b, sep...)
	b = strconv.AppendUint(b, env.Auth.Seq, 10)
	b = append(b, sep...)
	b = strconv.AppendUint(b, uint64(env.Auth.TS), 10)
	b = append(b, sep...)
	b = append(b, env.Auth.MAC...) // base64url
	packBuf = b
	return true
}
