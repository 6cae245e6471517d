//go:build !(js && wasm)

package bridgekey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func mintTest(t testing.TB) (string, Token) {
	t.Helper()
	s, tok, err := MintToken(testSecret(), testParent, testEmbed, time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s, tok
}

func TestMintToken(t *testing.T) {
	secret := testSecret()
	now := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.FixedZone("CET", 3600))
	random := bytes.Repeat([]byte{7}, 16)
	s, tok, err := MintToken(secret, testParent, testEmbed, now, bytes.NewReader(random))
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 66 || strings.ContainsAny(s, "+/=") {
		t.Errorf("token %q: want 66 base64url characters", s)
	}
	if want := now.Truncate(time.Millisecond); !tok.IssuedAt.Equal(want) || tok.IssuedAt.Location() != time.UTC {
		t.Errorf("IssuedAt = %v, want %v in UTC", tok.IssuedAt, want)
	}
	if !bytes.Equal(tok.Random[:], random) {
		t.Errorf("Random = %x, want %x", tok.Random, random)
	}
	if tok.Deployment != NewDeploymentID(testParent, testEmbed) {
		t.Errorf("Deployment = %x, want the id of the origins", tok.Deployment)
	}
	parsed, err := ParseToken(s)
	if err != nil || parsed != tok {
		t.Errorf("ParseToken = %+v, %v; want %+v", parsed, err, tok)
	}
	verified, err := VerifyToken(secret, testParent, testEmbed, s)
	if err != nil || verified != tok {
		t.Errorf("VerifyToken = %+v, %v; want %+v", verified, err, tok)
	}

	// Two tokens minted at the same instant differ.
	a, _ := mintTest(t)
	b, _ := mintTest(t)
	if a == b {
		t.Error("two tokens are equal")
	}
}

func TestMintTokenErrors(t *testing.T) {
	boom := errors.New("boom")
	for i, tc := range []struct {
		secret []byte
		rand   io.Reader
		is     error
	}{
		{secret: nil, rand: rand.Reader},
		{secret: make([]byte, 15), rand: rand.Reader},
		{secret: testSecret(), rand: nil},
		{secret: testSecret(), rand: iotest.ErrReader(boom), is: boom},
		{secret: testSecret(), rand: bytes.NewReader(make([]byte, 15)), is: io.ErrUnexpectedEOF},
	} {
		s, tok, err := MintToken(tc.secret, testParent, testEmbed, time.Now(), tc.rand)
		if err == nil || s != "" || tok != (Token{}) {
			t.Errorf("Test %d: got %q, %+v, %v; want an error and nothing else", i, s, tok, err)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("Test %d: error %v does not wrap %v", i, err, tc.is)
		}
	}
	// 16 bytes is the shortest secret accepted.
	if _, _, err := MintToken(make([]byte, 16), testParent, testEmbed, time.Now(), rand.Reader); err != nil {
		t.Errorf("16-byte secret: %v", err)
	}
}

// TestAppendTokenFor checks that AppendTokenFor appends what MintTokenFor
// returns for the same random bytes and time, after what dst holds, and
// leaves dst alone on error.
func TestAppendTokenFor(t *testing.T) {
	secret := testSecret()
	id := NewDeploymentID(testParent, testEmbed)
	now := time.UnixMilli(1772368245123)
	for _, random := range [][]byte{bytes.Repeat([]byte{7}, 16), []byte("0123456789abcdef")} {
		want, wantTok, err := MintTokenFor(secret, id, testParent, testEmbed, now, bytes.NewReader(random))
		if err != nil {
			t.Fatal(err)
		}
		got, tok, err := AppendTokenFor([]byte("prefix="), secret, id, testParent, testEmbed, now, bytes.NewReader(random))
		if err != nil || string(got) != "prefix="+want || tok != wantTok {
			t.Errorf("AppendTokenFor = %q, %+v, %v; want %q, %+v", got, tok, err, "prefix="+want, wantTok)
		}
	}
	for i, tc := range []struct {
		secret []byte
		rand   io.Reader
	}{
		{secret: make([]byte, 15), rand: rand.Reader},
		{secret: secret, rand: nil},
		{secret: secret, rand: bytes.NewReader(make([]byte, 15))},
	} {
		got, tok, err := AppendTokenFor([]byte("keep"), tc.secret, id, testParent, testEmbed, now, tc.rand)
		if err == nil || string(got) != "keep" || tok != (Token{}) {
			t.Errorf("Test %d: got %q, %+v, %v; want dst unchanged and an error", i, got, tok, err)
		}
	}
}

