//go:build !(js && wasm)

// SessionKey takes a Token, so it is left out of the js/wasm build with
// token.go.

package bridgekey

// SessionKey derives the key of the session that tok opens:
// HKDF-SHA256(deploymentSecret, salt = tok.Random,
// info = "caddy-bridge/v1 session\x00" + length-prefixed parentOrigin +
// length-prefixed embedOrigin), SecretSize bytes. Both sides of a session
// redeem the same token and so derive the same key. Only the token's random
// part enters the derivation; callers verify the token first.
func SessionKey(deploymentSecret []byte, tok Token, parentOrigin, embedOrigin string) []byte {
	var stack [256]byte
	b := append(stack[:0], sessionInfoLabel...)
	b = appendField(b, parentOrigin)
	b = appendField(b, embedOrigin)
	return deriveKey(deploymentSecret, tok.Random[:], string(b))
}
