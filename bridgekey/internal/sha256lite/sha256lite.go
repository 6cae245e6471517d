// Package sha256lite is a small, portable SHA-256 (FIPS 180-4) for the
// WebAssembly runtime.
//
// crypto/sha256 is a thin wrapper over Go's FIPS 140 module: importing it
// links the module's self-tests and, through them, AES-GCM, the DRBG,
// SHA-3, SHA-512, crypto/internal/sysrand, os and time into the binary.
// In the js/wasm runtime that costs about 190 KB brotli (measured with
// `go generate ./assets`), more than the whole budget above the syscall/js
// floor. This package is the hash alone: no assembly, no self-tests, no
// dependencies beyond math/bits.
//
// Only bridgekey's js/wasm build uses it; the server keeps crypto/sha256,
// which is assembly-backed (SHA-NI) and several times faster. The tests
// check every result against crypto/sha256 (lengths 0 to 300, every
// padding boundary, random splits for the incremental form, and a fuzz
// target), and BenchmarkSum256 sets the two side by side.
package sha256lite

import "math/bits"

// Size is the size in bytes of a SHA-256 checksum.
const Size = 32

// BlockSize is SHA-256's block size in bytes.
const BlockSize = 64

// iv is the initial hash value H(0) (FIPS 180-4 §5.3.3).
var iv = [8]uint32{
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
}

// k holds the round constants K(0) to K(63) (FIPS 180-4 §4.2.2).
var k = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

// Digest is an incremental SHA-256 computation. Its zero value is not
// ready for use: call Reset first, or use New. A Digest is a value without
// pointers, so one declared in a function stays on the stack.
type Digest struct {
	h   [8]uint32
	x   [BlockSize]byte // pending input, x[:nx]
	nx  int
	len uint64 // bytes written so far
}

// New returns a Digest ready for input.
func New() *Digest {
	d := new(Digest)
	d.Reset()
	return d
}

// Reset discards any input and readies d for a new computation.
func (d *Digest) Reset() {
	d.h = iv
	d.nx = 0
	d.len = 0
}

// Size returns Size.
func (d *Digest) Size() int { return Size }

// BlockSize returns BlockSize.
func (d *Digest) BlockSize() int { return BlockSize }

// Write adds p to the input. It never fails; the results are those of
// io.Writer so that a Digest can stand in for a hash.Hash.
func (d *Digest) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if d.nx > 0 {
		c := copy(d.x[d.nx:], p)
		d.nx += c
		p = p[c:]
		if d.nx < BlockSize {
			return n, nil
		}
		block(&d.h, d.x[:])
		d.nx = 0
	}
	if full := len(p) &^ (BlockSize - 1); full > 0 {
		block(&d.h, p[:full])
		p = p[full:]
	}
	d.nx = copy(d.x[:], p)
	return n, nil
}

// Sum appends the checksum of the input so far to b and returns the
// result. It does not change d, so more input may follow.
func (d *Digest) Sum(b []byte) []byte {
	c := *d
	sum := c.checkSum()
	return append(b, sum[:]...)
}

// checkSum pads the input (FIPS 180-4 §5.1.1) and returns the checksum.
// It leaves d in an unusable state.
func (d *Digest) checkSum() [Size]byte {
	bitLen := d.len << 3
	// A 0x80 byte, zeros up to 56 mod 64, then the length in bits.
	var pad [BlockSize + 8]byte
	pad[0] = 0x80
	n := 1 + int((55-d.len)%BlockSize)
	for i := range 8 {
		pad[n+i] = byte(bitLen >> (56 - 8*i))
	}
	d.Write(pad[:n+8])

	var out [Size]byte
	for i, v := range d.h {
		out[4*i] = byte(v >> 24)
		out[4*i+1] = byte(v >> 16)
		out[4*i+2] = byte(v >> 8)
		out[4*i+3] = byte(v)
	}
	return out
}

// Sum256 returns the SHA-256 checksum of data.
func Sum256(data []byte) [Size]byte {
	var d Digest
	d.Reset()
	d.Write(data)
	return d.checkSum()
}

// round is one round of the compression function: with a…h the working
// variables, it adds T1 to d and sets h to T1 + T2, which the next round
// reads as a (FIPS 180-4 §6.2.2, step 3, with the renaming left to the
// caller); kw is K[t] + W[t].
func round(a, b, c uint32, d *uint32, e, f, g uint32, h *uint32, kw uint32) {
	t1 := *h + (bits.RotateLeft32(e, -6) ^ bits.RotateLeft32(e, -11) ^ bits.RotateLeft32(e, -25)) + (g ^ (e & (f ^ g))) + kw
	t2 := (bits.RotateLeft32(a, -2) ^ bits.RotateLeft32(a, -13) ^ bits.RotateLeft32(a, -22)) + ((a & b) | (c & (a | b)))
	*d += t1
	*h = t1 + t2
}

// block runs the compression function (FIPS 180-4 §6.2.2) over p, whose
// length is a multiple of BlockSize.
func block(h *[8]uint32, p []byte) {
	var w [64]uint32
	h0, h1, h2, h3, h4, h5, h6, h7 := h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
	for len(p) >= BlockSize {
		for i := range 16 {
			j := 4 * i
			w[i] = uint32(p[j])<<24 | uint32(p[j+1])<<16 | uint32(p[j+2])<<8 | uint32(p[j+3])
		}
		for i := 16; i < 64; i++ {
			v1 := w[i-2]
			s1 := bits.RotateLeft32(v1, -17) ^ bits.RotateLeft32(v1, -19) ^ v1>>10
			v2 := w[i-15]
			s0 := bits.RotateLeft32(v2, -7) ^ bits.RotateLeft32(v2, -18) ^ v2>>3
			w[i] = s1 + w[i-7] + s0 + w[i-16]
		}

		// Eight rounds per iteration, the working variables changing roles
		// instead of being shifted along: about a fifth faster in
		// WebAssembly, where every variable moved is a load and a store.
		a, b, c, d, e, f, g, hh := h0, h1, h2, h3, h4, h5, h6, h7
		for i := 0; i < 64; i += 8 {
			round(a, b, c, &d, e, f, g, &hh, k[i]+w[i])
			round(hh, a, b, &c, d, e, f, &g, k[i+1]+w[i+1])
			round(g, hh, a, &b, c, d, e, &f, k[i+2]+w[i+2])
			round(f, g, hh, &a, b, c, d, &e, k[i+3]+w[i+3])
			round(e, f, g, &hh, a, b, c, &d, k[i+4]+w[i+4])
			round(d, e, f, &g, hh, a, b, &c, k[i+5]+w[i+5])
			round(c, d, e, &f, g, hh, a, &b, k[i+6]+w[i+6])
			round(b, c, d, &e, f, g, hh, &a, k[i+7]+w[i+7])
		}

		h0 += a
		h1 += b
		h2 += c
		h3 += d
		h4 += e
		h5 += f
		h6 += g
		h7 += hh
		p = p[BlockSize:]
	}
	h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7] = h0, h1, h2, h3, h4, h5, h6, h7
}
