package bridgekey

// Domain-separation strings. Each construction uses its own, so that no
// output of one can be mistaken for an output of another.
const (
	deploymentSalt   = "caddy-bridge/v1 deployment"
	deploymentIDTag  = "caddy-bridge/v1 deployment-id\x00"
	sessionInfoLabel = "caddy-bridge/v1 session\x00"
	keyIDLabel       = "caddy-bridge/v1 key-id"
	rotateInfoLabel  = "rotate"
)

// DeploymentSecret derives the master secret of the deployment made of a
// parent origin and an embed origin from the root secret:
// HKDF-SHA256(root, salt = "caddy-bridge/v1 deployment",
// info = parentOrigin + "\n" + embedOrigin), SecretSize bytes.
//
// The origins are joined with a newline, not length-prefixed (DESIGN §5),
// so callers must pass serialized origins, which never contain one.

func DeploymentSecret(root []byte, parentOrigin, embedOrigin string) []byte {
	return deriveKey(root, []byte(deploymentSalt), parentOrigin+"\n"+embedOrigin)
}

// DeploymentID is a public, non-secret 8-byte identifier of a deployment
// (a parent origin and an embed origin). Every token carries it, so that a
// server can find the deployment, and with it the secret, a token belongs
// to before verifying it.
type DeploymentID [8]byte

// NewDeploymentID returns the identifier of the deployment made of
// parentOrigin and embedOrigin: the first 8 bytes of
// SHA-256("caddy-bridge/v1 deployment-id\x00" + length-prefixed parentOrigin
// + length-prefixed embedOrigin).
func NewDeploymentID(parentOrigin, embedOrigin string) DeploymentID {
	var stack [256]byte
	b := append(stack[:0], deploymentIDTag...)
	b = appendField(b, parentOrigin)
	b = appendField(b, embedOrigin)
	sum := sum256(b, nil)
	return DeploymentID(sum[:8])
}

// KeyID returns a short public label of key, for telling keys apart in
// messages and logs without revealing them: the unpadded base64url form of
// the first 9 bytes of HMAC-SHA256(key, "caddy-bridge/v1 key-id"),
// 12 characters.
func KeyID(key []byte) string {
	var buf [blockSize + len(keyIDLabel)]byte
	copy(buf[blockSize:], keyIDLabel)
	sum := hmacSHA256(key, buf[:], nil)
	var out [12]byte
	b64.Encode(out[:], sum[:9])
	return string(out[:])
}

// RotateKey returns the key that replaces key when the parent announces
// rotation to kid (DESIGN §6, bridge:rekey): HKDF-SHA256(key, salt = none,
// info = "rotate" + kid), SecretSize bytes. An absent salt is, per RFC 5869,
// the same as 32 zero bytes.
func RotateKey(key []byte, kid string) []byte {
	return deriveKey(key, nil, rotateInfoLabel+kid)
}

// deriveKey runs HKDF-SHA256 (RFC 5869) and returns SecretSize bytes:
// PRK = HMAC(salt, secret), then the first output block
// T(1) = HMAC(PRK, info || 0x01), which is all of a 32-byte output. It is
// written out over hmacSHA256, which makes it four times as fast as
// crypto/hkdf and allocation-free but for the result;
// TestDeriveKeyMatchesStdlib checks it against crypto/hkdf and
// BenchmarkDeriveKey shows the difference.
func deriveKey(secret, salt []byte, info string) []byte {
	var zeroSalt [sumSize]byte
	if len(salt) == 0 {
		salt = zeroSalt[:] // RFC 5869: an absent salt is HashLen zeros
	}
	var st [blockSize + 128]byte
	var prk [sumSize]byte
	if len(secret) <= len(st)-blockSize {
		prk = hmacSHA256(salt, append(st[:blockSize], secret...), nil)
	} else {
		prk = hmacSHA256(salt, st[:blockSize], secret)
	}
	var st2 [blockSize + 256]byte
	var t1 [sumSize]byte
	if len(info) < len(st2)-blockSize {
		b := append(st2[:blockSize], info...)
		t1 = hmacSHA256(prk[:], append(b, 1), nil)
	} else {
		t1 = hmacSHA256(prk[:], st2[:blockSize], append([]byte(info), 1))
	}
	clear(prk[:])
	out := make([]byte, SecretSize)
	copy(out, t1[:])
	clear(t1[:])
	return out
}
