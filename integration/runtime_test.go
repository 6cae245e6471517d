package integration

import (
	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestRuntimeServing checks the runtime files under runtime_path: the
// loader, the hashed immutable WebAssembly with its precompressed
// variants, validators, HEAD, Range, and wrong methods and paths.
func TestRuntimeServing(t *testing.T) {
	start(t, `
http://localhost:9080 {
	encode gzip
	bridge {
		embed https://widget.example.com
		runtime_path /assets/bridge/
	}
	respond "page"
}
`)
	const base = "http://localhost:9080/assets/bridge/"
	resp, js := fetch(t, "GET", base+"bridge.js")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("bridge.js: %d %v", resp.StatusCode, resp.Header)
	}
	etag := resp.Header.Get("Etag")
	if len(etag) < 10 || etag[0] != '"' {
		t.Errorf("bridge.js ETag %q is not strong", etag)
	}
	if resp, body := fetch(t, "GET", base+"bridge.js", "If-None-Match", etag); resp.StatusCode != 304 || body != "" {
		t.Errorf("bridge.js revalidation: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`new URL\("(bridge\.[0-9a-f]{12}\.wasm)", import\.meta\.url\)`).FindStringSubmatch(js)
	if m == nil {
		t.Fatalf("bridge.js does not import a hashed wasm")
	}
	wasmURL := base + m[1]

	resp, plain := fetch(t, "GET", wasmURL)
	if resp.StatusCode != 200 || !bytes.HasPrefix([]byte(plain), []byte("\x00asm")) || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("wasm identity: %d %v", resp.StatusCode, resp.Header)
	}
	h := resp.Header
	if h.Get("Content-Type") != "application/wasm" || h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("Vary") != "Accept-Encoding" || h.Get("Etag") == "" {
		t.Errorf("wasm headers: %v", h)
	}
	tags := map[string]bool{h.Get("Etag"): true}
	for _, c := range []struct {
		accept, encoding string
		decode           func(io.Reader) (io.Reader, error)
	}{
		{"gzip, deflate, br, zstd", "br", func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
		{"gzip", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		{"br;q=0, gzip;q=0.5", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	} {
		resp, body := fetch(t, "GET", wasmURL, "Accept-Encoding", c.accept)
		if resp.Header.Get("Content-Encoding") != c.encoding {
			t.Errorf("Accept-Encoding %q: got Content-Encoding %q", c.accept, resp.Header.Get("Content-Encoding"))
			continue
		}
		d, err := c.decode(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(d); !bytes.Equal(b, []byte(plain)) {
			t.Errorf("%s variant does not decode to the runtime", c.encoding)
		}
		tags[resp.Header.Get("Etag")] = true
	}
	if len(tags) != 3 {
		t.Errorf("want one ETag per encoding, got %v", tags)
	}

	// bridge.js has build-time br and gzip variants too, each with its
	// own strong ETag, and is still revalidated (no-cache).
	jsTags := map[string]bool{etag: true}
	for _, c := range []struct {
		accept, encoding string
		decode           func(io.Reader) (io.Reader, error)
	}{
		{"gzip, deflate, br, zstd", "br", func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
		{"gzip", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	} {
		resp, body := fetch(t, "GET", base+"bridge.js", "Accept-Encoding", c.accept)
		h := resp.Header
		if h.Get("Content-Encoding") != c.encoding || h.Get("Vary") != "Accept-Encoding" || h.Get("Cache-Control") != "no-cache" || h.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("bridge.js, Accept-Encoding %q: %v", c.accept, h)
			continue
		}
		d, err := c.decode(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(d); string(b) != js {
			t.Errorf("bridge.js %s variant does not decode to bridge.js", c.encoding)
		}
		if r2, b2 := fetch(t, "GET", base+"bridge.js", "Accept-Encoding", c.accept, "If-None-Match", h.Get("Etag")); r2.StatusCode != 304 || b2 != "" {
			t.Errorf("bridge.js %s revalidation: %d", c.encoding, r2.StatusCode)
		}
		jsTags[h.Get("Etag")] = true
	}
	if len(jsTags) != 3 {
		t.Errorf("bridge.js: want one ETag per encoding, got %v", jsTags)
	}

	// Range, HEAD, revalidation.
	if resp, body := fetch(t, "GET", wasmURL, "Range", "bytes=0-3"); resp.StatusCode != 206 || body != "\x00asm" {
		t.Errorf("Range: %d %q", resp.StatusCode, body)
	}
	if resp, body := fetch(t, "HEAD", wasmURL, "Accept-Encoding", "br"); resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Encoding") != "br" {
		t.Errorf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := fetch(t, "GET", wasmURL, "If-None-Match", h.Get("Etag")); resp.StatusCode != 304 {
		t.Errorf("wasm revalidation: %d", resp.StatusCode)
	}
	// Each precompressed variant revalidates too, even inside encode,
	// which rewrites If-None-Match values ending in -gzip.
	for _, accept := range []string{"br", "gzip"} {
		resp, _ := fetch(t, "GET", wasmURL, "Accept-Encoding", accept)
		if r2, _ := fetch(t, "GET", wasmURL, "Accept-Encoding", accept, "If-None-Match", resp.Header.Get("Etag")); r2.StatusCode != 304 {
			t.Errorf("wasm %s revalidation: %d", accept, r2.StatusCode)
		}
	}

	// Declarations, wrong methods, unknown paths.
	if resp, body := fetch(t, "GET", base+"bridge.d.ts"); resp.StatusCode != 200 || !bytes.Contains([]byte(body), []byte("export declare")) {
		t.Errorf("bridge.d.ts: %d", resp.StatusCode)
	}
	if resp, _ := fetch(t, "POST", base+"bridge.js"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST bridge.js: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	for _, p := range []string{"", "BUILD", "bridge.000000000000.wasm", "../bridge.js", "bridge.js/x"} {
		if resp, _ := fetch(t, "GET", base+p); resp.StatusCode != 404 {
			t.Errorf("GET %q: %d, want 404", base+p, resp.StatusCode)
		}
	}
}

// TestRuntimeConfiguredLoader: a site whose bridge names its bootstrap
// parameters (session_param, parent_param, session_in) serves a bridge.js
// that uses them, with its own ETag and a gzip variant; a site with the
// defaults serves the built file.
func TestRuntimeConfiguredLoader(t *testing.T) {
	start(t, `
http://localhost:9080 {
	bridge {
		embed https://widget.example.com
	}
	respond "page"
}

http://127.0.0.1:9080 {
	bridge {
		embed https://widget.example.com
		session_param sid
		parent_param from
		session_in hash
	}
	respond "page"
}
`)
	const defaults = `const CONFIG = {"sessionParam":"__iframeBridgeSessionId","parentParam":"__iframeBridgeParentOrigin","sessionIn":"query"};`
	const custom = `const CONFIG = {"sessionParam":"sid","parentParam":"from","sessionIn":"hash"};`
	respD, jsD := fetch(t, "GET", "http://localhost:9080/_bridge/bridge.js")
	respC, jsC := fetch(t, "GET", "http://127.0.0.1:9080/_bridge/bridge.js")
	if respD.StatusCode != 200 || respC.StatusCode != 200 {
		t.Fatalf("bridge.js: %d, %d", respD.StatusCode, respC.StatusCode)
	}
	if !strings.Contains(jsD, defaults) || strings.Contains(jsD, custom) {
		t.Errorf("the default site's bridge.js lacks the default configuration line")
	}
	if !strings.Contains(jsC, custom) || strings.Contains(jsC, defaults) {
		t.Errorf("the configured site's bridge.js lacks its configuration line")
	}
	if strings.Replace(jsC, custom, defaults, 1) != jsD {
		t.Errorf("the configured bridge.js differs from the built one beyond its configuration line")
	}
	etag := respC.Header.Get("Etag")
	if etag == "" || etag == respD.Header.Get("Etag") || respC.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("configured bridge.js headers %v, default ETag %s", respC.Header, respD.Header.Get("Etag"))
	}
	if resp, body := fetch(t, "GET", "http://127.0.0.1:9080/_bridge/bridge.js", "If-None-Match", etag); resp.StatusCode != 304 || body != "" {
		t.Errorf("configured bridge.js revalidation: %d", resp.StatusCode)
	}
	resp, body := fetch(t, "GET", "http://127.0.0.1:9080/_bridge/bridge.js", "Accept-Encoding", "br, gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("configured bridge.js for br, gzip: %v", resp.Header)
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != jsC {
		t.Errorf("the configured bridge.js's gzip variant does not decode to it")
	}
}

// TestRuntimePrecompressedLength checks that the precompressed variants
// of the runtime carry their Content-Length, on GET and HEAD, and that a
// Range request on one still gets a 206 with the range's own length.
func TestRuntimePrecompressedLength(t *testing.T) {
	start(t, `
http://localhost:9080 {
	encode gzip
	bridge {
		embed https://widget.example.com
	}
	respond "page"
}
`)
	_, js := fetch(t, "GET", "http://localhost:9080/_bridge/bridge.js")
	m := regexp.MustCompile(`new URL\("(bridge\.[0-9a-f]{12}\.wasm)", import\.meta\.url\)`).FindStringSubmatch(js)
	if m == nil {
		t.Fatalf("bridge.js does not import a hashed wasm")
	}
	for _, url := range []string{"http://localhost:9080/_bridge/" + m[1], "http://localhost:9080/_bridge/bridge.js"} {
		for _, enc := range []string{"br", "gzip"} {
			resp, body := fetch(t, "GET", url, "Accept-Encoding", enc)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != enc {
				t.Fatalf("GET %s, %s: %d %v", url, enc, resp.StatusCode, resp.Header)
			}
			want := strconv.Itoa(len(body))
			if got := resp.Header.Get("Content-Length"); got != want || len(resp.TransferEncoding) != 0 {
				t.Errorf("GET %s, %s: Content-Length %q, Transfer-Encoding %v; the body has %s bytes", url, enc, got, resp.TransferEncoding, want)
			}
			head, hbody := fetch(t, "HEAD", url, "Accept-Encoding", enc)
			if head.StatusCode != 200 || hbody != "" || head.Header.Get("Content-Encoding") != enc || head.Header.Get("Content-Length") != want {
				t.Errorf("HEAD %s, %s: %d Content-Length %q, want %s", url, enc, head.StatusCode, head.Header.Get("Content-Length"), want)
			}
			part, pbody := fetch(t, "GET", url, "Accept-Encoding", enc, "Range", "bytes=2-9")
			if part.StatusCode != 206 || pbody != body[2:10] || part.Header.Get("Content-Length") != "8" ||
				part.Header.Get("Content-Range") != "bytes 2-9/"+want {
				t.Errorf("Range on %s, %s: %d %v %q", url, enc, part.StatusCode, part.Header, pbody)
			}
			if nm, nbody := fetch(t, "GET", url, "Accept-Encoding", enc, "If-None-Match", resp.Header.Get("Etag")); nm.StatusCode != 304 || nbody != "" || nm.Header.Get("Content-Length") != "" {
				t.Errorf("revalidating %s, %s: %d %v", url, enc, nm.StatusCode, nm.Header)
			}
			if pf, _ := fetch(t, "GET", url, "Accept-Encoding", enc, "If-Match", `"other"`); pf.StatusCode != 412 || pf.Header.Get("Content-Length") == want {
				t.Errorf("If-Match mismatch on %s, %s: %d %v", url, enc, pf.StatusCode, pf.Header)
			}
		}
	}
}
