//go:build !(js && wasm)

package bridgekey

// Test vectors: testdata/vectors.json
//
// The file lets any other implementation of this package (the browser side
// in JavaScript with WebCrypto, a partner's server) check itself. It is one
// JSON object; each member is a list of cases with inputs and the expected
// outputs. Conventions:
//
//   - Byte strings are lowercase hex; strings (origins, kid, MAC fields and
//     the MAC body) are JSON strings whose UTF-8 bytes are meant, so an
//     implementation that measures JavaScript string lengths instead of
//     UTF-8 byte lengths fails the non-ASCII cases.
//   - Tokens, key ids and MAC strings are unpadded base64url, as on the wire.
//   - issuedAtMs is unix milliseconds as a JSON number; seq and ts of MAC
//     inputs are decimal strings, because they may exceed 2^53 (read them
//     with BigInt).
//   - Intermediate values (tagInput, tokenBytes, info, encoding) are given
//     as hex for debugging; checking the final outputs is enough.
//
// Members:
//
//   - deploymentSecret: {root, parentOrigin, embedOrigin} -> secret
//     (HKDF-SHA256, salt "caddy-bridge/v1 deployment", info parent "\n" embed).
//   - deploymentId: {parentOrigin, embedOrigin} -> id (8 bytes).
//   - token: {deploymentSecret, parentOrigin, embedOrigin, random,
//     issuedAtMs} -> tagInput, tokenBytes, token. Minting with random as the
//     random bytes must give token; verifying token must succeed and give
//     back random and issuedAtMs.
//   - sessionKey: {deploymentSecret, parentOrigin, embedOrigin, token} ->
//     info, sessionKey.
//   - keyId: {key} -> keyId.
//   - rotateKey: {key, kid} -> rotated.
//   - mac: {key, input} -> encoding, mac (hex), macString (base64url).
//   - invalidToken: {deploymentSecret, parentOrigin, embedOrigin, token,
//     why} -> error, "malformed" or "forged": the error VerifyToken must
//     give (a malformed token is refused before any key is used).
//
// testdata/check_webcrypto.mjs recomputes every positive vector with
// WebCrypto alone (node bridgekey/testdata/check_webcrypto.mjs); it is an
// independent check of this package and a model for the JavaScript side.
//
// Regenerate after a deliberate format change, which must also bump the
// version strings, with:
//
//	go test ./bridgekey -run TestVectors -update

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the code")

const vectorsFile = "testdata/vectors.json"

type vectors struct {
	Comment          string                   `json:"comment"`
	DeploymentSecret []deploymentSecretVector `json:"deploymentSecret"`
	DeploymentID     []deploymentIDVector     `json:"deploymentId"`
	Token            []tokenVector            `json:"token"`
	SessionKey       []sessionKeyVector       `json:"sessionKey"`
	KeyID            []keyIDVector            `json:"keyId"`
	RotateKey        []rotateKeyVector        `json:"rotateKey"`
	MAC              []macVector              `json:"mac"`
	InvalidToken     []invalidTokenVector     `json:"invalidToken"`
}

type deploymentSecretVector struct {
	Root         string `json:"root"`
	ParentOrigin string `json:"parentOrigin"`
	EmbedOrigin  string `json:"embedOrigin"`
	Secret       string `json:"secret"`
}

type deploymentIDVector struct {
	ParentOrigin string `json:"parentOrigin"`
	EmbedOrigin  string `json:"embedOrigin"`
	ID           string `json:"id"`
}

type tokenVector struct {
	DeploymentSecret string `json:"deploymentSecret"`
	ParentOrigin     string `json:"parentOrigin"`
	EmbedOrigin      string `json:"embedOrigin"`
	Random           string `json:"random"`
	IssuedAtMs       int64  `json:"issuedAtMs"`
	TagInput         string `json:"tagInput"`
	TokenBytes       string `json:"tokenBytes"`
	Token            string `json:"token"`
}

