package integration

import (
	"io"
	"net/http"
	"strings"

	"github.com/caddybridge/caddy-bridge/caddybridge"
	"testing"
)

// upstreamSites is a plain Caddy site that plays the upstream: each path
// answers with a different Content-Security-Policy.
const upstreamSites = `
http://:9081 {
	handle /none {
		header Content-Type text/html
		respond "<p>no policy</p>"
	}
	handle /frame-src {
		header Content-Type text/html
		header Content-Security-Policy "frame-src https://maps.example.com; img-src *"
		respond "<p>frame-src</p>"
	}
	handle /default-src {
		header Content-Type text/html
		header Content-Security-Policy "default-src 'self' https://cdn.example.com; img-src *"
		respond "<p>default-src</p>"
	}
	handle /child-src {
		header Content-Type text/html
		header Content-Security-Policy "child-src 'none'; object-src 'none'"
		respond "<p>child-src</p>"
	}
	handle /two-fields {
		header Content-Type text/html
		header +Content-Security-Policy "frame-src 'self'"
		header +Content-Security-Policy "script-src 'self' 'nonce-abc', frame-src 'none'"
		respond "<p>two fields</p>"
	}
	handle /xfo {
		header Content-Type text/html
		header X-Frame-Options DENY
		header Content-Security-Policy "frame-ancestors 'none'; default-src 'self'"
		respond "<p>xfo</p>"
	}
	handle /json {
		header Content-Type application/json
		header Content-Security-Policy "default-src 'none'"
		respond "{}"
	}
	handle /report-only {
		header Content-Type text/html
		header Content-Security-Policy-Report-Only "default-src 'self'"
		respond "<p>report only</p>"
	}
}
`

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestCSPThroughReverseProxy puts bridge in front of reverse_proxy and
// checks how it merges each upstream policy.
func TestCSPThroughReverseProxy(t *testing.T) {
	start(t, `
http://localhost:9080 {
	bridge {
		embed https://widget.example.com http://localhost:9082
		allow_insecure_localhost
	}
	reverse_proxy 127.0.0.1:9081
}
http://localhost:9083 {
	bridge {
		parent https://shop.example.com
	}
	reverse_proxy 127.0.0.1:9081
}
http://localhost:9084 {
	bridge {
		embed https://widget.example.com
		csp report_only
	}
	reverse_proxy 127.0.0.1:9081
}
http://localhost:9085 {
	bridge {
		embed https://widget.example.com
		csp off
	}
	reverse_proxy 127.0.0.1:9081
}
`+upstreamSites)

	const embeds = "https://widget.example.com http://localhost:9082"
	shim := " " + caddybridge.ShimCSPSource
	cases := []struct {
		url        string
		csp, cspRO []string // want exact header values; nil: absent
		xfo        string
	}{
		{"http://localhost:9080/none", []string{"frame-src 'self' " + embeds}, nil, ""},
		{"http://localhost:9080/frame-src", []string{"frame-src https://maps.example.com " + embeds + "; img-src *"}, nil, ""},
		{"http://localhost:9080/default-src", []string{"default-src 'self' https://cdn.example.com; img-src *; frame-src 'self' https://cdn.example.com " + embeds + "; script-src 'self' https://cdn.example.com 'wasm-unsafe-eval'" + shim + "; connect-src 'self' https://cdn.example.com"}, nil, ""},
		{"http://localhost:9080/child-src", []string{"child-src 'none'; object-src 'none'; frame-src " + embeds}, nil, ""},
		{"http://localhost:9080/two-fields", []string{"frame-src 'self' " + embeds, "script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'" + shim + ", frame-src " + embeds}, nil, ""},
		{"http://localhost:9080/json", []string{"default-src 'none'"}, nil, ""},
		{"http://localhost:9080/report-only", []string{"frame-src 'self' " + embeds}, []string{"default-src 'self'; frame-src 'self' " + embeds + "; script-src 'self' 'wasm-unsafe-eval'" + shim + "; connect-src 'self'"}, ""},
		// Embed role: frame-ancestors on every response, X-Frame-Options gone.
		{"http://localhost:9083/xfo", []string{"frame-ancestors https://shop.example.com; default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'"}, nil, ""},
		{"http://localhost:9083/none", []string{"frame-ancestors 'self' https://shop.example.com"}, nil, ""},
		{"http://localhost:9083/json", []string{"default-src 'none'", "frame-ancestors 'self' https://shop.example.com"}, nil, ""},
		// report_only: the module's own policy goes to the report-only header.
		{"http://localhost:9084/none", nil, []string{"frame-src 'self' https://widget.example.com"}, ""},
		{"http://localhost:9084/frame-src", []string{"frame-src https://maps.example.com https://widget.example.com; img-src *"}, nil, ""}, // enforced policy restricts: nothing reported
		// off: untouched.
		{"http://localhost:9085/frame-src", []string{"frame-src https://maps.example.com; img-src *"}, nil, ""},
		{"http://localhost:9085/xfo", []string{"frame-ancestors 'none'; default-src 'self'"}, nil, "DENY"},
	}
	for _, c := range cases {
		resp := get(t, c.url)
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", c.url, resp.StatusCode)
		}
		if got := resp.Header.Values("Content-Security-Policy"); !equal(got, c.csp) {
			t.Errorf("%s: Content-Security-Policy\n got %q\nwant %q", c.url, got, c.csp)
		}
		if got := resp.Header.Values("Content-Security-Policy-Report-Only"); !equal(got, c.cspRO) {
			t.Errorf("%s: Content-Security-Policy-Report-Only\n got %q\nwant %q", c.url, got, c.cspRO)
		}
		if got := resp.Header.Get("X-Frame-Options"); got != c.xfo {
			t.Errorf("%s: X-Frame-Options %q, want %q", c.url, got, c.xfo)
		}
	}
}

