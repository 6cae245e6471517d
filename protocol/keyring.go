package protocol

import (
	"encoding/base64"
	"io"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// sessionKey is a key, its id, and the key made ready for MACs.
type sessionKey struct {
	id  string
	key []byte
	mac bridgekey.MACKey
}

// newSessionKey returns key with id made ready for MACs.
func newSessionKey(id string, key []byte) sessionKey {
	return sessionKey{id: id, key: key, mac: bridgekey.NewMACKey(key)}
}

// erase zeroes the key and forgets it.
func (k *sessionKey) erase() {
	clear(k.key)
	k.mac.Erase()
	*k = sessionKey{}
}

// keyring holds the current session key and, for the grace period after a
// rotation, the previous one.
type keyring struct {
	cur       sessionKey
	prev      sessionKey
	prevTimer Timer
}

// lookup returns the key with id kid, or nil.
func (r *keyring) lookup(kid string) *sessionKey {
	switch {
	case kid == "":
		return nil
	case kid == r.cur.id:
		return &r.cur
	case kid == r.prev.id:
		return &r.prev
	}
	return nil
}

// rotate makes RotateKey(current, kid) the current key. The previous
// current key verifies inbound messages for graceMs more and is then
// erased; a key still in its grace period from an earlier rotation is
// erased at once.
func (r *keyring) rotate(kid string, clock Clock, graceMs int64) {
	r.dropPrev()
	next := bridgekey.RotateKey(r.cur.key, kid)
	r.prev = r.cur
	r.cur = newSessionKey(kid, next)
	r.prevTimer = clock.AfterFunc(graceMs, func() {
		r.prevTimer = nil
		r.prev.erase()
	})
}

// dropPrev erases the previous key and stops its timer.
func (r *keyring) dropPrev() {
	if r.prevTimer != nil {
		r.prevTimer.Stop()
		r.prevTimer = nil
	}
	r.prev.erase()
}

// erase erases every key and stops the grace timer.
func (r *keyring) erase() {
	r.dropPrev()
	r.cur.erase()
}

// maxKIDLen bounds the key ids that a bridge:rekey may announce.
const maxKIDLen = 64

// newKID returns a fresh key id: 9 random bytes in unpadded base64url,
// 12 characters, the shape of bridgekey.KeyID.
func newKID(rand io.Reader) (string, error) {
	var b [9]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// newEpoch returns a fresh handshake epoch: 16 random bytes in unpadded
// base64url.
func newEpoch(rand io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
