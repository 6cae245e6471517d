package caddybridge

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"

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
	p.pw, p.done = pw, make(chan error, 1)
	go func() {
		err := decodeInto(enc, pr, writerFunc(p.lockedPlain))
		_ = pr.CloseWithError(err)
		p.done <- err
	}()
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
