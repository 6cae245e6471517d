package htmlrewrite

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// expand replaces {Pn} with the quoted-value parameters carrying token Tn
// and {Un} with the unquoted form.
func expand(s string) string {
	for n := '1'; n <= '9'; n++ {
		tok := "T" + string(n)
		s = strings.ReplaceAll(s, "{P"+string(n)+"}", "sid="+tok+"&amp;po=https%3A%2F%2Fparent.example")
		s = strings.ReplaceAll(s, "{U"+string(n)+"}", "sid&#61;"+tok+"&amp;po&#61;https%3A%2F%2Fparent.example")
	}
	return s
}

type rewriteCase struct {
	name string
	in   string
	want string // "" means unchanged
	skip SkipReason
}

func runRewriteCases(t *testing.T, cfg *Config, cases []rewriteCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.in
			if tc.want != "" {
				want = expand(tc.want)
			}
			got, st := rewriteAll(t, cfg, []byte(tc.in), true)
			if string(got) != want {
				t.Fatalf("\ninput: %q\ngot:   %q\nwant:  %q", tc.in, got, want)
			}
			if tc.want == "" && tc.skip != 0 && st.Skipped[tc.skip] == 0 {
				t.Fatalf("want a skip for %v, stats %+v", tc.skip, st)
			}
		})
	}
}

func TestQueryInsertion(t *testing.T) {
	runRewriteCases(t, newTestConfig(false, ""), []rewriteCase{
		{name: "no query", in: `<iframe src="https://widget.example/app"></iframe>`, want: `<iframe src="https://widget.example/app?{P1}"></iframe>`},
		{name: "query", in: `<iframe src="https://widget.example/app?a=1"></iframe>`, want: `<iframe src="https://widget.example/app?a=1&amp;{P1}"></iframe>`},
		{name: "empty query", in: `<iframe src="https://widget.example/app?">`, want: `<iframe src="https://widget.example/app?{P1}">`},
		{name: "fragment", in: `<iframe src="https://widget.example/app#f">`, want: `<iframe src="https://widget.example/app?{P1}#f">`},
		{name: "query and fragment", in: `<iframe src="https://widget.example/app?a=1#f?x">`, want: `<iframe src="https://widget.example/app?a=1&amp;{P1}#f?x">`},
		{name: "no path", in: `<iframe src="https://widget.example">`, want: `<iframe src="https://widget.example?{P1}">`},
		{name: "unquoted", in: `<iframe src=https://widget.example/app>`, want: `<iframe src=https://widget.example/app?{U1}>`},
		{name: "unquoted slash", in: `<iframe src=https://widget.example/app/>`, want: `<iframe src=https://widget.example/app/?{U1}>`},
		{name: "unquoted then attribute", in: `<iframe src=https://widget.example/?a=1 id=x>`, want: `<iframe src=https://widget.example/?a=1&amp;{U1} id=x>`},
		{name: "single quotes", in: `<iframe src='https://widget.example/'>`, want: `<iframe src='https://widget.example/?{P1}'>`},
		{name: "upper case", in: `<IFRAME SRC="HTTPS://WIDGET.EXAMPLE/">`, want: `<IFRAME SRC="HTTPS://WIDGET.EXAMPLE/?{P1}">`},
		{name: "mixed case", in: `<iFrAmE sRc="https://Widget.Example/">`, want: `<iFrAmE sRc="https://Widget.Example/?{P1}">`},
		{name: "spaces around =", in: "<iframe src \n=\t\n \"https://widget.example/\">", want: "<iframe src \n=\t\n \"https://widget.example/?{P1}\">"},
		{name: "slash before attribute", in: `<iframe/src="https://widget.example/">`, want: `<iframe/src="https://widget.example/?{P1}">`},
		{name: "slashes between attributes", in: `<iframe / id=a/ src="https://widget.example/"/>`, want: `<iframe / id=a/ src="https://widget.example/?{P1}"/>`},
		{name: "no space after quote", in: `<iframe id="a"src="https://widget.example/">`, want: `<iframe id="a"src="https://widget.example/?{P1}">`},
		{name: "quoted gt elsewhere", in: `<iframe title="a>b" src="https://widget.example/">`, want: `<iframe title="a>b" src="https://widget.example/?{P1}">`},
		{name: "lt in attribute name", in: `<iframe src="https://widget.example/"<b>`, want: `<iframe src="https://widget.example/?{P1}"<b>`},
		{name: "duplicate src first wins", in: `<iframe src="https://widget.example/" SRC="https://evil.example/">`, want: `<iframe src="https://widget.example/?{P1}" SRC="https://evil.example/">`},
		{name: "duplicate src first unlisted", in: `<iframe src="https://evil.example/" src="https://widget.example/">`, skip: SkipUnlisted},
		{name: "valueless src first", in: `<iframe src src="https://widget.example/">`, skip: SkipNoSrc},
		{name: "srcdoc untouched", in: `<iframe srcdoc="<iframe src='https://widget.example/'>" src="https://widget.example/">`, want: `<iframe srcdoc="<iframe src='https://widget.example/'>" src="https://widget.example/?{P1}">`},
		{name: "srcdoc only", in: `<iframe srcdoc="<iframe src='https://widget.example/'>">`, skip: SkipNoSrc},
		{name: "other attributes untouched", in: `<iframe class="a  b" data-src="https://widget.example/" src="https://widget.example/" allow="x">`, want: `<iframe class="a  b" data-src="https://widget.example/" src="https://widget.example/?{P1}" allow="x">`},
		{name: "two iframes", in: `<iframe src="https://widget.example/a"></iframe><iframe src="http://localhost:8080/b"></iframe>`, want: `<iframe src="https://widget.example/a?{P1}"></iframe><iframe src="http://localhost:8080/b?{P2}"></iframe>`},
		{name: "trailing spaces stay outside", in: "<iframe src=\"  https://widget.example/a \n\">", want: "<iframe src=\"  https://widget.example/a?{P1} \n\">"},
		{name: "self-closing iframe", in: `<iframe src="https://widget.example/"/><iframe src="https://widget.example/">`, want: `<iframe src="https://widget.example/?{P1}"/><iframe src="https://widget.example/">`},
		{name: "empty src", in: `<iframe src="">`, skip: SkipNoSrc},
		{name: "blank src", in: `<iframe src="  ">`, skip: SkipNoSrc},
		{name: "no src", in: `<iframe>`, skip: SkipNoSrc},
		{name: "src without value", in: `<iframe src>`, skip: SkipNoSrc},
		{name: "src = gt", in: `<iframe src=>`, skip: SkipNoSrc},
		{name: "not an iframe", in: `<iframes src="https://widget.example/"><ifram src="https://widget.example/">`},
	})
}

