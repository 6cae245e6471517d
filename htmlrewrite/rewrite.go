package htmlrewrite

import (
	"bytes"
	"io"
)

// Rewriter streams a page to a destination writer, rewriting as it goes.
// It holds back at most one unfinished tag (Config.MaxTag bytes) or a few
// bytes of lookahead; everything else is written as soon as it arrives.
// A Rewriter is not safe for concurrent use; it can be reused with Reset.
type Rewriter struct {
	dst     io.Writer
	tok     TokenFunc
	c       *compiled
	s       scanner
	hold    []byte
	scratch []byte
	err     error
}

// NewRewriter returns a Rewriter that writes the rewritten page to dst.
func NewRewriter(dst io.Writer, cfg *Config, tok TokenFunc) *Rewriter {
	r := new(Rewriter)
	r.Reset(dst, cfg, tok)
	return r
}

// Reset discards the Rewriter's state and makes it write to dst with cfg
// and tok, keeping its buffers, so that it can live in a sync.Pool.
func (r *Rewriter) Reset(dst io.Writer, cfg *Config, tok TokenFunc) {
	r.dst, r.tok, r.err = dst, tok, nil
	r.c = cfg.compile()
	r.s.reset(r.c)
	r.hold = r.hold[:0]
	if cap(r.hold) > 2*r.c.maxTag {
		r.hold = nil
	}
}

// Stats returns what the Rewriter has seen so far.
func (r *Rewriter) Stats() Stats {
	return r.s.stats
}

// Write rewrites p and writes what is decided to the destination. It
// returns len(p) unless the destination or the token function fails; after
// a failure every call returns the same error. With an invalid Config, p is
// passed through unchanged.
func (r *Rewriter) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.c.err != nil {
		return r.dst.Write(p)
	}
	n := len(p)
	for len(p) > 0 {
		if len(r.hold) == 0 {
			k := r.s.run(p, false)
			if err := r.emit(p, k); err != nil {
				return 0, err
			}
			r.hold = append(r.hold, p[k:]...)
			break
		}
		// Extend the held-back construct, up to the next '>' where it may
		// end, and within the cap.
		take := len(p)
		if i := bytes.IndexByte(p, '>'); i >= 0 {
			take = i + 1
		}
		if room := r.c.maxTag - len(r.hold); take > room {
			take = room
		}
		r.hold = append(r.hold, p[:take]...)
		p = p[take:]
		k := r.s.run(r.hold, false)
		if err := r.emit(r.hold, k); err != nil {
			return 0, err
		}
		r.hold = r.hold[:copy(r.hold, r.hold[k:])]
	}
	return n, nil
}

// Close writes what was held back and ends the page; Reset makes the
// Rewriter ready for another. It does not close the destination.
func (r *Rewriter) Close() error {
	if r.err != nil {
		return r.err
	}
	if len(r.hold) == 0 || r.c.err != nil {
		return nil
	}
	k := r.s.run(r.hold, true)
	err := r.emit(r.hold, k)
	r.hold = r.hold[:0]
	return err
}

// emit writes buf[:k] with the scanner's pending edits applied.
func (r *Rewriter) emit(buf []byte, k int) error {
	prev := 0
	for _, e := range r.s.edits {
		var token string
		if !e.shim {
			var err error
			token, err = r.tok(r.c.allowed[e.embed].origin)
			if err != nil {
				r.err = err
				return err
			}
		}
		if err := r.write(buf[prev:e.pos]); err != nil {
			return err
		}
		prev = e.pos
		r.scratch = r.c.appendInsertion(r.scratch[:0], e, token)
		if err := r.write(r.scratch); err != nil {
			return err
		}
	}
	r.s.edits = r.s.edits[:0]
	r.s.base += k
	return r.write(buf[prev:k])
}

func (r *Rewriter) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := r.dst.Write(b); err != nil {
		r.err = err
		return err
	}
	return nil
}
