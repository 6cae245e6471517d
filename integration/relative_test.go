package integration

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// relativePage has protocol-relative iframes to an https and an http embed
// origin; basePage has the same after a <base href>.
const (
	relativeFrames = `<iframe src="//widget.example.com/app"></iframe>
<iframe src="//localhost:9082/app"></iframe>
`
	relativePage = "<!doctype html><html><head><title>rel</title></head><body>\n" + relativeFrames + "</body></html>\n"
	basePage     = "<!doctype html><html><head><base href=\"/\"><title>rel</title></head><body>\n" + relativeFrames + "</body></html>\n"
)

var relativeToken = regexp.MustCompile(`src="//([^/"]+)/app\?__iframeBridgeSessionId=[A-Za-z0-9_-]+&amp;__iframeBridgeParentOrigin=([^"&]+)"`)

// fetchAny is fetch for http and https, trusting any certificate (the
// test's https site uses Caddy's internal CA).
func fetchAny(t *testing.T, u string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Accept", "text/html")
	tr := &http.Transport{DisableCompression: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	// Caddy obtains the internal certificate in the background: until it
	// has one, handshakes fail.
	var resp *http.Response
	var err error
	for try := 0; ; try++ {
		resp, err = (&http.Client{Transport: tr}).Do(req)
		if err == nil || try == 50 || !strings.Contains(err.Error(), "tls:") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", u, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", u, resp.StatusCode)
	}
	return string(b)
}

// TestInjectProtocolRelative serves one page under two hosts of one http
// site and under an https site: a protocol-relative iframe gets a token
// when the page's scheme makes it point at a listed embed origin, with
// that page's origin as the parent origin, never after a <base href>;
// fetching the pages in turns checks that a cached plan made for one
// origin never answers for another.
func TestInjectProtocolRelative(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/rel.html", relativePage)
	writeFile(t, dir+"/base.html", basePage)
	bridge := `bridge {
		embed https://widget.example.com http://localhost:9082
		allow_insecure_localhost
	}
	root * ` + dir + `
	file_server`
	start(t, `
http://localhost:9080, http://127.0.0.1:9080 {
	`+bridge+`
}
https://localhost:9443 {
	tls internal
	`+bridge+`
}
`)
	cases := []struct {
		url  string
		want string // "host parent-origin" of the one tokenized iframe; "" for none
	}{
		{"http://localhost:9080/rel.html", "localhost:9082 http://localhost:9080"},
		{"http://127.0.0.1:9080/rel.html", "localhost:9082 http://127.0.0.1:9080"},
		{"https://localhost:9443/rel.html", "widget.example.com https://localhost:9443"},
		{"http://localhost:9080/base.html", ""},
		{"https://localhost:9443/base.html", ""},
	}
	for round := 0; round < 2; round++ {
		for _, tc := range cases {
			body := fetchAny(t, tc.url)
			var got []string
			for _, m := range relativeToken.FindAllStringSubmatch(body, -1) {
				po, _ := url.QueryUnescape(m[2])
				got = append(got, m[1]+" "+po)
			}
			if strings.Join(got, "\n") != tc.want {
				t.Errorf("round %d, %s: tokenized %q, want %q\n%s", round, tc.url, got, tc.want, body)
			}
			// Nothing else changed: without the parameters and the shim,
			// the page is back.
			stripped := regexp.MustCompile(`\?__iframeBridgeSessionId=[^"]*`).ReplaceAllString(body, "")
			stripped = regexp.MustCompile(`<script data-caddy-bridge-shim>.*?</script>`).ReplaceAllString(stripped, "")
			if want := map[bool]string{true: basePage, false: relativePage}[strings.Contains(tc.url, "base")]; stripped != want {
				t.Errorf("round %d, %s: the rest of the page changed:\n%s", round, tc.url, stripped)
			}
		}
	}
}