// TestCSPFileServerAndRespond checks that the policy is applied however
// the response is written: file_server (ReadFrom), respond, and a HEAD.
func TestCSPFileServerAndRespond(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/index.html", "<!doctype html><title>x</title><iframe src=https://widget.example.com/></iframe>")
	start(t, `
http://localhost:9080 {
	bridge {
		embed https://widget.example.com
	}
	root * `+dir+`
	file_server
}
http://localhost:9083 {
	bridge {
		embed https://widget.example.com
	}
	header Content-Type "text/html; charset=utf-8"
	respond "<html>hello</html>"
}
`)
	want := "frame-src 'self' https://widget.example.com"
	for _, u := range []string{"http://localhost:9080/", "http://localhost:9080/index.html", "http://localhost:9083/"} {
		resp := get(t, u)
		if got := resp.Header.Get("Content-Security-Policy"); got != want {
			t.Errorf("GET %s: Content-Security-Policy %q, want %q", u, got, want)
		}
	}
	req, _ := http.NewRequest("HEAD", "http://localhost:9080/index.html", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != want {
		t.Errorf("HEAD: Content-Security-Policy %q, want %q", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReferrerPolicyOnlyTightened: an embed page opened with a token gets
// a Referrer-Policy that keeps the token out of Referer headers, but an
// upstream policy that already does so, or is stricter, is kept.
func TestReferrerPolicyOnlyTightened(t *testing.T) {
	start(t, `
http://localhost:9080 {
	bridge {
		parent https://shop.example.com
	}
	handle /none {
		respond "<p>none</p>"
	}
	handle /no-referrer {
		header Referrer-Policy no-referrer
		respond "<p>no-referrer</p>"
	}
	handle /same-origin {
		header Referrer-Policy same-origin
		respond "<p>same-origin</p>"
	}
	handle /weak {
		header Referrer-Policy "no-referrer, strict-origin-when-cross-origin"
		respond "<p>weak</p>"
	}
}
`)
	for _, c := range []struct{ path, want string }{
		{"/none", "strict-origin"},
		{"/no-referrer", "no-referrer"},
		{"/same-origin", "no-referrer"},
		{"/weak", "strict-origin"},
	} {
		resp, _ := fetch(t, "GET", "http://localhost:9080"+c.path+"?__iframeBridgeSessionId=abc")
		if got := resp.Header.Values("Referrer-Policy"); len(got) != 1 || got[0] != c.want {
			t.Errorf("%s with a token: Referrer-Policy %q, want %q", c.path, got, c.want)
		}
		resp, _ = fetch(t, "GET", "http://localhost:9080"+c.path)
		if c.path == "/none" && resp.Header.Get("Referrer-Policy") != "" {
			t.Errorf("%s without a token: Referrer-Policy %q", c.path, resp.Header.Get("Referrer-Policy"))
		}
	}
}

// TestErrorPagesFramingPolicy: in the embed role, error pages written by
// handle_errors (or Caddy's bare status) carry frame-ancestors and lose
// X-Frame-Options; a handle_errors that sets its own policy and has a
// bridge of its own gets it merged; the parent role leaves error pages
// alone.
func TestErrorPagesFramingPolicy(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/index.html", "<p>home</p>")
	start(t, `
http://localhost:9080 {
	header X-Frame-Options DENY
	bridge {
		parent https://shop.example.com
	}
	root * `+dir+`
	file_server
	handle_errors {
		header Content-Type text/html
		respond "<h1>{err.status_code}</h1>"
	}
}

http://127.0.0.1:9080 {
	bridge {
		parent https://shop.example.com
	}
	root * `+dir+`
	file_server
	handle_errors {
		header Content-Type text/html
		header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'"
		header +Content-Security-Policy "frame-ancestors 'self'"
		bridge {
			parent https://shop.example.com
		}
		respond "<h1>{err.status_code}</h1>"
	}
}

http://localhost:9081 {
	header X-Frame-Options DENY
	bridge {
		parent https://shop.example.com
	}
	root * `+dir+`
	file_server
}

http://localhost:9082 {
	bridge {
		embed https://widget.example.com
	}
	root * `+dir+`
	file_server
	handle_errors {
		header Content-Type text/html
		respond `+"`"+`<iframe src="https://widget.example.com/app"></iframe>`+"`"+`
	}
}
`)
	const ancestors = "frame-ancestors 'self' https://shop.example.com"
	// handle_errors with respond, and Caddy's bare status without it.
	for _, u := range []string{"http://localhost:9080/missing", "http://localhost:9081/missing"} {
		resp, body := fetch(t, "GET", u+"?__iframeBridgeSessionId=abc")
		if resp.StatusCode != 404 {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
		if u == "http://localhost:9080/missing" && body != "<h1>404</h1>" {
			t.Errorf("%s: body %q", u, body)
		}
		h := resp.Header
		if got := h.Values("Content-Security-Policy"); len(got) != 1 || got[0] != ancestors {
			t.Errorf("%s: Content-Security-Policy %q, want %q", u, got, ancestors)
		}
		if h.Get("X-Frame-Options") != "" || h.Get("Referrer-Policy") != "strict-origin" {
			t.Errorf("%s: headers %v", u, h)
		}
	}
	// POST to file_server: its 405 is an error too.
	if resp, _ := fetch(t, "POST", "http://localhost:9080/index.html"); resp.StatusCode != 405 ||
		resp.Header.Get("Content-Security-Policy") != ancestors || resp.Header.Get("X-Frame-Options") != "" {
		t.Errorf("405: %d %v", resp.StatusCode, resp.Header)
	}
	// The page itself, as before.
	if resp, _ := fetch(t, "GET", "http://localhost:9080/index.html"); resp.StatusCode != 200 ||
		resp.Header.Get("Content-Security-Policy") != ancestors || resp.Header.Get("X-Frame-Options") != "" {
		t.Errorf("page: %d %v", resp.StatusCode, resp.Header)
	}

	// handle_errors replaces the policy, adds another, and merges both
	// through its own bridge: each allows the parent, none twice.
	resp, _ := fetch(t, "GET", "http://127.0.0.1:9080/missing")
	// (The handle_errors bridge treats the HTML as a page that may load
	// the runtime, hence the script allowances.)
	want := []string{"default-src 'self'; frame-ancestors https://shop.example.com; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'", "frame-ancestors 'self' https://shop.example.com"}
	if got := resp.Header.Values("Content-Security-Policy"); resp.StatusCode != 404 || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("handle_errors with its own policy: %d %q, want %q", resp.StatusCode, got, want)
	}

	// Parent role: an error page is not rewritten and gets no frame-src.
	resp, body := fetch(t, "GET", "http://localhost:9082/missing")
	if resp.StatusCode != 404 || body != `<iframe src="https://widget.example.com/app"></iframe>` || resp.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("parent role error page: %d %v %q", resp.StatusCode, resp.Header, body)
	}
}
