package caddybridge

import (
	"net/http"
	"slices"
	"strings"
)

// These are the values of the `csp` subdirective.
const (
	cspEnforce    = "enforce"
	cspReportOnly = "report_only"
	cspOff        = "off"
)

// These are the header fields that carry policies.
const (
	cspHeader           = "Content-Security-Policy"
	cspReportOnlyHeader = "Content-Security-Policy-Report-Only"
)

// cspSpace is ASCII whitespace as CSP defines it.
const cspSpace = "\t\n\f\r "

// cspWant is what the bridge needs from the policies of one response.
type cspWant struct {
	FrameSrc       []string // parent role: embed origins to allow in frame-src (canonical "scheme://host[:port]"); nil when not in parent role
	FrameAncestors []string // embed role: parent origins to allow in frame-ancestors; nil when not in embed role
	Scripts        bool     // add the runtime's script allowances where scripts are restricted
	ScriptHashes   []string // extra script sources such as "'sha256-…'" for the inline shim (may be empty)
}

// applyCSP edits h in place according to mode and want. It never returns an
// error and never panics, whatever the header values hold.
//
// Both Content-Security-Policy and Content-Security-Policy-Report-Only are
// read. Each field is split into policies on commas and each policy into
// directives on semicolons, as browsers do: a directive that is empty or not
// ASCII is ignored by browsers and left alone here, names are compared
// case-insensitively, and of several directives with one name only the first
// counts and is edited. Every policy is widened on its own, because a second
// policy could only tighten. A field that needs no edit is kept byte for
// byte; in an edited field only the edited directives are rewritten (name as
// written, then its sources separated by single spaces) and new directives are
// appended to their policy with "; ". Sources are compared case-insensitively
// except for paths and the base64 of hashes and nonces, and are never added
// twice. A lone 'none' is dropped from a list that gains sources. Sources in
// want that could break the serialisation (empty, non-ASCII, whitespace,
// commas, semicolons) are skipped.
//
// Mode off leaves h untouched. Otherwise, in every upstream policy of both
// headers (so that report-only policies do not report the bridge):
//
//   - With FrameSrc (parent role), frame-src gets the origins. A policy without
//     frame-src but with child-src, else default-src, gets a new frame-src made
//     of that directive's sources plus the origins; child-src and default-src
//     themselves stay as they are.
//   - With FrameAncestors (embed role), frame-ancestors gets the origins; it
//     has no fallback. X-Frame-Options is deleted whatever its value.
//   - With Scripts, script-src gets 'self', 'wasm-unsafe-eval' and the
//     ScriptHashes; a policy without script-src but with default-src gets a
//     new script-src made of default-src's sources plus those. An existing
//     script-src-elem gets 'self' and the hashes. An existing connect-src gets
//     'self'; without one, a policy with default-src gets a new connect-src
//     made of default-src's sources plus 'self'. Hashes are never added to a
//     list that allows all inline scripts (one with 'unsafe-inline' and no
//     hash, nonce or 'strict-dynamic'), since a hash would disable
//     'unsafe-inline' there and the list already allows the shim.
//
// The module's own restrictions are added only where nothing restricts the
// same thing: when no enforced policy (nor, in report_only, a report-only
// policy) has frame-src, child-src or default-src, the target header gets
// "frame-src 'self' <FrameSrc...>"; when none has frame-ancestors, it gets
// "frame-ancestors 'self' <FrameAncestors...>". Both
// go into one new field holding one policy. The target header is
// Content-Security-Policy in mode enforce (and for any unknown mode, since
// enforce is the default) and Content-Security-Policy-Report-Only in mode
// report_only. No script source is ever added to a policy of the module's own.
func applyCSP(h http.Header, mode string, want cspWant) {
	if mode == cspOff {
		return
	}
	want.FrameSrc = validCSPSources(want.FrameSrc)
	want.FrameAncestors = validCSPSources(want.FrameAncestors)
	want.ScriptHashes = validCSPSources(want.ScriptHashes)
	if len(want.FrameSrc) == 0 && len(want.FrameAncestors) == 0 && !want.Scripts {
		return
	}
	if len(want.FrameAncestors) > 0 {
		h.Del("X-Frame-Options")
	}

	target := cspHeader
	if mode == cspReportOnly {
		target = cspReportOnlyHeader
	}
	var frames, ancestors bool
	for _, name := range []string{cspHeader, cspReportOnlyHeader} {
		fields := h.Values(name) // not a copy: edits go to h
		for i, v := range fields {
			out, f, a := widenCSPField(v, want)
			fields[i] = out
			// An enforced policy restricts in either mode; in report_only
			// a report-only one does too (a policy of our own would only
			// report what is already blocked or reported).
			if name == cspHeader || name == target {
				frames = frames || f
				ancestors = ancestors || a
			}
		}
	}

	var own []string
	if len(want.FrameSrc) > 0 && !frames {
		own = append(own, newCSPDirective("frame-src", "'self'", want.FrameSrc))
	}
	if len(want.FrameAncestors) > 0 && !ancestors {
		own = append(own, newCSPDirective("frame-ancestors", "'self'", want.FrameAncestors))
	}
	if len(own) > 0 {
		h.Add(target, strings.Join(own, "; "))
	}
}

