package sha256lite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"strconv"
	"testing"
)

var _ hash.Hash = (*Digest)(nil)

// TestVectors checks the examples of FIPS 180-4 (NIST's "SHA256.pdf"
// example values) and a few more known answers.
func TestVectors(t *testing.T) {
	million := bytes.Repeat([]byte("a"), 1000000)
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{[]byte("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{[]byte("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{million, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	} {
		got := Sum256(tc.in)
		if hex.EncodeToString(got[:]) != tc.want {
			t.Errorf("Sum256(%d bytes) = %x, want %s", len(tc.in), got, tc.want)
		}
	}
}

// lengths returns the input lengths to test: 0 to 300, and either side of
// the padding and block boundaries of the first few blocks.
func lengths() []int {
	var ns []int
	for n := 0; n <= 300; n++ {
		ns = append(ns, n)
	}
	for blocks := 2; blocks <= 20; blocks++ {
		for _, d := range []int{-10, -9, -8, -1, 0, 1} {
			ns = append(ns, blocks*BlockSize+d)
		}
	}
	return append(ns, 1000, 4095, 4096, 4097, 65536+55)
}

// TestSum256MatchesStdlib checks Sum256, and the incremental form fed in
// one piece, against crypto/sha256 over every length from lengths, with
// random data and with all-0xff data (which sets every length bit a
// carry could reach).
func TestSum256MatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range lengths() {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		ff := bytes.Repeat([]byte{0xff}, n)
		for _, in := range [][]byte{data, ff} {
			want := sha256.Sum256(in)
			if got := Sum256(in); got != want {
				t.Fatalf("n=%d: Sum256 = %x, want %x", n, got, want)
			}
			d := New()
			d.Write(in)
			if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("n=%d: Digest.Sum = %x, want %x", n, got, want)
			}
		}
	}
}

// TestDigestSplits feeds inputs to the incremental form in random pieces,
// checks Sum mid-stream (which must not disturb the state) and Reset.
func TestDigestSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var d Digest
	for _, n := range lengths() {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		for range 4 {
			d.Reset()
			ref := sha256.New()
			rest := data
			for len(rest) > 0 {
				c := r.IntN(min(len(rest), 2*BlockSize+3) + 1)
				if w, err := d.Write(rest[:c]); w != c || err != nil {
					t.Fatalf("Write(%d bytes) = %d, %v", c, w, err)
				}
				ref.Write(rest[:c])
				rest = rest[c:]
				if r.IntN(4) == 0 {
					if got, want := d.Sum([]byte("prefix")), ref.Sum([]byte("prefix")); !bytes.Equal(got, want) {
						t.Fatalf("n=%d: mid-stream Sum = %x, want %x", n, got, want)
					}
				}
			}
			if got, want := d.Sum(nil), ref.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("n=%d: Sum = %x, want %x", n, got, want)
			}
		}
	}
	if d.Size() != sha256.Size || d.BlockSize() != sha256.BlockSize {
		t.Errorf("Size, BlockSize = %d, %d, want %d, %d", d.Size(), d.BlockSize(), sha256.Size, sha256.BlockSize)
	}
}

// TestSum256NoAllocs keeps Sum256 allocation-free, as bridgekey's HMAC
// expects.
func TestSum256NoAllocs(t *testing.T) {
	data := make([]byte, 300)
	if n := testing.AllocsPerRun(100, func() { _ = Sum256(data) }); n != 0 {
		t.Errorf("Sum256 allocates %v times", n)
	}
}

// FuzzSum256 checks Sum256, and the incremental form with the input split
// at split, against crypto/sha256.
func FuzzSum256(f *testing.F) {
	for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 300} {
		f.Add(bytes.Repeat([]byte{byte(n)}, n), uint16(n/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		want := sha256.Sum256(data)
		if got := Sum256(data); got != want {
			t.Fatalf("Sum256 = %x, want %x", got, want)
		}
		s := int(split) % (len(data) + 1)
		d := New()
		d.Write(data[:s])
		d.Write(data[s:])
		if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Fatalf("split at %d: Sum = %x, want %x", s, got, want)
		}
	})
}

// BenchmarkSum256 sets Sum256 beside crypto/sha256.Sum256 at the sizes
// bridgekey hashes (an HMAC pad plus a message head, a 1 KiB body) and in
// bulk.
func BenchmarkSum256(b *testing.B) {
	for _, n := range []int{64, 128, 1024, 16384} {
		data := make([]byte, n)
		b.Run("sha256lite/"+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				_ = Sum256(data)
			}
		})
		b.Run("crypto_sha256/"+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				_ = sha256.Sum256(data)
			}
		})
	}
}
