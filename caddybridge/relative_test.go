package caddybridge

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// relativePage has protocol-relative iframes to both embed origins of
// relativeHandler, then a <base href> and the same iframes again.
const relativePage = `<!doctype html><html><head><title>t</title></head><body>
<iframe src="//widget.example.com/app"></iframe>
<iframe src="//localhost:8080/app"></iframe>
<base href="https://widget.example.com/">
<iframe src="//widget.example.com/after-base"></iframe>
<iframe src="//localhost:8080/after-base"></iframe>
</body></html>
`

func relativeHandler(t *testing.T, origin string) *Handler {
	return provisionTest(t, &Handler{
		Embed:                  []Peers{{Origins: []string{"https://widget.example.com", "http://localhost:8080"}, Secret: testSecretB64}},
		AllowInsecureLocalhost: true,
		Origin:                 origin,
	})
}

var rewrittenSrc = regexp.MustCompile(`src="//([^/"]+)/([a-z-]+)\?` + DefaultSessionParam + `=[A-Za-z0-9_-]+&amp;` + DefaultParentParam + `=([^"&]+)"`)

// serveRelative serves page through h for a request to u and returns, for
// each rewritten iframe, "host/path parent-origin".
// With proxyProto set, the request comes from a trusted proxy that says
// the client used that scheme.
func serveRelative(t *testing.T, h *Handler, u, proxyProto, page string) []string {
	t.Helper()
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, err := io.WriteString(w, page)
		return err
	})
	req := httptest.NewRequest("GET", u, nil)
	req.TLS = nil
	if strings.HasPrefix(u, "https:") {
		req.TLS = &tls.ConnectionState{}
	}
	req.Header.Set("Sec-Fetch-Dest", "document")
	if proxyProto != "" {
		vars := map[string]any{caddyhttp.TrustedProxyVarKey: true}
		req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, vars))
		req.Header.Set("X-Forwarded-Proto", proxyProto)
	}
	rec := httptest.NewRecorder()
	if err := h.ServeHTTP(rec, req, next); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range rewrittenSrc.FindAllStringSubmatch(rec.Body.String(), -1) {
		po, err := url.QueryUnescape(m[3])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m[1]+"/"+m[2]+" "+po)
	}
	return got
}

// TestProtocolRelativePerOrigin serves one page from one handler under
// several request origins, in turns so that cached plans are reused: a
// protocol-relative iframe gets a token when the scheme of this site's
// origin makes it point at a listed embed origin, never after a <base
// href>, and a plan made for one origin never serves another. With a
// configured origin, only requests that arrived with its scheme (over TLS,
// or through a trusted proxy that says so) resolve them: a configured
// https origin also served over plain http leaves them alone, so that no
// token goes to the http twin of an embed. Pages that
// fit the rewrite window (planned and cached) and pages that stream must
// decide alike.
func TestProtocolRelativePerOrigin(t *testing.T) {
	big := relativePage + "<!--" + strings.Repeat("x", rewriteWindow) + "-->"
	for _, page := range []string{relativePage, big} {
		h := relativeHandler(t, "")
		fixed := relativeHandler(t, "https://shop.example.com")
		cases := []struct {
			h          *Handler
			url, proxy string
			want       []string
		}{
			{h, "https://shop.example.com/", "", []string{"widget.example.com/app https://shop.example.com"}},
			{h, "http://shop.example.com/", "", []string{"localhost:8080/app http://shop.example.com"}},
			{h, "http://other.example.com:8081/x/y", "", []string{"localhost:8080/app http://other.example.com:8081"}},
			{h, "https://other.example.com/", "", []string{"widget.example.com/app https://other.example.com"}},
			// A configured origin: over TLS, or behind a trusted proxy
			// that ends TLS and says https, the page's scheme is the
			// origin's; plain http without such a proxy is not.
			{fixed, "https://shop.example.com/", "", []string{"widget.example.com/app https://shop.example.com"}},
			{fixed, "http://shop.example.com/", "https", []string{"widget.example.com/app https://shop.example.com"}},
			{fixed, "http://shop.example.com/", "", nil},
			{fixed, "http://shop.example.com/", "http", nil},
		}
		for round := 0; round < 2; round++ {
			for _, tc := range cases {
				got := serveRelative(t, tc.h, tc.url, tc.proxy, page)
				if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("page of %d bytes, round %d, %s: rewritten\n%q\nwant\n%q", len(page), round, tc.url, got, tc.want)
				}
			}
		}
	}
}
