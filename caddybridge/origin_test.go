package caddybridge

import (
	"strings"
	"testing"
)

func TestParseOrigin(t *testing.T) {
	ok := []struct{ in, want string }{
		{"https://widget.example.com", "https://widget.example.com"},
		{"HTTPS://Widget.Example.COM", "https://widget.example.com"},
		{"https://widget.example.com:443", "https://widget.example.com"},
		{"https://widget.example.com:8443", "https://widget.example.com:8443"},
		{"https://10.0.0.1", "https://10.0.0.1"},
		{"https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443"},
		{"http://localhost:8081", "http://localhost:8081"},
		{"http://127.0.0.1:80", "http://127.0.0.1"},
		{"http://[::1]:9000", "http://[::1]:9000"},
		{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example"},
		{"https://under_score.example", "https://under_score.example"},
	}
	for _, c := range ok {
		got, err := ParseOrigin(c.in, true)
		if err != nil || got != c.want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, want string }{
		{"", "cannot be empty"},
		{"null", "opaque origin"},
		{"*", "wildcards"},
		{"https://*.example.com", "wildcards"},
		{"example.com", "no scheme"},
		{"//example.com", "no scheme"},
		{"localhost:8080", "not an origin"},
		{"ws://example.com", "scheme must be https"},
		{"https://example.com/", "trailing /"},
		{"https://example.com/a", "no path"},
		{"https://example.com?q", "no query"},
		{"https://example.com#f", "no fragment"},
		{"https://u@example.com", "no user name"},
		{"https://example.com:", "empty"},
		{"https://example.com:08443", "from 1 to 65535"},
		{"https://example.com:+80", "from 1 to 65535"},
		{"https://example.com:65536", "from 1 to 65535"},
		{"https://example.com:1:2", "brackets"},
		{"https://[::1", "closing ]"},
		{"https://[::1]x", "after the IPv6"},
		{"https://[1.2.3.4]", "not valid"},
		{"https://exa mple.com", "whitespace"},
		{"https://example.com\\", "backslash"},
		{"https://a..b", "empty label"},
		{"https://.a", "empty label"},
		{"https://ex%41mple.com", "cannot contain"},
		{"https://example.com.", "trailing dot"},
		{"https://exämple.com", "punycode"},
		{"http://example.com", "only allowed for localhost"},
		{"http://127.0.0.2", "only allowed for localhost"},
	}
	for _, c := range bad {
		_, err := ParseOrigin(c.in, true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseOrigin(%q) error = %v; want it to mention %q", c.in, err, c.want)
		}
	}
	if _, err := ParseOrigin("http://localhost:8081", false); err == nil || !strings.Contains(err.Error(), "allow_insecure_localhost") {
		t.Errorf("http://localhost without allow_insecure_localhost: got %v", err)
	}
}

func TestDecodeSecret(t *testing.T) {
	raw := "0123456789abcdef0123456789abcdef" // 32 bytes
	for _, enc := range []string{
		"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY",
		" MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n",
	} {
		b, err := decodeSecret(enc)
		if err != nil || string(b) != raw {
			t.Errorf("decodeSecret(%q) = %q, %v", enc, b, err)
		}
	}
	// URL alphabet: bytes that encode to - and _.
	if b, err := decodeSecret("-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8"); err != nil || len(b) != 32 {
		t.Errorf("url alphabet: %d bytes, %v", len(b), err)
	}
	for _, s := range []string{"", "c2hvcnQ=", "!!!!", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=="} {
		_, err := decodeSecret(s)
		if err == nil {
			t.Errorf("decodeSecret(%q) accepted", s)
			continue
		}
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error echoes the secret: %v", err)
		}
	}
}
