package bridgekey

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

var testKey = bytes.Repeat([]byte{0x5a}, SecretSize)

func testMACInput() MACInput {
	return MACInput{
		Protocol:  "iframe-bridge",
		Version:   2,
		SessionID: "AQ" + strings.Repeat("x", 64),
		Direction: ParentToChild,
		Type:      "bridge:request",
		Name:      "getUser",
		RequestID: "req-1",
		KID:       "abcdefghijkl",
		Seq:       7,
		TS:        1700000000123,
		Body:      []byte(`{"id":42}`),
	}
}

func TestAppendMACMessage(t *testing.T) {
	m := MACInput{Protocol: "p", Version: 2, SessionID: "s", Direction: "d", Type: "t", Name: "", RequestID: "r", KID: "k", Seq: 10, TS: -5, Body: []byte("{}")}
	want := "caddy-bridge/v2 mac\x00" +
		"\x00\x00\x00\x01p" + "\x00\x00\x00\x012" + "\x00\x00\x00\x01s" + "\x00\x00\x00\x01d" +
		"\x00\x00\x00\x01t" + "\x00\x00\x00\x00" + "\x00\x00\x00\x01r" + "\x00\x00\x00\x01k" +
		"\x00\x00\x00\x0210" + "\x00\x00\x00\x02-5" + "\x00\x00\x00\x02{}"
	if got := AppendMACMessage(nil, &m); string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", hex.Dump(got), hex.Dump([]byte(want)))
	}
	// It appends.
	if got := AppendMACMessage([]byte("prefix"), &m); string(got) != "prefix"+want {
		t.Errorf("AppendMACMessage does not append: %q", got)
	}
}

func TestMACRoundTrip(t *testing.T) {
	m := testMACInput()
	mac := MACString(testKey, &m)
	if len(mac) != 43 {
		t.Errorf("MACString length %d, want 43", len(mac))
	}
	if got := b64.EncodeToString(MAC(testKey, &m)); got != mac {
		t.Errorf("MAC and MACString disagree: %s, %s", got, mac)
	}
	if !VerifyMAC(testKey, &m, mac) {
		t.Error("VerifyMAC refuses a valid MAC")
	}
	big := m
	big.Body = bytes.Repeat([]byte("x"), 100_000)
	if !VerifyMAC(testKey, &big, MACString(testKey, &big)) || VerifyMAC(testKey, &big, mac) {
		t.Error("VerifyMAC fails on a large body")
	}
}

func TestVerifyMACRejects(t *testing.T) {
	m := testMACInput()
	mac := MACString(testKey, &m)
	last := strings.IndexByte(b64Alphabet, mac[42])
	for _, tc := range []struct {
		name string
		key  []byte
		mac  string
	}{
		{name: "empty", mac: ""},
		{name: "short", mac: mac[:42]},
		{name: "long", mac: mac + "A"},
		{name: "padded", mac: mac + "="},
		{name: "padding inside", mac: mac[:42] + "="},
		{name: "standard alphabet", mac: "+" + mac[1:]},
		{name: "standard alphabet", mac: "/" + mac[1:]},
		{name: "non-canonical trailing bits", mac: mac[:42] + string(b64Alphabet[last+1])},
		{name: "line feed", mac: mac[:20] + "\n" + mac[21:]},
		{name: "hex instead", mac: hex.EncodeToString(MAC(testKey, &m))},
		{name: "other key", key: bytes.Repeat([]byte{0x5b}, SecretSize), mac: mac},
		{name: "no key", key: []byte{}, mac: mac},
		{name: "changed character", mac: mac[:10] + string(b64Alphabet[(strings.IndexByte(b64Alphabet, mac[10])+1)%64]) + mac[11:]},
	} {
		key := tc.key
		if key == nil {
			key = testKey
		}
		if VerifyMAC(key, &m, tc.mac) {
			t.Errorf("%s: VerifyMAC accepts %q", tc.name, tc.mac)
		}
	}
}

// stringFields returns pointers to the string fields of m in encoding
// order (Body is handled apart).
func stringFields(m *MACInput) []*string {
	return []*string{&m.Protocol, &m.SessionID, &m.Direction, &m.Type, &m.Name, &m.RequestID, &m.KID}
}

