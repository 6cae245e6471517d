package bridgekey

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"
)

// This file is a second, deliberately naive implementation of every
// construction, written straight from the specification in the doc comments
// with crypto/hmac, encoding/binary and an HKDF spelled out over crypto/hmac
// (RFC 5869). The vector test checks the package and this reference against
// the same file, so a mistake would have to be made twice, the same way.

func refLP(buf *bytes.Buffer, s []byte) {
	_ = binary.Write(buf, binary.BigEndian, uint32(len(s)))
	buf.Write(s)
}

func refHMAC(key []byte, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// refHKDF is HKDF-SHA256 with a 32-byte output, which is a single block of
// the expand step.
func refHKDF(secret, salt []byte, info string) []byte {
	if salt == nil {
		salt = make([]byte, sha256.Size)
	}
	prk := refHMAC(salt, secret)
	return refHMAC(prk, []byte(info), []byte{1})
}

func refDeploymentSecret(root []byte, parent, embed string) []byte {
	return refHKDF(root, []byte("caddy-bridge/v1 deployment"), parent+"\n"+embed)
}

func refDeploymentID(parent, embed string) []byte {
	var buf bytes.Buffer
	buf.WriteString("caddy-bridge/v1 deployment-id\x00")
	refLP(&buf, []byte(parent))
	refLP(&buf, []byte(embed))
	sum := sha256.Sum256(buf.Bytes())
	return sum[:8]
}

func refTagInput(parent, embed string, head []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("caddy-bridge/v1 token\x00")
	refLP(&buf, []byte(parent))
	refLP(&buf, []byte(embed))
	buf.Write(head)
	return buf.Bytes()
}

// refTokenBytes builds a token from its parts; id is taken as given, so a
// test can build a token whose id does not match its origins.
func refTokenBytes(secret []byte, parent, embed string, id, random []byte, ms int64) []byte {
	var head bytes.Buffer
	head.WriteByte(1)
	head.Write(id)
	head.Write(random)
	_ = binary.Write(&head, binary.BigEndian, uint64(ms))
	tag := refHMAC(secret, refTagInput(parent, embed, head.Bytes()))
	return append(head.Bytes(), tag[:16]...)
}

func refToken(secret []byte, parent, embed string, random []byte, ms int64) string {
	raw := refTokenBytes(secret, parent, embed, refDeploymentID(parent, embed), random, ms)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func refSessionInfo(parent, embed string) []byte {
	var buf bytes.Buffer
	buf.WriteString("caddy-bridge/v1 session\x00")
	refLP(&buf, []byte(parent))
	refLP(&buf, []byte(embed))
	return buf.Bytes()
}

func refSessionKey(secret, random []byte, parent, embed string) []byte {
	return refHKDF(secret, random, string(refSessionInfo(parent, embed)))
}

func refKeyID(key []byte) string {
	return base64.RawURLEncoding.EncodeToString(refHMAC(key, []byte("caddy-bridge/v1 key-id"))[:9])
}

func refRotateKey(key []byte, kid string) []byte {
	return refHKDF(key, nil, "rotate"+kid)
}

func refMACEncoding(m *MACInput) []byte {
	var buf bytes.Buffer
	buf.WriteString("caddy-bridge/v2 mac\x00")
	for _, f := range [][]byte{
		[]byte(m.Protocol),
		[]byte(strconv.Itoa(m.Version)),
		[]byte(m.SessionID),
		[]byte(m.Direction),
		[]byte(m.Type),
		[]byte(m.Name),
		[]byte(m.RequestID),
		[]byte(m.KID),
		[]byte(strconv.FormatUint(m.Seq, 10)),
		[]byte(strconv.FormatInt(m.TS, 10)),
		m.Body,
	} {
		refLP(&buf, f)
	}
	return buf.Bytes()
}

func refMAC(key []byte, m *MACInput) []byte {
	return refHMAC(key, refMACEncoding(m))
}

// refDecodeMAC parses an encoding back into a MACInput. That it exists, and
// gets every input back, is what makes the encoding injective.
func refDecodeMAC(enc []byte) (MACInput, bool) {
	const domain = "caddy-bridge/v2 mac\x00"
	if !bytes.HasPrefix(enc, []byte(domain)) {
		return MACInput{}, false
	}
	enc = enc[len(domain):]
	var fields [][]byte
	for len(enc) > 0 {
		if len(enc) < 4 {
			return MACInput{}, false
		}
		n := binary.BigEndian.Uint32(enc)
		enc = enc[4:]
		if uint64(len(enc)) < uint64(n) {
			return MACInput{}, false
		}
		fields = append(fields, enc[:n])
		enc = enc[n:]
	}
	if len(fields) != 11 {
		return MACInput{}, false
	}
	version, err1 := strconv.Atoi(string(fields[1]))
	seq, err2 := strconv.ParseUint(string(fields[8]), 10, 64)
	ts, err3 := strconv.ParseInt(string(fields[9]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return MACInput{}, false
	}
	return MACInput{
		Protocol:  string(fields[0]),
		Version:   version,
		SessionID: string(fields[2]),
		Direction: string(fields[3]),
		Type:      string(fields[4]),
		Name:      string(fields[5]),
		RequestID: string(fields[6]),
		KID:       string(fields[7]),
		Seq:       seq,
		TS:        ts,
		Body:      fields[10],
	}, true
}

func TestHMACMatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	keyLens := []int{0, 1, 16, 31, 32, 33, 63, 64, 65, 100, 128, 200}
	msgLens := []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 5000}
	for _, kl := range keyLens {
		for _, ml := range msgLens {
			for _, tl := range []int{0, 1, 64, 3000} {
				key, msg, tail := randBytes(kl), randBytes(ml), randBytes(tl)
				buf := append(make([]byte, blockSize), msg...)
				got := hmacSHA256(key, buf, tail)
				want := refHMAC(key, msg, tail)
				if !bytes.Equal(got[:], want) {
					t.Errorf("key %d, message %d, tail %d bytes: got %x, want %x", kl, ml, tl, got, want)
				}
			}
		}
	}
}

func TestReferenceAgreesRandomly(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	str := func() string {
		b := make([]byte, r.IntN(80))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return string(b)
	}
	for i := range 500 {
		secret := []byte(str() + "0123456789abcdef")
		parent, embed := str(), str()
		random := []byte(str() + "0123456789abcdef")[:16]
		ms := r.Int64() >> r.IntN(64)
		if r.IntN(2) == 0 {
			ms = -ms
		}

		if got, want := DeploymentSecret(secret, parent, embed), refDeploymentSecret(secret, parent, embed); !bytes.Equal(got, want) {
			t.Fatalf("case %d: DeploymentSecret: got %x, want %x", i, got, want)
		}
		if got, want := NewDeploymentID(parent, embed), refDeploymentID(parent, embed); !bytes.Equal(got[:], want) {
			t.Fatalf("case %d: NewDeploymentID: got %x, want %x", i, got, want)
		}
		checkTokenReference(t, i, secret, parent, embed, random, ms)
		if got, want := KeyID(secret), refKeyID(secret); got != want {
			t.Fatalf("case %d: KeyID: got %s, want %s", i, got, want)
		}
		kid := str()
		if got, want := RotateKey(secret, kid), refRotateKey(secret, kid); !bytes.Equal(got, want) {
			t.Fatalf("case %d: RotateKey: got %x, want %x", i, got, want)
		}
		m := MACInput{
			Protocol: str(), Version: int(r.Int64()), SessionID: str(), Direction: str(),
			Type: str(), Name: str(), RequestID: str(), KID: kid,
			Seq: r.Uint64(), TS: r.Int64() - r.Int64(), Body: []byte(str() + str() + str()),
		}
		if r.IntN(4) == 0 {
			m.Body = bytes.Repeat(m.Body, 40) // beyond the stack buffer
		}
		if got, want := AppendMACMessage(nil, &m), refMACEncoding(&m); !bytes.Equal(got, want) {
			t.Fatalf("case %d: AppendMACMessage: got %x, want %x", i, got, want)
		}
		if got, want := MAC(secret, &m), refMAC(secret, &m); !bytes.Equal(got, want) {
			t.Fatalf("case %d: MAC: got %x, want %x", i, got, want)
		}
	}
}
