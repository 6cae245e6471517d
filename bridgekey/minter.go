//go:build !(js && wasm)

package bridgekey

import (
	"crypto/sha256"
	"io"
	"sync"
	"time"
)

// TokenMinter mints the tokens of one deployment: its AppendToken gives
// the same tokens as AppendTokenFor with the same secret, origins, time and
// random bytes, in about half the time. The HMAC that tags a token starts
// with the same bytes for every token of a deployment (the key's inner pad,
// the label and both origins; the outer pad), and a TokenMinter hashes them
// once, keeping the SHA-256 states. Those states are as secret as the
// deployment secret. A TokenMinter is safe for concurrent use.
type TokenMinter struct {
	id            DeploymentID
	secret        []byte
	parent, embed string
	inner, outer  []byte // marshaled SHA-256 states; nil: hash everything
	innerRest     []byte // the fixed prefix's bytes after its whole blocks
}

// stateHash is the part of crypto/sha256's hash.Hash that a TokenMinter
// uses: it saves and restores states.
type stateHash interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// NewTokenMinter returns a TokenMinter for the deployment whose secret is
// deploymentSecret and whose origins are parentOrigin and embedOrigin. It
// fails as MintToken would, for a secret shorter than 16 bytes or an
// origin of 4 GiB or more.
func NewTokenMinter(deploymentSecret []byte, parentOrigin, embedOrigin string) (*TokenMinter, error) {
	if len(deploymentSecret) < minSecretSize {
		return nil, errShortSecret
	}
	if !fieldFits(len(parentOrigin)) || !fieldFits(len(embedOrigin)) {
		return nil, errLongOrigin
	}
	m := &TokenMinter{
		id:     NewDeploymentID(parentOrigin, embedOrigin),
		secret: append([]byte(nil), deploymentSecret...),
		parent: parentOrigin,
		embed:  embedOrigin,
	}
	// The key's pads, as in hmacSHA256.
	var k [blockSize]byte
	if len(deploymentSecret) > blockSize {
		sum := sum256(deploymentSecret, nil)
		copy(k[:], sum[:])
	} else {
		copy(k[:], deploymentSecret)
	}
	pad := func(x byte) []byte {
		p := make([]byte, blockSize)
		for i, b := range k {
			p[i] = b ^ x
		}
		return p
	}
	// Inner hash: the pad and the whole blocks of the prefix that every
	// token's tag input starts with (tokenTag).
	prefix := append([]byte(tokenTagLabel), appendField(appendField(nil, parentOrigin), embedOrigin)...)
	whole := len(prefix) / blockSize * blockSize
	inner, ok := sha256.New().(stateHash)
	if !ok {
		return m, nil // no saved states: every token is hashed in full
	}
	inner.Write(pad(0x36))
	inner.Write(prefix[:whole])
	outer := sha256.New().(stateHash)
	outer.Write(pad(0x5c))
	var err error
	if m.inner, err = inner.MarshalBinary(); err != nil {
		m.inner = nil
		return m, nil
	}
	if m.outer, err = outer.MarshalBinary(); err != nil {
		m.inner, m.outer = nil, nil
		return m, nil
	}
	m.innerRest = prefix[whole:]
	return m, nil
}

// ID returns the deployment's id, NewDeploymentID of its origins.
func (m *TokenMinter) ID() DeploymentID {
	return m.id
}

// AppendToken mints a token as MintToken does and appends its encoding to
// dst, returning the extended buffer and the decoded token. On error dst
// is returned unchanged.
func (m *TokenMinter) AppendToken(dst []byte, now time.Time, rand io.Reader) ([]byte, Token, error) {
	if m.inner == nil {
		return AppendTokenFor(dst, m.secret, m.id, m.parent, m.embed, now, rand)
	}
	if rand == nil {
		return dst, Token{}, errNilRand
	}
	var raw [tokenSize]byte
	tok, err := tokenHead(&raw, m.id, now, rand)
	if err != nil {
		return dst, Token{}, err
	}
	if !m.tag(&raw) {
		tag := tokenTag(m.secret, m.parent, m.embed, raw[:tokenTagOff])
		copy(raw[tokenTagOff:], tag[:tokenTagSize])
	}
	return appendEncodedToken(dst, &raw), tok, nil
}

// tag writes the tag of the token in raw from the saved states. It
// reports false if a state could not be restored.
func (m *TokenMinter) tag(raw *[tokenSize]byte) bool {
	s := tagScratches.Get().(*tagScratch)
	defer tagScratches.Put(s)
	if s.h == nil {
		h, ok := sha256.New().(stateHash)
		if !ok {
			return false
		}
		s.h = h
	}
	// Every slice handed to the hash points into s, which lives on the
	// heap already: no allocation per token.
	if s.h.UnmarshalBinary(m.inner) != nil {
		return false
	}
	in := append(append(s.buf[:0], m.innerRest...), raw[:tokenTagOff]...)
	s.h.Write(in)
	sum := s.h.Sum(s.sum[:0])
	if s.h.UnmarshalBinary(m.outer) != nil {
		return false
	}
	s.h.Write(sum)
	sum = s.h.Sum(s.sum[:0])
	copy(raw[tokenTagOff:], sum[:tokenTagSize])
	clear(s.buf[:])
	clear(s.sum[:])
	return true
}

// tagScratch is a hash and buffers for TokenMinter.tag.
type tagScratch struct {
	h   stateHash
	buf [blockSize + tokenTagOff]byte
	sum [sumSize]byte
}

var tagScratches = sync.Pool{New: func() any { return new(tagScratch) }}
