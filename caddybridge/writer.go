package caddybridge

import (
	"io"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// responseWriter applies the framing policy to a response's headers at
// the moment they are written. It holds the status back until the first
// body byte (or the end of the response) so that a missing Content-Type
// can be sniffed first, as net/http would, and it cannot be bypassed:
// ReadFrom goes through it too.
type responseWriter struct {
	*caddyhttp.ResponseWriterWrapper
	h           *Handler
	status      int  // status latched by WriteHeader, 0 if none yet
	wroteHeader bool // headers have gone to the underlying writer
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

// writeHeader edits the headers and sends them. sniff is the first part
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
	ct := hdr.Get("Content-Type")
	if ct == "" && len(sniff) > 0 && hdr.Get("Content-Encoding") == "" {
		if _, ok := hdr["Content-Type"]; !ok { // a nil entry means "do not sniff"
			ct = http.DetectContentType(sniff)
			hdr.Set("Content-Type", ct)
		}
	}
	applyCSP(hdr, rw.h.CSP, rw.h.cspWantFor(isHTML(ct)))
	rw.ResponseWriterWrapper.WriteHeader(rw.status)
}

// Write sends the headers first if need be.
func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.wroteHeader {
		if len(p) == 0 {
			return 0, nil
		}
		rw.writeHeader(p)
	}
	return rw.ResponseWriterWrapper.Write(p)
}

// ReadFrom keeps the underlying writer's fast path (sendfile) once the
// headers are out; the first bytes go through Write so that the headers
// are edited first.
func (rw *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	if !rw.wroteHeader {
		var buf [512]byte
		m, err := io.ReadFull(r, buf[:])
		if m > 0 {
			if _, werr := rw.Write(buf[:m]); werr != nil {
				return int64(m), werr
			}
		}
		n = int64(m)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	m, err := rw.ResponseWriterWrapper.ReadFrom(r)
	return n + m, err
}

// FlushError sends the headers before flushing.
func (rw *responseWriter) FlushError() error {
	rw.writeHeader(nil)
	return http.NewResponseController(rw.ResponseWriterWrapper.ResponseWriter).Flush()
}

// finish sends the headers of a response that wrote no body.
func (rw *responseWriter) finish() {
	rw.writeHeader(nil)
}

// isHTML reports whether a Content-Type is an HTML document.
func isHTML(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, "text/html") || strings.EqualFold(mt, "application/xhtml+xml")
}
