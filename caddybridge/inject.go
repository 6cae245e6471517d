package caddybridge

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/caddybridge/caddy-bridge/bridgekey"
	"github.com/caddybridge/caddy-bridge/htmlrewrite"
)

// pageRewrite rewrites one HTML page. While the page fits the rewrite
// window it is gathered and then rewritten in one pass (and sent with an
// exact Content-Length); past the window, or when the upstream flushes,
// it streams through an htmlrewrite.Rewriter.
type pageRewrite struct {
	rw        *responseWriter
	ds        *deploymentSet
	cfg       *htmlrewrite.Config // ds's config for this request (rewriteFor)
	plans     *planCache          // and its plans
	in        *bytes.Buffer
	streaming bool
	rewriter  *htmlrewrite.Rewriter
	// out buffers the streaming rewriter's writes, so that downstream
	// (encode above all, which decides whether to compress on its first
	// write) gets full writes rather than the pieces between iframes; it
	// is flushed when the upstream flushes and when the page ends.
	out      *bufio.Writer
	tokFn    htmlrewrite.TokenFunc       // p.token, for the streaming path
	appendFn htmlrewrite.AppendTokenFunc // p.appendToken, for whole pages
	now      time.Time
	stats    htmlrewrite.Stats

	// Decoding of a compressed upstream page: the handler writes into pw,
	// a goroutine decodes into the plain path and reports on done. While
	// it runs, mu guards the page's state and the downstream writer
	// between the decoder (plain) and the handler's flushes.
	pw        *io.PipeWriter
	done      chan error
	mu        sync.Mutex
	written   int64 // bytes the handler has written into pw
	decoderIn decoderInput
}

func (p *pageRewrite) reset(rw *responseWriter, ds *deploymentSet) {
	p.rw, p.ds = rw, ds
	p.cfg, p.plans = ds.rewriteFor(rw.r)
	p.in = bufPool.Get().(*bytes.Buffer)
	p.in.Reset()
	p.streaming = false
	p.now = time.Now()
	p.stats = htmlrewrite.Stats{}
	p.pw, p.done = nil, nil
	if p.tokFn == nil {
		p.tokFn, p.appendFn = p.token, p.appendToken
	}
}

// release returns the pooled parts.
func (p *pageRewrite) release() {
	if p.in != nil && p.in.Cap() <= 2*rewriteWindow {
		bufPool.Put(p.in)
	}
	p.in = nil
	if p.rewriter != nil {
		rewriterPool.Put(p.rewriter)
		p.rewriter = nil
	}
	if p.out != nil {
		p.out.Reset(nil)
		outPool.Put(p.out)
		p.out = nil
	}
	p.rw, p.ds, p.cfg, p.plans = nil, nil, nil, nil
	pagePool.Put(p)
}

