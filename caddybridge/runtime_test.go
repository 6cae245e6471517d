package caddybridge

import "testing"

// TestPickVariant checks the choice of a runtime file's encoding by the
// quality values of Accept-Encoding (RFC 9110, section 12.5.3).
func TestPickVariant(t *testing.T) {
	three := []variant{{encoding: ""}, {encoding: "br"}, {encoding: "gzip"}}
	two := []variant{{encoding: ""}, {encoding: "gzip"}} // a configured bridge.js
	for _, c := range []struct {
		vs     []variant
		header string
		want   string
	}{
		{three, "", ""},
		{three, "gzip, deflate, br, zstd", "br"},
		{three, "gzip, br", "br"}, // a tie goes to the server's preference
		{three, "gzip;q=1, br;q=0.1", "gzip"},
		{three, "br;q=0.1, gzip;q=1", "gzip"},
		{three, "br;q=0, gzip;q=0.5", "gzip"},
		{three, "gzip;level=1;q=0", ""}, // q after another parameter
		{three, "gzip;level=1;q=0, br;q=0.2", "br"},
		{three, "gzip;level=1", "gzip"},
		{three, "GZip;Q=0.5", "gzip"},
		{three, " gzip ; q=0.8 , br ; q=0.9 ", "br"},
		{three, "x-gzip", "gzip"},
		{three, "*", "br"},
		{three, "*;q=0.5, gzip", "gzip"},
		{three, "*;q=0, gzip;q=0.1", "gzip"},
		{three, "*;q=0", ""}, // nothing acceptable: the header is ignored
		{three, "identity;q=0", ""},
		{three, "identity;q=0, gzip;q=0.001", "gzip"},
		{three, "identity, gzip;q=0.5", ""},
		{three, "identity;q=0.5, br;q=0.5", "br"},
		{three, "gzip;q=0.5, *", "br"},         // "*" gives br q=1
		{three, "gzip;q=0.5, br;q=0.2, *", ""}, // and identity too
		{three, "deflate, zstd", ""},
		{three, "br;q=1.5, gzip;q=0.3", "gzip"},    // an invalid qvalue drops its element
		{three, "br;q=NaN, gzip;q=0.3", "gzip"},    // likewise
		{three, "br;q=0.1234, gzip;q=0.3", "gzip"}, // likewise: at most three decimals
		{three, "br;q=0, br;q=1", ""},              // the first element of a coding counts
		{three, ",,", ""},
		{two, "br, gzip;q=0.5", "gzip"},
		{two, "br", ""},
	} {
		if got := pickVariant(c.vs, c.header).encoding; got != c.want {
			t.Errorf("Accept-Encoding %q: got %q, want %q", c.header, got, c.want)
		}
	}
}

func TestParseQValue(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"1", 1000, true}, {"0.5", 500, true}, {"0.123", 123, true},
		{"1.000", 1000, true}, {"0.", 0, true}, {"1.001", 0, false}, {"2", 0, false},
		{"-0.5", 0, false}, {".5", 0, false}, {"0.1234", 0, false}, {"", 0, false}, {"1e0", 0, false},
	} {
		got, ok := parseQValue(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseQValue(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
