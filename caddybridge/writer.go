package caddybridge

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// rewriteWindow is the size of the page prefix gathered before the
// response starts: a page that fits is rewritten in one pass and sent
// with an exact Content-Length; a larger one (or one whose upstream
// flushes) streams through with bounded memory.
const rewriteWindow = 128 << 10

// responseWriter applies the framing policy to a response's headers at
// the moment they are written and, in the parent role, rewrites HTML
// pages. It holds the status back until the first body byte (or the end
// of the response) so that a missing Content-Type can be sniffed first,
// as net/http would, and it cannot be bypassed: ReadFrom goes through it
// too.
type responseWriter struct {
	caddyhttp.ResponseWriterWrapper
	h           *Handler
	r           *http.Request
	candidate   bool // the request may get a rewritten page
	tokenInURL  bool // the request's query carries a session token
	status      int  // status latched by WriteHeader, 0 if none yet
	wroteHeader bool // headers are decided (and, unless rewriting, sent)

	// Rewriting state; rw.page != nil while rewriting.
	page      *pageRewrite
	sentLater bool // rewriting: the status is not sent yet

	// vals backs the one-value header fields that the writer sets, so
	// that they cost no allocation of their own; see field.
	vals  [5]string
	nvals int
}

// field returns a header value list holding only v. Its storage is part of
// rw, which is never reused, so the response's header map may keep it.
func (rw *responseWriter) field(v string) []string {
	if rw.nvals == len(rw.vals) {
		return []string{v}
	}
	i := rw.nvals
	rw.nvals++
	rw.vals[i] = v
	return rw.vals[i : i+1 : i+1]
}

// WriteHeader latches the status; 1xx responses pass straight through.
func (rw *responseWriter) WriteHeader(status int) {
	if rw.wroteHeader {
		return
	}
	if status >= 100 && status <= 199 {
		rw.ResponseWriterWrapper.WriteHeader(status)
		return
	}
	if rw.status == 0 {
		rw.status = status
	}
}

// writeHeader decides what to do with the response, edits the headers
// and, unless the page is rewritten, sends them. sniff is the first part
// of the body, used when no Content-Type is set.
func (rw *responseWriter) writeHeader(sniff []byte) {
	if rw.wroteHeader {
		return
	}
	rw.wroteHeader = true
	hdr := rw.Header()
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	ct := headerGet(hdr, "Content-Type")
	if ct == "" && len(sniff) > 0 && headerGet(hdr, "Content-Encoding") == "" {
		if _, ok := hdr["Content-Type"]; !ok { // a nil entry means "do not sniff"
			ct = http.DetectContentType(sniff)
			hdr.Set("Content-Type", ct)
		}
	}
	html := isHTML(ct)
	shim := false
	if rw.candidate && html && bodyAllowed(rw.r.Method, rw.status) && asciiCompatible(ct) {
		rw.startRewrite(hdr)
		shim = rw.page != nil || rw.r.Method == http.MethodHead
	}
	if rw.h.CSP != CSPOff {
		if f := rw.h.cspFixedFor(html, shim); f.ok && noPolicies(hdr) {
			f.apply(hdr, rw.field)
		} else {
			want := rw.h.cspWantFor(html)
			if shim {
				want.ScriptHashes = shimHashes
			}
			applyCSP(hdr, rw.h.CSP, want)
		}
	}
	if rw.tokenInURL {
		tightenReferrerPolicy(hdr, rw.field)
		if html && bodyAllowed(rw.r.Method, rw.status) {
			rw.addPreload() // an embed page opened for a session: its bridge loads the runtime
		}
	}
	if rw.page != nil {
		rw.sentLater = true
		return
	}
	rw.ResponseWriterWrapper.WriteHeader(rw.status)
}

