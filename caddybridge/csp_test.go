package caddybridge

import (
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	cspEmbedA   = "https://widget.example"
	cspEmbedB   = "https://other.example:8443"
	cspParentA  = "https://shop.example"
	cspShimHash = "'sha256-abc='"
)

var (
	cspWantFrames    = cspWant{FrameSrc: []string{cspEmbedA}}
	cspWantAncestors = cspWant{FrameAncestors: []string{cspParentA}}
	cspWantScripts   = cspWant{Scripts: true, ScriptHashes: []string{cspShimHash}}
	cspWantAll       = cspWant{FrameSrc: []string{cspEmbedA}, FrameAncestors: []string{cspParentA}, Scripts: true, ScriptHashes: []string{cspShimHash}}
)

// cspTests covers the rules documented on applyCSP. In and out hold the
// header fields before and after; a nil out means h must stay unchanged.
var cspTests = []struct {
	name string
	mode string
	want cspWant
	in   http.Header
	out  http.Header
}{
	// Mode off.
	{
		name: "off leaves everything alone",
		mode: cspOff, want: cspWantAll,
		in: http.Header{"Content-Security-Policy": {"default-src 'none'"}, "X-Frame-Options": {"DENY"}},
	},
	{
		name: "empty want changes nothing",
		mode: cspEnforce,
		in:   http.Header{"Content-Security-Policy": {"default-src 'none'"}, "X-Frame-Options": {"DENY"}},
	},

	// Parent role.
	{
		name: "parent without any policy adds frame-src",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{},
		out: http.Header{"Content-Security-Policy": {"frame-src 'self' " + cspEmbedA}},
	},
	{
		name: "parent unions into frame-src",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"frame-src 'self'; img-src *"}},
		out: http.Header{"Content-Security-Policy": {"frame-src 'self' " + cspEmbedA + "; img-src *"}},
	},
	{
		name: "parent drops a lone none from frame-src",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"frame-src 'NONE'"}},
		out: http.Header{"Content-Security-Policy": {"frame-src " + cspEmbedA}},
	},
	{
		name: "parent copies child-src into a new frame-src",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"child-src https://x.example; default-src 'none'"}},
		out: http.Header{"Content-Security-Policy": {"child-src https://x.example; default-src 'none'; frame-src https://x.example " + cspEmbedA}},
	},
	{
		name: "parent copies default-src into a new frame-src",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"default-src 'self'; img-src data:"}},
		out: http.Header{"Content-Security-Policy": {"default-src 'self'; img-src data:; frame-src 'self' " + cspEmbedA}},
	},
	{
		name: "parent copies default-src none without the none",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"default-src 'none'"}},
		out: http.Header{"Content-Security-Policy": {"default-src 'none'; frame-src " + cspEmbedA}},
	},
	{
		name: "parent does not add an origin twice",
		mode: cspEnforce, want: cspWant{FrameSrc: []string{cspEmbedA, cspEmbedB, cspEmbedA}},
		in:  http.Header{"Content-Security-Policy": {"frame-src  HTTPS://WIDGET.EXAMPLE"}},
		out: http.Header{"Content-Security-Policy": {"frame-src HTTPS://WIDGET.EXAMPLE " + cspEmbedB}},
	},
	{
		name: "parent keeps a policy that already allows the origin byte for byte",
		mode: cspEnforce, want: cspWantFrames,
		in: http.Header{"Content-Security-Policy": {"frame-src\t" + strings.ToUpper(cspEmbedA) + " ;img-src *"}},
	},
	{
		name: "parent adds its own policy when none restricts frames",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"img-src 'self'"}},
		out: http.Header{"Content-Security-Policy": {"img-src 'self'", "frame-src 'self' " + cspEmbedA}},
	},
	{
		name: "parent edits each policy of a field on its own",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"default-src 'self', frame-src https://x.example"}},
		out: http.Header{"Content-Security-Policy": {"default-src 'self'; frame-src 'self' " + cspEmbedA + ", frame-src https://x.example " + cspEmbedA}},
	},
	{
		name: "parent edits each field and adds nothing when one restricts",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"script-src 'self'", "child-src 'self'"}},
		out: http.Header{"Content-Security-Policy": {"script-src 'self'", "child-src 'self'; frame-src 'self' " + cspEmbedA}},
	},
	{
		name: "parent edits only the first of duplicate directives",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"frame-src 'none'; FRAME-SRC *"}},
		out: http.Header{"Content-Security-Policy": {"frame-src " + cspEmbedA + "; FRAME-SRC *"}},
	},
	{
		name: "parent keeps the name as written and normalises only the edited directive",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"  Frame-Src\t'self'   https://x.example ;img-src   * "}},
		out: http.Header{"Content-Security-Policy": {"  Frame-Src 'self' https://x.example " + cspEmbedA + " ;img-src   * "}},
	},
	{
		name: "parent appends after a trailing semicolon and keeps trailing space",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"default-src 'self' ; ", "default-src https: , img-src *"}},
		out: http.Header{"Content-Security-Policy": {"default-src 'self' ; frame-src 'self' " + cspEmbedA + " ", "default-src https:; frame-src https: " + cspEmbedA + " , img-src *"}},
	},
	{
		name: "parent skips non-ASCII directives as browsers do",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"frame-src 'self' café.example; frame-src https://x.example"}},
		out: http.Header{"Content-Security-Policy": {"frame-src 'self' café.example; frame-src https://x.example " + cspEmbedA}},
	},
	{
		name: "parent keeps garbage and empty fields and adds its own policy",
		mode: cspEnforce, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {",;, ;", ""}},
		out: http.Header{"Content-Security-Policy": {",;, ;", "", "frame-src 'self' " + cspEmbedA}},
	},
	{
		name: "parent skips origins that would break the header",
		mode: cspEnforce, want: cspWant{FrameSrc: []string{"https://a b", "", "https://x;script-src *", "https://y,a", "https://é", cspEmbedA}},
		in:  http.Header{"Content-Security-Policy": {"frame-src 'self'"}},
		out: http.Header{"Content-Security-Policy": {"frame-src 'self' " + cspEmbedA}},
	},
	{
		name: "unknown mode behaves like enforce",
		mode: "", want: cspWantFrames,
		in:  http.Header{},
		out: http.Header{"Content-Security-Policy": {"frame-src 'self' " + cspEmbedA}},
	},

	// Embed role.
	{
		name: "embed without any policy adds frame-ancestors and drops X-Frame-Options",
		mode: cspEnforce, want: cspWantAncestors,
		in:  http.Header{"X-Frame-Options": {"DENY"}},
		out: http.Header{"Content-Security-Policy": {"frame-ancestors 'self' " + cspParentA}},
	},
	{
		name: "embed unions into frame-ancestors and drops a lone none",
		mode: cspEnforce, want: cspWantAncestors,
		in:  http.Header{"Content-Security-Policy": {"frame-ancestors 'none'; default-src 'self'"}, "X-Frame-Options": {"SAMEORIGIN"}},
		out: http.Header{"Content-Security-Policy": {"frame-ancestors " + cspParentA + "; default-src 'self'"}},
	},
	{
		name: "embed has no fallback to default-src",
		mode: cspEnforce, want: cspWantAncestors,
		in:  http.Header{"Content-Security-Policy": {"default-src 'none'"}},
		out: http.Header{"Content-Security-Policy": {"default-src 'none'", "frame-ancestors 'self' " + cspParentA}},
	},
	{
		name: "embed adds nothing when one policy has frame-ancestors",
		mode: cspEnforce, want: cspWantAncestors,
		in:  http.Header{"Content-Security-Policy": {"frame-ancestors 'self'", "default-src 'self'"}, "X-Frame-Options": {"ALLOW-FROM https://shop.example"}},
		out: http.Header{"Content-Security-Policy": {"frame-ancestors 'self' " + cspParentA, "default-src 'self'"}},
	},

	// Scripts.
	{
		name: "scripts extend script-src",
		mode: cspEnforce, want: cspWantScripts,
		in:  http.Header{"Content-Security-Policy": {"script-src 'self' https://cdn.example; img-src *"}},
		out: http.Header{"Content-Security-Policy": {"script-src 'self' https://cdn.example 'wasm-unsafe-eval' " + cspShimHash + "; img-src *"}},
	},
	{
		name: "scripts copy default-src into script-src and connect-src",
		mode: cspEnforce, want: cspWantScripts,
		in:  http.Header{"Content-Security-Policy": {"default-src https://a.example"}},
		out: http.Header{"Content-Security-Policy": {"default-src https://a.example; script-src https://a.example 'self' 'wasm-unsafe-eval' " + cspShimHash + "; connect-src https://a.example 'self'"}},
	},
	{
		name: "scripts copy default-src none without the none",
		mode: cspEnforce, want: cspWantScripts,
		in:  http.Header{"Content-Security-Policy": {"default-src 'none'"}},
		out: http.Header{"Content-Security-Policy": {"default-src 'none'; script-src 'self' 'wasm-unsafe-eval' " + cspShimHash + "; connect-src 'self'"}},
	},
	{
		name: "scripts add no hash where unsafe-inline is in force",
		mode: cspEnforce, want: cspWantScripts,
		in:  http.Header{"Content-Security-Policy": {"script-src 'unsafe-inline'", "default-src 'self' 'Unsafe-Inline'"}},
		out: http.Header{"Content-Security-Policy": {"script-src 'unsafe-inline' 'self' 'wasm-unsafe-eval'", "default-src 'self' 'Unsafe-Inline'; script-src 'self' 'Unsafe-Inline' 'wasm-unsafe-eval'; connect-src 'self' 'Unsafe-Inline'"}},
	},
	{
		name: "scripts add the hash where a nonce already disables unsafe-inline",
		mode: cspEnforce, want: cspWantScripts,
		in:  http.Header{"Content-Security-Policy": {"script-src 'unsafe-inline' 'nonce-r4nd0m=='"}},
		out: http.Header{"Content-Security-Policy": {"script-src 'unsafe-inline' 'nonce-r4nd0m==' 'self' 'wasm-unsafe-eval' " + cspShimHash}},
	},
	{
		name: "scripts add the hash where strict-dynamic already disables unsafe-inline",
		mode: cspEnforce, want: cspWantScripts,
		in:  http.Header{"Content-Security-Policy": {"script-src 'strict-dynamic' 'unsafe-inline' 'sha256-xyz'"}},
		out: http.Header{"Content-Security-Policy": {"script-src 'strict-dynamic' 'unsafe-inline' 'sha256-xyz' 'self' 'wasm-unsafe-eval' " + cspShimHash}},
	},
	{
		name: "scripts extend script-src-elem and connect-src without wasm-unsafe-eval",
		mode: cspEnforce, want: cspWantScripts,
		in:  http.Header{"Content-Security-Policy": {"script-src-elem 'none'; connect-src https://api.example"}},
		out: http.Header{"Content-Security-Policy": {"script-src-elem 'self' " + cspShimHash + "; connect-src https://api.example 'self'"}},
	},
	{
		name: "scripts keep an existing connect-src over default-src",
		mode: cspEnforce, want: cspWant{Scripts: true},
		in:  http.Header{"Content-Security-Policy": {"default-src 'self'; connect-src https://api.example"}},
		out: http.Header{"Content-Security-Policy": {"default-src 'self'; connect-src https://api.example 'self'; script-src 'self' 'wasm-unsafe-eval'"}},
	},
	{
		name: "scripts compare hash prefixes without case but base64 with case",
		mode: cspEnforce, want: cspWant{Scripts: true, ScriptHashes: []string{"'sha256-abc='", "'sha256-ABC='"}},
		in:  http.Header{"Content-Security-Policy": {"script-src 'SELF' 'WASM-unsafe-eval' 'SHA256-abc='"}},
		out: http.Header{"Content-Security-Policy": {"script-src 'SELF' 'WASM-unsafe-eval' 'SHA256-abc=' 'sha256-ABC='"}},
	},
	{
		name: "scripts add nothing where scripts are not restricted",
		mode: cspEnforce, want: cspWantScripts,
		in: http.Header{"Content-Security-Policy": {"img-src 'self'; frame-ancestors 'none'"}},
	},

	// Report-only mode and both headers.
	{
		name: "report_only writes the module's own policy to the report-only header",
		mode: cspReportOnly, want: cspWantFrames,
		in:  http.Header{},
		out: http.Header{"Content-Security-Policy-Report-Only": {"frame-src 'self' " + cspEmbedA}},
	},
	{
		name: "report_only still widens enforced policies and adds nothing where they restrict",
		mode: cspReportOnly, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"frame-src 'none'"}},
		out: http.Header{"Content-Security-Policy": {"frame-src " + cspEmbedA}},
	},
	{
		name: "report_only adds its own report-only policy where nothing restricts",
		mode: cspReportOnly, want: cspWantFrames,
		in:  http.Header{"Content-Security-Policy": {"img-src 'self'"}},
		out: http.Header{"Content-Security-Policy": {"img-src 'self'"}, "Content-Security-Policy-Report-Only": {"frame-src 'self' " + cspEmbedA}},
	},
	{
		name: "report_only embed drops X-Frame-Options and reports frame-ancestors",
		mode: cspReportOnly, want: cspWantAncestors,
		in:  http.Header{"X-Frame-Options": {"DENY"}, "Content-Security-Policy-Report-Only": {"default-src 'self'"}},
		out: http.Header{"Content-Security-Policy-Report-Only": {"default-src 'self'", "frame-ancestors 'self' " + cspParentA}},
	},
	{
		name: "enforce widens report-only policies and looks at the enforced header only",
		mode: cspEnforce, want: cspWantFrames,
		in: http.Header{"Content-Security-Policy-Report-Only": {"default-src 'self'; report-uri /csp"}},
		out: http.Header{
			"Content-Security-Policy":             {"frame-src 'self' " + cspEmbedA},
			"Content-Security-Policy-Report-Only": {"default-src 'self'; report-uri /csp; frame-src 'self' " + cspEmbedA},
		},
	},
	{
		name: "both roles without any policy add one policy",
		mode: cspEnforce, want: cspWantAll,
		in:  http.Header{"X-Frame-Options": {"SAMEORIGIN"}},
		out: http.Header{"Content-Security-Policy": {"frame-src 'self' " + cspEmbedA + "; frame-ancestors 'self' " + cspParentA}},
	},
	{
		name: "both roles on a typical strict policy",
		mode: cspEnforce, want: cspWantAll,
		in: http.Header{"Content-Security-Policy": {
			"default-src 'self'; script-src 'self' 'nonce-q1w2e3'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; upgrade-insecure-requests",
		}},
		out: http.Header{"Content-Security-Policy": {
			"default-src 'self'; script-src 'self' 'nonce-q1w2e3' 'wasm-unsafe-eval' " + cspShimHash + "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self' " + cspParentA + "; upgrade-insecure-requests; frame-src 'self' " + cspEmbedA + "; connect-src 'self'",
		}},
	},
}

