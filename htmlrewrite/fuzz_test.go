package htmlrewrite

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	wurl "github.com/nlnwa/whatwg-url/url"
	"golang.org/x/net/html"
)

// Deliberate differences from x/net/html's Tokenizer, which FuzzDifferential
// tolerates:
//
//   - Script data: in the script data escaped state, '<' followed by
//     anything but '/' or a letter stays escaped, as the HTML standard says;
//     x/net/html returns to plain script data and may end the script at a
//     later "</script>" that a browser treats as text. From that point on
//     the two can disagree; the scanner records it in divergeAt and the
//     comparison stops there.
//   - src values the rewriter refuses to decode (a NUL byte, or a character
//     reference producing '#', '?', a control or a space) are not compared:
//     they are left alone.
//   - Everything else must agree: the offsets of real iframe start tags, and
//     the decoded src of each.

var fuzzSeeds = []string{
	`<iframe src="https://widget.example/app?a=1#f"></iframe>`,
	`<IFRAME SRC=https://widget.example/>`,
	`<iframe/src='https://widget.example/'>`,
	`<!-- <iframe src="https://widget.example/"> --><iframe src="https://widget.example/">`,
	`<!--><iframe src="https://widget.example/"><!---><iframe src=https://widget.example/>`,
	`<script><!--<script></script><iframe src="https://widget.example/">--></script>`,
	`<script><!-- a < b </script><iframe src="https://widget.example/">`,
	`<style></style x=">"><iframe src="https://widget.example/">`,
	`<textarea><iframe src="https://widget.example/"></textarea>`,
	`<noscript><iframe src="https://widget.example/"></noscript>`,
	`<plaintext><iframe src="https://widget.example/">`,
	`<![CDATA[ > <iframe src="https://widget.example/"> ]]>`,
	`<!DOCTYPE html><html><head><title>t</title></head><body><iframe src="http://localhost:8080/x?y#z"></iframe>`,
	`<iframe src="https://widget.example&#64;evil.example/"><iframe src="https&#58;//widget.example/&amp;">`,
	`<iframe src="https://widget.example/?a&copy=1&notin;&#x26;">`,
	`<iframe title="a>b" src = "  https://widget.example/a  " srcdoc="<p>">`,
	"<iframe src=\"ht\ttps://wid\nget.example/\r\n\">",
	`</ x><?x><!x><iframe src="http://[::1]:8080/">`,
	`<iframe src="https://127.0.0.1/"><iframe src="https://w2.example:8443/#r?x=1">`,
	`<iframe src="https://widget.example/?sid=1"></iframe><iframe src=//widget.example/>`,
	`<iframe src="\\widget.example"><iframe src="//localhost:8080/"><base href="http://x/"><iframe src="//widget.example/">`,
	`<svg><style><p><base href=x></style></svg><noscript><base></noscript><iframe src="//widget.example/">`,
}

// fuzzConfig picks a config from the mode byte.
func fuzzConfig(mode byte) *Config {
	cfg := newTestConfig(mode&1 != 0, "")
	if mode&2 != 0 {
		cfg.Shim = []byte("<script>shim" + nonce + "</script>")
	}
	if mode&4 != 0 {
		cfg.MaxTag = 64
	}
	if mode&8 != 0 {
		// Names that would extend a "&#" or "&#x" left before them.
		cfg.SessionParam, cfg.ParentParam = "xa1", "9po"
	}
	if mode&16 != 0 {
		// An http page: protocol-relative URLs resolve to http.
		cfg.ParentOrigin = "http://parent.example"
	}
	return cfg
}

var nonce = func() string {
	b := make([]byte, 9)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}()

// nonceTokens hands out tokens nobody can guess: nonce + "x" + n.
func nonceTokens() TokenFunc {
	n := 0
	return func(string) (string, error) {
		n++
		return nonce + "x" + strconv.Itoa(n), nil
	}
}

// appendTokens adapts a TokenFunc to an AppendTokenFunc.
func appendTokens(tok TokenFunc) AppendTokenFunc {
	return func(dst []byte, origin string) ([]byte, error) {
		s, err := tok(origin)
		return append(dst, s...), err
	}
}

type oracleIframe struct {
	offset int
	src    string
	hasSrc bool
	base   string // the href of the first <base href> before it, unescaped
	isBase bool   // a <base href> came before it
}