// startRewrite prepares the rewriting of an HTML page: it makes the
// headers fit a per-session page and sets up decoding.
func (rw *responseWriter) startRewrite(hdr http.Header) {
	enc := strings.ToLower(strings.TrimSpace(headerGet(hdr, "Content-Encoding")))
	if enc != "" && enc != "identity" && !canDecode(enc) {
		rw.h.logger.Warn("HTML page left alone: unknown Content-Encoding", zap.String("encoding", enc), zap.String("path", rw.r.URL.Path))
		metrics.pages.WithLabelValues("undecodable").Inc()
		return
	}
	// Canonical keys: map deletes skip the canonicalization cost.
	delete(hdr, "Content-Length")
	delete(hdr, "Etag")
	delete(hdr, "Last-Modified")
	delete(hdr, "Accept-Ranges")
	hdr["Cache-Control"] = rw.field("private, no-store")
	if rw.r.Method == http.MethodHead {
		hdr.Del("Content-Encoding")
		return
	}
	ds := rw.h.deploymentsFor(rw.r)
	p := pagePool.Get().(*pageRewrite)
	p.reset(rw, ds)
	if enc != "" && enc != "identity" {
		hdr.Del("Content-Encoding")
		p.startDecoding(enc)
	}
	rw.page = p
}

// Write sends the headers first if need be.
func (rw *responseWriter) Write(b []byte) (int, error) {
	if !rw.wroteHeader {
		if len(b) == 0 {
			return 0, nil
		}
		rw.writeHeader(b)
	}
	if rw.page != nil {
		return rw.page.write(b)
	}
	return rw.ResponseWriterWrapper.Write(b)
}

// writerOnly hides ReadFrom, so that io.Copy goes through Write.
type writerOnly struct{ io.Writer }

// ReadFrom keeps the underlying writer's fast path (sendfile) for
// responses that are not rewritten; the first bytes go through Write so
// that the headers are decided first.
func (rw *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	if !rw.wroteHeader {
		if _, typed := rw.Header()["Content-Type"]; typed {
			rw.writeHeader(nil) // nothing to sniff: decide now
		} else {
			sniff := sniffPool.Get().(*[512]byte)
			m, err := io.ReadFull(r, sniff[:])
			if m > 0 {
				_, err2 := rw.Write(sniff[:m])
				if err2 != nil {
					err = err2
				}
			}
			sniffPool.Put(sniff)
			n = int64(m)
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
		}
	}
	if rw.page != nil {
		m, err := rw.page.readFrom(r)
		return n + m, err
	}
	m, err := rw.ResponseWriterWrapper.ReadFrom(r)
	return n + m, err
}

var sniffPool = sync.Pool{New: func() any { return new([512]byte) }}

