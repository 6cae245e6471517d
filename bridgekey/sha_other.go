//go:build !(js && wasm)

package bridgekey

import "crypto/sha256"

// sum256 returns SHA-256(a || b). Outside the WebAssembly runtime it is
// crypto/sha256, which is assembly-backed; sha_js.go has the js/wasm form.
func sum256(a, b []byte) [sumSize]byte {
	if len(b) == 0 {
		return sha256.Sum256(a)
	}
	h := sha256.New()
	h.Write(a)
	h.Write(b)
	var sum [sumSize]byte
	h.Sum(sum[:0])
	return sum
}