type sessionKeyVector struct {
	DeploymentSecret string `json:"deploymentSecret"`
	ParentOrigin     string `json:"parentOrigin"`
	EmbedOrigin      string `json:"embedOrigin"`
	Token            string `json:"token"`
	Info             string `json:"info"`
	SessionKey       string `json:"sessionKey"`
}

type keyIDVector struct {
	Key   string `json:"key"`
	KeyID string `json:"keyId"`
}

type rotateKeyVector struct {
	Key     string `json:"key"`
	KID     string `json:"kid"`
	Rotated string `json:"rotated"`
}

type macInputJSON struct {
	Protocol  string `json:"protocol"`
	Version   int    `json:"version"`
	SessionID string `json:"sessionId"`
	Direction string `json:"direction"`
	Type      string `json:"type"`
	Name      string `json:"name"`
	RequestID string `json:"requestId"`
	KID       string `json:"kid"`
	Seq       string `json:"seq"`
	TS        string `json:"ts"`
	Body      string `json:"body"`
}

type macVector struct {
	Key       string       `json:"key"`
	Input     macInputJSON `json:"input"`
	Encoding  string       `json:"encoding"`
	MAC       string       `json:"mac"`
	MACString string       `json:"macString"`
}

type invalidTokenVector struct {
	DeploymentSecret string `json:"deploymentSecret"`
	ParentOrigin     string `json:"parentOrigin"`
	EmbedOrigin      string `json:"embedOrigin"`
	Token            string `json:"token"`
	Why              string `json:"why"`
	Error            string `json:"error"`
}

// vectorOrigins are the deployments the vectors use: everyday origins,
// local development, non-ASCII bytes (which no serialized origin has, but
// which catch UTF-16 length mistakes), and the two empty strings.
var vectorOrigins = [][2]string{
	{"https://app.example.com", "https://widget.example.net"},
	{"https://widget.example.net", "https://app.example.com"},
	{"http://localhost:8080", "http://127.0.0.1:9000"},
	{"https://xn--bcher-kva.example", "https://[::1]:8443"},
	{"https://bücher.example", "https://例え.テスト"},
	{"", ""},
}

func vectorRoot(seed byte) []byte {
	root := make([]byte, SecretSize)
	for i := range root {
		root[i] = seed + byte(i)
	}
	return root
}

func vectorRandom(seed byte) []byte {
	r := make([]byte, 16)
	for i := range r {
		r[i] = seed ^ byte(i*17)
	}
	return r
}

func vectorMACInputs(sessionID string) []MACInput {
	return []MACInput{
		{
			Protocol: "iframe-bridge", Version: 2, SessionID: sessionID, Direction: ParentToChild,
			Type: "bridge:request", Name: "getUser", RequestID: "req-1", KID: "AAAAAAAAAAAA",
			Seq: 1, TS: 1700000000123, Body: []byte(`{"id":42}`),
		},
		{
			Protocol: "iframe-bridge", Version: 2, SessionID: sessionID, Direction: ChildToParent,
			Type: "bridge:response", RequestID: "req-1", KID: "AAAAAAAAAAAA",
			Seq: 1, TS: 1700000000456, Body: []byte(`{"name":"Zoë 😀","tags":["a","b"]}`),
		},
		{
			Protocol: "iframe-bridge", Version: 2, SessionID: sessionID, Direction: ChildToParent,
			Type: "bridge:event", Name: "größe·変更", KID: "AAAAAAAAAAAA",
			Seq: 18446744073709551615, TS: -1, Body: []byte(""),
		},
		{
			Protocol: "iframe-bridge", Version: 2, SessionID: sessionID, Direction: ParentToChild,
			Type: "bridge:connected", KID: "AAAAAAAAAAAA",
			Seq: 0, TS: 0, Body: []byte("{}"),
		},
		{}, // every field empty or zero
	}
}