func TestApplyCSP(t *testing.T) {
	for _, tc := range cspTests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.in.Clone()
			applyCSP(h, tc.mode, tc.want)
			want := tc.out
			if want == nil {
				want = tc.in
			}
			if !reflect.DeepEqual(h, want) {
				t.Errorf("got:\n%q\nwant:\n%q", h, want)
			}
		})
	}
}

func TestApplyCSPHuge(t *testing.T) {
	long := "default-src" + strings.Repeat(" https://a.example", 100_000) + strings.Repeat(";", 100_000) + strings.Repeat(",", 100_000) + strings.Repeat("é;", 1000)
	h := http.Header{cspHeader: {long}, cspReportOnlyHeader: {strings.Repeat("frame-src 'none';", 50_000)}}
	applyCSP(h, cspEnforce, cspWantAll)
	if got := h.Values(cspHeader); len(got) != 2 || !strings.Contains(got[0], "; frame-src https://a.example") || got[1] != "frame-ancestors 'self' "+cspParentA {
		t.Errorf("unexpected enforced policy of %d fields", len(got))
	}
	if got := h.Get(cspReportOnlyHeader); !strings.HasPrefix(got, "frame-src "+cspEmbedA+";frame-src 'none';") {
		t.Errorf("unexpected report-only policy starting %q", got[:min(len(got), 40)])
	}
}