// widenCSPField widens every policy in the field value v. It returns the new
// value, whether some policy restricts frames and whether some policy has
// frame-ancestors.
func widenCSPField(v string, want cspWant) (out string, frames, ancestors bool) {
	segs := strings.Split(v, ",")
	changed := false
	for i, seg := range segs {
		p := parseCSPPolicy(seg)
		if len(want.FrameSrc) > 0 && p.widen("frame-src", want.FrameSrc, nil, "child-src", "default-src") {
			frames = true
		}
		if len(want.FrameAncestors) > 0 && p.widen("frame-ancestors", want.FrameAncestors, nil) {
			ancestors = true
		}
		if want.Scripts {
			p.widen("script-src", []string{"'self'", "'wasm-unsafe-eval'"}, want.ScriptHashes, "default-src")
			p.widen("script-src-elem", []string{"'self'"}, want.ScriptHashes)
			p.widen("connect-src", []string{"'self'"}, nil, "default-src")
		}
		if p.edited {
			segs[i] = p.String()
			changed = true
		}
	}
	if !changed {
		return v, frames, ancestors
	}
	return strings.Join(segs, ","), frames, ancestors
}

// cspPolicy is one policy of a field, split into directives.
type cspPolicy struct {
	dirs   []cspDirective
	edited bool
}

// cspDirective is one directive of a policy.
type cspDirective struct {
	seg     string   // the text between separators, as received
	name    string   // the lowercased name; empty when browsers ignore the directive
	head    string   // the name as written
	sources []string // the source list
	edited  bool     // whether sources changed
	added   bool     // whether the bridge created the directive
}

// parseCSPPolicy splits one serialised policy into its directives. Like
// browsers, it gives no name to a directive that is empty or not ASCII.
func parseCSPPolicy(seg string) *cspPolicy {
	p := new(cspPolicy)
	for ds := range strings.SplitSeq(seg, ";") {
		d := cspDirective{seg: ds}
		if f := strings.FieldsFunc(ds, isCSPSpace); len(f) > 0 && isCSPASCII(ds) {
			d.head, d.sources, d.name = f[0], f[1:], strings.ToLower(f[0])
		}
		p.dirs = append(p.dirs, d)
	}
	return p
}

// find returns the index of the directive called name that counts, or -1.
func (p *cspPolicy) find(name string) int {
	for i := range p.dirs {
		if p.dirs[i].name == name {
			return i
		}
	}
	return -1
}

