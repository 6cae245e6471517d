//go:build js && wasm

package bridgekey

import "github.com/caddybridge/caddy-bridge/bridgekey/internal/sha256lite"

// sum256 returns SHA-256(a || b). In the WebAssembly runtime it is
// sha256lite, because crypto/sha256 links Go's whole FIPS 140 module (and
// with it os and time) into the binary; see sha_other.go for the server's
// form. Running this package's tests under GOOS=js GOARCH=wasm checks every
// construction built on it against crypto/sha256, crypto/hmac and
// crypto/hkdf.
func sum256(a, b []byte) [sumSize]byte {
	if len(b) == 0 {
		return sha256lite.Sum256(a)
	}
	var d sha256lite.Digest
	d.Reset()
	d.Write(a)
	d.Write(b)
	var sum [sumSize]byte
	d.Sum(sum[:0])
	return sum
}
