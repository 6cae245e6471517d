package caddybridge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