// widen makes the directive called name allow srcs, and hashes too unless the
// list already allows all inline scripts. When the policy lacks that
// directive, it creates it from the sources of the first of fallbacks that it
// has. It reports whether the policy had the directive or a fallback, which is
// whether it restricts what the directive governs.
func (p *cspPolicy) widen(name string, srcs, hashes []string, fallbacks ...string) bool {
	i := p.find(name)
	if i < 0 {
		i = p.derive(name, fallbacks)
	}
	if i < 0 {
		return false
	}
	d := &p.dirs[i]
	withHashes := !cspAllowsAllInline(d.sources)
	d.allow(srcs)
	if withHashes {
		d.allow(hashes)
	}
	p.edited = p.edited || d.edited
	return true
}

// derive appends a directive called name with the sources of the first of
// fallbacks that p has, and returns its index, or -1 when p has none of them.
func (p *cspPolicy) derive(name string, fallbacks []string) int {
	for _, fb := range fallbacks {
		j := p.find(fb)
		if j < 0 {
			continue
		}
		d := cspDirective{name: name, head: name, sources: slices.Clone(p.dirs[j].sources), edited: true, added: true}
		p.dirs = append(p.dirs, d)
		return len(p.dirs) - 1
	}
	return -1
}

// allow adds the sources that d does not have yet, dropping a lone 'none'.
func (d *cspDirective) allow(srcs []string) {
	for _, s := range srcs {
		if slices.ContainsFunc(d.sources, func(t string) bool { return sameCSPSource(t, s) }) {
			continue
		}
		if len(d.sources) == 1 && strings.EqualFold(d.sources[0], "'none'") {
			d.sources = nil
		}
		d.sources = append(d.sources, s)
		d.edited = true
	}
}

// String serialises p, keeping unedited directives and separators as received.
// Directives the bridge created are appended with "; ".
func (p *cspPolicy) String() string {
	var segs, added []string
	for _, d := range p.dirs {
		switch {
		case d.added:
			added = append(added, d.text())
		case d.edited:
			core := strings.Trim(d.seg, cspSpace)
			i := strings.Index(d.seg, core)
			segs = append(segs, d.seg[:i]+d.text()+d.seg[i+len(core):])
		default:
			segs = append(segs, d.seg)
		}
	}
	s := strings.Join(segs, ";")
	if len(added) == 0 {
		return s
	}
	body := strings.TrimRight(s, cspSpace)
	sep := "; "
	if strings.HasSuffix(body, ";") {
		sep = " "
	}
	return body + sep + strings.Join(added, "; ") + s[len(body):]
}

// text serialises d as its name and sources separated by single spaces.
func (d *cspDirective) text() string {
	return strings.Join(append([]string{d.head}, d.sources...), " ")
}

// newCSPDirective serialises a directive called name with first and srcs.
func newCSPDirective(name, first string, srcs []string) string {
	d := cspDirective{head: name, sources: []string{first}}
	d.allow(srcs)
	return d.text()
}

// cspAllowsAllInline reports whether a script source list allows every inline
// script, that is whether it has 'unsafe-inline' and no hash, nonce or
// 'strict-dynamic' that would make browsers ignore it (CSP Level 3, §6.7.3.3).
func cspAllowsAllInline(srcs []string) bool {
	unsafeInline := false
	for _, s := range srcs {
		switch {
		case isCSPHashOrNonce(s), strings.EqualFold(s, "'strict-dynamic'"):
			return false
		case strings.EqualFold(s, "'unsafe-inline'"):
			unsafeInline = true
		}
	}
	return unsafeInline
}

// isCSPHashOrNonce reports whether s is a nonce-source or a hash-source.
func isCSPHashOrNonce(s string) bool {
	p := cspKeyPrefix(s)
	if p == "" || len(s) < len(p)+2 || s[len(s)-1] != '\'' {
		return false
	}
	v := strings.TrimSuffix(strings.TrimSuffix(s[len(p):len(s)-1], "="), "=")
	return v != "" && strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") == ""
}