func TestOrigins(t *testing.T) {
	runRewriteCases(t, newTestConfig(false, ""), []rewriteCase{
		{name: "default port", in: `<iframe src="https://widget.example:443/">`, want: `<iframe src="https://widget.example:443/?{P1}">`},
		{name: "default port zeros", in: `<iframe src="https://widget.example:0443/">`, want: `<iframe src="https://widget.example:0443/?{P1}">`},
		{name: "empty port", in: `<iframe src="https://widget.example:/">`, want: `<iframe src="https://widget.example:/?{P1}">`},
		{name: "other port", in: `<iframe src="https://widget.example:444/">`, skip: SkipUnlisted},
		{name: "port listed", in: `<iframe src="https://w2.example:8443/">`, want: `<iframe src="https://w2.example:8443/?{P1}">`},
		{name: "port missing", in: `<iframe src="https://w2.example/">`, skip: SkipUnlisted},
		{name: "http vs https", in: `<iframe src="http://widget.example/">`, skip: SkipUnlisted},
		{name: "http localhost", in: `<iframe src="http://LOCALHOST:8080/x">`, want: `<iframe src="http://LOCALHOST:8080/x?{P1}">`},
		{name: "port too big", in: `<iframe src="https://widget.example:99999/">`, skip: SkipAmbiguous},
		{name: "port not digits", in: `<iframe src="https://widget.example:4x/">`, skip: SkipAmbiguous},
		{name: "userinfo trick", in: `<iframe src="https://widget.example@evil.example/">`, skip: SkipUnlisted},
		{name: "userinfo trick two at", in: `<iframe src="https://widget.example@x@evil.example/">`, skip: SkipUnlisted},
		{name: "userinfo on allowed", in: `<iframe src="https://user:pw@widget.example/">`, skip: SkipAmbiguous},
		{name: "at in path", in: `<iframe src="https://widget.example/@evil.example">`, want: `<iframe src="https://widget.example/@evil.example?{P1}">`},
		{name: "backslashes", in: `<iframe src="https:\\widget.example\app">`, want: `<iframe src="https:\\widget.example\app?{P1}">`},
		{name: "backslash ends host", in: `<iframe src="https://evil.example\@widget.example/">`, skip: SkipUnlisted},
		{name: "many slashes", in: `<iframe src="https:////widget.example/">`, want: `<iframe src="https:////widget.example/?{P1}">`},
		{name: "tab in host", in: "<iframe src=\"https://wid\tget.exa\nmple/\">", want: "<iframe src=\"https://wid\tget.exa\nmple/?{P1}\">"},
		{name: "tab in scheme", in: "<iframe src=\"ht\ttps://widget.example/\">", want: "<iframe src=\"ht\ttps://widget.example/?{P1}\">"},
		{name: "leading control", in: "<iframe src=\"\x01 https://widget.example/\">", want: "<iframe src=\"\x01 https://widget.example/?{P1}\">"},
		{name: "relative", in: `<iframe src="/app">`, skip: SkipRelative},
		{name: "relative with colon later", in: `<iframe src="app/x:y">`, skip: SkipRelative},
		{name: "protocol relative", in: `<iframe src="//widget.example/">`, want: `<iframe src="//widget.example/?{P1}">`},
		{name: "scheme relative", in: `<iframe src="https:widget.example/">`, skip: SkipRelative},
		{name: "scheme one slash", in: `<iframe src="https:/widget.example/">`, skip: SkipRelative},
		{name: "javascript", in: `<iframe src="javascript:alert(1)//https://widget.example/">`, skip: SkipUnlisted},
		{name: "about blank", in: `<iframe src="about:blank">`, skip: SkipUnlisted},
		{name: "data", in: `<iframe src="data:text/html,<p>">`, skip: SkipUnlisted},
		{name: "blob", in: `<iframe src="blob:https://widget.example/x">`, skip: SkipUnlisted},
		{name: "trailing dot", in: `<iframe src="https://widget.example./">`, skip: SkipUnlisted},
		{name: "suffix", in: `<iframe src="https://widget.example.evil/">`, skip: SkipUnlisted},
		{name: "prefix", in: `<iframe src="https://evilwidget.example/">`, skip: SkipUnlisted},
		{name: "percent host", in: `<iframe src="https://widget%2Eexample/">`, want: `<iframe src="https://widget%2Eexample/?{P1}">`},
		{name: "percent host non-ascii", in: `<iframe src="https://widget%C3%A9.example/">`, skip: SkipAmbiguous},
		{name: "idna", in: `<iframe src="https://wïdget.example/">`, skip: SkipAmbiguous},
		{name: "fullwidth", in: `<iframe src="https://ｗidget.example/">`, skip: SkipAmbiguous},
		{name: "ipv4", in: `<iframe src="https://127.0.0.1/">`, want: `<iframe src="https://127.0.0.1/?{P1}">`},
		{name: "ipv4 short", in: `<iframe src="https://127.1/">`, skip: SkipAmbiguous},
		{name: "ipv4 hex", in: `<iframe src="https://0x7f.0.0.1/">`, skip: SkipAmbiguous},
		{name: "ipv4 octal", in: `<iframe src="https://0127.0.0.1/">`, skip: SkipAmbiguous},
		{name: "ipv4 trailing dot", in: `<iframe src="https://127.0.0.1./">`, skip: SkipAmbiguous},
		{name: "ipv6", in: `<iframe src="http://[::1]:8080/">`, want: `<iframe src="http://[::1]:8080/?{P1}">`},
		{name: "ipv6 long form", in: `<iframe src="http://[0:0:0:0:0:0:0:1]:8080/">`, want: `<iframe src="http://[0:0:0:0:0:0:0:1]:8080/?{P1}">`},
		{name: "ipv6 other port", in: `<iframe src="http://[::1]/">`, skip: SkipUnlisted},
		{name: "ipv6 embedded ipv4", in: `<iframe src="http://[::ffff:127.0.0.1]:8080/">`, skip: SkipAmbiguous},
		{name: "ipv6 zone", in: `<iframe src="http://[fe80::1%25eth0]:8080/">`, skip: SkipAmbiguous},
		{name: "ipv6 junk after", in: `<iframe src="http://[::1]x:8080/">`, skip: SkipAmbiguous},
		{name: "percent brackets", in: `<iframe src="http://%5B::1%5D:8080/">`, skip: SkipAmbiguous},
		{name: "percent brackets no port", in: `<iframe src="http://%5B%3A%3A1%5D/">`, skip: SkipAmbiguous},
		{name: "slashes before host", in: `<iframe src="https:///widget.example">`, want: `<iframe src="https:///widget.example?{P1}">`},
		{name: "empty host", in: `<iframe src="https://:443/x">`, skip: SkipAmbiguous},
	})
}

