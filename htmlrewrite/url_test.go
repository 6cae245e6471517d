package htmlrewrite

import (
	"testing"

	wurl "github.com/nlnwa/whatwg-url/url"
)

var originBenchSrc = []byte("https://widget.example/cart?locale=en-US&theme=light#top")

// BenchmarkOriginHandwritten measures the origin check used on the hot path.
func BenchmarkOriginHandwritten(b *testing.B) {
	c := benchConfig().compile()
	var o originParser
	b.ReportAllocs()
	for b.Loop() {
		v := o.parse(originBenchSrc, pageHTTPS)
		if !v.ok || c.match(&v) != 0 {
			b.Fatal("no match")
		}
	}
}

// BenchmarkOriginWhatwg measures the same check with github.com/nlnwa/whatwg-url,
// which the tests use as the reference.
func BenchmarkOriginWhatwg(b *testing.B) {
	src := string(originBenchSrc)
	b.ReportAllocs()
	for b.Loop() {
		u, err := wurl.Parse(src)
		if err != nil || u.Protocol()+"//"+u.Host() != "https://widget.example" {
			b.Fatal("no match")
		}
	}
}
