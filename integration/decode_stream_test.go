package integration

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// bigIframePage is a page over the rewrite window with n iframes to
// rewrite.
func bigIframePage(n int) string {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><title>big</title></head><body>\n")
	for i := 0; i < n; i++ {
		b.WriteString(`<p>` + strings.Repeat("filler text ", 40) + `</p><iframe src="https://widget.example.com/i` + strconv.Itoa(i) + `"></iframe>` + "\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

var (
	paramsRE = regexp.MustCompile(`\?__iframeBridgeSessionId=[A-Za-z0-9_-]+&amp;__iframeBridgeParentOrigin=http%3A%2F%2Flocalhost%3A9080`)
	shimRE   = regexp.MustCompile(`<script data-caddy-bridge-shim>.*?</script>`)
)

// flushingGzipUpstream serves page gzip-compressed and chunked, flushing
// after every 8 KiB of compressed output (as a streaming backend does),
// with the status the path names (/200, /404).
func flushingGzipUpstream(t *testing.T, page string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(status)
		zw := gzip.NewWriter(flushEvery{w: w, f: w.(http.Flusher)})
		for s := page; s != ""; {
			n := min(len(s), 16<<10)
			io.WriteString(zw, s[:n])
			zw.Flush()
			s = s[n:]
		}
		zw.Close()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// flushEvery flushes the response after each write.
type flushEvery struct {
	w io.Writer
	f http.Flusher
}

func (f flushEvery) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	f.f.Flush()
	return n, err
}

// TestDecodedStreamingPagesUnderLoad: a compressed page from an upstream
// that flushes as it goes is decoded, rewritten and streamed intact to
// many clients at once, with the upstream's status (a flush used to
// race the decoder for the downstream writer, corrupting pages and
// sending an implicit 200).
func TestDecodedStreamingPagesUnderLoad(t *testing.T) {
	const n = 400
	page := bigIframePage(n)
	up := flushingGzipUpstream(t, page)
	start(t, `
http://localhost:9080 {
	bridge {
		embed `+widget+`
	}
	reverse_proxy `+up+` {
		header_up Accept-Encoding gzip
	}
}
`)
	for _, status := range []int{200, 404} {
		const clients, rounds = 12, 3
		var wg sync.WaitGroup
		errs := make(chan string, clients*rounds)
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < rounds; r++ {
					req, _ := http.NewRequest("GET", fmt.Sprintf("http://localhost:9080/%d", status), nil)
					req.Header.Set("Accept", "text/html")
					req.Header.Set("Accept-Encoding", "identity")
					resp, err := http.DefaultTransport.RoundTrip(req)
					if err != nil {
						errs <- err.Error()
						continue
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					body := string(b)
					switch {
					case err != nil:
						errs <- err.Error()
					case resp.StatusCode != status:
						errs <- fmt.Sprintf("status %d, want %d", resp.StatusCode, status)
					case resp.Header.Get("Content-Encoding") != "":
						errs <- "Content-Encoding " + resp.Header.Get("Content-Encoding")
					case strings.Count(body, "?__iframeBridgeSessionId=") != n:
						errs <- fmt.Sprintf("%d of %d iframes rewritten (%d bytes)", strings.Count(body, "?__iframeBridgeSessionId="), n, len(body))
					case shimRE.ReplaceAllString(paramsRE.ReplaceAllString(body, ""), "") != page:
						errs <- fmt.Sprintf("the page changed beyond the parameters (%d bytes)", len(body))
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		bad := 0
		for e := range errs {
			if bad < 5 {
				t.Errorf("status %d: %s", status, e)
			}
			bad++
		}
		if bad > 0 {
			t.Errorf("status %d: %d of %d responses wrong", status, bad, clients*rounds)
		}
	}
}

// TestEncodeCompressesStreamedPages: encode, ordered before bridge,
// compresses a page that streams (past the rewrite window) as it does a
// small one; the streaming rewriter's first write used to be the few
// bytes before the shim, under encode's minimum length.
func TestEncodeCompressesStreamedPages(t *testing.T) {
	dir := t.TempDir()
	page := bigIframePage(400)
	writeFile(t, dir+"/big.html", page)
	start(t, `
http://localhost:9080 {
	encode gzip
	bridge {
		embed `+widget+`
	}
	root * `+dir+`
	file_server
}
`)
	resp, body := fetch(t, "GET", "http://localhost:9080/big.html", "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("streamed page through encode: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if got := shimRE.ReplaceAllString(paramsRE.ReplaceAllString(string(b), ""), ""); got != page {
		t.Errorf("the decompressed page changed beyond the parameters (%d vs %d bytes)", len(got), len(page))
	}
	if strings.Count(string(b), "?__iframeBridgeSessionId=") != 400 {
		t.Errorf("not every iframe was rewritten")
	}
}
