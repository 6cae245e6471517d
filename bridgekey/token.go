//go:build !(js && wasm)

// Tokens are minted and verified by the server only. The WebAssembly
// runtime receives its session key and never handles a token, so this file
// (with session.go) is left out of the js/wasm build: Token.IssuedAt is a
// time.Time, and time with its dependencies costs the runtime about 33 KB
// brotli.

package bridgekey

import (
	"crypto/subtle"
	"errors"
	"io"
	"sync"
	"time"
)

// Token is a decoded session token. The token's encoded string, not this
// struct, is the session id (DESIGN §5).
//
// A token is 49 bytes, written as unpadded base64url (66 characters):
//
//	offset  size  field
//	     0     1  version, 0x01
//	     1     8  deployment id (NewDeploymentID of the two origins)
//	     9    16  random bytes
//	    25     8  issue time, unix milliseconds, big-endian
//	    33    16  tag
//
// The tag is the first 16 bytes of HMAC-SHA256(deployment secret,
// "caddy-bridge/v1 token\x00" + length-prefixed parent origin +
// length-prefixed embed origin + bytes 0 to 32 of the token), so a token is
// bound to its deployment's secret and to both origins.
type Token struct {
	// Deployment identifies the deployment that minted the token.
	Deployment DeploymentID

	// Random holds the token's 128 random bits. It is also the salt of
	// the session key.
	Random [16]byte

	// IssuedAt is when the token was minted, with millisecond precision,
	// in UTC.
	IssuedAt time.Time
}

// Errors returned by ParseToken and VerifyToken. Their messages never
// contain the token or any secret.
var (
	// ErrTokenMalformed means that the string is not a token of a
	// version this package knows: wrong length, not canonical unpadded
	// base64url, or a wrong version byte.
	ErrTokenMalformed = errors.New("bridgekey: malformed token")

	// ErrTokenForged means that the token is well-formed but was not
	// minted for this deployment with this secret: its tag is wrong or its
	// deployment id does not match the origins.
	ErrTokenForged = errors.New("bridgekey: token not authentic for this deployment")
)

// Token layout.
const (
	tokenVersion   = 0x01
	tokenIDOff     = 1
	tokenRandomOff = 9
	tokenTimeOff   = 25
	tokenTagOff    = 33
	tokenTagSize   = 16
	tokenSize      = tokenTagOff + tokenTagSize // 49 bytes
	tokenLen       = (tokenSize*8 + 5) / 6      // 66 characters

	tokenTagLabel = "caddy-bridge/v1 token\x00"
)

var (
	errNilRand     = errors.New("bridgekey: minting token: no random source")
	errShortSecret = errors.New("bridgekey: minting token: deployment secret shorter than 16 bytes")
	errLongOrigin  = errors.New("bridgekey: minting token: origin too long")
)

// randError reports a failure of the random source given to MintToken.
type randError struct{ err error }

func (e randError) Error() string {
	return "bridgekey: minting token: reading random bytes: " + e.err.Error()
}

func (e randError) Unwrap() error { return e.err }

// randBufs holds scratch buffers for the random bytes: passing a buffer to
// an io.Reader makes it escape, and a pooled one costs no allocation.
var randBufs = sync.Pool{New: func() any { return new([16]byte) }}

// MintToken mints a token of the deployment whose secret is
// deploymentSecret and whose origins are parentOrigin and embedOrigin,
// issued at now (truncated to milliseconds), with 16 random bytes read from
// rand, normally crypto/rand.Reader. It returns the encoded token, which is
// also the session id, and its decoded form.
//
// It fails if rand is nil or fails, or if deploymentSecret is shorter than
// 16 bytes: such a key would make tokens forgeable.
func MintToken(deploymentSecret []byte, parentOrigin, embedOrigin string, now time.Time, rand io.Reader) (string, Token, error) {
	return MintTokenFor(deploymentSecret, NewDeploymentID(parentOrigin, embedOrigin), parentOrigin, embedOrigin, now, rand)
}

// MintTokenFor is MintToken for a caller that already holds the
// deployment's id, NewDeploymentID(parentOrigin, embedOrigin): it saves
// hashing the origins for every token. A wrong id makes tokens that every
// server refuses as belonging to an unknown deployment.
func MintTokenFor(deploymentSecret []byte, id DeploymentID, parentOrigin, embedOrigin string, now time.Time, rand io.Reader) (string, Token, error) {
	var enc [tokenLen]byte
	b, tok, err := AppendTokenFor(enc[:0], deploymentSecret, id, parentOrigin, embedOrigin, now, rand)
	if err != nil {
		return "", Token{}, err
	}
	return string(b), tok, nil
}

// AppendTokenFor is MintTokenFor for a caller that writes the token into a
// buffer: it appends the encoded token to dst and returns the extended
// buffer, which saves allocating a string per token. On error dst is
// returned unchanged.
func AppendTokenFor(dst, deploymentSecret []byte, id DeploymentID, parentOrigin, embedOrigin string, now time.Time, rand io.Reader) ([]byte, Token, error) {
	if len(deploymentSecret) < minSecretSize {
		return dst, Token{}, errShortSecret
	}
	if rand == nil {
		return dst, Token{}, errNilRand
	}
	if !fieldFits(len(parentOrigin)) || !fieldFits(len(embedOrigin)) {
		return dst, Token{}, errLongOrigin
	}

	var raw [tokenSize]byte
	tok, err := tokenHead(&raw, id, now, rand)
	if err != nil {
		return dst, Token{}, err
	}
	tag := tokenTag(deploymentSecret, parentOrigin, embedOrigin, raw[:tokenTagOff])
	copy(raw[tokenTagOff:], tag[:tokenTagSize])
	return appendEncodedToken(dst, &raw), tok, nil
}

