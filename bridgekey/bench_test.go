package bridgekey

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

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
	mk := NewMACKey(testKey)
	b.Run("MACKey.MACString", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			mk.MACString(&m)
		}
	})
	b.Run("MACKey.VerifyMAC", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !mk.VerifyMAC(&m, mac) {
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

// BenchmarkHMAC sets the hand-written HMAC beside crypto/hmac on a
// token-sized message: the reason it exists. TestHMACMatchesStdlib keeps
// it honest.
func BenchmarkHMAC(b *testing.B) {
	key := bytes.Repeat([]byte{7}, 32)
	msg := bytes.Repeat([]byte{1}, 120)
	b.Run("handwritten", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = hmacSHA256(key, msg, nil)
		}
	})
	b.Run("crypto_hmac", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			_ = m.Sum(nil)
		}
	})
}
