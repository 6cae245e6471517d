package bridgekey

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestDerivations(t *testing.T) {
	secret := testSecret()
	if len(secret) != SecretSize {
		t.Fatalf("DeploymentSecret: %d bytes, want %d", len(secret), SecretSize)
	}
	for _, tc := range []struct {
		name string
		root []byte
		p, e string
	}{
		{name: "other root", root: bytes.Repeat([]byte{0x43}, SecretSize), p: testParent, e: testEmbed},
		{name: "swapped origins", root: testRoot, p: testEmbed, e: testParent},
		{name: "other parent", root: testRoot, p: "https://app.example.com:8443", e: testEmbed},
		{name: "other embed", root: testRoot, p: testParent, e: "https://widget.example.org"},
	} {
		if bytes.Equal(DeploymentSecret(tc.root, tc.p, tc.e), secret) {
			t.Errorf("%s: same deployment secret", tc.name)
		}
	}

	key := testKey
	kid := KeyID(key)
	if len(kid) != 12 || kid == KeyID(secret) {
		t.Errorf("KeyID = %q (of the secret: %q)", kid, KeyID(secret))
	}
	next := RotateKey(key, kid)
	if len(next) != SecretSize || bytes.Equal(next, key) || bytes.Equal(next, RotateKey(key, "other")) {
		t.Errorf("RotateKey gives %x", next)
	}
	if !bytes.Equal(next, RotateKey(key, kid)) {
		t.Error("RotateKey is not deterministic")
	}
}

func TestDeploymentIDLengthPrefixed(t *testing.T) {
	seen := map[DeploymentID][2]string{}
	for _, o := range [][2]string{
		{"", ""}, {"a", ""}, {"", "a"}, {"ab", ""}, {"a", "b"}, {"", "ab"},
		{"a\n", "b"}, {"a", "\nb"}, {testParent, testEmbed}, {testEmbed, testParent},
	} {
		id := NewDeploymentID(o[0], o[1])
		if prev, ok := seen[id]; ok {
			t.Errorf("%q and %q share a deployment id", prev, o)
		}
		seen[id] = o
	}
}

func TestDerivationAllocations(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { NewDeploymentID(testParent, testEmbed) }); n != 0 {
		t.Errorf("NewDeploymentID allocates %v times, want 0", n)
	}
	key := testSecret()
	if n := testing.AllocsPerRun(100, func() { KeyID(key) }); n != 1 {
		t.Errorf("KeyID allocates %v times, want 1 (the string)", n)
	}
}

// TestDeriveKeyMatchesStdlib checks the hand-written HKDF against
// crypto/hkdf over secrets, salts and infos of many lengths, including
// those that take the long-input paths.
func TestDeriveKeyMatchesStdlib(t *testing.T) {
	for _, n := range []int{0, 1, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000} {
		secret := bytes.Repeat([]byte{byte(n), 0xa5}, max(n, 16))[:max(n, 16)]
		salt := bytes.Repeat([]byte{0x5a}, n%70)
		info := strings.Repeat("i", n)
		want, err := hkdf.Key(sha256.New, secret, salt, info, SecretSize)
		if err != nil {
			t.Fatal(err)
		}
		if got := deriveKey(secret, salt, info); !bytes.Equal(got, want) {
			t.Errorf("n=%d: deriveKey differs from crypto/hkdf", n)
		}
	}
}

// BenchmarkDeriveKey sets the hand-written HKDF beside crypto/hkdf on a
// session-key derivation: the reason it exists.
func BenchmarkDeriveKey(b *testing.B) {
	secret := bytes.Repeat([]byte{7}, 32)
	salt := bytes.Repeat([]byte{9}, 16)
	info := "caddy-bridge/v1 session\x00\x00\x00\x00\x1ehttps://shop.example.com:8443\x00\x00\x00\x1ahttps://widget.example.com"
	b.Run("handwritten", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = deriveKey(secret, salt, info)
		}
	})
	b.Run("crypto_hkdf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = hkdf.Key(sha256.New, secret, salt, info, SecretSize)
		}
	})
}