// tokenHead fills in the first tokenTagOff bytes of a token of deployment
// id issued at now, with random bytes from rand, and returns its decoded
// form.
func tokenHead(raw *[tokenSize]byte, id DeploymentID, now time.Time, rand io.Reader) (Token, error) {
	var tok Token
	rb := randBufs.Get().(*[16]byte)
	_, err := io.ReadFull(rand, rb[:])
	tok.Random = *rb
	clear(rb[:])
	randBufs.Put(rb)
	if err != nil {
		return Token{}, randError{err}
	}
	tok.Deployment = id
	ms := now.UnixMilli()
	tok.IssuedAt = time.UnixMilli(ms).UTC()
	raw[0] = tokenVersion
	copy(raw[tokenIDOff:], tok.Deployment[:])
	copy(raw[tokenRandomOff:], tok.Random[:])
	putUint64(raw[tokenTimeOff:], uint64(ms))
	return tok, nil
}

// appendEncodedToken appends the encoding of a whole token to dst: what
// b64.Encode writes, unrolled for the token's fixed size.
func appendEncodedToken(dst []byte, raw *[tokenSize]byte) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	n := len(dst)
	dst = append(dst, make([]byte, tokenLen)...)
	out := (*[tokenLen]byte)(dst[n:])
	for g := range tokenSize / 3 { // 16 groups of 3 bytes, 4 characters each
		in := (*[3]byte)(raw[3*g:])
		o := (*[4]byte)(out[4*g:])
		v := uint(in[0])<<16 | uint(in[1])<<8 | uint(in[2])
		o[0] = alphabet[v>>18&63]
		o[1] = alphabet[v>>12&63]
		o[2] = alphabet[v>>6&63]
		o[3] = alphabet[v&63]
	}
	// The 49th byte: two characters, without padding.
	v := uint(raw[tokenSize-1])
	out[tokenLen-2], out[tokenLen-1] = alphabet[v>>2], alphabet[v<<4&63]
	return dst
}

// ParseToken decodes the token s without verifying it, so that a server
// can find the deployment it claims to belong to. It returns
// ErrTokenMalformed unless s is exactly a canonical token of version 1.
// Nothing in the result can be trusted before VerifyToken accepts s.
func ParseToken(s string) (Token, error) {
	var raw [tokenSize]byte
	if !decodeToken(&raw, s) {
		return Token{}, ErrTokenMalformed
	}
	return tokenFromRaw(&raw), nil
}

// VerifyToken decodes the token s and checks, in constant time, that it
// was minted with deploymentSecret for parentOrigin and embedOrigin. It
// returns ErrTokenMalformed if s is not a canonical token of version 1, and
// ErrTokenForged if the tag is wrong, if the deployment id does not match
// the origins, or if deploymentSecret is shorter than 16 bytes. It does not
// check the token's age: that is the caller's policy.
func VerifyToken(deploymentSecret []byte, parentOrigin, embedOrigin, s string) (Token, error) {
	var raw [tokenSize]byte
	if !decodeToken(&raw, s) {
		return Token{}, ErrTokenMalformed
	}
	if len(deploymentSecret) < minSecretSize || !fieldFits(len(parentOrigin)) || !fieldFits(len(embedOrigin)) {
		return Token{}, ErrTokenForged
	}
	tag := tokenTag(deploymentSecret, parentOrigin, embedOrigin, raw[:tokenTagOff])
	tagOK := subtle.ConstantTimeCompare(tag[:tokenTagSize], raw[tokenTagOff:]) == 1
	// The deployment id is public, so comparing it need not be constant-time.
	idOK := DeploymentID(raw[tokenIDOff:tokenRandomOff]) == NewDeploymentID(parentOrigin, embedOrigin)
	if !tagOK || !idOK {
		return Token{}, ErrTokenForged
	}
	return tokenFromRaw(&raw), nil
}

// decodeToken decodes s into raw and reports whether s is exactly the
// canonical encoding of a version 1 token.
func decodeToken(raw *[tokenSize]byte, s string) bool {
	if len(s) != tokenLen {
		return false
	}
	// Strict decoding rejects padding, characters outside the URL-safe
	// alphabet and non-zero trailing bits; it skips CR and LF, which the
	// length check then catches because fewer bytes come out.
	n, err := b64.Decode(raw[:], []byte(s))
	return err == nil && n == tokenSize && raw[0] == tokenVersion
}

// tokenFromRaw returns the fields of a decoded token.
func tokenFromRaw(raw *[tokenSize]byte) Token {
	return Token{
		Deployment: DeploymentID(raw[tokenIDOff:tokenRandomOff]),
		Random:     [16]byte(raw[tokenRandomOff:tokenTimeOff]),
		IssuedAt:   time.UnixMilli(int64(getUint64(raw[tokenTimeOff:tokenTagOff]))).UTC(),
	}
}

// tokenTag returns the full HMAC of which a token's tag is the first 16
// bytes; head is the token's first 33 bytes.
func tokenTag(deploymentSecret []byte, parentOrigin, embedOrigin string, head []byte) [32]byte {
	var stack [384]byte
	b := append(stack[:blockSize], tokenTagLabel...)
	b = appendField(b, parentOrigin)
	b = appendField(b, embedOrigin)
	b = append(b, head...)
	return hmacSHA256(deploymentSecret, b, nil)
}