// buildVectors computes every vector from the package's code.
func buildVectors(t *testing.T) vectors {
	t.Helper()
	v := vectors{Comment: "caddy-bridge bridgekey test vectors; the format is described at the top of bridgekey/vectors_test.go"}
	for _, o := range vectorOrigins {
		root := vectorRoot(0)
		v.DeploymentSecret = append(v.DeploymentSecret, deploymentSecretVector{
			Root: hex.EncodeToString(root), ParentOrigin: o[0], EmbedOrigin: o[1],
			Secret: hex.EncodeToString(DeploymentSecret(root, o[0], o[1])),
		})
		id := NewDeploymentID(o[0], o[1])
		v.DeploymentID = append(v.DeploymentID, deploymentIDVector{ParentOrigin: o[0], EmbedOrigin: o[1], ID: hex.EncodeToString(id[:])})
	}
	other := vectorRoot(0xe0)
	v.DeploymentSecret = append(v.DeploymentSecret, deploymentSecretVector{
		Root: hex.EncodeToString(other), ParentOrigin: vectorOrigins[0][0], EmbedOrigin: vectorOrigins[0][1],
		Secret: hex.EncodeToString(DeploymentSecret(other, vectorOrigins[0][0], vectorOrigins[0][1])),
	})
	for _, o := range [][2]string{{"a", ""}, {"", "a"}, {"a\n", ""}, {"", "\na"}} {
		id := NewDeploymentID(o[0], o[1])
		v.DeploymentID = append(v.DeploymentID, deploymentIDVector{ParentOrigin: o[0], EmbedOrigin: o[1], ID: hex.EncodeToString(id[:])})
	}

	issued := []int64{1700000000123, 0, 1<<53 - 1, 1767225599999}
	var first string
	var firstSecret []byte
	for i, o := range vectorOrigins {
		secret := DeploymentSecret(vectorRoot(0), o[0], o[1])
		random := vectorRandom(byte(i * 40))
		ms := issued[i%len(issued)]
		s, tok, err := MintToken(secret, o[0], o[1], time.UnixMilli(ms), bytes.NewReader(random))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := b64.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, firstSecret = s, secret
		}
		v.Token = append(v.Token, tokenVector{
			DeploymentSecret: hex.EncodeToString(secret), ParentOrigin: o[0], EmbedOrigin: o[1],
			Random: hex.EncodeToString(random), IssuedAtMs: ms,
			TagInput:   hex.EncodeToString(refTagInput(o[0], o[1], raw[:tokenTagOff])),
			TokenBytes: hex.EncodeToString(raw), Token: s,
		})
		v.SessionKey = append(v.SessionKey, sessionKeyVector{
			DeploymentSecret: hex.EncodeToString(secret), ParentOrigin: o[0], EmbedOrigin: o[1], Token: s,
			Info:       hex.EncodeToString(refSessionInfo(o[0], o[1])),
			SessionKey: hex.EncodeToString(SessionKey(secret, tok, o[0], o[1])),
		})
	}

	sessionKey := mustHex(t, v.SessionKey[0].SessionKey)
	long := bytes.Repeat([]byte{0xa5}, 100) // longer than a SHA-256 block: HMAC hashes it first
	for _, key := range [][]byte{make([]byte, SecretSize), sessionKey, vectorRoot(7)[:16], long} {
		v.KeyID = append(v.KeyID, keyIDVector{Key: hex.EncodeToString(key), KeyID: KeyID(key)})
	}
	for _, c := range []struct {
		key []byte
		kid string
	}{
		{sessionKey, KeyID(sessionKey)},
		{sessionKey, ""},
		{RotateKey(sessionKey, KeyID(sessionKey)), "k2"},
		{make([]byte, SecretSize), "ключ"},
	} {
		v.RotateKey = append(v.RotateKey, rotateKeyVector{
			Key: hex.EncodeToString(c.key), KID: c.kid, Rotated: hex.EncodeToString(RotateKey(c.key, c.kid)),
		})
	}

	for _, m := range vectorMACInputs(first) {
		m.KID = KeyID(sessionKey)
		v.MAC = append(v.MAC, macVector{
			Key: hex.EncodeToString(sessionKey), Input: macInputToJSON(&m),
			Encoding:  hex.EncodeToString(AppendMACMessage(nil, &m)),
			MAC:       hex.EncodeToString(MAC(sessionKey, &m)),
			MACString: MACString(sessionKey, &m),
		})
	}

	v.InvalidToken = invalidTokens(first, firstSecret)
	return v
}

