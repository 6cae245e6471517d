package caddybridge

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// canDecode reports whether an upstream Content-Encoding can be decoded
// for rewriting.
func canDecode(enc string) bool {
	switch enc {
	case "gzip", "x-gzip", "br", "zstd", "deflate":
		return true
	}
	return false
}

// startDecoding runs a decoder between the handler's writes and the plain
// path. The decoder reads what the handler writes into a pipe; a
// compressed HTML page is rare (bridge strips Accept-Encoding from the
// requests that may get one), so a goroutine per such page is fine.
func (p *pageRewrite) startDecoding(enc string) {
	pr, pw := io.Pipe()
	p.pw, p.done, p.written = pw, make(chan error, 1), 0
	in := &p.decoderIn
	in.reset(pr)
	go func() {
		err := decodeInto(enc, in, writerFunc(p.lockedPlain))
		_ = pr.CloseWithError(err)
		in.finish()
		p.done <- err
	}()
}

// decoderInput is the decoder's side of the pipe. It tells the handler
// when the decoder, having read everything written so far, asks for more:
// by then the decoder has written out all that input decodes to, which is
// what a flush must wait for.
type decoderInput struct {
	r        *io.PipeReader
	mu       sync.Mutex
	cond     sync.Cond
	read     int64 // bytes the decoder has read
	waiting  bool  // the decoder is in Read, having read read bytes
	finished bool  // the decoder has returned
}

func (d *decoderInput) reset(r *io.PipeReader) {
	d.r, d.read, d.waiting, d.finished = r, 0, false, false
	d.cond.L = &d.mu
}

func (d *decoderInput) Read(b []byte) (int, error) {
	d.mu.Lock()
	d.waiting = true
	d.cond.Broadcast()
	d.mu.Unlock()
	n, err := d.r.Read(b)
	d.mu.Lock()
	d.waiting = false
	d.read += int64(n)
	d.mu.Unlock()
	return n, err
}

func (d *decoderInput) finish() {
	d.mu.Lock()
	d.finished = true
	d.cond.Broadcast()
	d.mu.Unlock()
}

// drained waits until the decoder has read written bytes and asks for
// more, or has returned.
func (d *decoderInput) drained(written int64) {
	d.mu.Lock()
	for !d.finished && !(d.waiting && d.read >= written) {
		d.cond.Wait()
	}
	d.mu.Unlock()
}

func decodeInto(enc string, r io.Reader, w io.Writer) error {
	var dec io.Reader
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("decoding gzip page: %w", err)
		}
		defer zr.Close()
		dec = zr
	case "deflate":
		// HTTP's deflate is zlib; some servers send raw deflate.
		br := bufio.NewReader(r)
		head, _ := br.Peek(2)
		if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return fmt.Errorf("decoding deflate page: %w", err)
			}
			defer zr.Close()
			dec = zr
		} else {
			fr := flate.NewReader(br)
			defer fr.Close()
			dec = fr
		}
	case "br":
		dec = brotli.NewReader(r)
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(8<<20))
		if err != nil {
			return fmt.Errorf("decoding zstd page: %w", err)
		}
		defer zr.Close()
		dec = zr
	default:
		return fmt.Errorf("cannot decode %q", enc)
	}
	if _, err := io.Copy(w, dec); err != nil {
		return fmt.Errorf("decoding %s page: %w", enc, err)
	}
	return nil
}
