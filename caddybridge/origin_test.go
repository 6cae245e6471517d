package caddybridge

import (
	"strconv"
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
		// Letter case is normalised, as for host names: a reader can
		// see that these are the same origin.
		{"https://[2001:DB8::1]", "https://[2001:db8::1]"},
		{"https://XN--BCHER-KVA.example", "https://xn--bcher-kva.example"},
		{"http://LOCALHOST:8081", "http://localhost:8081"},
		{"https://[::1]", "https://[::1]"},
		{"https://0x.example", "https://0x.example"},
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
		{"https://a%20b.example", "cannot contain"},
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

// TestParseOriginBrowserSpelling checks the whole message for hosts that a
// browser serializes differently from the way they are written (other than
// by letter case), for hosts a browser rejects, and for the query and
// fragment wording. A browser would never send such an origin as written,
// so it would never match; the config must say what to write instead.
func TestParseOriginBrowserSpelling(t *testing.T) {
	const spell = "an origin must be written as the browser writes it; write "
	const badIPv4 = "a browser reads a host whose last label is a number as an IPv4 address, and this is not a valid one; " +
		`write the address as four decimal numbers from 0 to 255, like "https://192.0.2.1", or a host name whose last label is not a number`
	const insecure = "http:// origins need the allow_insecure_localhost subdirective (for local development only); add it, or write "
	const notLoopback = "http:// is only allowed for localhost, 127.0.0.1 and [::1]; write "
	cases := []struct {
		in            string
		allowInsecure bool
		want          string // the message after the quoted input and ": "
	}{
		// IPv4 forms a browser rewrites.
		{"https://127.000.0.1", true, spell + `"https://127.0.0.1"`},
		{"https://0x7f.0.0.1", true, spell + `"https://127.0.0.1"`},
		{"https://0X7F.0.0.1:443", true, spell + `"https://127.0.0.1"`},
		{"https://0177.0.0.1", true, spell + `"https://127.0.0.1"`},
		{"https://2130706433", true, spell + `"https://127.0.0.1"`},
		{"https://127.1", true, spell + `"https://127.0.0.1"`},
		{"https://10.1:8443", false, spell + `"https://10.0.0.1:8443"`},
		{"https://0x0a000001", false, spell + `"https://10.0.0.1"`},
		// IPv6 forms a browser rewrites.
		{"https://[0:0::1]", true, spell + `"https://[::1]"`},
		{"https://[0:0:0:0:0:0:0:1]", true, spell + `"https://[::1]"`},
		{"https://[2001:db8:0:0:0:0:0:1]:8443", false, spell + `"https://[2001:db8::1]:8443"`},
		{"https://[2001:DB8:0::1]", false, spell + `"https://[2001:db8::1]"`},
		{"https://[2001:0db8::1]", false, spell + `"https://[2001:db8::1]"`},
		{"https://[::ffff:127.0.0.1]", false, spell + `"https://[::ffff:7f00:1]"`},
		// Percent-encoded hosts, which a browser decodes.
		{"https://ex%41mple.com", false, spell + `"https://example.com"`},
		{"https://%31%32%37.0.0.1", false, spell + `"https://127.0.0.1"`},
		{"https://b%C3%BCcher.example", false, spell + `"https://xn--bcher-kva.example"`},
		// Hosts a browser refuses outright.
		{"https://example.123", false, badIPv4},
		{"https://1.2.3.256", false, badIPv4},
		{"https://1.2.3.4.5", false, badIPv4},
		{"https://09.0.0.1", false, badIPv4},
		{"https://xn--a.example", false, "a browser rejects this host name: a label that starts with xn-- must be valid punycode; write the punycode form of the real name, as browsers serialize origins"},
		// Unicode hosts are still refused; the message names the spelling.
		{"https://bücher.example", false, `the host is not ASCII; browsers serialize it in ASCII (punycode, xn--…), so write "https://xn--bcher-kva.example"`},
		{"https://ＥＸＡＭＰＬＥ.com", false, `the host is not ASCII; browsers serialize it in ASCII (punycode, xn--…), so write "https://example.com"`},
		// Loopback is judged on the browser's spelling: an odd spelling
		// of 127.0.0.1 is still refused, with or without the flag, and an
		// odd spelling of another address is not loopback.
		{"http://127.000.0.1", true, spell + `"http://127.0.0.1"`},
		{"http://127.000.0.1", false, insecure + `"https://127.0.0.1"`},
		{"http://0x7f.1:8080", true, spell + `"http://127.0.0.1:8080"`},
		{"http://2130706433:80", true, spell + `"http://127.0.0.1"`},
		{"http://[0:0::1]:9000", true, spell + `"http://[::1]:9000"`},
		{"http://[0:0::1]:9000", false, insecure + `"https://[::1]:9000"`},
		{"http://%6cocalhost", true, spell + `"http://localhost"`},
		{"http://0x7f.0.0.2", true, notLoopback + `"https://127.0.0.2"`},
		{"http://10.1", true, notLoopback + `"https://10.0.0.1"`},
		{"http://[::ffff:127.0.0.1]", true, notLoopback + `"https://[::ffff:7f00:1]"`},
		// Wording for what follows the authority.
		{"https://a.example/", false, `an origin has no path (not even a trailing /); write "https://a.example"`},
		{"https://a.example?x", false, `an origin has no query (not even a bare ?); write "https://a.example"`},
		{"https://a.example?", false, `an origin has no query (not even a bare ?); write "https://a.example"`},
		{"https://a.example#x", false, `an origin has no fragment (not even a bare #); write "https://a.example"`},
		{"https://a.example#", false, `an origin has no fragment (not even a bare #); write "https://a.example"`},
	}
	for _, c := range cases {
		got, err := ParseOrigin(c.in, c.allowInsecure)
		want := strconv.Quote(c.in) + ": " + c.want
		if err == nil || err.Error() != want {
			t.Errorf("ParseOrigin(%q, %v) = %q, %v\nwant error %s", c.in, c.allowInsecure, got, err, want)
		}
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

func TestLooksLikeSecret(t *testing.T) {
	secret := []string{
		"jo6lmQmmaSJS01CL/30kRc75xm5jAvJib7NbqIABh+Q=",
		"jo6lmQmmaSJS01CL_30kRc75xm5jAvJib7NbqIABh-Q",
		"8e8ea59909a6692252d350b8bf7d1191cef9c66e6302f26279b36ca880047f84",
		"8E8EA59909A6692252D350B8BF7D1191",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq", // base64 of 32 bytes
		"secret=jo6lmQmmaSJS01CL/30kRc75xm5jAvJib7NbqIABh+Q=",
		"secret jo6lmQmmaSJS01CL/30kRc75xm5jAvJib7NbqIABh+Q=",
		"https://jo6lmQmmaSJS01CL_30kRc75xm5jAvJib7NbqIABh-Q",
		"https://w.example.com/8e8ea59909a6692252d350b8bf7d1191",
	}
	plain := []string{
		"", "secert", "sometimes", "https://widget.example.com", "{env.BRIDGE_SECRET}",
		"https://a-very-long-host-label-for-the-widget-server.example.com:8443",
		"https://w.example.com/some/long/path/to/the/app/index.html",
		"/_bridge/some/long/runtime/path/for/this/site",
		"__iframeBridgeParentOriginForThisSite",
		"8e8ea59909a6692252d350b8bf7d119", // 31 hex digits
	}
	for _, s := range secret {
		if !LooksLikeSecret(s) {
			t.Errorf("LooksLikeSecret(%q) = false", s)
		}
		if q := QuoteValue(s); strings.Contains(q, s[len(s)-8:]) || !strings.Contains(q, "looks like a secret") {
			t.Errorf("QuoteValue(%q) = %q", s, q)
		}
	}
	for _, s := range plain {
		if LooksLikeSecret(s) {
			t.Errorf("LooksLikeSecret(%q) = true", s)
		}
		if q := QuoteValue(s); q != strconv.Quote(s) {
			t.Errorf("QuoteValue(%q) = %q", s, q)
		}
	}
	for _, s := range secret[:3] {
		_, err := ParseOrigin(s, true)
		if err == nil || strings.Contains(err.Error(), s[:8]) || !strings.Contains(err.Error(), "secret <value>") || !strings.Contains(err.Error(), "is not an origin") {
			t.Errorf("ParseOrigin(secret) error = %v", err)
		}
	}
	for _, check := range []func(string) error{checkSigning, checkSessionIn, checkCSPMode, CheckRuntimePath, func(v string) error { return checkParamName("session_param", v) }} {
		if err := check(secret[0]); err == nil || strings.Contains(err.Error(), secret[0][:8]) || !strings.Contains(err.Error(), "secret <value>") {
			t.Errorf("check(secret) error = %v", err)
		}
	}
}
