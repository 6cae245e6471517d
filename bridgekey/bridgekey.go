// Package bridgekey is the security core that the caddy-bridge server and
// its WebAssembly runtime share: deployment-secret derivation, session tokens,
// session keys, key identifiers, key rotation and the v2 message MAC.
//
// Every construction is SHA-256, HMAC-SHA256 or HKDF-SHA256 over
// domain-separated input, specified precisely enough in the doc comments
// that another implementation (JavaScript with WebCrypto, say) can reproduce
// it; testdata/vectors.json holds inputs and outputs to check one against.
// "Length-prefixed" always means a 4-byte big-endian length followed by the
// bytes, so a field must be shorter than 4 GiB.
//
// The package imports only small parts of the standard library (no fmt,
// encoding/json, regexp or reflect) because it is compiled into the
// WebAssembly runtime as well as into Caddy. In the js/wasm build it hashes
// with internal/sha256lite instead of crypto/sha256 (see sha_js.go), and
// tokens and session keys, which only the server handles, are left out
// (token.go, session.go), so that the runtime links neither Go's FIPS 140
// module nor os and time. It does not log, and its errors never contain a
// token, a key or a secret.
package bridgekey

import (
	"encoding/base64"
	"strconv"
)

// b64 is unpadded base64url that decodes only the canonical encoding.
var b64 = base64.RawURLEncoding.Strict()

// SecretSize is the size in bytes of a root secret, a deployment secret and
// a session key.
const SecretSize = 32

// minSecretSize is the shortest deployment secret that MintToken and
// VerifyToken accept: 128 bits. Shorter keys are refused rather than used,
// because a short or empty key makes tokens forgeable.
const minSecretSize = 16

// blockSize is SHA-256's block size, the width of HMAC's pads.
const blockSize = 64

// sumSize is the size in bytes of a SHA-256 checksum.
const sumSize = 32

// maxFieldLen is the longest field a 4-byte length prefix can describe.
const maxFieldLen = 1<<32 - 1

// hmacSHA256 returns HMAC-SHA256(key, buf[blockSize:] || tail).
//
// The first blockSize bytes of buf are scratch space that hmacSHA256
// overwrites with the inner pad: callers build the message after blockSize
// reserved bytes, so that the inner hash runs over one contiguous buffer
// and a buffer on the caller's stack stays there. tail, which may be empty,
// is hashed after buf without being copied; it is for message parts too
// large for the caller's stack buffer.
//
// This is the HMAC of RFC 2104 written out over sum256 (crypto/sha256 on
// the server, sha256lite in the WebAssembly runtime), which runs in a third
// of the time of crypto/hmac and does not allocate; the tests check it
// against crypto/hmac.
func hmacSHA256(key, buf, tail []byte) [sumSize]byte {
	var k [blockSize]byte
	if len(key) > blockSize {
		sum := sum256(key, nil)
		copy(k[:], sum[:])
	} else {
		copy(k[:], key)
	}
	for i, b := range k {
		buf[i] = b ^ 0x36
	}
	inner := sum256(buf, tail)
	var outer [blockSize + sumSize]byte
	for i, b := range k {
		outer[i] = b ^ 0x5c
	}
	copy(outer[blockSize:], inner[:])
	return sum256(outer[:], nil)
}

// fieldFits reports whether a length-prefixed field can hold n bytes.
func fieldFits(n int) bool {
	return uint64(n) <= maxFieldLen
}

// appendField appends s length-prefixed: a 4-byte big-endian length and
// the bytes. It panics if s is 4 GiB or longer, which no caller that checked
// its input with fieldFits can reach.
func appendField[T string | []byte](b []byte, s T) []byte {
	if !fieldFits(len(s)) {
		panic("bridgekey: field longer than 4 GiB")
	}
	b = appendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// appendIntField appends the decimal ASCII form of v as a length-prefixed
// field.
func appendIntField(b []byte, v int64) []byte {
	n := len(b)
	b = append(b, 0, 0, 0, 0)
	b = strconv.AppendInt(b, v, 10)
	putUint32(b[n:], uint32(len(b)-n-4))
	return b
}

// appendUintField appends the decimal ASCII form of v as a length-prefixed
// field.
func appendUintField(b []byte, v uint64) []byte {
	n := len(b)
	b = append(b, 0, 0, 0, 0)
	b = strconv.AppendUint(b, v, 10)
	putUint32(b[n:], uint32(len(b)-n-4))
	return b
}

// The byte-order helpers below stand in for encoding/binary, which imports
// reflect.

func appendUint32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func putUint32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func putUint64(b []byte, v uint64) {
	_ = b[7]
	putUint32(b[:4], uint32(v>>32))
	putUint32(b[4:8], uint32(v))
}

func getUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}