// invalidTokens derives refused tokens from a valid one of the first
// deployment.
func invalidTokens(valid string, secret []byte) []invalidTokenVector {
	p, e := vectorOrigins[0][0], vectorOrigins[0][1]
	raw, _ := b64.DecodeString(valid)
	enc := func(b []byte) string { return b64.EncodeToString(b) }
	with := func(i int, x byte) []byte {
		c := bytes.Clone(raw)
		c[i] ^= x
		return c
	}
	// The last character carries the last byte's two low bits and four
	// bits that must be zero; the next alphabet character sets one of them.
	nonCanonical := valid[:tokenLen-1] + string(b64Alphabet[strings.IndexByte(b64Alphabet, valid[tokenLen-1])+1])
	random, ms := raw[tokenRandomOff:tokenTimeOff], int64(getUint64(raw[tokenTimeOff:tokenTagOff]))
	otherID := refDeploymentID(vectorOrigins[2][0], vectorOrigins[2][1])
	otherSecret := DeploymentSecret(vectorRoot(200), p, e)
	sec := hex.EncodeToString(secret)
	vs := []invalidTokenVector{
		{Token: "", Why: "empty", Error: "malformed"},
		{Token: valid[:65], Why: "65 characters", Error: "malformed"},
		{Token: valid + "A", Why: "67 characters", Error: "malformed"},
		{Token: valid[:64] + "==", Why: "padding", Error: "malformed"},
		{Token: valid[:65] + "=", Why: "padding character", Error: "malformed"},
		{Token: "+" + valid[1:], Why: "standard-alphabet character", Error: "malformed"},
		{Token: valid[:10] + "/" + valid[11:], Why: "standard-alphabet character", Error: "malformed"},
		{Token: valid[:10] + "." + valid[11:], Why: "character outside base64", Error: "malformed"},
		{Token: valid[:10] + "\n" + valid[11:], Why: "newline", Error: "malformed"},
		{Token: nonCanonical, Why: "non-zero trailing bits", Error: "malformed"},
		{Token: enc(with(0, 0x01^0x02)), Why: "version 2", Error: "malformed"},
		{Token: enc(with(0, 0x01)), Why: "version 0", Error: "malformed"},
		{Token: enc(with(48, 0x80)), Why: "tag bit flipped", Error: "forged"},
		{Token: enc(with(20, 0x01)), Why: "random bit flipped", Error: "forged"},
		{Token: enc(with(32, 0x01)), Why: "time bit flipped", Error: "forged"},
		{Token: enc(with(1, 0x01)), Why: "deployment id bit flipped", Error: "forged"},
		{Token: enc(refTokenBytes(secret, p, e, otherID, random, ms)), Why: "valid tag over another deployment's id", Error: "forged"},
		{Token: enc(refTokenBytes(otherSecret, p, e, raw[tokenIDOff:tokenRandomOff], random, ms)), Why: "minted with another deployment secret", Error: "forged"},
		{Token: enc(refTokenBytes(secret, e, p, raw[tokenIDOff:tokenRandomOff], random, ms)), Why: "tag over swapped origins", Error: "forged"},
	}
	for i := range vs {
		vs[i].DeploymentSecret, vs[i].ParentOrigin, vs[i].EmbedOrigin = sec, p, e
	}
	vs = append(vs,
		invalidTokenVector{DeploymentSecret: sec, ParentOrigin: e, EmbedOrigin: p, Token: valid, Why: "verified with swapped origins", Error: "forged"},
		invalidTokenVector{DeploymentSecret: hex.EncodeToString(otherSecret), ParentOrigin: p, EmbedOrigin: e, Token: valid, Why: "verified with another deployment secret", Error: "forged"},
		invalidTokenVector{DeploymentSecret: sec, ParentOrigin: p + "/", EmbedOrigin: e, Token: valid, Why: "verified with another parent origin", Error: "forged"},
	)
	return vs
}