// TestRelative covers URLs without a scheme: protocol-relative ones take
// the scheme of the page (ParentOrigin) until a <base href>; the others
// are always skipped.
func TestRelative(t *testing.T) {
	cases := []rewriteCase{
		{name: "protocol relative", in: `<iframe src="//widget.example/app?a=1#f">`, want: `<iframe src="//widget.example/app?a=1&amp;{P1}#f">`},
		{name: "no path", in: `<iframe src=//widget.example>`, want: `<iframe src=//widget.example?{U1}>`},
		{name: "backslashes", in: `<iframe src="\\widget.example\app">`, want: `<iframe src="\\widget.example\app?{P1}">`},
		{name: "slash backslash", in: `<iframe src="/\widget.example/">`, want: `<iframe src="/\widget.example/?{P1}">`},
		{name: "backslash slash", in: `<iframe src="\/widget.example/">`, want: `<iframe src="\/widget.example/?{P1}">`},
		{name: "many slashes", in: `<iframe src="////widget.example/">`, want: `<iframe src="////widget.example/?{P1}">`},
		{name: "tab between slashes", in: "<iframe src=\"/\t/widget.example/\">", want: "<iframe src=\"/\t/widget.example/?{P1}\">"},
		{name: "leading spaces", in: "<iframe src=\" \n//widget.example/\">", want: "<iframe src=\" \n//widget.example/?{P1}\">"},
		{name: "encoded slash", in: `<iframe src="&#47;/widget.example/">`, want: `<iframe src="&#47;/widget.example/?{P1}">`},
		{name: "uppercase host", in: `<iframe src="//WIDGET.example:443/">`, want: `<iframe src="//WIDGET.example:443/?{P1}">`},
		{name: "has param", in: `<iframe src="//widget.example/?sid=x">`, skip: SkipHasParam},
		{name: "other scheme listed only", in: `<iframe src="//localhost:8080/">`, skip: SkipUnlisted},
		{name: "unlisted host", in: `<iframe src="//evil.example/">`, skip: SkipUnlisted},
		{name: "userinfo trick", in: `<iframe src="//widget.example@evil.example/">`, skip: SkipUnlisted},
		{name: "userinfo", in: `<iframe src="//u@widget.example/">`, skip: SkipAmbiguous},
		{name: "idna", in: `<iframe src="//wïdget.example/">`, skip: SkipAmbiguous},
		{name: "ipv4 short", in: `<iframe src="//127.1/">`, skip: SkipAmbiguous},
		{name: "empty host", in: `<iframe src="///">`, skip: SkipAmbiguous},
		{name: "space between slashes", in: `<iframe src="/ /widget.example/">`, skip: SkipRelative},
		{name: "one slash", in: `<iframe src="/widget.example/">`, skip: SkipRelative},
		{name: "path", in: `<iframe src="widget.example/app">`, skip: SkipRelative},
		{name: "dot path", in: `<iframe src="./app">`, skip: SkipRelative},
		{name: "query only", in: `<iframe src="?a=1">`, skip: SkipRelative},
		{name: "fragment only", in: `<iframe src="#f">`, skip: SkipRelative},
		{name: "scheme relative", in: `<iframe src="https:widget.example/">`, skip: SkipRelative},
		{name: "scheme relative one slash", in: `<iframe src="https:/widget.example/">`, skip: SkipRelative},

		// <base href> before the iframe: the base decides, skip.
		{name: "base", in: `<base href="https://widget.example/"><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "base empty href", in: `<base href><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "base upper case", in: `<BASE HREF=x><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "base self-closing", in: `<base href="/"/><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "base second href attr", in: `<base target=_top href="/"><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "base in body", in: `<p><base href="/"></p><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "base still absolute", in: `<base href="/"><iframe src="https://widget.example/">`, want: `<base href="/"><iframe src="https://widget.example/?{P1}">`},
		{name: "base after", in: `<iframe src="//widget.example/"></iframe><base href="http://x/"><iframe src="//widget.example/">`, want: `<iframe src="//widget.example/?{P1}"></iframe><base href="http://x/"><iframe src="//widget.example/">`},

		// What is not a <base href>.
		{name: "base without href", in: `<base target=_top><iframe src="//widget.example/">`, want: `<base target=_top><iframe src="//widget.example/?{P1}">`},
		{name: "base hrefx", in: `<base hrefx=1 hre=2><iframe src="//widget.example/">`, want: `<base hrefx=1 hre=2><iframe src="//widget.example/?{P1}">`},
		{name: "end tag", in: `</base href=x><iframe src="//widget.example/">`, want: `</base href=x><iframe src="//widget.example/?{P1}">`},
		{name: "basefont", in: `<basefont href=x><bases href=x><iframe src="//widget.example/">`, want: `<basefont href=x><bases href=x><iframe src="//widget.example/?{P1}">`},
		{name: "in comment", in: `<!-- <base href=x> --><iframe src="//widget.example/">`, want: `<!-- <base href=x> --><iframe src="//widget.example/?{P1}">`},
		{name: "in script", in: `<script>"<base href=x>"</script><iframe src="//widget.example/">`, want: `<script>"<base href=x>"</script><iframe src="//widget.example/?{P1}">`},
		{name: "in style", in: `<style><base href=x></style><iframe src="//widget.example/">`, want: `<style><base href=x></style><iframe src="//widget.example/?{P1}">`},
		{name: "in textarea", in: `<textarea><base href=x></textarea><iframe src="//widget.example/">`, want: `<textarea><base href=x></textarea><iframe src="//widget.example/?{P1}">`},
		{name: "in attribute", in: `<p title="<base href=x>"><iframe src="//widget.example/">`, want: `<p title="<base href=x>"><iframe src="//widget.example/?{P1}">`},
		{name: "unfinished", in: `<iframe src="//widget.example/"><base href=x`, want: `<iframe src="//widget.example/?{P1}"><base href=x`},

		// Text that a browser may parse as markup where the scanner sees
		// raw text: any "<base" there counts.
		{name: "noscript", in: `<noscript><base href=x></noscript><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "svg style", in: `<svg><style><p><base href=x></style></svg><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "svg title", in: `<svg><title><BASE/></title></svg><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "math script", in: `<math><script>a<base>b</script></math><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "svg script escaped", in: `<svg><script><!--<base x></script></svg><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "svg script double escaped", in: `<svg><script><!--<script><base x></script>--></script></svg><iframe src="//widget.example/">`, skip: SkipRelative},
		{name: "svg without base", in: `<svg><style>.a{}</style><script>x<y</script></svg><iframe src="//widget.example/">`, want: `<svg><style>.a{}</style><script>x<y</script></svg><iframe src="//widget.example/?{P1}">`},
		{name: "svg basefont", in: `<svg><style><basefont></style></svg><iframe src="//widget.example/">`, want: `<svg><style><basefont></style></svg><iframe src="//widget.example/?{P1}">`},
		{name: "base in iframe text", in: `<iframe src="//widget.example/"><base href=x></iframe><iframe src="//widget.example/">`, want: `<iframe src="//widget.example/?{P1}"><base href=x></iframe><iframe src="//widget.example/?{P2}">`},
	}
	runRewriteCases(t, newTestConfig(false, ""), cases)

	// On an http page the same URLs take http.
	httpPage := newTestConfig(false, "")
	httpPage.ParentOrigin = "http://parent.example"
	runRewriteCases(t, httpPage, []rewriteCase{
		{name: "http listed", in: `<iframe src="//localhost:8080/x">`, want: `<iframe src="//localhost:8080/x?sid=T1&amp;po=http%3A%2F%2Fparent.example">`},
		{name: "http ipv6", in: `<iframe src="//[::1]:8080/x">`, want: `<iframe src="//[::1]:8080/x?sid=T1&amp;po=http%3A%2F%2Fparent.example">`},
		{name: "https not listed for http", in: `<iframe src="//widget.example/">`, skip: SkipUnlisted},
		{name: "scheme relative", in: `<iframe src="https:widget.example/">`, skip: SkipRelative},
	})

	// Without an http or https parent origin there is no base.
	for _, po := range []string{"", "null", "https://parent.example/path", "ftp://parent.example", "https://u@parent.example"} {
		cfg := newTestConfig(false, "")
		cfg.ParentOrigin = po
		_, st := rewriteAll(t, cfg, []byte(`<iframe src="//widget.example/">`), false)
		if st.Skipped[SkipRelative] != 1 {
			t.Errorf("parent origin %q: stats %+v, want one relative skip", po, st)
		}
	}
}

func TestCharacterReferences(t *testing.T) {
	runRewriteCases(t, newTestConfig(false, ""), []rewriteCase{
		{name: "amp in query", in: `<iframe src="https://widget.example/?a=1&amp;b=2">`, want: `<iframe src="https://widget.example/?a=1&amp;b=2&amp;{P1}">`},
		{name: "bare amp in query", in: `<iframe src="https://widget.example/?a=1&b=2">`, want: `<iframe src="https://widget.example/?a=1&b=2&amp;{P1}">`},
		{name: "colon reference", in: `<iframe src="https&#58;//widget.example/a">`, want: `<iframe src="https&#58;//widget.example/a?{P1}">`},
		{name: "named colon", in: `<iframe src="https&colon;//widget&period;example/a">`, want: `<iframe src="https&colon;//widget&period;example/a?{P1}">`},
		{name: "hex reference in host", in: `<iframe src="https://widget&#x2E;example/">`, want: `<iframe src="https://widget&#x2E;example/?{P1}">`},
		{name: "reference at end", in: `<iframe src="https://widget.example/&amp;">`, want: `<iframe src="https://widget.example/&amp;?{P1}">`},
		{name: "reference then fragment", in: `<iframe src="https://widget.example/&lt;#x">`, want: `<iframe src="https://widget.example/&lt;?{P1}#x">`},
		{name: "reference is hash", in: `<iframe src="https://widget.example/a&#35;b">`, skip: SkipAmbiguous},
		{name: "named hash", in: `<iframe src="https://widget.example/a&num;b">`, skip: SkipAmbiguous},
		{name: "reference is question mark", in: `<iframe src="https://widget.example/a&#63;b">`, skip: SkipAmbiguous},
		{name: "reference is space", in: `<iframe src="https://widget.example/a&#32;">`, skip: SkipAmbiguous},
		{name: "reference is CR", in: `<iframe src="https://widget.example/a&#13;">`, skip: SkipAmbiguous},
		{name: "reference is tab", in: `<iframe src="https://widget.example/a&Tab;">`, skip: SkipAmbiguous},
		{name: "userinfo via reference", in: `<iframe src="https://widget.example&#64;evil.example/">`, skip: SkipUnlisted},
		{name: "legacy without semicolon", in: `<iframe src="https://widget.example/?a&copy=1&notin">`, want: `<iframe src="https://widget.example/?a&copy=1&notin&amp;{P1}">`},
		{name: "legacy before hash", in: `<iframe src="https://widget.example/?a&amp#f">`, want: `<iframe src="https://widget.example/?a&amp&amp;{P1}#f">`},
		{name: "unknown named", in: `<iframe src="https://widget.example/?a&bogus;">`, want: `<iframe src="https://widget.example/?a&bogus;&amp;{P1}">`},
		{name: "rare named", in: `<iframe src="https://widget.example/&rightarrow;">`, want: `<iframe src="https://widget.example/&rightarrow;?{P1}">`},
		{name: "nul byte", in: "<iframe src=\"https://widget.example/\x00\">", skip: SkipAmbiguous},
		{name: "has param", in: `<iframe src="https://widget.example/?sid=abc">`, skip: SkipHasParam},
		{name: "has param in fragment", in: `<iframe src="https://widget.example/#r?sid=abc">`, skip: SkipHasParam},
		{name: "has param encoded", in: `<iframe src="https://widget.example/?%73id=abc">`, skip: SkipHasParam},
		{name: "has param via reference", in: `<iframe src="https://widget.example/?&#115;id=abc">`, skip: SkipHasParam},
		{name: "has param split by tab", in: "<iframe src=\"https://widget.example/?s\tid=abc\">", skip: SkipHasParam},
	})
}

func TestHashInsertion(t *testing.T) {
	runRewriteCases(t, newTestConfig(true, ""), []rewriteCase{
		{name: "no fragment", in: `<iframe src="https://widget.example/app">`, want: `<iframe src="https://widget.example/app#{P1}">`},
		{name: "query no fragment", in: `<iframe src="https://widget.example/app?a=1">`, want: `<iframe src="https://widget.example/app?a=1#{P1}">`},
		{name: "route", in: `<iframe src="https://widget.example/app#/route">`, want: `<iframe src="https://widget.example/app#/route?{P1}">`},
		{name: "route with query", in: `<iframe src="https://widget.example/app#/route?x=1">`, want: `<iframe src="https://widget.example/app#/route?x=1&amp;{P1}">`},
		{name: "empty fragment", in: `<iframe src="https://widget.example/app#">`, want: `<iframe src="https://widget.example/app#{P1}">`},
		{name: "route empty query", in: `<iframe src="https://widget.example/app#r?">`, want: `<iframe src="https://widget.example/app#r?{P1}">`},
		{name: "unquoted", in: `<iframe src=https://widget.example/app#r>`, want: `<iframe src=https://widget.example/app#r?{U1}>`},
		{name: "amp before hash", in: `<iframe src="https://widget.example/a&">`, skip: SkipAmbiguous},
		{name: "amp hash before name", in: `<iframe src="https://widget.example/a&#">`, skip: SkipAmbiguous},
		{name: "has param", in: `<iframe src="https://widget.example/a#sid=1">`, skip: SkipHasParam},
	})
}