func TestVerifyTokenErrors(t *testing.T) {
	secret := testSecret()
	valid, tok := mintTest(t)
	raw := mustB64(t, valid)
	flip := func(i int, x byte) string {
		c := bytes.Clone(raw)
		c[i] ^= x
		return b64.EncodeToString(c)
	}
	stdAlphabet := strings.NewReplacer("-", "+", "_", "/").Replace(valid)
	if stdAlphabet == valid {
		stdAlphabet = "+" + valid[1:]
	}
	otherSecret := DeploymentSecret(bytes.Repeat([]byte{0x43}, SecretSize), testParent, testEmbed)
	ms := tok.IssuedAt.UnixMilli()
	sameTagOtherID := b64.EncodeToString(refTokenBytes(secret, testParent, testEmbed, refDeploymentID("https://a.example", "https://b.example"), tok.Random[:], ms))

	for _, tc := range []struct {
		name          string
		secret        []byte
		parent, embed string
		token         string
		want          error
	}{
		{name: "valid", token: valid},
		{name: "empty", token: "", want: ErrTokenMalformed},
		{name: "too short", token: valid[:65], want: ErrTokenMalformed},
		{name: "too long", token: valid + "A", want: ErrTokenMalformed},
		{name: "way too long", token: strings.Repeat(valid, 100), want: ErrTokenMalformed},
		{name: "padded", token: b64.EncodeToString(raw)[:64] + "==", want: ErrTokenMalformed},
		{name: "padded, 68 characters", token: valid + "==", want: ErrTokenMalformed},
		{name: "standard alphabet", token: stdAlphabet, want: ErrTokenMalformed},
		{name: "space", token: valid[:30] + " " + valid[31:], want: ErrTokenMalformed},
		{name: "carriage return", token: valid[:30] + "\r" + valid[31:], want: ErrTokenMalformed},
		{name: "line feed at the end", token: valid[:65] + "\n", want: ErrTokenMalformed},
		{name: "non-ASCII", token: valid[:64] + "é", want: ErrTokenMalformed},
		{name: "non-canonical trailing bits", token: valid[:65] + string(b64Alphabet[strings.IndexByte(b64Alphabet, valid[65])+1]), want: ErrTokenMalformed},
		{name: "version 0", token: flip(0, 0x01), want: ErrTokenMalformed},
		{name: "version 2", token: flip(0, 0x03), want: ErrTokenMalformed},
		{name: "version 255", token: flip(0, 0xfe), want: ErrTokenMalformed},
		{name: "forged tag", token: flip(40, 0x10), want: ErrTokenForged},
		{name: "changed issue time", token: flip(32, 0x01), want: ErrTokenForged},
		{name: "changed random", token: flip(9, 0x80), want: ErrTokenForged},
		{name: "valid tag, other deployment id", token: sameTagOtherID, want: ErrTokenForged},
		{name: "swapped origins", parent: testEmbed, embed: testParent, token: valid, want: ErrTokenForged},
		{name: "other parent", parent: "https://evil.example", token: valid, want: ErrTokenForged},
		{name: "other embed", embed: "https://widget.example.net:443", token: valid, want: ErrTokenForged},
		{name: "other deployment secret", secret: otherSecret, token: valid, want: ErrTokenForged},
		{name: "truncated secret", secret: secret[:31], token: valid, want: ErrTokenForged},
		{name: "short secret", secret: secret[:15], token: valid, want: ErrTokenForged},
		{name: "no secret", secret: []byte{}, token: valid, want: ErrTokenForged},
		{name: "short secret, malformed token", secret: secret[:15], token: valid[:65], want: ErrTokenMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sec, p, e := tc.secret, tc.parent, tc.embed
			if sec == nil {
				sec = secret
			}
			if p == "" {
				p = testParent
			}
			if e == "" {
				e = testEmbed
			}
			got, err := VerifyToken(sec, p, e, tc.token)
			if err != tc.want { // the sentinels themselves: nothing of the input in them
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil && got != (Token{}) {
				t.Errorf("error %v with a non-zero token %+v", err, got)
			}
			if err == nil && got != tok {
				t.Errorf("got %+v, want %+v", got, tok)
			}
			_, perr := ParseToken(tc.token)
			if (tc.want == ErrTokenMalformed) != (perr == ErrTokenMalformed) {
				t.Errorf("ParseToken: %v", perr)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	for _, err := range []error{ErrTokenMalformed, ErrTokenForged, errNilRand, errShortSecret, errLongOrigin} {
		msg := err.Error()
		if msg != strings.ToLower(msg) || strings.HasSuffix(msg, ".") {
			t.Errorf("%q: want a lowercase message without final punctuation", msg)
		}
	}
}

// TestEverySingleChangeFails flips each of a token's 392 bits and puts
// every other character, and some that are not base64url, in each of its
// 66 positions: every result must be refused.
func TestEverySingleChangeFails(t *testing.T) {
	secret := testSecret()
	valid, _ := mintTest(t)
	raw := mustB64(t, valid)
	for i := range raw {
		for bit := range 8 {
			c := bytes.Clone(raw)
			c[i] ^= 1 << bit
			if _, err := VerifyToken(secret, testParent, testEmbed, b64.EncodeToString(c)); err == nil {
				t.Fatalf("flipping bit %d of byte %d gives a valid token", bit, i)
			}
		}
	}
	chars := b64Alphabet + "+/=.~ \t\r\n\x00\x80\xff"
	for i := range len(valid) {
		for j := range len(chars) {
			if chars[j] == valid[i] {
				continue
			}
			s := valid[:i] + chars[j:j+1] + valid[i+1:]
			if _, err := VerifyToken(secret, testParent, testEmbed, s); err == nil {
				t.Fatalf("putting %q at %d gives a valid token", chars[j], i)
			}
		}
	}
}

// FuzzParseToken checks that ParseToken never panics and accepts exactly
// the canonical encodings of version 1 tokens.
func FuzzParseToken(f *testing.F) {
	valid, _, _ := MintToken(testSecret(), testParent, testEmbed, fixedTime, zeroReader{})
	for _, s := range []string{valid, "", valid[:65], valid + "=", valid[:64] + "==", strings.Repeat("A", 66), "AQ" + strings.Repeat("A", 64), "AQ" + strings.Repeat("_", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		raw, derr := b64.DecodeString(s)
		want := len(s) == tokenLen && derr == nil && len(raw) == tokenSize && raw[0] == tokenVersion
		if (err == nil) != want {
			t.Fatalf("ParseToken(%q) error %v, reference decoding says valid=%v", s, err, want)
		}
		if err != nil {
			if err != ErrTokenMalformed || tok != (Token{}) {
				t.Fatalf("ParseToken(%q) = %+v, %v", s, tok, err)
			}
			return
		}
		if b64.EncodeToString(raw) != s {
			t.Fatalf("ParseToken accepted the non-canonical %q", s)
		}
		if !bytes.Equal(tok.Deployment[:], raw[1:9]) || !bytes.Equal(tok.Random[:], raw[9:25]) ||
			uint64(tok.IssuedAt.UnixMilli()) != getUint64(raw[25:33]) {
			t.Fatalf("ParseToken(%q) = %+v, raw %x", s, tok, raw)
		}
		// A string that merely parses is not a valid token: only what the
		// reference mints verifies.
		secret := testSecret()
		_, err = VerifyToken(secret, testParent, testEmbed, s)
		minted := refToken(secret, testParent, testEmbed, tok.Random[:], tok.IssuedAt.UnixMilli()) == s
		if (err == nil) != minted || (err != nil && err != ErrTokenForged) {
			t.Fatalf("VerifyToken(%q) = %v, but the reference says minted=%v", s, err, minted)
		}
	})
}

// FuzzVerifyToken checks that VerifyToken never panics, that a token it
// mints verifies, and that changing any single bit or character of that
// token makes it fail.
func FuzzVerifyToken(f *testing.F) {
	valid, _, _ := MintToken(testSecret(), testParent, testEmbed, fixedTime, zeroReader{})
	f.Add(valid, []byte("0123456789abcdef"), int64(1700000000123), uint16(0), byte(1), "https://app.example.com")
	f.Add("", []byte{}, int64(-1), uint16(65), byte(0x80), "")
	f.Add(valid[:65]+"=", bytes.Repeat([]byte{0xff}, 16), int64(1<<62), uint16(400), byte('_'), "https://例え.テスト")
	secret := testSecret()
	f.Fuzz(func(t *testing.T, s string, random []byte, ms int64, pos uint16, x byte, parent string) {
		// Arbitrary input: no panic, and nothing verifies by accident.
		if _, err := VerifyToken(secret, parent, testEmbed, s); err == nil {
			if refToken(secret, parent, testEmbed, mustB64(t, s)[9:25], int64(getUint64(mustB64(t, s)[25:33]))) != s {
				t.Fatalf("VerifyToken accepted %q, which the reference did not mint", s)
			}
		}

		random = append(bytes.Clone(random), make([]byte, 16)...)[:16]
		tokStr, tok, err := MintToken(secret, parent, testEmbed, time.UnixMilli(ms), bytes.NewReader(random))
		if err != nil {
			t.Fatal(err)
		}
		if want := refToken(secret, parent, testEmbed, random, ms); tokStr != want {
			t.Fatalf("MintToken gives %s, reference %s", tokStr, want)
		}
		got, err := VerifyToken(secret, parent, testEmbed, tokStr)
		if err != nil || got != tok || got.IssuedAt.UnixMilli() != ms {
			t.Fatalf("VerifyToken(minted) = %+v, %v; want %+v", got, err, tok)
		}

		// Flip one bit of the bytes.
		raw := mustB64(t, tokStr)
		bit := int(pos) % (tokenSize * 8)
		raw[bit/8] ^= 1 << (bit % 8)
		if _, err := VerifyToken(secret, parent, testEmbed, b64.EncodeToString(raw)); err == nil {
			t.Fatalf("flipping bit %d still verifies", bit)
		}

		// Replace one character.
		i := int(pos) % tokenLen
		if x != tokStr[i] {
			changed := tokStr[:i] + string([]byte{x}) + tokStr[i+1:]
			if _, err := VerifyToken(secret, parent, testEmbed, changed); err == nil {
				t.Fatalf("putting %q at %d still verifies", x, i)
			}
		}

		// Any other parent origin refuses it.
		if _, err := VerifyToken(secret, parent+string([]byte{x}), testEmbed, tokStr); err != ErrTokenForged {
			t.Fatalf("other parent origin: %v", err)
		}
	})
}

// TestSessionKey checks that both sides of a session derive the same key
// and that the key depends on the token and the origins.
func TestSessionKey(t *testing.T) {
	secret := testSecret()
	s, tok := mintTest(t)
	key := SessionKey(secret, tok, testParent, testEmbed)
	if len(key) != SecretSize {
		t.Fatalf("SessionKey: %d bytes, want %d", len(key), SecretSize)
	}
	// Both sides redeem the same token string and get the same key.
	redeemed, err := VerifyToken(secret, testParent, testEmbed, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(SessionKey(secret, redeemed, testParent, testEmbed), key) {
		t.Error("SessionKey differs between minting and redeeming")
	}
	_, other := mintTest(t)
	if bytes.Equal(SessionKey(secret, other, testParent, testEmbed), key) {
		t.Error("two tokens give the same session key")
	}
	if bytes.Equal(SessionKey(secret, tok, testEmbed, testParent), key) {
		t.Error("swapped origins give the same session key")
	}
	if bytes.Equal(key, secret) {
		t.Error("session key equals the deployment secret")
	}
}

// TestTokenAllocations keeps VerifyToken allocation-free and MintToken to
// the one allocation of its result.
func TestTokenAllocations(t *testing.T) {
	secret := testSecret()
	tok, _ := mintTest(t)
	if n := testing.AllocsPerRun(100, func() { _, _ = VerifyToken(secret, testParent, testEmbed, tok) }); n != 0 {
		t.Errorf("VerifyToken allocates %v times, want 0", n)
	}
	r := bytes.NewReader(nil)
	random := make([]byte, 16)
	if n := testing.AllocsPerRun(100, func() {
		r.Reset(random)
		_, _, _ = MintToken(secret, testParent, testEmbed, fixedTime, r)
	}); n != 1 {
		t.Errorf("MintToken allocates %v times, want 1 (the string)", n)
	}
}

// checkTokenReference checks MintToken and SessionKey against the
// reference implementation for one case of TestReferenceAgreesRandomly.
func checkTokenReference(t *testing.T, i int, secret []byte, parent, embed string, random []byte, ms int64) {
	t.Helper()
	s, tok, err := MintToken(secret, parent, embed, time.UnixMilli(ms), bytes.NewReader(random))
	if err != nil {
		t.Fatalf("case %d: MintToken: %v", i, err)
	}
	if want := refToken(secret, parent, embed, random, ms); s != want {
		t.Fatalf("case %d: MintToken: got %s, want %s", i, s, want)
	}
	if got, want := SessionKey(secret, tok, parent, embed), refSessionKey(secret, random, parent, embed); !bytes.Equal(got, want) {
		t.Fatalf("case %d: SessionKey: got %x, want %x", i, got, want)
	}
}

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

// TestMintTokenForMatchesMintToken checks that a token minted with a held
// deployment id is the token MintToken makes from the same inputs.
func TestMintTokenForMatchesMintToken(t *testing.T) {
	secret := testSecret()
	now := time.UnixMilli(1700000000123)
	rnd := bytes.Repeat([]byte{0x42}, 16)
	a, ta, err := MintToken(secret, testParent, testEmbed, now, bytes.NewReader(rnd))
	if err != nil {
		t.Fatal(err)
	}
	b, tb, err := MintTokenFor(secret, NewDeploymentID(testParent, testEmbed), testParent, testEmbed, now, bytes.NewReader(rnd))
	if err != nil || a != b || ta != tb {
		t.Fatalf("MintTokenFor differs: %q %v, %q %v", a, ta, b, err)
	}
	if _, err := VerifyToken(secret, testParent, testEmbed, b); err != nil {
		t.Fatal(err)
	}
}
