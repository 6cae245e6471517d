package caddybridge

import (
	"crypto/rand"
	"sync"
)

// tokenRand hands out bytes of the kernel's CSPRNG (crypto/rand) read 4
// KiB at a time: a token needs 16 random bytes, and one read per token is
// one system call per token, which dominates minting where system calls
// are expensive (sandboxes, VMs). Every byte is handed out once and
// erased as it goes; the buffer is process memory like the session keys
// the handler already holds.
var tokenRand = &bufferedRand{off: randBufSize}

const randBufSize = 4 << 10

type bufferedRand struct {
	mu  sync.Mutex
	buf [randBufSize]byte
	off int // next unused byte; randBufSize when empty
}

// Read fills p with random bytes.
func (b *bufferedRand) Read(p []byte) (int, error) {
	if len(p) > randBufSize/4 {
		return rand.Read(p)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if randBufSize-b.off < len(p) {
		if _, err := rand.Read(b.buf[:]); err != nil {
			return 0, err
		}
		b.off = 0
	}
	n := copy(p, b.buf[b.off:])
	clear(b.buf[b.off : b.off+n])
	b.off += n
	return n, nil
}
