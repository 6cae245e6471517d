package htmlrewrite

import (
	"bytes"
	"testing"

	"golang.org/x/net/html"
)

func TestRealisticPage(t *testing.T) {
	page := realisticPage()
	if len(page) < 36<<10 || len(page) > 44<<10 {
		t.Fatalf("page is %d bytes, want about 40 KB", len(page))
	}
	_, st := rewriteAll(t, benchConfig(), page, false)
	if st.Iframes != 6 || st.Rewritten != 4 || st.Skipped[SkipUnlisted] != 2 || !st.Shim {
		t.Fatalf("unexpected stats %+v", st)
	}
}

func BenchmarkCopy(b *testing.B) {
	page := realisticPage()
	dst := make([]byte, 0, 2*len(page))
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		dst = append(dst[:0], page...)
	}
}

func BenchmarkRewrite(b *testing.B) {
	page := realisticPage()
	cfg := benchConfig()
	var out bytes.Buffer
	out.Grow(2 * len(page))
	r := NewRewriter(&out, cfg, constToken)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		r.Reset(&out, cfg, constToken)
		r.Write(page)
		r.Close()
	}
}

// BenchmarkRewriteChunked feeds the page in 4 KB writes, as a proxied
// upstream might.
func BenchmarkRewriteChunked(b *testing.B) {
	page := realisticPage()
	cfg := benchConfig()
	var out bytes.Buffer
	out.Grow(2 * len(page))
	r := NewRewriter(&out, cfg, constToken)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		r.Reset(&out, cfg, constToken)
		for p := page; len(p) > 0; {
			n := min(4096, len(p))
			r.Write(p[:n])
			p = p[n:]
		}
		r.Close()
	}
}

func BenchmarkXNetTokenizer(b *testing.B) {
	page := realisticPage()
	var out bytes.Buffer
	out.Grow(2 * len(page))
	rd := bytes.NewReader(page)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		rd.Reset(page)
		z := html.NewTokenizer(rd)
		for z.Next() != html.ErrorToken {
			out.Write(z.Raw())
		}
	}
}

func BenchmarkScan(b *testing.B) {
	page := realisticPage()
	cfg := benchConfig()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		Scan(page, cfg)
	}
}

func BenchmarkApply(b *testing.B) {
	page := realisticPage()
	cfg := benchConfig()
	plan := Scan(page, cfg)
	dst := make([]byte, 0, 2*len(page))
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		dst, err = plan.Apply(dst[:0], page, cfg, constToken)
		if err != nil {
			b.Fatal(err)
		}
	}
}