// oracleIframes lists the real iframe start tags x/net/html sees, each
// with the first base href that came before it.
func oracleIframes(page []byte) []oracleIframe {
	var out []oracleIframe
	var base string
	var isBase bool
	z := html.NewTokenizer(bytes.NewReader(page))
	off := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		n := len(z.Raw())
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			name, more := z.TagName()
			switch string(name) {
			case "iframe":
				o := oracleIframe{offset: off, base: base, isBase: isBase}
				for more {
					var k, v []byte
					k, v, more = z.TagAttr()
					if string(k) == "src" && !o.hasSrc {
						o.src, o.hasSrc = string(v), true
					}
				}
				out = append(out, o)
			case "base":
				for more && !isBase {
					var k, v []byte
					k, v, more = z.TagAttr()
					if string(k) == "href" {
						base, isBase = string(v), true
					}
				}
			}
		}
		off += n
	}
}

// normalizeNewlines does what x/net/html does to attribute values.
func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// pageURL is the URL of the test page: the config's parent origin and a
// path, so that path-relative URLs resolve to the parent origin.
func pageURL(cfg *Config) string {
	return cfg.ParentOrigin + "/dir/page.html"
}

// documentBase returns the base URL a browser resolves o's src against:
// the page's URL, or the first <base href> resolved against it.
func documentBase(cfg *Config, o oracleIframe) string {
	if !o.isBase {
		return pageURL(cfg)
	}
	page, err := wurl.Parse(pageURL(cfg))
	if err != nil {
		panic(err)
	}
	b, err := page.Parse(o.base)
	if err != nil {
		return pageURL(cfg)
	}
	return b.Href(false)
}

// browserOrigin parses src like a browser against base and returns its
// origin ("opaque" for schemes other than http and https).
func browserOrigin(src, base string) (origin string, u *wurl.Url, ok bool) {
	b, err := wurl.Parse(base)
	if err != nil {
		return "", nil, false
	}
	v, err := b.Parse(src)
	if err != nil {
		return "", nil, false
	}
	if v.Scheme() != "http" && v.Scheme() != "https" {
		return "opaque", v, true
	}
	return v.Protocol() + "//" + v.Host(), v, true
}

func isAllowed(cfg *Config, origin string) bool {
	for _, a := range cfg.Allowed {
		if a == origin {
			return true
		}
	}
	return false
}

func checkDifferential(t *testing.T, mode byte, page []byte) {
	cfg := fuzzConfig(mode)
	var ours []iframeEvent
	var s scanner
	s.reset(cfg.compile())
	s.onIframe = func(ev iframeEvent) {
		if ev.decoded != nil {
			ev.decoded = bytes.Clone(ev.decoded)
		}
		ours = append(ours, ev)
	}
	s.run(page, true)
	limit := len(page) + 1
	if s.divergeAt >= 0 {
		limit = s.divergeAt
	}
	theirs := oracleIframes(page)

	// Same iframes, same src, up to the known divergence.
	i := 0
	for _, o := range theirs {
		if o.offset >= limit {
			break
		}
		if i >= len(ours) || ours[i].offset != o.offset {
			t.Fatalf("x/net sees an iframe at %d that the scanner does not (ours %+v)\npage: %q", o.offset, ours, page)
		}
		ev := ours[i]
		i++
		switch {
		case ev.oversize:
		case !ev.hasSrc:
			if o.src != "" {
				t.Fatalf("iframe at %d: scanner sees no src, x/net sees %q\npage: %q", o.offset, o.src, page)
			}
		case ev.decoded != nil:
			if got := normalizeNewlines(string(ev.decoded)); got != o.src {
				t.Fatalf("iframe at %d: scanner decodes src %q, x/net %q\npage: %q", o.offset, got, o.src, page)
			}
		}
		checkVerdict(t, cfg, ev, o, page)
	}
	if i < len(ours) && ours[i].offset < limit {
		t.Fatalf("scanner sees an iframe at %d that x/net does not\npage: %q", ours[i].offset, page)
	}

	// What was rewritten must still point at its allowed origin and carry
	// exactly the parameters.
	plan := Scan(page, cfg)
	out, err := plan.Apply(nil, page, cfg, nonceTokens())
	if err != nil {
		t.Fatal(err)
	}
	after := oracleIframes(out)
	shift := 0
	k := 0
	tok := 0
	for _, e := range plan.edits {
		if e.shim {
			shift += len(cfg.Shim)
			continue
		}
		tok++
		// Find the iframe this edit belongs to: the last one before it.
		var ev *iframeEvent
		for j := range ours {
			if ours[j].offset < e.pos && ours[j].rewrite {
				ev = &ours[j]
			}
		}
		for k < len(after) && after[k].offset != ev.offset+shift {
			k++
		}
		if k == len(after) {
			t.Fatalf("rewritten iframe at %d is gone from the output\npage: %q\nout:  %q", ev.offset, page, out)
		}
		var o oracleIframe
		for _, x := range theirs {
			if x.offset == ev.offset {
				o = x
			}
		}
		checkRewritten(t, cfg, documentBase(cfg, o), string(ev.decoded), after[k].src, nonce+"x"+strconv.Itoa(tok), page)
		shift += len(cfg.compile().appendInsertion(nil, e, nonce+"x"+strconv.Itoa(tok)))
	}
}