// cspKeyPrefix returns the prefix of s that makes it a nonce or a hash source,
// or "".
func cspKeyPrefix(s string) string {
	for _, p := range []string{"'nonce-", "'sha256-", "'sha384-", "'sha512-"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return p
		}
	}
	return ""
}

// sameCSPSource reports whether a and b are the same source. Keywords,
// schemes and hosts compare without case; paths and the base64 of hashes and
// nonces compare with case.
func sameCSPSource(a, b string) bool {
	if len(a) != len(b) || !strings.EqualFold(a, b) {
		return false
	}
	i := len(a)
	if p := cspKeyPrefix(a); p != "" {
		i = len(p)
	} else if !strings.HasPrefix(a, "'") {
		start := 0
		if j := strings.Index(a, "://"); j >= 0 {
			start = j + 3
		}
		if j := strings.IndexByte(a[start:], '/'); j >= 0 {
			i = start + j
		}
	}
	return a[i:] == b[i:]
}

// validCSPSources returns the sources that are safe to write into a policy:
// non-empty printable ASCII without whitespace, commas or semicolons.
func validCSPSources(srcs []string) []string {
	var ok []string
	for _, s := range srcs {
		if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == ',' || r == ';' }) {
			ok = append(ok, s)
		}
	}
	return ok
}

// isCSPASCII reports whether s holds only ASCII.
func isCSPASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 })
}

// isCSPSpace reports whether r is ASCII whitespace as CSP defines it.
func isCSPSpace(r rune) bool {
	return r == '\t' || r == '\n' || r == '\f' || r == '\r' || r == ' '
}

// cspFixed is what applyCSP does, for one mode and want, to the headers of
// a response that has no Content-Security-Policy and no
// Content-Security-Policy-Report-Only field: the usual case, which then
// costs no parsing and no allocation. precomputeCSP derives it from
// applyCSP itself.
type cspFixed struct {
	ok     bool   // the edits below are all that applyCSP does
	delXFO bool   // X-Frame-Options is deleted
	name   string // the policy field added, or ""
	value  string // its value
}

// precomputeCSP runs applyCSP on headers without policies and records what
// it did. The result's ok is false (use applyCSP) if applyCSP did anything
// else than deleting X-Frame-Options and adding one policy field.
func precomputeCSP(mode string, want cspWant) cspFixed {
	probe := http.Header{"X-Frame-Options": {"DENY"}, "X-Probe": {"kept"}}
	applyCSP(probe, mode, want)
	var f cspFixed
	if xfo, ok := probe["X-Frame-Options"]; !ok {
		f.delXFO = true
	} else if len(xfo) != 1 || xfo[0] != "DENY" {
		return cspFixed{}
	}
	delete(probe, "X-Frame-Options")
	for _, name := range []string{cspHeader, cspReportOnlyHeader} {
		v, ok := probe[name]
		if !ok {
			continue
		}
		if len(v) != 1 || f.name != "" {
			return cspFixed{}
		}
		f.name, f.value = name, v[0]
		delete(probe, name)
	}
	if len(probe) != 1 || len(probe["X-Probe"]) != 1 || probe["X-Probe"][0] != "kept" {
		return cspFixed{}
	}
	f.ok = true
	return f
}

// noPolicies reports whether h has no policy field, which is when a
// cspFixed applies.
func noPolicies(h http.Header) bool {
	return len(h[cspHeader]) == 0 && len(h[cspReportOnlyHeader]) == 0
}

// apply makes f's edits to h, which must satisfy noPolicies; field makes
// the value list of the added field.
func (f *cspFixed) apply(h http.Header, field func(string) []string) {
	if f.delXFO {
		delete(h, "X-Frame-Options")
	}
	if f.name == "" {
		return
	}
	if cur := h[f.name]; cap(cur) > 0 {
		h[f.name] = append(cur, f.value) // what h.Add does
	} else {
		h[f.name] = field(f.value)
	}
}
