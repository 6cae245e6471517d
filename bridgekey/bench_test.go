package bridgekey

import (
	"bytes"
	"testing"
	"time"
)

var fixedTime = time.UnixMilli(1700000000123)

// zeroReader stands in for crypto/rand so that benchmarks measure this
// package, not the system's random source.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func BenchmarkMintToken(b *testing.B) {
	secret := testSecret()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := MintToken(secret, testParent, testEmbed, fixedTime, zeroReader{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	secret := testSecret()
	s, _ := mintTest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyToken(secret, testParent, testEmbed, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseToken(b *testing.B) {
	s, _ := mintTest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseToken(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSessionKey(b *testing.B) {
	secret := testSecret()
	_, tok := mintTest(b)
	b.ReportAllocs()
	for b.Loop() {
		SessionKey(secret, tok, testParent, testEmbed)
	}
}

func BenchmarkDeploymentSecret(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		DeploymentSecret(testRoot, testParent, testEmbed)
	}
}

func BenchmarkKeyID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		KeyID(testKey)
	}
}

func BenchmarkMAC(b *testing.B) {
	m := testMACInput()
	b.Run("MACString", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MACString(testKey, &m)
		}
	})
	mac := MACString(testKey, &m)
	b.Run("VerifyMAC", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !VerifyMAC(testKey, &m, mac) {
				b.Fatal("refused")
			}
		}
	})
	big := m
	big.Body = bytes.Repeat([]byte("x"), 16<<10)
	mac = MACString(testKey, &big)
	b.Run("VerifyMAC16KiB", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(big.Body)))
		for b.Loop() {
			if !VerifyMAC(testKey, &big, mac) {
				b.Fatal("refused")
			}
		}
	})
}