// token mints a fresh token for one iframe.
func (p *pageRewrite) token(embed string) (string, error) {
	var buf [80]byte
	b, err := p.appendToken(buf[:0], embed)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// appendToken mints a fresh token for one iframe into dst.
func (p *pageRewrite) appendToken(dst []byte, embed string) ([]byte, error) {
	d := p.ds.embed[embed]
	if d == nil {
		return dst, errNoDeployment
	}
	var err error
	if d.minter != nil {
		dst, _, err = d.minter.AppendToken(dst, p.now, tokenRand)
	} else {
		dst, _, err = bridgekey.AppendTokenFor(dst, d.secret, d.id, d.parent, d.embed, p.now, tokenRand)
	}
	if err != nil {
		return dst, err
	}
	mintedByPage.Inc()
	return dst, nil
}

var errNoDeployment = errors.New("no deployment for an allowed embed origin")

// downstream is where rewritten bytes go.
func (p *pageRewrite) downstream() io.Writer {
	return writerOnly{&p.rw.ResponseWriterWrapper}
}

func (p *pageRewrite) write(b []byte) (int, error) {
	if p.pw != nil {
		n, err := p.pw.Write(b)
		p.written += int64(n)
		return n, err
	}
	return p.plain(b)
}

// readFrom gathers a page straight into the window buffer (no copy
// buffer of its own), and copies through a pooled buffer past it.
func (p *pageRewrite) readFrom(r io.Reader) (int64, error) {
	var n int64
	if p.pw == nil && !p.streaming {
		for p.in.Len() <= rewriteWindow {
			p.in.Grow(min(32<<10, rewriteWindow+1-p.in.Len()))
			buf := p.in.AvailableBuffer()
			buf = buf[:min(cap(buf), rewriteWindow+1-p.in.Len())]
			m, err := r.Read(buf)
			p.in.Write(buf[:m]) // within capacity: no copy beyond the read
			n += int64(m)
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
		}
		// Past the window: stream what was gathered, then the rest.
		if err := p.startStreaming(); err != nil {
			return n, err
		}
	}
	cb := copyBufPool.Get().(*[32 << 10]byte)
	defer copyBufPool.Put(cb)
	m, err := io.CopyBuffer(writerOnly{writerFunc(p.write)}, r, cb[:])
	return n + m, err
}

var copyBufPool = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// plain takes decoded page bytes.
func (p *pageRewrite) plain(b []byte) (int, error) {
	if !p.streaming {
		if p.in.Len()+len(b) <= rewriteWindow {
			return p.in.Write(b)
		}
		if err := p.startStreaming(); err != nil {
			return 0, err
		}
	}
	return p.rewriter.Write(b)
}

// lockedPlain is plain for the decoder goroutine.
func (p *pageRewrite) lockedPlain(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.plain(b)
}

// startStreaming sends the headers without a Content-Length and pushes
// what was gathered through a streaming rewriter.
func (p *pageRewrite) startStreaming() error {
	p.streaming = true
	p.rw.sendHeader(-1)
	p.out = outPool.Get().(*bufio.Writer)
	p.out.Reset(p.downstream())
	p.rewriter = rewriterPool.Get().(*htmlrewrite.Rewriter)
	p.rewriter.Reset(p.out, p.cfg, p.tokFn)
	_, err := p.rewriter.Write(p.in.Bytes())
	p.in.Reset()
	return err
}

var outPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}

// flushLocked makes the page stream from now on and sends what the
// rewriter has written (what a decoder still holds leaves with its next
// output); while decoding, the caller holds p.mu. The caller flushes the
// response itself afterwards.
func (p *pageRewrite) flushLocked() error {
	if !p.streaming {
		if err := p.startStreaming(); err != nil {
			return err
		}
	}
	return p.out.Flush()
}

// close finishes the page.
func (p *pageRewrite) close() error {
	if p.pw != nil {
		_ = p.pw.Close()
		if err := <-p.done; err != nil {
			return err
		}
	}
	if p.streaming {
		err := p.rewriter.Close()
		if ferr := p.out.Flush(); err == nil {
			err = ferr
		}
		p.count(p.rewriter.Stats(), &pagesStreamed)
		return err
	}
	page := p.in.Bytes()
	plan := p.plans.plan(page, p.cfg)
	out := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if out.Cap() <= 2*rewriteWindow {
			bufPool.Put(out)
		}
	}()
	out.Reset()
	dst, err := plan.ApplyAppend(out.AvailableBuffer(), page, p.cfg, p.appendFn)
	if err != nil {
		return err
	}
	st := plan.Stats()
	p.count(st, &pagesWhole)
	if st.Rewritten > 0 {
		p.rw.addPreload() // a page with bridged iframes: its bridges load the runtime
	}
	p.rw.sendHeader(len(dst))
	_, err = p.downstream().Write(dst)
	if cap(dst) > out.Cap() {
		*out = *bytes.NewBuffer(dst[:0])
	}
	return err
}

// abort stops a page whose handler chain failed.
func (p *pageRewrite) abort() {
	if p.pw != nil {
		_ = p.pw.CloseWithError(errors.New("handler failed"))
		<-p.done
	}
}

// count records a finished page; rewritten is the counter of a page that
// got parameters (pagesWhole or pagesStreamed).
func (p *pageRewrite) count(s htmlrewrite.Stats, rewritten *lazyCounter) {
	if s.Rewritten > 0 {
		rewritten.get().Inc()
	} else {
		pagesUnchanged.get().Inc()
	}
	if n := s.Rewritten; n > 0 {
		iframesRewritten.get().Add(float64(n))
	}
	for r, n := range s.Skipped {
		if n > 0 {
			iframesSkipped[r].get().Add(float64(n))
		}
	}
}

// writerFunc adapts a function to io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

var rewriterPool = sync.Pool{New: func() any { return new(htmlrewrite.Rewriter) }}