func BenchmarkApplyCSP(b *testing.B) {
	const policy = "default-src 'self'; script-src 'self' 'nonce-q1w2e3' https://cdn.example; " +
		"style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; " +
		"connect-src 'self' https://api.example; object-src 'none'; base-uri 'self'; " +
		"frame-ancestors 'self'; report-uri /csp-report"
	b.ReportAllocs()
	for b.Loop() {
		h := http.Header{"Content-Security-Policy": {policy}}
		applyCSP(h, cspEnforce, cspWantAll)
	}
}

// The fuzz test checks applyCSP against a model of how browsers read
// policies (CSP Level 3, "parse a serialized CSP" and the fetch directive
// fallback lists), written independently of the code under test.

// cspFuzzOrigins are the origins a fuzz input can choose from.
var cspFuzzOrigins = []string{cspEmbedA, cspEmbedB, "HTTPS://Widget.Example", "http://127.0.0.1:8080"}

// cspFallbacks lists, per directive, the directives a browser uses in order.
var cspFallbacks = map[string][]string{
	"default-src":     {"default-src"},
	"script-src":      {"script-src", "default-src"},
	"script-src-elem": {"script-src-elem", "script-src", "default-src"},
	"script-src-attr": {"script-src-attr", "script-src", "default-src"},
	"worker-src":      {"worker-src", "child-src", "script-src", "default-src"},
	"child-src":       {"child-src", "default-src"},
	"frame-src":       {"frame-src", "child-src", "default-src"},
	"connect-src":     {"connect-src", "default-src"},
	"img-src":         {"img-src", "default-src"},
	"style-src":       {"style-src", "default-src"},
	"style-src-elem":  {"style-src-elem", "style-src", "default-src"},
	"object-src":      {"object-src", "default-src"},
	"frame-ancestors": {"frame-ancestors"},
}