// mutateMAC returns m with one byte of field f (0 to 10, encoding order)
// changed: x is XORed into the byte at pos, or appended if the field is
// empty; numeric fields get bit x flipped instead.
func mutateMAC(m MACInput, f, pos int, x byte) MACInput {
	if x == 0 {
		x = 1
	}
	change := func(b []byte) []byte {
		if len(b) == 0 {
			return []byte{x}
		}
		b = bytes.Clone(b)
		b[pos%len(b)] ^= x
		return b
	}
	switch f {
	case 0:
		m.Protocol = string(change([]byte(m.Protocol)))
	case 1:
		m.Version ^= 1 << (x % 63)
	case 2:
		m.SessionID = string(change([]byte(m.SessionID)))
	case 3:
		m.Direction = string(change([]byte(m.Direction)))
	case 4:
		m.Type = string(change([]byte(m.Type)))
	case 5:
		m.Name = string(change([]byte(m.Name)))
	case 6:
		m.RequestID = string(change([]byte(m.RequestID)))
	case 7:
		m.KID = string(change([]byte(m.KID)))
	case 8:
		m.Seq ^= 1 << (x % 64)
	case 9:
		m.TS ^= 1 << (x % 64)
	default:
		m.Body = change(m.Body)
	}
	return m
}

// shiftMAC moves n bytes from the end of string field a to the start of
// string field b (indexes into the fields that are strings, Body last).
func shiftMAC(m MACInput, a, b, n int) MACInput {
	m.Body = bytes.Clone(m.Body)
	get := func(m *MACInput, i int) []byte {
		if s := stringFields(m); i < len(s) {
			return []byte(*s[i])
		}
		return m.Body
	}
	set := func(m *MACInput, i int, v []byte) {
		if s := stringFields(m); i < len(s) {
			*s[i] = string(v)
			return
		}
		m.Body = v
	}
	from, to := get(&m, a), get(&m, b)
	n = min(n, len(from))
	moved := from[len(from)-n:]
	set(&m, b, append(bytes.Clone(moved), to...))
	set(&m, a, from[:len(from)-n])
	return m
}

func TestMACFieldBoundaries(t *testing.T) {
	base := testMACInput()
	enc := AppendMACMessage(nil, &base)
	mac := MACString(testKey, &base)
	nFields := len(stringFields(&base)) + 1
	for a := range nFields {
		for b := range nFields {
			for n := 1; n <= 3; n++ {
				m := shiftMAC(base, a, b, n)
				if macInputsEqual(&m, &base) {
					continue
				}
				if bytes.Equal(AppendMACMessage(nil, &m), enc) {
					t.Errorf("moving %d bytes from field %d to %d keeps the encoding", n, a, b)
				}
				if VerifyMAC(testKey, &m, mac) {
					t.Errorf("moving %d bytes from field %d to %d keeps the MAC valid", n, a, b)
				}
			}
		}
	}
	for f := range 11 {
		if m := mutateMAC(base, f, 0, 1); VerifyMAC(testKey, &m, mac) {
			t.Errorf("changing field %d keeps the MAC valid", f)
		}
	}
	// Directions are part of the MAC: a message cannot be reflected back.
	c2p := base
	c2p.Direction = ChildToParent
	if VerifyMAC(testKey, &c2p, mac) {
		t.Error("the MAC does not cover the direction")
	}
}

func TestMACAllocations(t *testing.T) {
	m := testMACInput()
	mac := MACString(testKey, &m)
	if n := testing.AllocsPerRun(100, func() { VerifyMAC(testKey, &m, mac) }); n != 0 {
		t.Errorf("VerifyMAC allocates %v times, want 0", n)
	}
	mk := NewMACKey(testKey)
	if n := testing.AllocsPerRun(100, func() { mk.VerifyMAC(&m, mac) }); n != 0 {
		t.Errorf("MACKey.VerifyMAC allocates %v times, want 0", n)
	}
}

// TestMACKey checks MACKey against crypto/hmac for keys shorter than,
// as long as and longer than a block, and bodies in the stack buffer and
// past it, and that a copy is independent and Erase spoils it.
func TestMACKey(t *testing.T) {
	m := testMACInput()
	big := m
	big.Body = bytes.Repeat([]byte("y"), 3000)
	long := m
	long.Name = strings.Repeat("n", 700) // the head alone is past the stack buffer
	for _, n := range []int{0, 1, 31, 32, 63, 64, 65, 100} {
		key := make([]byte, n)
		for i := range key {
			key[i] = byte(i*7 + n)
		}
		mk := NewMACKey(key)
		cp := mk
		for _, in := range []*MACInput{&m, &big, &long, {}} {
			want := refMAC(key, in)
			for _, k := range []*MACKey{&mk, &cp} {
				mac := k.MACString(in)
				got, ok := decodeMAC(in, mac)
				if !ok || !bytes.Equal(got[:], want) {
					t.Fatalf("key of %d bytes, body of %d: MACKey gives %s, crypto/hmac %x", n, len(in.Body), mac, want)
				}
				if !k.VerifyMAC(in, mac) || mac != MACString(key, in) {
					t.Fatalf("key of %d bytes: MACKey disagrees with MACString or itself", n)
				}
			}
		}
		mac := mk.MACString(&m)
		cp.Erase()
		if cp.VerifyMAC(&m, mac) || !mk.VerifyMAC(&m, mac) {
			t.Fatalf("key of %d bytes: Erase of a copy: the copy verifies %v, the original %v", n, cp.VerifyMAC(&m, mac), mk.VerifyMAC(&m, mac))
		}
	}
}

