package caddybridge

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// benchPage is a ~40 KB page with 6 iframes, 4 of them to rewrite.
var benchPage = func() []byte {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=utf-8><title>bench</title></head><body>\n")
	frames := []string{
		`<iframe src="https://widget.example.com/a?x=1&amp;y=2"></iframe>`,
		`<iframe src='https://widget.example.com/b#route'></iframe>`,
		`<iframe src=https://WIDGET.example.com:443/c></iframe>`,
		`<IFRAME SRC="https://widget.example.com/d?q#r"></IFRAME>`,
		`<iframe src="https://maps.example.net/"></iframe>`,
		`<iframe src="/local"></iframe>`,
	}
	for i := 0; b.Len() < 40<<10; i++ {
		b.WriteString("<article><h2>Title</h2><p>" + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 12) + "</p></article>\n")
		if i%6 == 0 && i/6 < len(frames) {
			b.WriteString(frames[i/6] + "\n")
		}
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}()

func benchHandler(b *testing.B) *Handler {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	b.Cleanup(cancel)
	h := &Handler{Embed: []Peers{{Origins: []string{"https://widget.example.com"}, Secret: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}}}
	if err := h.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	if err := h.Validate(); err != nil {
		b.Fatal(err)
	}
	return h
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkServePage serves benchPage as file_server would (Content-Type
// set, one Write), without bridge and through it, in the same run.
func BenchmarkServePage(b *testing.B) {
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Etag", `"abc"`)
		w.WriteHeader(200)
		_, err := w.Write(benchPage)
		return err
	})
	req := httptest.NewRequest("GET", "https://shop.example.com/", nil)
	req.Header.Set("Accept", "text/html")
	w := &discard{h: make(http.Header)}
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(int64(len(benchPage)))
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			next.ServeHTTP(w, req)
		}
	})
	h := benchHandler(b)
	b.Run("bridge", func(b *testing.B) {
		b.SetBytes(int64(len(benchPage)))
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			if err := h.ServeHTTP(w, req, next); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// fileDiscard is a ResponseWriter that keeps nothing and, like net/http's
// response, implements ReadFrom by copying through a reused buffer.
type fileDiscard struct {
	h   http.Header
	buf [32 << 10]byte
}

func (d *fileDiscard) Header() http.Header         { return d.h }
func (d *fileDiscard) Write(p []byte) (int, error) { return len(p), nil }
func (d *fileDiscard) WriteHeader(int)             {}
func (d *fileDiscard) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		m, err := r.Read(d.buf[:])
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// BenchmarkServeFile is the path of bench/rewrite/run.sh without the
// network: a browser navigation (the request headers of page.lua, over
// TLS) answered as Caddy's file_server answers (the headers of
// http.ServeContent, then io.CopyN into the writer's ReadFrom), without
// bridge and through it, in the same run. The difference is the bridge's
// cost per response.
func BenchmarkServeFile(b *testing.B) {
	page := []byte(strings.Replace(string(benchPage), "<head>", "<head><meta name=viewport content=width=device-width>", 1))
	modTime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(http.TimeFormat)
	size := strconv.Itoa(len(page))
	src := bytes.NewReader(page)
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Etag", `"dhr3s5qtw8mu"`)
		h.Set("Last-Modified", modTime)
		h.Set("Accept-Ranges", "bytes")
		h.Set("Content-Length", size)
		w.WriteHeader(http.StatusOK)
		src.Reset(page)
		_, err := io.CopyN(w, src, int64(len(page)))
		return err
	})
	req := httptest.NewRequest("GET", "https://localhost:9444/", nil)
	for k, v := range map[string]string{
		"Accept":                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		"Accept-Encoding":           "identity",
		"Accept-Language":           "en-US,en;q=0.9",
		"User-Agent":                "Mozilla/5.0 (X11; Linux x86_64) bench-rewrite/1",
		"Sec-Fetch-Dest":            "document",
		"Sec-Fetch-Mode":            "navigate",
		"Sec-Fetch-Site":            "none",
		"Upgrade-Insecure-Requests": "1",
	} {
		req.Header.Set(k, v)
	}
	reqHeader := req.Header.Clone()
	w := &fileDiscard{h: make(http.Header)}
	run := func(b *testing.B, serve func() error) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			// The bridge strips request headers; put them back.
			maps.Copy(req.Header, reqHeader)
			if err := serve(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("plain", func(b *testing.B) {
		run(b, func() error { return next.ServeHTTP(w, req) })
	})
	h := benchHandler(b)
	b.Run("bridge", func(b *testing.B) {
		run(b, func() error { return h.ServeHTTP(w, req, next) })
	})
}