// cspModelDirective is one directive token as a browser sees it.
type cspModelDirective struct {
	raw     string // trimmed token
	name    string // lowercased name, "" when ignored
	sources []string
	counts  bool // first directive of its name
}

// cspModelPolicy is a policy as a browser sees it.
type cspModelPolicy struct {
	dirs  []cspModelDirective
	first map[string][]string
}

func isCSPModelSpace(r rune) bool {
	return r == '\t' || r == '\n' || r == '\f' || r == '\r' || r == ' '
}

// cspModelParse parses a header field into its non-blank policies.
func cspModelParse(field string) []cspModelPolicy {
	var ps []cspModelPolicy
	for _, seg := range strings.Split(field, ",") {
		if strings.TrimFunc(seg, isCSPModelSpace) == "" {
			continue
		}
		p := cspModelPolicy{first: map[string][]string{}}
		for _, tok := range strings.Split(seg, ";") {
			tok = strings.TrimFunc(tok, isCSPModelSpace)
			d := cspModelDirective{raw: tok}
			ascii := true
			for _, r := range tok {
				ascii = ascii && r < 0x80
			}
			if tok != "" && ascii {
				f := strings.FieldsFunc(tok, isCSPModelSpace)
				d.name, d.sources = strings.ToLower(f[0]), f[1:]
				if _, seen := p.first[d.name]; !seen {
					d.counts = true
					p.first[d.name] = d.sources
				}
			}
			p.dirs = append(p.dirs, d)
		}
		ps = append(ps, p)
	}
	return ps
}

