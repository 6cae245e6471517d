package integration

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

const widget = "https://widget.example.com"

// page is a small document with one iframe to rewrite, one to leave
// alone, and markup that must not change.
const page = `<!doctype html>
<html><head><title>Shop</title></head>
<body>
<!-- <iframe src="https://widget.example.com/in-comment"></iframe> -->
<script>var s = '<iframe src="https://widget.example.com/in-script">';</script>
<iframe src="https://widget.example.com/app?x=1&amp;y=2#top" title=w></iframe>
<iframe src="https://elsewhere.example/app"></iframe>
</body></html>
`

var tokenInURL = regexp.MustCompile(`__iframeBridgeSessionId=([A-Za-z0-9_-]+)&amp;__iframeBridgeParentOrigin=http%3A%2F%2Flocalhost%3A9080`)

// checkRewritten asserts that body is page with exactly one tokenized
// iframe, a shim, and nothing else changed, and returns the token.
func checkRewritten(t *testing.T, what, body string) string {
	t.Helper()
	m := tokenInURL.FindAllStringSubmatch(body, -1)
	if len(m) != 1 {
		t.Fatalf("%s: want 1 tokenized iframe, got %d in:\n%s", what, len(m), body)
	}
	if !strings.Contains(body, `src="https://widget.example.com/app?x=1&amp;y=2&amp;__iframeBridgeSessionId=`+m[0][1]+`&amp;__iframeBridgeParentOrigin=http%3A%2F%2Flocalhost%3A9080#top"`) {
		t.Errorf("%s: parameters not where they belong:\n%s", what, body)
	}
	// Remove the parameters and the shim: the page is back, byte for byte.
	stripped := strings.Replace(body, "&amp;"+m[0][0], "", 1)
	stripped = regexp.MustCompile(`<script data-caddy-bridge-shim>.*?</script>`).ReplaceAllString(stripped, "")
	if stripped != page {
		t.Errorf("%s: the rest of the page changed:\n%s", what, stripped)
	}
	if _, err := bridgekey.ParseToken(m[0][1]); err != nil {
		t.Errorf("%s: the injected value is not a token: %v", what, err)
	}
	return m[0][1]
}

func fetch(t *testing.T, method, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, string(b)
}

