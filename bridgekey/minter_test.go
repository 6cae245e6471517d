//go:build !(js && wasm)

package bridgekey

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"
)

// TestTokenMinter checks TokenMinter against AppendTokenFor, the
// straightforward form, for origins of every length around the block
// boundaries of the saved prefix, and for secrets shorter than, as long as
// and longer than a SHA-256 block.
func TestTokenMinter(t *testing.T) {
	now := time.UnixMilli(1772368245123)
	random := []byte("0123456789abcdef")
	for _, secret := range [][]byte{
		bytes.Repeat([]byte{1}, 16), testSecret(), bytes.Repeat([]byte{3}, 64),
		bytes.Repeat([]byte{4}, 65), bytes.Repeat([]byte{5}, 200),
	} {
		for n := range 150 {
			parent := "https://" + strings.Repeat("p", n) + ".example"
			embed := "https://e" + strings.Repeat("w", n%70) + ".example"
			m, err := NewTokenMinter(secret, parent, embed)
			if err != nil {
				t.Fatal(err)
			}
			if m.ID() != NewDeploymentID(parent, embed) {
				t.Fatalf("ID() = %x, want the deployment's id", m.ID())
			}
			if m.inner == nil {
				t.Fatal("no saved states: crypto/sha256 cannot save them")
			}
			want, wantTok, err := AppendTokenFor([]byte("x="), secret, m.ID(), parent, embed, now, bytes.NewReader(random))
			if err != nil {
				t.Fatal(err)
			}
			got, tok, err := m.AppendToken([]byte("x="), now, bytes.NewReader(random))
			if err != nil || !bytes.Equal(got, want) || tok != wantTok {
				t.Fatalf("secret %d bytes, origins %d and %d bytes: got %q, %+v, %v; want %q, %+v",
					len(secret), len(parent), len(embed), got, tok, err, want, wantTok)
			}
			if _, err := VerifyToken(secret, parent, embed, string(got[2:])); err != nil {
				t.Fatalf("VerifyToken: %v", err)
			}
		}
	}
}

// TestTokenMinterFallbacks checks the paths without saved states: none
// (a hash that cannot save them), and a state that fails to load.
func TestTokenMinterFallbacks(t *testing.T) {
	now := time.UnixMilli(1772368245123)
	random := []byte("0123456789abcdef")
	secret := testSecret()
	want, _, err := AppendTokenFor(nil, secret, NewDeploymentID(testParent, testEmbed), testParent, testEmbed, now, bytes.NewReader(random))
	if err != nil {
		t.Fatal(err)
	}
	for name, spoil := range map[string]func(*TokenMinter){
		"no states":   func(m *TokenMinter) { m.inner, m.outer = nil, nil },
		"bad inner":   func(m *TokenMinter) { m.inner = []byte("bad") },
		"bad outer":   func(m *TokenMinter) { m.outer = []byte("bad") },
		"short inner": func(m *TokenMinter) { m.inner = m.inner[:len(m.inner)-1] },
	} {
		m, err := NewTokenMinter(secret, testParent, testEmbed)
		if err != nil {
			t.Fatal(err)
		}
		spoil(m)
		got, _, err := m.AppendToken(nil, now, bytes.NewReader(random))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %q, %v; want %q", name, got, err, want)
		}
	}
}

// TestAppendEncodedToken checks the unrolled encoder against b64.
func TestAppendEncodedToken(t *testing.T) {
	var raw [tokenSize]byte
	for i := range 2000 {
		switch i {
		case 0:
			clear(raw[:])
		case 1:
			for j := range raw {
				raw[j] = 0xff
			}
		default:
			rand.Read(raw[:])
		}
		got := appendEncodedToken([]byte("p"), &raw)
		if want := "p" + b64.EncodeToString(raw[:]); string(got) != want {
			t.Fatalf("%x: got %q, want %q", raw, got, want)
		}
	}
}

func TestTokenMinterErrors(t *testing.T) {
	if _, err := NewTokenMinter(make([]byte, 15), testParent, testEmbed); err == nil {
		t.Error("NewTokenMinter accepted a 15-byte secret")
	}
	m, err := NewTokenMinter(testSecret(), testParent, testEmbed)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []*bytes.Reader{nil, bytes.NewReader(make([]byte, 15))} {
		var rd interface{ Read([]byte) (int, error) }
		if r != nil {
			rd = r
		}
		got, tok, err := m.AppendToken([]byte("keep"), time.Now(), rd)
		if err == nil || string(got) != "keep" || tok != (Token{}) {
			t.Errorf("Test %d: got %q, %+v, %v; want dst unchanged and an error", i, got, tok, err)
		}
	}
	// Two tokens differ.
	a, _, _ := m.AppendToken(nil, time.Now(), rand.Reader)
	b, _, _ := m.AppendToken(nil, time.Now(), rand.Reader)
	if bytes.Equal(a, b) {
		t.Error("two tokens are equal")
	}
}

func TestTokenMinterAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	m, err := NewTokenMinter(testSecret(), testParent, testEmbed)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, tokenLen)
	var r zeroReader
	if n := testing.AllocsPerRun(100, func() {
		if _, _, err := m.AppendToken(buf, fixedTime, r); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AppendToken allocates %v times per token", n)
	}
}

// BenchmarkAppendToken sets the ways to mint a token side by side.
func BenchmarkAppendToken(b *testing.B) {
	secret := testSecret()
	id := NewDeploymentID(testParent, testEmbed)
	buf := make([]byte, 0, tokenLen)
	b.Run("MintTokenFor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := MintTokenFor(secret, id, testParent, testEmbed, fixedTime, zeroReader{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendTokenFor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := AppendTokenFor(buf, secret, id, testParent, testEmbed, fixedTime, zeroReader{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	m, err := NewTokenMinter(secret, testParent, testEmbed)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("TokenMinter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := m.AppendToken(buf, fixedTime, zeroReader{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