// effective returns the source list a browser applies for directive, and
// whether the policy restricts it at all.
func (p cspModelPolicy) effective(directive string) ([]string, bool) {
	for _, name := range cspFallbacks[directive] {
		if srcs, ok := p.first[name]; ok {
			return srcs, true
		}
	}
	return nil, false
}

// cspModelCovers reports whether srcs literally lists s, ignoring the case of
// keywords, schemes, hosts and the prefix of hashes.
func cspModelCovers(srcs []string, s string) bool {
	for _, t := range srcs {
		if t == s {
			return true
		}
		if !strings.EqualFold(t, s) {
			continue
		}
		i := strings.IndexByte(s, '-')
		if strings.HasPrefix(s, "'") && i > 0 && (strings.HasPrefix(strings.ToLower(s), "'sha") || strings.HasPrefix(strings.ToLower(s), "'nonce-")) {
			if t[i:] == s[i:] {
				return true
			}
			continue
		}
		return true
	}
	return false
}

// cspModelKey matches nonce-source and hash-source (CSP Level 3, §2.3.1).
var cspModelKey = regexp.MustCompile(`^'(?i:nonce|sha256|sha384|sha512)-[A-Za-z0-9+/_-]+={0,2}'$`)

// cspModelAllowsAllInline reports whether srcs lets every inline script run.
func cspModelAllowsAllInline(srcs []string) bool {
	inline := false
	for _, s := range srcs {
		if cspModelKey.MatchString(s) || strings.EqualFold(s, "'strict-dynamic'") {
			return false
		}
		inline = inline || strings.EqualFold(s, "'unsafe-inline'")
	}
	return inline
}

