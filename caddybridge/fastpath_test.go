package caddybridge

import (
	"context"
	"crypto/tls"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

const testSecretB64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// provisionTest provisions and validates h with secrets in its config (no
// storage needed).
func provisionTest(tb testing.TB, h *Handler) *Handler {
	tb.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	tb.Cleanup(cancel)
	if err := h.Provision(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := h.Validate(); err != nil {
		tb.Fatal(err)
	}
	return h
}

// cspFastConfigs are handler configs for the fast-path tests: each role,
// both, and each CSP mode.
func cspFastConfigs() map[string]func() *Handler {
	embed := []Peers{{Origins: []string{"https://widget.example.com", "https://maps.example.net:8443"}, Secret: testSecretB64}}
	parent := []Peers{{Origins: []string{"https://shop.example.com"}, Secret: testSecretB64}}
	return map[string]func() *Handler{
		"embed":             func() *Handler { return &Handler{Embed: embed} },
		"parent":            func() *Handler { return &Handler{Parent: parent} },
		"both":              func() *Handler { return &Handler{Embed: embed, Parent: parent} },
		"embed report_only": func() *Handler { return &Handler{Embed: embed, CSP: CSPReportOnly} },
		"both report_only":  func() *Handler { return &Handler{Embed: embed, Parent: parent, CSP: CSPReportOnly} },
		"both off":          func() *Handler { return &Handler{Embed: embed, Parent: parent, CSP: CSPOff} },
	}
}

// noPolicyHeaders are response headers without a policy field, in the
// shapes a map can hold them.
func noPolicyHeaders() []http.Header {
	return []http.Header{
		{},
		{"X-Frame-Options": {"DENY"}},
		{"X-Frame-Options": {"SAMEORIGIN", "DENY"}, "Content-Type": {"text/html"}},
		{"Content-Security-Policy": {}},
		{"Content-Security-Policy": nil, "Content-Security-Policy-Report-Only": nil},
		{"Content-Security-Policy-Report-Only": make([]string, 0, 3)},
		{"Content-Security-Policy": make([]string, 0, 1), "X-Frame-Options": {}},
		// Non-canonical keys: neither path sees them.
		{"content-security-policy": {"default-src 'none'"}, "x-frame-options": {"DENY"}},
	}
}

func cloneHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		if v == nil {
			out[k] = nil
			continue
		}
		c := make([]string, len(v), cap(v))
		copy(c, v)
		out[k] = c
	}
	return out
}

// TestPrecomputedCSP checks that a cspFixed makes exactly the edits of
// applyCSP on headers without policies, for the wants of every test case
// of csp_test.go and of real handler configs, in every mode.
func TestPrecomputedCSP(t *testing.T) {
	wants := []cspWant{{}, cspWantFrames, cspWantAncestors, cspWantScripts, cspWantAll, {Scripts: true}}
	for _, tc := range cspTests {
		wants = append(wants, tc.want)
	}
	for _, mk := range cspFastConfigs() {
		h := provisionTest(t, mk())
		wants = append(wants, h.wantOther, h.wantHTML)
		w := h.wantHTML
		w.ScriptHashes = shimHashes
		wants = append(wants, w)
	}
	for _, mode := range []string{cspEnforce, cspReportOnly, cspOff, "bogus"} {
		for i, want := range wants {
			f := precomputeCSP(mode, want)
			if !f.ok {
				t.Fatalf("mode %s, want %d %+v: not precomputable", mode, i, want)
			}
			for _, in := range noPolicyHeaders() {
				if !noPolicies(in) {
					t.Fatalf("noPolicies(%v) = false", in)
				}
				slow, fast := cloneHeader(in), cloneHeader(in)
				applyCSP(slow, mode, want)
				f.apply(fast, func(v string) []string { return []string{v} })
				if !reflect.DeepEqual(slow, fast) {
					t.Fatalf("mode %s, want %+v, headers %v:\napplyCSP  %v\nprecomputed %v", mode, want, in, slow, fast)
				}
			}
		}
	}
	for _, h := range []http.Header{
		{"Content-Security-Policy": {"default-src 'self'"}},
		{"Content-Security-Policy-Report-Only": {""}},
	} {
		if noPolicies(h) {
			t.Errorf("noPolicies(%v) = true", h)
		}
	}
}

