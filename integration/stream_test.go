package integration

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bigPage writes a page of about size bytes with an iframe to rewrite
// every 64 KiB and returns its path and iframe count.
func bigPage(t testing.TB, dir string, size int) (string, int) {
	t.Helper()
	name := dir + "/big-" + strconv.Itoa(size) + ".html"
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("<!doctype html><html><head><title>big</title></head><body>\n")
	chunk := "<p>" + strings.Repeat("Lorem ipsum dolor sit amet, consectetur. ", 1590) + "</p>\n"
	n := 0
	for written := 0; written < size; written += len(chunk) {
		w.WriteString(chunk)
		w.WriteString(`<iframe src="https://widget.example.com/w` + strconv.Itoa(n) + `"></iframe>` + "\n")
		n++
	}
	w.WriteString("</body></html>\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return name, n
}

// streamPage GETs url and reads the body in 32 KiB pieces, sampling the
// process heap (the test Caddy runs in this process) after every MiB.
// It returns the bytes read, the iframes rewritten, the time to the
// first body byte and the largest heap growth seen.
func streamPage(t testing.TB, url string) (total, rewritten int, firstByte time.Duration, heapGrowth uint64, hdr http.Header) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Encoding", "identity")
	start := time.Now()
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 32<<10)
	var tail string // keeps a marker split across reads countable
	nextSample := 1 << 20
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 && total == 0 {
			firstByte = time.Since(start)
		}
		chunk := tail + string(buf[:n])
		rewritten += strings.Count(chunk, "?__iframeBridgeSessionId=")
		if k := len("?__iframeBridgeSessionId=") - 1; len(chunk) > k {
			tail = chunk[len(chunk)-k:]
		} else {
			tail = chunk
		}
		total += n
		if total >= nextSample {
			nextSample += 1 << 20
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > heapGrowth {
				heapGrowth = ms.HeapAlloc - base
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return total, rewritten, firstByte, heapGrowth, resp.Header
}

// TestStreamBoundedMemory streams a 64 MB page through bridge and
// file_server: every iframe is rewritten and the heap never grows by
// more than a fixed bound, whatever the page size.
func TestStreamBoundedMemory(t *testing.T) {
	dir := t.TempDir()
	name, n := bigPage(t, dir, 64<<20)
	start(t, `
http://localhost:9080 {
	bridge {
		embed `+widget+`
	}
	root * `+dir+`
	file_server
}
`)
	total, rewritten, _, growth, hdr := streamPage(t, "http://localhost:9080/"+name[len(dir)+1:])
	if hdr.Get("Content-Length") != "" {
		t.Errorf("a streamed page has Content-Length %s", hdr.Get("Content-Length"))
	}
	if total < 64<<20 || rewritten != n {
		t.Errorf("read %d bytes with %d of %d iframes rewritten", total, rewritten, n)
	}
	// The page is 64 MiB; the rewriter holds at most one tag and the
	// window, the client a read buffer. 24 MiB leaves room for the
	// test's own garbage between collections.
	if growth > 24<<20 {
		t.Errorf("heap grew by %d MiB while streaming a 64 MiB page", growth>>20)
	}
}

// BenchmarkStream64MB reports the time to the first byte and the heap
// growth of a 64 MB page streamed through bridge, beside the same page
// through plain file_server, in the same run.
func BenchmarkStream64MB(b *testing.B) {
	dir := b.TempDir()
	name, _ := bigPage(b, dir, 64<<20)
	path := name[len(dir)+1:]
	start(b, `
http://localhost:9080 {
	bridge {
		embed `+widget+`
	}
	root * `+dir+`
	file_server
}
http://localhost:9081 {
	root * `+dir+`
	file_server
}
`)
	for _, site := range []struct{ name, url string }{{"plain", "http://localhost:9081/" + path}, {"bridge", "http://localhost:9080/" + path}} {
		b.Run(site.name, func(b *testing.B) {
			var ttfb time.Duration
			var growth uint64
			for b.Loop() {
				total, _, fb, g, _ := streamPage(b, site.url)
				b.SetBytes(int64(total))
				ttfb += fb
				growth = max(growth, g)
			}
			b.ReportMetric(float64(ttfb.Microseconds())/1000/float64(b.N), "ms-first-byte")
			b.ReportMetric(float64(growth)/(1<<20), "MiB-heap-growth")
		})
	}
}
