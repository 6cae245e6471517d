package bridgekey

import (
	"crypto/subtle"

	"github.com/caddybridge/caddy-bridge/bridgekey/internal/sha256lite"
)

// MACKey is a session key made ready for many MACs: HMAC-SHA256's states
// after the key's inner and outer pad blocks are hashed once, when the key
// is set, so that each MAC afterwards hashes two SHA-256 blocks fewer (a
// typical v2 message: 5 blocks instead of 7). MAC, MACString and
// VerifyMAC make one per call.
//
// It hashes with sha256lite on every platform, so that the runtime's code
// path (where crypto/sha256 would link Go's FIPS 140 module) is the one
// the host's tests run too; the server signs no messages, and the tests
// check it against crypto/hmac. A MACKey holds no pointers: copying it
// copies the states.
type MACKey struct {
	inner, outer sha256lite.Digest
}

// NewMACKey returns key made ready for MACs. The caller may erase key
// afterwards; the MACKey keeps only the pad states (which, like the key,
// must stay secret).
func NewMACKey(key []byte) MACKey {
	var k [blockSize]byte
	if len(key) > blockSize {
		sum := sha256lite.Sum256(key)
		copy(k[:], sum[:])
	} else {
		copy(k[:], key)
	}
	var pad [blockSize]byte
	var m MACKey
	for i, b := range k {
		pad[i] = b ^ 0x36
	}
	m.inner.Reset()
	m.inner.Write(pad[:])
	for i, b := range k {
		pad[i] = b ^ 0x5c
	}
	m.outer.Reset()
	m.outer.Write(pad[:])
	clear(k[:])
	clear(pad[:])
	return m
}

// Erase zeroes the pad states. An erased MACKey's MACs are worthless.
func (k *MACKey) Erase() {
	*k = MACKey{}
}

// MACString returns the MAC of the message that m describes, as
// unpadded base64url: MACString(key, m) for the key k was made from. It
// panics if a field of m is 4 GiB or longer.
func (k *MACKey) MACString(m *MACInput) string {
	sum := k.sum(m)
	var out [macStringLen]byte
	b64.Encode(out[:], sum[:])
	return string(out[:])
}

// VerifyMAC reports, as VerifyMAC(key, m, mac) does for the key k was made
// from, whether mac is the MAC of m, comparing in constant time.
func (k *MACKey) VerifyMAC(m *MACInput, mac string) bool {
	got, ok := decodeMAC(m, mac)
	if !ok {
		return false
	}
	want := k.sum(m)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// sum computes the MAC of m from the pad states.
func (k *MACKey) sum(m *MACInput) [sumSize]byte {
	var stack [512]byte
	d := k.inner
	d.Write(appendMACHead(stack[:0], m))
	d.Write(m.Body)
	var inner [sumSize]byte
	d.Sum(inner[:0])
	d = k.outer
	d.Write(inner[:])
	var sum [sumSize]byte
	d.Sum(sum[:0])
	return sum
}