// TestServeHeadersFastPath serves responses through handlers with the
// precomputed policy edits and through the same handlers without them
// (applyCSP every time), and checks that the headers and bodies agree up to
// the tokens.
func TestServeHeadersFastPath(t *testing.T) {
	page := `<!doctype html><html><head><title>t</title></head><body><iframe src="https://widget.example.com/a"></iframe></body></html>`
	type response struct {
		ct     string
		status int
		header http.Header
	}
	var responses []response
	for _, ct := range []string{"text/html; charset=utf-8", "application/javascript", ""} {
		for _, status := range []int{200, 404} {
			for _, hdr := range append(noPolicyHeaders(),
				http.Header{"Content-Security-Policy": {"frame-src 'none'; script-src 'self'"}},
				http.Header{"Content-Security-Policy-Report-Only": {"default-src 'self'"}, "X-Frame-Options": {"DENY"}},
			) {
				responses = append(responses, response{ct, status, hdr})
			}
		}
	}
	for name, mk := range cspFastConfigs() {
		fast := provisionTest(t, mk())
		slow := provisionTest(t, mk())
		slow.cspFixed = [3]cspFixed{} // ok == false: applyCSP every time
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			for i, resp := range responses {
				serve := func(h *Handler) (http.Header, string) {
					next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
						maps.Copy(w.Header(), cloneHeader(resp.header))
						if resp.ct != "" {
							w.Header().Set("Content-Type", resp.ct)
						}
						w.Header().Set("Etag", `"x"`)
						w.WriteHeader(resp.status)
						_, err := io.WriteString(w, page)
						return err
					})
					req := httptest.NewRequest(method, "https://shop.example.com/page?__iframeBridgeSessionId=x", nil)
					req.TLS = &tls.ConnectionState{}
					req.Header.Set("Sec-Fetch-Dest", "document")
					rec := httptest.NewRecorder()
					if err := h.ServeHTTP(rec, req, next); err != nil {
						t.Fatal(err)
					}
					return rec.Result().Header, cutTokens(rec.Body.String())
				}
				hf, bf := serve(fast)
				hs, bs := serve(slow)
				if !reflect.DeepEqual(hf, hs) || bf != bs {
					t.Fatalf("%s, %s, response %d %+v:\nfast %v\n%s\nslow %v\n%s", name, method, i, resp, hf, bf, hs, bs)
				}
			}
		}
	}
}

// cutTokens removes the values of the session parameter.
func cutTokens(s string) string {
	const p = DefaultSessionParam + "="
	var b strings.Builder
	for {
		i := strings.Index(s, p)
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i+len(p)])
		s = s[i+len(p):]
		j := strings.IndexFunc(s, func(r rune) bool {
			return !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", r)
		})
		if j < 0 {
			j = len(s)
		}
		s = s[j:]
	}
}

// TestAppendSelfOrigin checks the allocation-free origin against
// selfOrigin.
func TestAppendSelfOrigin(t *testing.T) {
	h := &Handler{}
	for _, host := range []string{
		"shop.example.com", "Shop.Example.COM", "shop.example.com:443", "SHOP.example.com:80",
		"shop.example.com:8443", "127.0.0.1:9444", "[::1]:443", "[::1]", "", ":443", ":80",
		"xn--bcher-kva.example", "bücher.example", "BÜCHER.example:443", "\xff\xfe", "a:443:443",
		strings.Repeat("long.", 60) + "example",
	} {
		for _, secure := range []bool{false, true} {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = host
			r.TLS = nil
			if secure {
				r.TLS = &tls.ConnectionState{}
			}
			want := h.selfOrigin(r)
			got, ok := appendSelfOrigin([]byte("x"), r)
			ascii := !strings.ContainsFunc(host, func(c rune) bool { return c >= 0x80 })
			if ok != ascii || ok && string(got) != "x"+want {
				t.Errorf("host %q, TLS %v: got %q, %v; want %q, %v", host, secure, got, ok, "x"+want, ascii)
			}
		}
	}
}