// compressedUpstream is an upstream that compresses whatever the request
// says, as some application servers do: it is what bridge must decode.
func compressedUpstream(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := strings.TrimPrefix(r.URL.Path, "/")
		var buf bytes.Buffer
		var zw io.WriteCloser
		switch enc {
		case "gzip":
			zw = gzip.NewWriter(&buf)
		case "br":
			zw = brotli.NewWriter(&buf)
		case "zstd":
			zw, _ = zstd.NewWriter(&buf)
		case "deflate":
			zw = zlib.NewWriter(&buf)
		case "rawdeflate":
			zw, _ = flate.NewWriter(&buf, 5)
			enc = "deflate"
		case "x-unknown":
			buf.WriteString("opaque bytes")
		default:
			http.NotFound(w, r)
			return
		}
		if zw != nil {
			io.WriteString(zw, page)
			zw.Close()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", enc)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Header().Set("ETag", `"v1"`)
		w.Write(buf.Bytes())
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestInjectThroughHandlers(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/index.html", page)
	writeFile(t, dir+"/data.json", `{"html":"<iframe src=\"https://widget.example.com/\">"}`)
	upstream := compressedUpstream(t)
	start(t, `
http://localhost:9080 {
	encode gzip
	bridge {
		embed `+widget+`
	}
	handle /proxy/* {
		uri strip_prefix /proxy
		reverse_proxy 127.0.0.1:9081 {
			header_up Accept-Encoding gzip
		}
	}
	handle /compressed/* {
		uri strip_prefix /compressed
		reverse_proxy `+upstream+`
	}
	handle /respond {
		header Content-Type text/html
		respond `+"`"+page+"`"+`
	}
	handle /nocontent {
		header Content-Type text/html
		respond 204
	}
	handle {
		root * `+dir+`
		file_server
	}
}
http://:9081 {
	encode gzip
	root * `+dir+`
	file_server
}
`)
	// file_server, respond, and a gzip-ing upstream behind reverse_proxy.
	for _, u := range []string{"/index.html", "/", "/respond", "/proxy/index.html"} {
		resp, body := fetch(t, "GET", "http://localhost:9080"+u)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", u, resp.StatusCode)
		}
		checkRewritten(t, u, body)
		h := resp.Header
		if h.Get("Cache-Control") != "private, no-store" || h.Get("Etag") != "" || h.Get("Last-Modified") != "" || h.Get("Accept-Ranges") != "" || h.Get("Content-Encoding") != "" {
			t.Errorf("%s: headers %v", u, h)
		}
		if h.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("%s: Content-Length %q for %d bytes", u, h.Get("Content-Length"), len(body))
		}
	}

	// Two loads, two tokens.
	_, b1 := fetch(t, "GET", "http://localhost:9080/index.html")
	_, b2 := fetch(t, "GET", "http://localhost:9080/index.html")
	if checkRewritten(t, "first", b1) == checkRewritten(t, "second", b2) {
		t.Error("two responses carry the same token")
	}

	// encode outside bridge compresses the rewritten page.
	resp, body := fetch(t, "GET", "http://localhost:9080/index.html", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("encode: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	checkRewritten(t, "inside encode", string(plain))

	// Upstreams that compress anyway: decoded, rewritten, sent plain.
	for _, enc := range []string{"gzip", "br", "zstd", "deflate", "rawdeflate"} {
		resp, body := fetch(t, "GET", "http://localhost:9080/compressed/"+enc)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s upstream: %d %v", enc, resp.StatusCode, resp.Header)
		}
		checkRewritten(t, enc+" upstream", body)
	}
	// An encoding bridge cannot decode passes through untouched.
	resp, body = fetch(t, "GET", "http://localhost:9080/compressed/x-unknown")
	if body != "opaque bytes" || resp.Header.Get("Content-Encoding") != "x-unknown" {
		t.Errorf("unknown encoding: %q %v", body, resp.Header)
	}

	// Conditional and Range requests still get a whole, fresh page.
	resp, body = fetch(t, "GET", "http://localhost:9080/index.html", "If-None-Match", "*", "Range", "bytes=0-10")
	if resp.StatusCode != 200 {
		t.Fatalf("conditional request: status %d", resp.StatusCode)
	}
	checkRewritten(t, "conditional", body)

	// HEAD: the headers GET would have, no body.
	resp, body = fetch(t, "HEAD", "http://localhost:9080/index.html")
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Cache-Control") != "private, no-store" || resp.Header.Get("Etag") != "" {
		t.Errorf("HEAD: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// 204: nothing to rewrite.
	if resp, _ := fetch(t, "GET", "http://localhost:9080/nocontent"); resp.StatusCode != 204 {
		t.Errorf("204: %d", resp.StatusCode)
	}

	// Non-HTML is untouched, validators and all.
	resp, body = fetch(t, "GET", "http://localhost:9080/data.json")
	if !strings.Contains(body, `src=\"https://widget.example.com/\"`) || strings.Contains(body, "__iframeBridge") || resp.Header.Get("Etag") == "" {
		t.Errorf("JSON changed: %q %v", body, resp.Header)
	}
	// Subresource requests keep their conditional headers: a 304 still works.
	etag := resp.Header.Get("Etag")
	resp, _ = fetch(t, "GET", "http://localhost:9080/data.json", "If-None-Match", etag, "Sec-Fetch-Dest", "script")
	if resp.StatusCode != 304 {
		t.Errorf("subresource revalidation: %d", resp.StatusCode)
	}

	// The injected token redeems at the embed's side of the deployment,
	// and the parent page's copy redeems at the parent.
	tok := checkRewritten(t, "redeem", b1)
	if st, ans, _ := postSession(t, "http://localhost:9080/_bridge/session", "http://localhost:9080", redeemBody(tok)); st != 200 || ans.SessionID != tok || ans.EmbedOrigin != widget {
		t.Errorf("redeeming an injected token: %d %+v", st, ans)
	}
}

// TestInjectStreamsLargePages sends a page far larger than the rewrite
// window through file_server: it streams (no Content-Length) and every
// iframe is rewritten.
func TestInjectStreamsLargePages(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><title>big</title></head><body>\n")
	const n = 2000
	for i := 0; i < n; i++ {
		b.WriteString(`<p>` + strings.Repeat("filler text ", 40) + `</p><iframe src="https://widget.example.com/i` + strconv.Itoa(i) + `"></iframe>` + "\n")
	}
	b.WriteString("</body></html>\n")
	writeFile(t, dir+"/big.html", b.String())
	start(t, `
http://localhost:9080 {
	bridge {
		embed `+widget+`
	}
	root * `+dir+`
	file_server
}
`)
	resp, body := fetch(t, "GET", "http://localhost:9080/big.html")
	if resp.Header.Get("Content-Length") != "" {
		t.Errorf("a streamed page has Content-Length %s", resp.Header.Get("Content-Length"))
	}
	if got := strings.Count(body, "?__iframeBridgeSessionId="); got != n {
		t.Errorf("rewrote %d of %d iframes", got, n)
	}
	stripped := regexp.MustCompile(`\?__iframeBridgeSessionId=[A-Za-z0-9_-]+&amp;__iframeBridgeParentOrigin=http%3A%2F%2Flocalhost%3A9080`).ReplaceAllString(body, "")
	stripped = regexp.MustCompile(`<script data-caddy-bridge-shim>.*?</script>`).ReplaceAllString(stripped, "")
	if stripped != b.String() {
		t.Errorf("the streamed page changed beyond the parameters (%d vs %d bytes)", len(stripped), b.Len())
	}
}

// TestPreloadLink checks the Link field that starts the runtime's download
// while a page that will load it is parsed: on a parent page that got
// sessions, and on an embed page opened with a session in its URL; not on
// pages without one, nor on other responses.
func TestPreloadLink(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/index.html", page)
	writeFile(t, dir+"/plain.html", "<!doctype html><title>no iframes</title><p>hello")
	writeFile(t, dir+"/data.json", `{}`)
	start(t, `
http://localhost:9080 {
	bridge {
		embed `+widget+`
	}
	root * `+dir+`
	file_server
}
http://localhost:9081 {
	bridge {
		parent http://localhost:9080
		allow_insecure_localhost
	}
	root * `+dir+`
	file_server
}
`)
	want := regexp.MustCompile(`^</_bridge/bridge\.js>; rel=modulepreload, </_bridge/(bridge\.[0-9a-f]{12}\.wasm)>; rel=preload; as=fetch; crossorigin$`)
	resp, body := fetch(t, "GET", "http://localhost:9080/index.html")
	checkRewritten(t, "parent page", body)
	m := want.FindStringSubmatch(resp.Header.Get("Link"))
	if m == nil {
		t.Fatalf("parent page: Link %q", resp.Header.Get("Link"))
	}
	// The preloaded URLs are the runtime's.
	for _, u := range []string{"/_bridge/bridge.js", "/_bridge/" + m[1]} {
		if resp, _ := fetch(t, "GET", "http://localhost:9080"+u); resp.StatusCode != 200 {
			t.Errorf("preloaded %s: %d", u, resp.StatusCode)
		}
	}
	_, src := fetch(t, "GET", "http://localhost:9080/_bridge/bridge.js")
	if !strings.Contains(src, m[1]) {
		t.Errorf("bridge.js does not load the preloaded %s", m[1])
	}

	embedPage := "http://localhost:9081/index.html?__iframeBridgeSessionId=x&__iframeBridgeParentOrigin=http%3A%2F%2Flocalhost%3A9080"
	resp, _ = fetch(t, "GET", embedPage)
	if l := resp.Header.Get("Link"); want.FindStringSubmatch(l) == nil || !strings.Contains(l, m[1]) {
		t.Errorf("embed page with a session: Link %q", l)
	}
	for _, u := range []string{
		"http://localhost:9080/plain.html", // no bridged iframe
		"http://localhost:9080/data.json",  // not HTML
		"http://localhost:9081/index.html", // no session in the URL
		"http://localhost:9081/data.json?__iframeBridgeSessionId=x",
	} {
		if resp, _ := fetch(t, "GET", u); resp.Header.Get("Link") != "" {
			t.Errorf("%s: Link %q", u, resp.Header.Get("Link"))
		}
	}
}

// TestInjectOtherMethods: a page answered to a POST (or any other method)
// is rewritten like one answered to a GET, through respond and
// reverse_proxy; the write preconditions of such requests reach the
// upstream; file_server's 405 to a POST and bodiless answers pass.
func TestInjectOtherMethods(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/index.html", page)
	// The upstream answers every method with the page and says which
	// request headers it got.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Got", r.Method+" "+string(body)+" if-match="+r.Header.Get("If-Match")+" range="+r.Header.Get("Range"))
		w.Header().Set("X-Got-Accept-Encoding", r.Header.Get("Accept-Encoding"))
		io.WriteString(w, page)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	start(t, `
http://localhost:9080 {
	bridge {
		embed `+widget+`
	}
	handle /respond {
		header Content-Type text/html
		respond `+"`"+page+"`"+`
	}
	handle /proxy {
		reverse_proxy `+ln.Addr().String()+`
	}
	handle /empty {
		header Content-Type text/html
		respond 200
	}
	handle /nocontent {
		header Content-Type text/html
		respond 204
	}
	handle {
		root * `+dir+`
		file_server
	}
}
`)
	send := func(method, path string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://localhost:9080"+path, strings.NewReader("a=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Encoding", "zstd, br")
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Sec-Fetch-Dest", "document")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: reading body: %v", method, path, err)
		}
		return resp, string(b)
	}
	for _, c := range []struct{ method, path string }{
		{"POST", "/respond"}, {"PUT", "/respond"}, {"DELETE", "/respond"}, {"PATCH", "/respond"}, {"OPTIONS", "/respond"},
		{"POST", "/proxy"}, {"PUT", "/proxy"},
	} {
		what := c.method + " " + c.path
		resp, body := send(c.method, c.path, "If-Match", `"v1"`, "Range", "bytes=0-9")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", what, resp.StatusCode)
		}
		checkRewritten(t, what, body)
		if h := resp.Header; h.Get("Cache-Control") != "private, no-store" || h.Get("Content-Length") != strconv.Itoa(len(body)) ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-src 'self' "+widget) {
			t.Errorf("%s: headers %v", what, h)
		}
		if c.path == "/proxy" {
			// Range gone, the precondition kept, and the client's
			// Accept-Encoding gone (reverse_proxy's transport asks for
			// gzip on its own, and decodes it).
			if got, want := resp.Header.Get("X-Got"), c.method+` a=1 if-match="v1" range=`; got != want {
				t.Errorf("%s: the upstream got %q, want %q", what, got, want)
			}
			if got := resp.Header.Get("X-Got-Accept-Encoding"); strings.Contains(got, "zstd") {
				t.Errorf("%s: the upstream got Accept-Encoding %q", what, got)
			}
		}
	}
	// A form posted from a page opened in a frame, with no Sec-Fetch-Dest
	// but Accept: text/html (an older browser, or curl).
	resp, body := send("POST", "/proxy", "Sec-Fetch-Dest", "")
	if resp.StatusCode != 200 {
		t.Fatalf("POST without Sec-Fetch-Dest: %d", resp.StatusCode)
	}
	checkRewritten(t, "POST without Sec-Fetch-Dest", body)
	// A script's POST is left alone.
	if _, body := send("POST", "/proxy", "Sec-Fetch-Dest", "script"); body != page {
		t.Errorf("POST for a script was changed:\n%s", body)
	}

	// file_server answers 405 to a POST, and GET still works after it.
	if resp, _ := send("POST", "/index.html"); resp.StatusCode != 405 {
		t.Errorf("POST to file_server: %d, want 405", resp.StatusCode)
	}
	if resp, body := send("GET", "/index.html"); resp.StatusCode != 200 {
		t.Errorf("GET after the 405: %d", resp.StatusCode)
	} else {
		checkRewritten(t, "GET after the 405", body)
	}

	// Bodiless answers: an empty HTML page and a 204.
	for _, m := range []string{"POST", "OPTIONS"} {
		resp, body := send(m, "/empty")
		if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Length") != "0" {
			t.Errorf("%s /empty: %d %v %q", m, resp.StatusCode, resp.Header, body)
		}
		resp, body = send(m, "/nocontent")
		if resp.StatusCode != 204 || body != "" || resp.Header.Get("Cache-Control") != "" {
			t.Errorf("%s /nocontent: %d %v %q", m, resp.StatusCode, resp.Header, body)
		}
	}
}