// FlushError sends the headers and what is ready, then flushes. A page
// being rewritten switches to streaming (which sends its latched status
// first). While a compressed page is being decoded, the flush first waits
// for the decoder to have written out what the input so far decodes to,
// then happens under the page's lock, as the decoder's writes do.
func (rw *responseWriter) FlushError() error {
	rw.writeHeader(nil)
	p := rw.page
	if p == nil {
		return http.NewResponseController(rw.ResponseWriter).Flush()
	}
	if p.pw != nil {
		p.decoderIn.drained(p.written)
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	if err := p.flushLocked(); err != nil {
		return err
	}
	return http.NewResponseController(rw.ResponseWriter).Flush()
}

// finish completes the response after the handler chain returned.
func (rw *responseWriter) finish() error {
	rw.writeHeader(nil)
	if rw.page == nil {
		return nil
	}
	err := rw.page.close()
	rw.page.release()
	rw.page = nil
	return err
}

// abandon releases rewriting state after the handler chain failed.
func (rw *responseWriter) abandon() {
	if rw.page != nil {
		rw.page.abort()
		rw.page.release()
		rw.page = nil
	}
}

// sendHeader sends the latched status of a rewritten page, with an exact
// Content-Length when the whole page is known (n >= 0).
func (rw *responseWriter) sendHeader(n int) {
	if !rw.sentLater {
		return
	}
	rw.sentLater = false
	if n >= 0 {
		rw.Header()["Content-Length"] = rw.field(itoa(n))
	}
	rw.ResponseWriterWrapper.WriteHeader(rw.status)
}

// addPreload adds the Link field that preloads the runtime.
func (rw *responseWriter) addPreload() {
	hdr := rw.Header()
	if cur := hdr["Link"]; cap(cur) > 0 {
		hdr["Link"] = append(cur, rw.h.preload)
	} else {
		hdr["Link"] = rw.field(rw.h.preload)
	}
}

// headerGet is h.Get(key) for a key already in canonical form: it skips
// the canonicalization.
func headerGet(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// lenString is a length with its decimal form.
type lenString struct {
	n int
	s string
}

// itoaCache remembers the decimal form of recent Content-Lengths: a page
// served again has the same length, and the string then costs nothing.
var itoaCache [16]atomic.Pointer[lenString]

// itoa returns strconv.Itoa(n).
func itoa(n int) string {
	c := &itoaCache[uint(n)%uint(len(itoaCache))]
	if l := c.Load(); l != nil && l.n == n {
		return l.s
	}
	l := &lenString{n: n, s: strconv.Itoa(n)}
	c.Store(l)
	return l.s
}

// isHTML reports whether a Content-Type is an HTML document.
func isHTML(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, "text/html") || strings.EqualFold(mt, "application/xhtml+xml")
}

// asciiCompatible reports whether the charset of a Content-Type keeps
// ASCII bytes meaning ASCII characters, as the rewriter's scanner needs.
// UTF-16 and UTF-32 pages, and the stateful ISO-2022 and HZ encodings,
// pass through untouched.
func asciiCompatible(ct string) bool {
	_, params, _ := strings.Cut(strings.ToLower(ct), ";")
	i := strings.Index(params, "charset=")
	if i < 0 {
		return true
	}
	cs := strings.Trim(strings.TrimSpace(params[i+len("charset="):]), `"'`)
	for _, bad := range []string{"utf-16", "utf-32", "utf16", "utf32", "ucs-2", "ucs2", "iso-2022", "hz-gb", "utf-7"} {
		if strings.HasPrefix(cs, bad) {
			return false
		}
	}
	return true
}

// bodyAllowed reports whether a response to method with status carries a
// body (HEAD is answered as GET would be, without one).
func bodyAllowed(method string, status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified &&
		status != http.StatusPartialContent && method != http.MethodConnect
}

// isCandidate reports whether a request may be answered with a page to
// rewrite. Any method may be (a page rendered in reply to a form POST is
// common) except CONNECT, whose answer is a tunnel. Browsers say what
// they fetch in Sec-Fetch-Dest; without it, the Accept header decides.
// Subresources (images, scripts, styles…) keep their conditional and
// compressed requests.
func isCandidate(r *http.Request) bool {
	if r.Method == http.MethodConnect {
		return false
	}
	if dest := headerGet(r.Header, "Sec-Fetch-Dest"); dest != "" {
		switch dest {
		case "document", "iframe", "frame", "embed", "object", "empty":
			return true
		}
		return false
	}
	accept := headerGet(r.Header, "Accept")
	return accept == "" || strings.Contains(accept, "text/html") || strings.Contains(accept, "application/xhtml+xml") || strings.Contains(accept, "*/*")
}

// candidateStrip lists, in canonical form, the request headers that
// prepareCandidate removes from GET and HEAD requests; unsafeStrip, from
// requests with other methods.
var (
	candidateStrip = []string{"Accept-Encoding", "If-None-Match", "If-Modified-Since", "If-Range", "Range", "If-Match", "If-Unmodified-Since"}
	unsafeStrip    = []string{"Accept-Encoding", "Range"}
)

// prepareCandidate strips the request headers that would let the answer
// be a compressed, partial or cached copy of a page that must carry
// fresh tokens. Other methods than GET and HEAD lose Accept-Encoding and
// Range (which only GET defines; an upstream that honoured it would send
// a 206, never rewritten) but keep their conditional headers: no 304 can
// come of them, and their If-Match, If-None-Match and
// If-Unmodified-Since are preconditions of a change (a PUT that must not
// overwrite, say) that must reach the upstream.
func prepareCandidate(r *http.Request) {
	strip := unsafeStrip
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		strip = candidateStrip
	}
	for _, k := range strip {
		delete(r.Header, k)
	}
}

var pagePool = sync.Pool{New: func() any { return new(pageRewrite) }}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
