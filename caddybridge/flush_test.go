package caddybridge

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TestFlushReachesClient: an upstream sends the first part of a page,
// flushes and then waits (a slow backend); the client gets that part, its
// iframe rewritten, before the rest is sent, whether the upstream
// compresses (gzip, flushed) or not. A flush used to find the decoder's
// output not yet written and left it in the buffers.
func TestFlushReachesClient(t *testing.T) {
	h := provisionTest(t, &Handler{
		Embed: []Peers{{Origins: []string{"https://widget.example.com"}, Secret: testSecretB64}},
	})
	part1 := "<!doctype html><html><head></head><body><iframe src=\"https://widget.example.com/app\"></iframe><p>FIRST-PART-MARKER</p>\n"
	part2 := "<p>second</p></body></html>"
	for _, enc := range []string{"", "gzip"} {
		t.Run("enc="+enc, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
					w.Header().Set("Content-Type", "text/html")
					rc := http.NewResponseController(w)
					if enc == "" {
						w.Write([]byte(part1))
						rc.Flush()
						<-release
						w.Write([]byte(part2))
						return nil
					}
					w.Header().Set("Content-Encoding", "gzip")
					var buf bytes.Buffer
					zw := gzip.NewWriter(&buf)
					zw.Write([]byte(part1))
					zw.Flush()
					w.Write(buf.Bytes())
					buf.Reset()
					rc.Flush()
					<-release
					zw.Write([]byte(part2))
					zw.Close()
					w.Write(buf.Bytes())
					return nil
				})
				r.Header.Set("Sec-Fetch-Dest", "document")
				if err := h.ServeHTTP(w, r, next); err != nil {
					t.Error(err)
				}
			}))
			defer srv.Close()
			defer close(release)
			tr := &http.Transport{DisableCompression: true}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got := make(chan string, 1)
			go func() {
				br := bufio.NewReader(resp.Body)
				var sb strings.Builder
				for {
					line, err := br.ReadString('\n')
					sb.WriteString(line)
					if strings.Contains(sb.String(), "FIRST-PART-MARKER") || err != nil {
						got <- sb.String()
						return
					}
				}
			}()
			select {
			case s := <-got:
				if !strings.Contains(s, "FIRST-PART-MARKER") || !strings.Contains(s, "app?"+DefaultSessionParam+"=") {
					t.Errorf("first part: %q", s)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("the flushed first part did not reach the client within 10 s (upstream Content-Encoding %q)", enc)
			}
		})
	}
}