// TestDeploymentsFor checks that the look-up without a string finds the
// set that deployments builds, and that a configured origin wins.
func TestDeploymentsFor(t *testing.T) {
	h := provisionTest(t, &Handler{Embed: []Peers{{Origins: []string{"https://widget.example.com"}, Secret: testSecretB64}}})
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "Shop.Example:443"
	r.TLS = &tls.ConnectionState{}
	first := h.deploymentsFor(r)
	if first.self != "https://shop.example" || h.deploymentsFor(r) != first || h.deployments("https://shop.example") != first {
		t.Fatalf("deploymentsFor: %q, not the cached set", first.self)
	}
	r.Host = "bücher.example"
	if ds := h.deploymentsFor(r); ds.self != h.selfOrigin(r) {
		t.Fatalf("non-ASCII host: %q", ds.self)
	}
	fixed := provisionTest(t, &Handler{Origin: "https://shop.example", Embed: []Peers{{Origins: []string{"https://widget.example.com"}, Secret: testSecretB64}}})
	if ds := fixed.deploymentsFor(r); ds != fixed.fixed {
		t.Fatal("configured origin: not the fixed set")
	}
}

func TestItoa(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 99, 100, 40177, 41190, 41206, 1 << 40} {
		for range 2 { // computed, then cached
			if got := itoa(n); got != strconv.Itoa(n) {
				t.Fatalf("itoa(%d) = %q", n, got)
			}
		}
	}
	// Lengths that share a slot take turns.
	for i := range 100 {
		n := 1000 + 16*(i%3)
		if got := itoa(n); got != strconv.Itoa(n) {
			t.Fatalf("itoa(%d) = %q", n, got)
		}
	}
}

// TestHeaderField checks that the value lists handed out by field do not
// share storage: appending to one leaves the others alone.
func TestHeaderField(t *testing.T) {
	var rw responseWriter
	var lists [][]string
	for i := range 6 {
		lists = append(lists, rw.field(strconv.Itoa(i)))
	}
	for i, l := range lists {
		if len(l) != 1 || cap(l) != 1 || l[0] != strconv.Itoa(i) {
			t.Fatalf("list %d: %q (cap %d)", i, l, cap(l))
		}
		lists[i] = append(l, "more")
	}
	for i, l := range lists {
		if !slices.Equal(l, []string{strconv.Itoa(i), "more"}) {
			t.Fatalf("list %d: %q", i, l)
		}
	}
}

func TestPlanKey(t *testing.T) {
	var pages [][]byte
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 40177} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 7)
		}
		pages = append(pages, p)
	}
	for _, p := range pages {
		k := planKeyOf(p)
		if k != planKeyOf(append([]byte(nil), p...)) || k.size != len(p) {
			t.Fatalf("len %d: key %+v not stable", len(p), k)
		}
		if len(p) < 2 {
			continue
		}
		// A change in the first or last piece, or in the middle of the
		// page, changes the key.
		for _, at := range []int{0, len(p) / 2, len(p) - 1} {
			q := append([]byte(nil), p...)
			q[at] ^= 1
			if len(p) > planSamples*planSampleSize && at == len(p)/2 && !sampled(len(p), at) {
				continue // not sampled: only the comparison tells
			}
			if planKeyOf(q) == k {
				t.Errorf("len %d: a change at %d keeps the key", len(p), at)
			}
		}
	}
}

// TestServeFileAllocs checks that the bridge adds at most one allocation
// per response to a file_server-like handler whose page it rewrites from
// the plan cache: the writer itself. (Header values, tokens, the policy,
// the Content-Length and the counters allocate nothing.)
func TestServeFileAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	h := provisionTest(t, &Handler{Embed: []Peers{{Origins: []string{"https://widget.example.com"}, Secret: testSecretB64}}})
	page := benchPage
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		hdr := w.Header()
		hdr["Content-Type"] = []string{"text/html; charset=utf-8"}
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(page)
		return err
	})
	req := httptest.NewRequest("GET", "https://localhost:9444/", nil)
	req.TLS = &tls.ConnectionState{}
	req.Header.Set("Sec-Fetch-Dest", "document")
	w := &fileDiscard{h: make(http.Header)}
	plain := testing.AllocsPerRun(200, func() {
		clear(w.h)
		_ = next.ServeHTTP(w, req)
	})
	bridge := testing.AllocsPerRun(200, func() {
		clear(w.h)
		if err := h.ServeHTTP(w, req, next); err != nil {
			t.Fatal(err)
		}
	})
	if bridge-plain > 1 {
		t.Errorf("the bridge adds %v allocations per response (plain %v, bridge %v), want at most 1", bridge-plain, plain, bridge)
	}
}

// sampled reports whether planKeyOf hashes the byte at of a page of n
// bytes.
func sampled(n, at int) bool {
	for i := range planSamples {
		start := i * (n - planSampleSize) / (planSamples - 1)
		if start <= at && at < start+planSampleSize {
			return true
		}
	}
	return false
}