// checkVerdict holds the origin classification to what a browser does.
func checkVerdict(t *testing.T, cfg *Config, ev iframeEvent, o oracleIframe, page []byte) {
	if ev.oversize || !o.hasSrc {
		return
	}
	// The scanner may count more as a <base> than x/net/html (in foreign
	// content and noscript, and oversized tags), never less.
	if ev.baseSeen != o.isBase && !(ev.baseSeen && bytes.Contains(bytes.ToLower(page[:o.offset]), []byte("<base"))) {
		t.Fatalf("iframe at %d: scanner saw a <base href> before it: %v, x/net: %v\npage: %q", o.offset, ev.baseSeen, o.isBase, page)
	}
	base := documentBase(cfg, o)
	origin, _, ok := browserOrigin(o.src, base)
	allowed := ok && isAllowed(cfg, origin)
	switch {
	case ev.rewrite && !allowed:
		t.Fatalf("rewrote src %q whose browser origin against %q is %q (parsed: %v)\npage: %q", o.src, base, origin, ok, page)
	case ev.reason == SkipUnlisted && allowed:
		t.Fatalf("called src %q unlisted, but its browser origin %q is allowed\npage: %q", o.src, origin, page)
	case ev.reason == SkipRelative && allowed && !ev.baseSeen && !hasScheme(o.src):
		// Only scheme-relative URLs ("https:host") may be skipped as
		// relative although the page's URL would do.
		t.Fatalf("called src %q relative, but without a <base> its browser origin %q is allowed\npage: %q", o.src, origin, page)
	case !ev.rewrite && ev.reason == SkipNoSrc && strings.Trim(o.src, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ") != "":
		t.Fatalf("called src %q empty\npage: %q", o.src, page)
	}
}

// hasScheme reports whether the URL src starts with a scheme, as the
// WHATWG URL parser reads it.
func hasScheme(src string) bool {
	src = strings.Trim(src, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	src = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(src)
	if src == "" || !isAlpha(src[0]) {
		return false
	}
	for i := 1; i < len(src); i++ {
		if src[i] == ':' {
			return true
		}
		if !isSchemeChar(src[i]) {
			return false
		}
	}
	return false
}

// checkRewritten compares the browser's view of the src before and after.
func checkRewritten(t *testing.T, cfg *Config, base, before, after, token string, page []byte) {
	ob, ub, ok := browserOrigin(before, base)
	if !ok {
		t.Fatalf("rewrote unparsable src %q\npage: %q", before, page)
	}
	oa, ua, ok := browserOrigin(after, base)
	if !ok || oa != ob || !isAllowed(cfg, oa) {
		t.Fatalf("rewriting changed the origin: %q (%s) -> %q (%s)\npage: %q", before, ob, after, oa, page)
	}
	params := cfg.SessionParam + "=" + token + "&" + cfg.ParentParam + "=" + string(appendQueryEscape(nil, cfg.ParentOrigin))
	if ua.Pathname() != ub.Pathname() || ua.Username() != ub.Username() {
		t.Fatalf("rewriting changed the path: %q -> %q", before, after)
	}
	if !cfg.InHash {
		want := params
		if q := ub.Query(); q != "" {
			want = q + "&" + params
		}
		if ua.Query() != want || ua.Fragment() != ub.Fragment() {
			t.Fatalf("query: %q -> %q, got query %q fragment %q, want query %q fragment %q\npage: %q",
				before, after, ua.Query(), ua.Fragment(), want, ub.Fragment(), page)
		}
		return
	}
	f := ub.Fragment()
	want := f + "?" + params
	switch q := strings.IndexByte(f, '?'); {
	case f == "":
		want = params
	case q == len(f)-1:
		want = f + params
	case q >= 0:
		want = f + "&" + params
	}
	if ua.Fragment() != want || ua.Query() != ub.Query() {
		t.Fatalf("fragment: %q -> %q, got query %q fragment %q, want fragment %q\npage: %q",
			before, after, ua.Query(), ua.Fragment(), want, page)
	}
}

func FuzzDifferential(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(byte(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, mode byte, page []byte) {
		checkDifferential(t, mode, page)
	})
}

// FuzzOrigin fuzzes the src value alone, inside one iframe tag.
func FuzzOrigin(f *testing.F) {
	for _, s := range []string{
		"https://widget.example/", "https://widget.example@evil.example/", "HTTPS:\\\\WIDGET.example\\x",
		"https://widget%2eexample/", "http://[::1]:8080/", "http://[0::1]:08080/#r?", "https://127.0.0.1:443",
		"https://w2.example:8443?x#y?z", "https:widget.example", "//widget.example", " \t https://widget.example/a b ",
		"https://widget.example/?a&amp;b&#35;", "https&#x3a;//widget.example/", "http://localhost:8080/&sid",
	} {
		f.Add(byte(0), s)
		f.Add(byte(1), s)
	}
	f.Fuzz(func(t *testing.T, mode byte, src string) {
		src = strings.ReplaceAll(src, `"`, "")
		checkDifferential(t, mode&^4, []byte(`<iframe src="`+src+`"></iframe><iframe src=`+strings.Map(func(r rune) rune {
			if r == '>' || r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' {
				return -1
			}
			return r
		}, src)+`>`))
	})
}

// TestRelativeMatchesWhatwg resolves src values that start with every
// short combination of slashes, backslashes, controls, references and
// delimiters against the page's URL with the WHATWG parser, and holds the
// scanner's verdicts to it, on https and http pages, before and after a
// <base href>.
func TestRelativeMatchesWhatwg(t *testing.T) {
	pieces := []string{"/", "\\", "\n", " ", "%2F", "&#47;", "&bsol;", "?", "#", ".", ":", "https:"}
	prefixes := []string{""}
	level := []string{""}
	for n := 0; n < 3; n++ {
		var next []string
		for _, p := range level {
			for _, q := range pieces {
				next = append(next, p+q)
			}
		}
		prefixes = append(prefixes, next...)
		level = next
	}
	rewritten := 0
	for _, p := range prefixes {
		for _, host := range []string{"widget.example/x", "localhost:8080?a", "WIDGET.EXAMPLE:443#f", "w2.example:8443", "[::1]:8080/"} {
			src := p + host
			for _, mode := range []byte{0, 1, 16, 17} {
				// The base has the other scheme than the page.
				base := "http://widget.example/"
				if mode&16 != 0 {
					base = "https://widget.example/"
				}
				page := []byte(`<iframe src="` + src + `"></iframe><base href="` + base + `"><iframe src="` + src + `">`)
				checkDifferential(t, mode, page)
				plan := Scan(page, fuzzConfig(mode))
				rewritten += plan.Stats().Rewritten
			}
		}
	}
	// Absolute URLs are rewritten twice, resolved ones once.
	t.Logf("%d prefixes, %d iframes rewritten", len(prefixes), rewritten)
	if rewritten < 1000 {
		t.Fatalf("only %d iframes rewritten: the test tests little", rewritten)
	}
}

// FuzzIdentity checks that the output minus the injected parameters and
// the shim is the input, and that any way of splitting the input gives the
// same output.
func FuzzIdentity(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(byte(i), uint16(i*7), []byte(s))
	}
	f.Fuzz(func(t *testing.T, mode byte, seed uint16, page []byte) {
		cfg := fuzzConfig(mode | 2)
		plan := Scan(page, cfg)
		want, err := plan.Apply(nil, page, cfg, nonceTokens())
		if err != nil {
			t.Fatal(err)
		}
		checkIdentity(t, cfg, page, want)

		// Tokens appended into the output give the same bytes.
		got, err := plan.ApplyAppend(nil, page, cfg, appendTokens(nonceTokens()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("ApplyAppend differs from Apply\ngot  %q\nwant %q", got, want)
		}

		// Any chunking streams to the same bytes and stats.
		chunkings := [][]int{{len(page)}, {1}, {2, 3, 5}, {int(seed%64) + 1}, {int(seed%17) + 1, 4096}}
		if len(page) > 0 {
			chunkings = append(chunkings, []int{int(seed) % len(page), len(page)})
		}
		for _, sizes := range chunkings {
			var out bytes.Buffer
			r := NewRewriter(&out, cfg, nonceTokens())
			p := page
			for j := 0; len(p) > 0; j++ {
				n := min(max(sizes[j%len(sizes)], 0), len(p))
				if n == 0 {
					n = 1
				}
				if _, err := r.Write(p[:n]); err != nil {
					t.Fatal(err)
				}
				p = p[n:]
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("chunks %v: stream and plan differ\npage:   %q\nstream: %q\nplan:   %q", sizes, page, out.Bytes(), want)
			}
			if r.Stats() != plan.Stats() {
				t.Fatalf("chunks %v: stats %+v, plan %+v", sizes, r.Stats(), plan.Stats())
			}
		}
	})
}

// checkIdentity removes what the rewriter injects from out, finding it by
// the unguessable nonce, and requires the input back.
func checkIdentity(t *testing.T, cfg *Config, page, out []byte) {
	shim := cfg.Shim
	rest := out
	if n := bytes.Count(rest, shim); n > 1 {
		t.Fatalf("shim inserted %d times", n)
	} else if n == 1 {
		i := bytes.Index(rest, shim)
		rest = append(bytes.Clone(rest[:i]), rest[i+len(shim):]...)
	}
	// Cut "sid=NONCEx1&amp;po=..." (or the &#61; form) and remember where.
	var cuts []int
	var buf []byte
	for {
		i := bytes.Index(rest, []byte(nonce))
		if i < 0 {
			buf = append(buf, rest...)
			break
		}
		start := -1
		for _, p := range []string{cfg.SessionParam + "=", cfg.SessionParam + "&#61;"} {
			if bytes.HasSuffix(rest[:i], []byte(p)) {
				start = i - len(p)
			}
		}
		if start < 0 {
			t.Fatalf("token without parameter name in %q", out)
		}
		end := i + len(nonce)
		for end < len(rest) && rest[end] != '&' {
			end++
		}
		tail := rest[end:]
		po := string(appendQueryEscape(nil, cfg.ParentOrigin))
		for _, p := range []string{"&amp;" + cfg.ParentParam + "=" + po, "&amp;" + cfg.ParentParam + "&#61;" + po} {
			if bytes.HasPrefix(tail, []byte(p)) {
				end += len(p)
				break
			}
		}
		buf = append(buf, rest[:start]...)
		cuts = append(cuts, len(buf))
		rest = rest[end:]
	}
	if !matchWithPrefixes(page, buf, cuts) {
		t.Fatalf("output minus parameters is not the input\npage: %q\nout:  %q\nleft: %q", page, out, buf)
	}
}

// matchWithPrefixes reports whether got is want with one of the
// separators "", "?", "#" or "&amp;" ending at each cut.
func matchWithPrefixes(want, got []byte, cuts []int) bool {
	if len(cuts) == 0 {
		return bytes.Equal(want, got)
	}
	c := cuts[0]
	for _, p := range []string{"", "?", "#", "&amp;"} {
		if c-len(p) < 0 || !bytes.HasSuffix(got[:c], []byte(p)) {
			continue
		}
		n := c - len(p) // bytes of want before this cut
		if n > len(want) || !bytes.Equal(want[:n], got[:n]) {
			continue
		}
		rest := make([]int, len(cuts)-1)
		for j, x := range cuts[1:] {
			rest[j] = x - c
		}
		if matchWithPrefixes(want[n:], got[c:], rest) {
			return true
		}
	}
	return false
}