func TestMarkupStates(t *testing.T) {
	const f = `<iframe src="https://widget.example/">`
	const r = `<iframe src="https://widget.example/?{P1}">`
	runRewriteCases(t, newTestConfig(false, ""), []rewriteCase{
		{name: "comment", in: `<!-- ` + f + ` -->`},
		{name: "comment then", in: `<!-- ` + f + ` -->` + f, want: `<!-- ` + f + ` -->` + r},
		{name: "abrupt empty comment", in: `<!-->` + f, want: `<!-->` + r},
		{name: "abrupt dash comment", in: `<!--->` + f, want: `<!--->` + r},
		{name: "dashes comment", in: `<!---->` + f, want: `<!---->` + r},
		{name: "bang comment end", in: `<!-- x --!>` + f, want: `<!-- x --!>` + r},
		{name: "not an end", in: `<!-- -- > ` + f + ` ->` + f + `-->`},
		{name: "bang dash", in: `<!-- --!-> ` + f + ` -->`},
		{name: "bang dash dash", in: `<!-- --!--> ` + f, want: `<!-- --!--> ` + r},
		{name: "bang without dashes", in: `<!--!> ` + f + `-->`},
		{name: "nested open", in: `<!--<!-- ` + f + ` -->` + f, want: `<!--<!-- ` + f + ` -->` + r},
		{name: "unclosed comment", in: `<!-- ` + f},
		{name: "bogus bang", in: `<!x ` + f + `>` + f, want: `<!x ` + f + `>` + r},
		{name: "bogus question", in: `<?xml ` + f + `?>` + f, want: `<?xml ` + f + `?>` + r},
		{name: "bogus end tag", in: `</ x ` + f + f, want: `</ x ` + f + r},
		{name: "bogus one dash", in: `<!-x>` + f, want: `<!-x>` + r},
		{name: "empty end tag", in: `</>` + f, want: `</>` + r},
		{name: "doctype", in: `<!DOCTYPE html "` + f + `">` + f, want: `<!DOCTYPE html "` + f + `">` + r},
		{name: "cdata is bogus", in: `<![CDATA[ x > ` + f + ` ]]>`, want: `<![CDATA[ x > ` + r + ` ]]>`},
		{name: "end tag attribute", in: `</div title="` + f + `">` + f, want: `</div title="` + f + `">` + r},
		{name: "lt not a tag", in: `a < b <3 <` + f, want: `a < b <3 <` + r},
		{name: "unfinished tag", in: `<iframe src="https://widget.example/"`},
		{name: "unfinished quote", in: `<iframe src="https://widget.example/>`},
		{name: "unfinished tag after", in: f + `<iframe src="https://widget.example/"`, want: r + `<iframe src="https://widget.example/"`},
		{name: "iframe content is raw", in: `<iframe src=x>` + f + `</iframe>` + f, want: `<iframe src=x>` + f + `</iframe>` + r},
		{name: "iframe end tag variants", in: `<iframe></iframex>` + f + `</IFRAME/>` + f, want: `<iframe></iframex>` + f + `</IFRAME/>` + r},
		{name: "style", in: `<style>` + f + `</style>` + f, want: `<style>` + f + `</style>` + r},
		{name: "style end with attrs", in: `<style></style title=">">` + f, want: `<style></style title=">">` + r},
		{name: "textarea", in: `<textarea>` + f + `</textarea >` + f, want: `<textarea>` + f + `</textarea >` + r},
		{name: "title", in: `<title>` + f + `</title>` + f, want: `<title>` + f + `</title>` + r},
		{name: "xmp", in: `<XMP>` + f + `</xmp>` + f, want: `<XMP>` + f + `</xmp>` + r},
		{name: "noembed", in: `<noembed>` + f + `</noembed>` + f, want: `<noembed>` + f + `</noembed>` + r},
		{name: "noframes", in: `<noframes>` + f + `</noframes>` + f, want: `<noframes>` + f + `</noframes>` + r},
		{name: "noscript is raw", in: `<noscript>` + f + `</noscript>` + f, want: `<noscript>` + f + `</noscript>` + r},
		{name: "raw end needs delimiter", in: `<style></stylex>` + f + `</style>`},
		{name: "plaintext", in: `<plaintext>` + f + `</plaintext>` + f},
		{name: "script", in: `<script>` + f + `</script>` + f, want: `<script>` + f + `</script>` + r},
		{name: "script end upper", in: `<script>x</SCRIPT>` + f, want: `<script>x</SCRIPT>` + r},
		{name: "script not end", in: `<script></scripty>` + f + `</script>`},
		{name: "self-closing script", in: `<script/>` + f + `</script>`},
		{name: "script escaped", in: `<script><!-- ` + f + ` --></script>` + f, want: `<script><!-- ` + f + ` --></script>` + r},
		{name: "script escaped end", in: `<script><!-- </script>` + f, want: `<script><!-- </script>` + r},
		{name: "script double escaped", in: `<script><!--<script></script>` + f + `--></script>` + f, want: `<script><!--<script></script>` + f + `--></script>` + r},
		{name: "script double escaped held", in: `<script><!--<script>` + f + `</script>` + f + `</script>` + f, want: `<script><!--<script>` + f + `</script>` + f + `</script>` + r},
		{name: "script double escaped dashes", in: `<script><!--<script>--></script>` + f, want: `<script><!--<script>--></script>` + r},
		{name: "script escaped lt", in: `<script><!-- a < b <script> </script> ` + f + ` --></script>` + f, want: `<script><!-- a < b <script> </script> ` + f + ` --></script>` + r},
		{name: "script escape abrupt", in: `<script><!--></script>` + f, want: `<script><!--></script>` + r},
		{name: "script bang", in: `<script><!x</script>` + f, want: `<script><!x</script>` + r},
		{name: "script one dash", in: `<script><!-</script>` + f, want: `<script><!-</script>` + r},
		{name: "head not a tag in script", in: `<script><head></script>`},
	})
}