// FuzzMAC checks that the MAC encoding is injective (it decodes back to its
// input), that changing any byte of any field, or moving bytes from one
// field to another, changes the encoding and fails VerifyMAC, and that
// VerifyMAC never panics and accepts only the canonical MAC string.
func FuzzMAC(f *testing.F) {
	m := testMACInput()
	f.Add(m.Protocol, m.Version, m.SessionID, m.Direction, m.Type, m.Name, m.RequestID, m.KID, m.Seq, m.TS, m.Body,
		uint8(0), uint16(0), byte(1), uint8(1), uint8(2), uint8(1), "")
	f.Add("", 0, "", "", "", "", "", "", uint64(0), int64(0), []byte(nil),
		uint8(10), uint16(5), byte(0), uint8(0), uint8(7), uint8(3), MACString(testKey, &MACInput{}))
	f.Add("a", -1, "b\x00", "\x00", "c", "d", "e", "f", ^uint64(0), int64(-1<<63), bytes.Repeat([]byte{0xff}, 2000),
		uint8(9), uint16(1999), byte(0x80), uint8(7), uint8(0), uint8(255), "=")
	f.Fuzz(func(t *testing.T, protocol string, version int, sessionID, direction, typ, name, requestID, kid string,
		seq uint64, ts int64, body []byte, field uint8, pos uint16, x byte, from, to, n uint8, macStr string) {
		a := MACInput{
			Protocol: protocol, Version: version, SessionID: sessionID, Direction: direction, Type: typ,
			Name: name, RequestID: requestID, KID: kid, Seq: seq, TS: ts, Body: body,
		}
		enc := AppendMACMessage(nil, &a)
		if want := refMACEncoding(&a); !bytes.Equal(enc, want) {
			t.Fatalf("encoding %x, reference %x", enc, want)
		}
		back, ok := refDecodeMAC(enc)
		if !ok || !macInputsEqual(&back, &a) {
			t.Fatalf("encoding does not decode back: %+v, want %+v", back, a)
		}
		mac := MACString(testKey, &a)
		if !VerifyMAC(testKey, &a, mac) {
			t.Fatal("VerifyMAC refuses its own MAC")
		}
		if !bytes.Equal(MAC(testKey, &a), refMAC(testKey, &a)) {
			t.Fatal("MAC differs from the reference")
		}

		mk := NewMACKey(testKey)
		if got := mk.MACString(&a); got != mac || !mk.VerifyMAC(&a, mac) {
			t.Fatalf("MACKey gives %s, MACString %s", got, mac)
		}

		// Arbitrary MAC strings: only the canonical one verifies.
		if VerifyMAC(testKey, &a, macStr) && macStr != mac {
			t.Fatalf("VerifyMAC accepts %q besides %q", macStr, mac)
		}
		if mk.VerifyMAC(&a, macStr) != (macStr == mac) {
			t.Fatalf("MACKey.VerifyMAC(%q) = %v, its MAC is %q", macStr, !(macStr == mac), mac)
		}

		// One changed byte.
		b := mutateMAC(a, int(field%11), int(pos), x)
		checkDifferent(t, &a, &b, enc, mac)

		// Bytes moved between fields.
		nf := len(stringFields(&a)) + 1
		c := shiftMAC(a, int(from)%nf, int(to)%nf, int(n%8)+1)
		if !macInputsEqual(&a, &c) {
			checkDifferent(t, &a, &c, enc, mac)
		}
	})
}

// checkDifferent fails unless b, which differs from a, encodes differently
// and fails verification with a's MAC.
func checkDifferent(t *testing.T, a, b *MACInput, encA []byte, macA string) {
	t.Helper()
	if macInputsEqual(a, b) {
		t.Fatalf("mutation did not change the input: %+v", a)
	}
	if bytes.Equal(AppendMACMessage(nil, b), encA) {
		t.Fatalf("different inputs encode alike:\n%+v\n%+v", a, b)
	}
	if VerifyMAC(testKey, b, macA) {
		t.Fatalf("changed input still verifies:\n%+v\n%+v", a, b)
	}
}

func macInputsEqual(a, b *MACInput) bool {
	return a.Protocol == b.Protocol && a.Version == b.Version && a.SessionID == b.SessionID &&
		a.Direction == b.Direction && a.Type == b.Type && a.Name == b.Name && a.RequestID == b.RequestID &&
		a.KID == b.KID && a.Seq == b.Seq && a.TS == b.TS && bytes.Equal(a.Body, b.Body)
}