// cspModelValid reports whether s is a source the bridge may write.
func cspModelValid(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || c == ',' || c == ';' {
			return false
		}
	}
	return true
}

// cspFuzzFields turns a fuzz string into header fields: none for "", else one
// per line.
func cspFuzzFields(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func FuzzApplyCSP(f *testing.F) {
	for _, tc := range cspTests {
		for _, flags := range []uint8{0x01, 0x02, 0x07, 0x0f, 0xff} {
			f.Add(strings.Join(tc.in.Values(cspHeader), "\n"), strings.Join(tc.in.Values(cspReportOnlyHeader), "\n"), tc.in.Get("X-Frame-Options"), uint8(1), flags, "https://fuzz.example")
		}
	}
	f.Add("default-src 'self'", "frame-src 'none'", "DENY", uint8(2), uint8(0x3f), "'NONE'")
	f.Add("script-src 'unsafe-inline'; script-src-elem 'unsafe-inline'", "", "", uint8(1), uint8(0x0c), "'sha256-ABC='")
	f.Add("script-src 'SHA256-ABC='", "", "", uint8(1), uint8(0x0c), "https://fuzz.example")
	f.Add("", "\r", "", uint8(1), uint8(0x02), "0") // Found by the fuzzer: a control character kept from the input.

	f.Fuzz(func(t *testing.T, csp, ro, xfo string, modeSel, flags uint8, extra string) {
		mode := []string{cspOff, cspEnforce, cspReportOnly, "bogus"}[modeSel%4]
		var want cspWant
		origins := []string{cspFuzzOrigins[flags>>4&3], cspFuzzOrigins[(flags>>4+1)&3]}
		if flags&0x01 != 0 {
			want.FrameSrc = append(slices.Clone(origins), extra)
		}
		if flags&0x02 != 0 {
			want.FrameAncestors = append(slices.Clone(origins[:1]), extra)
		}
		want.Scripts = flags&0x04 != 0
		if flags&0x08 != 0 {
			want.ScriptHashes = []string{cspShimHash, extra}
		}
		if flags&0x40 != 0 {
			want.ScriptHashes = append(want.ScriptHashes, "'nonce-"+extra+"'")
		}

		in := http.Header{}
		for _, v := range cspFuzzFields(csp) {
			in.Add(cspHeader, v)
		}
		for _, v := range cspFuzzFields(ro) {
			in.Add(cspReportOnlyHeader, v)
		}
		if xfo != "" {
			in.Set("X-Frame-Options", xfo)
		}
		h := in.Clone()
		applyCSP(h, mode, want)

		if mode == cspOff {
			if !reflect.DeepEqual(h, in) {
				t.Fatalf("mode off changed headers: %q", h)
			}
			return
		}
		valid := func(srcs []string) []string {
			var out []string
			for _, s := range srcs {
				if cspModelValid(s) {
					out = append(out, s)
				}
			}
			return out
		}
		frameSrc, ancestors, hashes := valid(want.FrameSrc), valid(want.FrameAncestors), valid(want.ScriptHashes)
		if len(ancestors) > 0 && h.Get("X-Frame-Options") != "" {
			t.Fatalf("X-Frame-Options kept in embed role")
		}
		if len(ancestors) == 0 && h.Get("X-Frame-Options") != in.Get("X-Frame-Options") {
			t.Fatalf("X-Frame-Options changed outside embed role")
		}
		scriptExtra := append([]string{"'self'", "'wasm-unsafe-eval'"}, hashes...)
		extras := map[string][]string{
			"frame-src":       frameSrc,
			"frame-ancestors": ancestors,
			"connect-src":     {"'self'"},
			"script-src":      scriptExtra,
			"script-src-elem": scriptExtra,
			"script-src-attr": scriptExtra,
			"worker-src":      scriptExtra,
		}
		if !want.Scripts {
			extras["connect-src"], extras["script-src"], extras["script-src-elem"], extras["script-src-attr"], extras["worker-src"] = nil, nil, nil, nil, nil
		}
		editable := map[string]bool{
			"frame-src":       len(frameSrc) > 0,
			"frame-ancestors": len(ancestors) > 0,
			"script-src":      want.Scripts,
			"script-src-elem": want.Scripts,
			"connect-src":     want.Scripts,
		}
		// kept returns the tokens of p that must survive unchanged; empty
		// ones may go.
		kept := func(p cspModelPolicy) []string {
			var out []string
			for _, d := range p.dirs {
				if d.raw != "" && !(d.counts && editable[d.name]) {
					out = append(out, d.raw)
				}
			}
			return out
		}

		target := cspHeader
		if mode == cspReportOnly {
			target = cspReportOnlyHeader
		}
		restricted := map[string][2]bool{} // header -> frames, ancestors restricted
		for _, name := range []string{cspHeader, cspReportOnlyHeader} {
			before, after := in.Values(name), h.Values(name)
			if len(after) < len(before) || len(after) > len(before)+1 || (name != target && len(after) != len(before)) {
				t.Fatalf("%s: %d fields became %d", name, len(before), len(after))
			}
			var all []cspModelPolicy
			for i, v := range after {
				if strings.ContainsAny(v, "\r\n\x00") && (i >= len(before) || !strings.ContainsAny(before[i], "\r\n\x00")) {
					t.Fatalf("%s: output field %q holds a control character", name, v)
				}
				ps := cspModelParse(v)
				all = append(all, ps...)
				if i >= len(before) {
					// The module's own policy: only frame restrictions.
					if len(ps) != 1 {
						t.Fatalf("%s: own field %q holds %d policies", name, v, len(ps))
					}
					for _, d := range ps[0].dirs {
						ok := d.name == "frame-src" && len(frameSrc) > 0 || d.name == "frame-ancestors" && len(ancestors) > 0
						if !ok || !d.counts || len(d.sources) == 0 || d.sources[0] != "'self'" {
							t.Fatalf("%s: own field %q holds %q", name, v, d.raw)
						}
						for _, s := range d.sources[1:] {
							if !slices.Contains(extras[d.name], s) {
								t.Fatalf("%s: own field %q allows %q", name, v, s)
							}
						}
					}
					continue
				}
				old := cspModelParse(before[i])
				if len(ps) != len(old) {
					t.Fatalf("%s: field %q became %q", name, before[i], v)
				}
				for j := range ps {
					// (b) Unrelated directives stay as they were.
					if k, o := kept(ps[j]), kept(old[j]); !slices.Equal(k, o) {
						t.Fatalf("%s: unrelated directives changed:\n%q\n%q", name, o, k)
					}
					for dir := range cspFallbacks {
						was, wasRestricted := old[j].effective(dir)
						now, isRestricted := ps[j].effective(dir)
						if isRestricted != wasRestricted {
							t.Fatalf("%s: %s restricted %v, now %v, in %q", name, dir, wasRestricted, isRestricted, v)
						}
						// (a) Nothing new is allowed except what want needs.
						for _, s := range now {
							if !slices.Contains(was, s) && !slices.Contains(extras[dir], s) {
								t.Fatalf("%s: %s now allows %q: %q -> %q", name, dir, s, before[i], v)
							}
						}
						if strings.HasPrefix(dir, "script-src") && wasRestricted && cspModelAllowsAllInline(was) && !cspModelAllowsAllInline(now) {
							t.Fatalf("%s: %s no longer allows inline scripts: %q -> %q", name, dir, before[i], v)
						}
					}
				}
			}
			// (c) Every resulting policy allows the configured origins, and
			// the target header restricts what the module restricts.
			framesRestricted, ancestorsRestricted := false, false
			for _, p := range all {
				if srcs, ok := p.effective("frame-src"); ok {
					framesRestricted = true
					for _, o := range frameSrc {
						if !cspModelCovers(srcs, o) {
							t.Fatalf("%s: frame-src %q misses %q", name, srcs, o)
						}
					}
				}
				if srcs, ok := p.effective("frame-ancestors"); ok {
					ancestorsRestricted = true
					for _, o := range ancestors {
						if !cspModelCovers(srcs, o) {
							t.Fatalf("%s: frame-ancestors %q misses %q", name, srcs, o)
						}
					}
				}
				if !want.Scripts {
					continue
				}
				for _, dir := range []string{"script-src", "script-src-elem"} {
					srcs, ok := p.effective(dir)
					if !ok {
						continue
					}
					need := []string{"'self'"}
					if dir == "script-src" {
						need = append(need, "'wasm-unsafe-eval'")
					}
					if !cspModelAllowsAllInline(srcs) {
						need = append(need, hashes...)
					}
					for _, s := range need {
						if !cspModelCovers(srcs, s) {
							t.Fatalf("%s: %s %q misses %q", name, dir, srcs, s)
						}
					}
				}
				if srcs, ok := p.effective("connect-src"); ok && !cspModelCovers(srcs, "'self'") {
					t.Fatalf("%s: connect-src %q misses 'self'", name, srcs)
				}
			}
			restricted[name] = [2]bool{framesRestricted, ancestorsRestricted}
		}
		// The target header restricts what the module restricts, unless
		// an enforced policy already does.
		tr, er := restricted[target], restricted[cspHeader]
		if len(frameSrc) > 0 && !tr[0] && !er[0] || len(ancestors) > 0 && !tr[1] && !er[1] {
			t.Fatalf("%s: the module's own restriction is missing: %q", target, h.Values(target))
		}
	})
}