func TestShim(t *testing.T) {
	const f = `<iframe src="https://widget.example/">`
	const r = `<iframe src="https://widget.example/?{P1}">`
	runRewriteCases(t, newTestConfig(false, "<S>"), []rewriteCase{
		{name: "after head", in: `<html><head><title>t</title></head><body>` + f, want: `<html><head><S><title>t</title></head><body>` + r},
		{name: "head with attributes", in: `<HEAD lang="en">` + f, want: `<HEAD lang="en"><S>` + r},
		{name: "before iframe", in: `<p>` + f + `<head>`, want: `<p><S>` + r + `<head>`},
		{name: "only once", in: `<head><head>` + f + `</iframe>` + f, want: `<head><S><head>` + r + `</iframe><iframe src="https://widget.example/?{P2}">`},
		{name: "head without iframes", in: `<head></head>`, want: `<head><S></head>`},
		{name: "nothing to rewrite", in: `<p>` + `<iframe src="https://evil.example/">`},
		{name: "head in comment", in: `<!--<head>-->` + f, want: `<!--<head>--><S>` + r},
		{name: "heading is not head", in: `<header>` + f, want: `<header><S>` + r},
		{name: "self-closing head", in: `<head/>`, want: `<head/><S>`},
	})
}

func TestOversized(t *testing.T) {
	cfg := newTestConfig(false, "")
	cfg.MaxTag = 64
	long := strings.Repeat("x", 60)
	f := `<iframe src="https://widget.example/">`
	r := expand(`<iframe src="https://widget.example/?{P1}">`)
	cases := []struct {
		in, want  string
		oversized int
	}{
		{in: `<iframe title="` + long + `" src="https://widget.example/">` + f, want: `<iframe title="` + long + `" src="https://widget.example/">` + f, oversized: 1},
		{in: `<div title="` + long + `">` + f, want: `<div title="` + long + `">` + r, oversized: 1},
		{in: `<script title="` + long + `">` + f + `</script>` + f, want: `<script title="` + long + `">` + f + `</script>` + r, oversized: 1},
		{in: `<div title="` + long + `"`, want: `<div title="` + long + `"`},
		{in: `<iframe title="` + long[:10] + `" src="https://widget.example/">`, want: expand(`<iframe title="` + long[:10] + `" src="https://widget.example/?{P1}">`)},
	}
	for _, tc := range cases {
		got, st := rewriteAll(t, cfg, []byte(tc.in), true)
		if string(got) != tc.want {
			t.Errorf("\ninput: %q\ngot:   %q\nwant:  %q", tc.in, got, tc.want)
		}
		if st.OversizedTags != tc.oversized {
			t.Errorf("input %q: %d oversized tags, want %d", tc.in, st.OversizedTags, tc.oversized)
		}
	}
}