func macInputToJSON(m *MACInput) macInputJSON {
	return macInputJSON{
		Protocol: m.Protocol, Version: m.Version, SessionID: m.SessionID, Direction: m.Direction,
		Type: m.Type, Name: m.Name, RequestID: m.RequestID, KID: m.KID,
		Seq: strconv.FormatUint(m.Seq, 10), TS: strconv.FormatInt(m.TS, 10), Body: string(m.Body),
	}
}

func macInputFromJSON(t *testing.T, j macInputJSON) MACInput {
	t.Helper()
	seq, err := strconv.ParseUint(j.Seq, 10, 64)
	if err != nil {
		t.Fatalf("seq %q: %v", j.Seq, err)
	}
	ts, err := strconv.ParseInt(j.TS, 10, 64)
	if err != nil {
		t.Fatalf("ts %q: %v", j.TS, err)
	}
	return MACInput{
		Protocol: j.Protocol, Version: j.Version, SessionID: j.SessionID, Direction: j.Direction,
		Type: j.Type, Name: j.Name, RequestID: j.RequestID, KID: j.KID, Seq: seq, TS: ts, Body: []byte(j.Body),
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestVectors(t *testing.T) {
	if *update {
		data, err := json.MarshalIndent(buildVectors(t), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", vectorsFile)
	}

	data, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatalf("reading vectors (regenerate with -update): %v", err)
	}
	if !utf8.Valid(data) {
		t.Fatal("vectors file is not valid UTF-8")
	}
	var v vectors
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding vectors: %v", err)
	}
	if len(v.DeploymentSecret) == 0 || len(v.DeploymentID) == 0 || len(v.Token) == 0 || len(v.SessionKey) == 0 ||
		len(v.KeyID) == 0 || len(v.RotateKey) == 0 || len(v.MAC) == 0 || len(v.InvalidToken) == 0 {
		t.Fatal("a section of the vectors file is empty")
	}

	// check compares the code's and the reference implementation's
	// values with the file's.
	check := func(t *testing.T, what, got, ref, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: code gives %s, file has %s", what, got, want)
		}
		if ref != want {
			t.Errorf("%s: reference gives %s, file has %s", what, ref, want)
		}
	}
	h := hex.EncodeToString

	for i, c := range v.DeploymentSecret {
		root := mustHex(t, c.Root)
		check(t, "deploymentSecret "+strconv.Itoa(i),
			h(DeploymentSecret(root, c.ParentOrigin, c.EmbedOrigin)),
			h(refDeploymentSecret(root, c.ParentOrigin, c.EmbedOrigin)), c.Secret)
	}
	for i, c := range v.DeploymentID {
		id := NewDeploymentID(c.ParentOrigin, c.EmbedOrigin)
		check(t, "deploymentId "+strconv.Itoa(i), h(id[:]), h(refDeploymentID(c.ParentOrigin, c.EmbedOrigin)), c.ID)
	}
	for i, c := range v.Token {
		name := "token " + strconv.Itoa(i)
		secret, random := mustHex(t, c.DeploymentSecret), mustHex(t, c.Random)
		s, tok, err := MintToken(secret, c.ParentOrigin, c.EmbedOrigin, time.UnixMilli(c.IssuedAtMs), bytes.NewReader(random))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(t, name, s, refToken(secret, c.ParentOrigin, c.EmbedOrigin, random, c.IssuedAtMs), c.Token)
		raw := mustHex(t, c.TokenBytes)
		check(t, name+" bytes", h(raw), h(mustB64(t, c.Token)), c.TokenBytes)
		check(t, name+" tag input", h(refTagInput(c.ParentOrigin, c.EmbedOrigin, raw[:tokenTagOff])), h(refTagInput(c.ParentOrigin, c.EmbedOrigin, raw[:tokenTagOff])), c.TagInput)
		got, err := VerifyToken(secret, c.ParentOrigin, c.EmbedOrigin, c.Token)
		if err != nil {
			t.Errorf("%s: VerifyToken: %v", name, err)
		}
		if got != tok || !bytes.Equal(got.Random[:], random) || got.IssuedAt.UnixMilli() != c.IssuedAtMs ||
			got.Deployment != NewDeploymentID(c.ParentOrigin, c.EmbedOrigin) {
			t.Errorf("%s: VerifyToken gives %+v, MintToken gave %+v", name, got, tok)
		}
	}
	for i, c := range v.SessionKey {
		name := "sessionKey " + strconv.Itoa(i)
		secret := mustHex(t, c.DeploymentSecret)
		tok, err := VerifyToken(secret, c.ParentOrigin, c.EmbedOrigin, c.Token)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(t, name+" info", h(refSessionInfo(c.ParentOrigin, c.EmbedOrigin)), h(refSessionInfo(c.ParentOrigin, c.EmbedOrigin)), c.Info)
		check(t, name, h(SessionKey(secret, tok, c.ParentOrigin, c.EmbedOrigin)),
			h(refSessionKey(secret, tok.Random[:], c.ParentOrigin, c.EmbedOrigin)), c.SessionKey)
	}
	for i, c := range v.KeyID {
		key := mustHex(t, c.Key)
		check(t, "keyId "+strconv.Itoa(i), KeyID(key), refKeyID(key), c.KeyID)
	}
	for i, c := range v.RotateKey {
		key := mustHex(t, c.Key)
		check(t, "rotateKey "+strconv.Itoa(i), h(RotateKey(key, c.KID)), h(refRotateKey(key, c.KID)), c.Rotated)
	}
	for i, c := range v.MAC {
		name := "mac " + strconv.Itoa(i)
		key := mustHex(t, c.Key)
		m := macInputFromJSON(t, c.Input)
		check(t, name+" encoding", h(AppendMACMessage(nil, &m)), h(refMACEncoding(&m)), c.Encoding)
		check(t, name, h(MAC(key, &m)), h(refMAC(key, &m)), c.MAC)
		check(t, name+" string", MACString(key, &m), b64.EncodeToString(refMAC(key, &m)), c.MACString)
		if !VerifyMAC(key, &m, c.MACString) {
			t.Errorf("%s: VerifyMAC refuses the vector", name)
		}
	}
	for i, c := range v.InvalidToken {
		name := "invalidToken " + strconv.Itoa(i) + " (" + c.Why + ")"
		_, err := VerifyToken(mustHex(t, c.DeploymentSecret), c.ParentOrigin, c.EmbedOrigin, c.Token)
		want := map[string]error{"malformed": ErrTokenMalformed, "forged": ErrTokenForged}[c.Error]
		if want == nil {
			t.Fatalf("%s: unknown error %q", name, c.Error)
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", name, err, want)
		}
		_, perr := ParseToken(c.Token)
		if (c.Error == "malformed") != errors.Is(perr, ErrTokenMalformed) {
			t.Errorf("%s: ParseToken gives %v", name, perr)
		}
	}

	// The file must be exactly what the code generates: a vector that the
	// code no longer produces, or a new case, means -update was forgotten.
	want, err := json.MarshalIndent(buildVectors(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(want, '\n'), data) {
		t.Error("testdata/vectors.json differs from what the code generates; run go test -run TestVectors -update after a deliberate change")
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := b64.DecodeString(s)
	if err != nil {
		t.Fatalf("bad base64url %q: %v", s, err)
	}
	return b
}
