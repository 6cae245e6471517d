package caddybridge

import (
	"bytes"
	"testing"
)

// TestBufferedRandNeverRepeats reads across several refills and checks
// that no 16-byte block comes out twice and that used bytes are erased.
func TestBufferedRandNeverRepeats(t *testing.T) {
	r := &bufferedRand{off: randBufSize}
	seen := make(map[[16]byte]bool)
	for i := 0; i < 3*randBufSize/16+7; i++ {
		var b [16]byte
		if n, err := r.Read(b[:]); n != 16 || err != nil {
			t.Fatalf("Read: %d, %v", n, err)
		}
		if seen[b] {
			t.Fatalf("block %d repeated", i)
		}
		seen[b] = true
		if r.off > 0 && !bytes.Equal(r.buf[:r.off], make([]byte, r.off)) {
			t.Fatal("bytes handed out are not erased")
		}
	}
	big := make([]byte, randBufSize)
	if n, err := r.Read(big); n != len(big) || err != nil || bytes.Equal(big, make([]byte, len(big))) {
		t.Fatalf("large read: %d, %v", n, err)
	}
}