func TestStats(t *testing.T) {
	in := `<iframe src="https://widget.example/"><iframe src="/x"></iframe><iframe src="https://evil.example/"></iframe><iframe></iframe><iframe src="https://widget.example/?sid=1"></iframe><iframe src="https://a@widget.example/"></iframe>`
	_, st := rewriteAll(t, newTestConfig(false, ""), []byte(in), false)
	// The first iframe's content swallows the second.
	want := Stats{Iframes: 5, Rewritten: 1}
	want.Skipped[SkipUnlisted] = 1
	want.Skipped[SkipNoSrc] = 1
	want.Skipped[SkipHasParam] = 1
	want.Skipped[SkipAmbiguous] = 1
	if st != want {
		t.Fatalf("got %+v\nwant %+v", st, want)
	}
	if SkipHasParam.String() != "has_param" || SkipReason(99).String() != "unknown" {
		t.Fatal("bad SkipReason names")
	}
}

func TestTokenEscaping(t *testing.T) {
	cfg := newTestConfig(false, "")
	plan := Scan([]byte(`<iframe src=https://widget.example/>`), cfg)
	got, err := plan.Apply(nil, []byte(`<iframe src=https://widget.example/>`), cfg, func(origin string) (string, error) {
		if origin != "https://widget.example" {
			t.Errorf("token asked for %q", origin)
		}
		return `a b"&<>=`, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `<iframe src=https://widget.example/?sid&#61;a+b%22%26%3C%3E%3D&amp;po&#61;https%3A%2F%2Fparent.example>`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// ApplyAppend escapes what the token function appended the same way,
	// and leaves what was in dst before alone.
	got, err = plan.ApplyAppend([]byte("x%"), []byte(`<iframe src=https://widget.example/>`), cfg, func(dst []byte, origin string) ([]byte, error) {
		if origin != "https://widget.example" {
			t.Errorf("token asked for %q", origin)
		}
		return append(dst, `a b"&<>=`...), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "x%"+want {
		t.Fatalf("ApplyAppend: got  %s\nwant x%%%s", got, want)
	}
}

// TestQueryEscape checks appendQueryEscape against url.QueryEscape for
// every byte, alone and around base64url text, and escapeFrom against
// appendQueryEscape.
func TestQueryEscape(t *testing.T) {
	for c := range 256 {
		var cases []string
		for k := range 18 { // c at every place of two 8-byte blocks and the rest
			cases = append(cases, "AZaz09-_.~AZaz09-_"[:k]+string([]byte{byte(c)})+"AZaz09-_.~"[:k%5])
		}
		for _, s := range cases {
			want := url.QueryEscape(s)
			if got := string(appendQueryEscape([]byte("p"), s)); got != "p"+want {
				t.Fatalf("appendQueryEscape(%q) = %q, want p%q", s, got, want)
			}
			if got := string(escapeFrom([]byte("p%"+s), 2)); got != "p%"+want {
				t.Fatalf("escapeFrom(%q) = %q, want p%%%q", s, got, want)
			}
		}
	}
}

func TestTokenError(t *testing.T) {
	cfg := newTestConfig(false, "")
	page := []byte(`<p>hello</p><iframe src="https://widget.example/">`)
	boom := errors.New("boom")
	fail := func(string) (string, error) { return "", boom }
	plan := Scan(page, cfg)
	if _, err := plan.Apply(nil, page, cfg, fail); !errors.Is(err, boom) {
		t.Fatalf("apply: got %v", err)
	}
	if _, err := plan.ApplyAppend(nil, page, cfg, appendTokens(fail)); !errors.Is(err, boom) {
		t.Fatalf("apply append: got %v", err)
	}
	r := NewRewriter(&bytes.Buffer{}, cfg, fail)
	if _, err := r.Write(page); !errors.Is(err, boom) {
		t.Fatalf("write: got %v", err)
	}
	if _, err := r.Write(page); !errors.Is(err, boom) {
		t.Fatalf("second write: got %v", err)
	}
	if err := r.Close(); !errors.Is(err, boom) {
		t.Fatalf("close: got %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestDestinationError(t *testing.T) {
	r := NewRewriter(failWriter{}, newTestConfig(false, ""), counterTokens())
	if _, err := r.Write([]byte("<p>x")); err == nil {
		t.Fatal("want an error")
	}
}

func TestApplyMismatch(t *testing.T) {
	cfg := newTestConfig(false, "")
	page := []byte(`<iframe src="https://widget.example/">`)
	plan := Scan(page, cfg)
	if _, err := plan.Apply(nil, page[:5], cfg, counterTokens()); err == nil {
		t.Fatal("want an error for another page")
	}
	if _, err := plan.Apply(nil, page, newTestConfig(false, ""), counterTokens()); err == nil {
		t.Fatal("want an error for another config")
	}
	if _, err := plan.ApplyAppend(nil, page[:5], cfg, appendTokens(counterTokens())); err == nil {
		t.Fatal("ApplyAppend: want an error for another page")
	}
	if _, err := plan.ApplyAppend(nil, page, newTestConfig(false, ""), appendTokens(counterTokens())); err == nil {
		t.Fatal("ApplyAppend: want an error for another config")
	}
	if plan.Unchanged() {
		t.Fatal("plan should have edits")
	}
	if p := Scan([]byte("<p>"), cfg); !p.Unchanged() {
		t.Fatal("plan should be empty")
	}
}

func TestReset(t *testing.T) {
	cfg := newTestConfig(false, "<S>")
	var a, b bytes.Buffer
	r := NewRewriter(&a, cfg, counterTokens())
	r.Write([]byte(`<head><iframe src="https://widget.example/"`))
	r.Reset(&b, cfg, counterTokens())
	r.Write([]byte(`<p><iframe src="https://widget.example/">`))
	r.Close()
	want := expand(`<p><S><iframe src="https://widget.example/?{P1}">`)
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	if r.Stats().Iframes != 1 {
		t.Fatalf("stats not reset: %+v", r.Stats())
	}
}

func TestConfigValidate(t *testing.T) {
	ok := newTestConfig(false, "")
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(c *Config){
		func(c *Config) { c.Allowed = []string{"https://Widget.example"} },
		func(c *Config) { c.Allowed = []string{"https://widget.example:443"} },
		func(c *Config) { c.Allowed = []string{"https://widget.example/"} },
		func(c *Config) { c.Allowed = []string{"ftp://widget.example"} },
		func(c *Config) { c.Allowed = []string{"https://a@widget.example"} },
		func(c *Config) { c.Allowed = []string{"http://[0::1]:8080"} },
		func(c *Config) { c.Allowed = []string{"https://127.1"} },
		func(c *Config) { c.SessionParam = "" },
		func(c *Config) { c.SessionParam = "a=b" },
		func(c *Config) { c.ParentParam = "x y" },
		func(c *Config) { c.ParentParam = c.SessionParam },
		func(c *Config) { c.MaxTag = 10 },
	}
	for i, mutate := range bad {
		c := newTestConfig(false, "")
		mutate(c)
		if c.Validate() == nil {
			t.Errorf("case %d: want an error", i)
		}
		// An invalid config passes pages through.
		page := []byte(`<iframe src="https://widget.example/">`)
		got, _ := rewriteAll(t, c, page, false)
		if !bytes.Equal(got, page) {
			t.Errorf("case %d: invalid config rewrote %q", i, got)
		}
	}
}

// TestNoProtocolRelative: with NoProtocolRelative, protocol-relative URLs
// are skipped as relative whatever ParentOrigin is, and absolute ones are
// rewritten as ever.
func TestNoProtocolRelative(t *testing.T) {
	cfg := newTestConfig(false, "")
	cfg.NoProtocolRelative = true
	page := []byte(`<iframe src="//widget.example/a"></iframe><iframe src="https://widget.example/b"></iframe>`)
	out, st := rewriteAll(t, cfg, page, true)
	want := `<iframe src="//widget.example/a"></iframe><iframe src="https://widget.example/b?sid=T1&amp;po=https%3A%2F%2Fparent.example"></iframe>`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if st.Rewritten != 1 || st.Skipped[SkipRelative] != 1 {
		t.Errorf("stats %+v: want 1 rewritten, 1 relative", st)
	}
}
