package htmlrewrite

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// countWriter counts what it is given and keeps nothing.
type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

// feed writes total bytes to r in chunk-sized writes: head once, then body
// repeated, without allocating.
func feed(t testing.TB, r *Rewriter, head, body []byte, total, chunk int) {
	buf := make([]byte, chunk)
	src := head
	off := 0
	for written := 0; written < total; {
		n := 0
		for n < len(buf) && written+n < total {
			if off == len(src) {
				src, off = body, 0
			}
			k := copy(buf[n:min(len(buf), total-written)], src[off:])
			n += k
			off += k
		}
		if _, err := r.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		written += n
	}
}

// TestStreamingMemory streams 64 MB documents of several shapes and checks
// that the heap does not grow with the size, and that output starts with
// the first write.
func TestStreamingMemory(t *testing.T) {
	page := realisticPage()
	long := func(prefix, fill string) []byte { return []byte(prefix + strings.Repeat(fill, 1<<16)) }
	cases := []struct {
		name       string
		head, body []byte
	}{
		{"pages", nil, page},
		{"comment", []byte("<!--"), long("", "- <iframe src=https://widget.example/> ")},
		{"script", []byte("<script><!--<script>"), long("", "<iframe src=https://widget.example/> --!>")},
		{"oversized tag", []byte(`<iframe src="https://widget.example/" title="`), long("", "<iframe>")},
		{"text", nil, long("", "plain text & more ")},
		{"plaintext", []byte("<plaintext>"), page},
	}
	const total = 64 << 20
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out countWriter
			r := NewRewriter(&out, benchConfig(), constToken)
			// Warm up the buffers, then measure.
			feed(t, r, tc.head, tc.body, 1<<20, 32<<10)
			r.Reset(&out, benchConfig(), constToken)
			out.n = 0

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r.Write(page[:32<<10])
			if out.n == 0 {
				t.Fatal("nothing written after the first 32 KB")
			}
			r.Reset(&out, benchConfig(), constToken)
			feed(t, r, tc.head, tc.body, total, 32<<10)
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<10 {
				t.Errorf("allocated %d bytes while streaming 64 MB", grew)
			}
			if c := cap(r.hold); c > 2*DefaultMaxTag {
				t.Errorf("hold buffer grew to %d", c)
			}
			if out.n < total {
				t.Errorf("wrote %d bytes, want at least %d", out.n, total)
			}
		})
	}
}

// TestOversizedStream checks that a tag longer than the cap is passed
// through while the hold buffer stays within the cap.
func TestOversizedStream(t *testing.T) {
	cfg := benchConfig()
	tag := `<iframe src="https://widget.example/" title="` + strings.Repeat("x", 3*DefaultMaxTag) + `">`
	page := []byte(tag + `<p><iframe src="https://widget.example/">`)
	var out bytes.Buffer
	r := NewRewriter(&out, cfg, constToken)
	for p := page; len(p) > 0; {
		n := min(1000, len(p))
		r.Write(p[:n])
		p = p[n:]
		if len(r.hold) >= DefaultMaxTag {
			t.Fatalf("holding %d bytes", len(r.hold))
		}
	}
	r.Close()
	st := r.Stats()
	if st.Skipped[SkipOversized] != 1 || st.OversizedTags != 1 || st.Rewritten != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !bytes.HasPrefix(out.Bytes(), []byte(tag)) {
		t.Fatal("oversized tag changed")
	}
	plan := Scan(page, cfg)
	if plan.Stats() != st {
		t.Fatalf("scan stats %+v, stream %+v", plan.Stats(), st)
	}
}

// BenchmarkRewriteStream64MB streams 64 MB of pages in 32 KB writes.
func BenchmarkRewriteStream64MB(b *testing.B) {
	page := realisticPage()
	cfg := benchConfig()
	var out countWriter
	r := NewRewriter(&out, cfg, constToken)
	const total = 64 << 20
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(&out, cfg, constToken)
		feed(b, r, nil, page, total, 32<<10)
		r.Close()
	}
}

// TestConcurrentUse shares one Config and one cached Plan between
// goroutines, as a handler does; run it with -race.
func TestConcurrentUse(t *testing.T) {
	cfg := benchConfig() // not validated yet: the first users race to compile it
	page := realisticPage()
	var plan Plan
	done := make(chan []byte)
	for g := 0; g < 4; g++ {
		go func() {
			var out bytes.Buffer
			r := NewRewriter(&out, cfg, constToken)
			r.Write(page)
			r.Close()
			done <- out.Bytes()
		}()
	}
	var first []byte
	for g := 0; g < 4; g++ {
		got := <-done
		if first == nil {
			first = got
		} else if !bytes.Equal(got, first) {
			t.Fatal("outputs differ")
		}
	}
	plan = Scan(page, cfg)
	for g := 0; g < 4; g++ {
		go func() {
			out, err := plan.Apply(nil, page, cfg, constToken)
			if err != nil {
				t.Error(err)
			}
			done <- out
		}()
	}
	for g := 0; g < 4; g++ {
		if got := <-done; !bytes.Equal(got, first) {
			t.Fatal("Apply differs from streaming")
		}
	}
}
