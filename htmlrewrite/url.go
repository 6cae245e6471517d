package htmlrewrite

import (
	"bytes"
	"net/netip"
)

// verdict is what originParser learns from an absolute URL.
type verdict struct {
	ok        bool       // an http or https URL whose origin was parsed
	reason    SkipReason // why not, when !ok
	https     bool
	host      []byte     // domain or IPv4 host, percent-decoded, original case; nil for IPv6
	ip6       netip.Addr // IPv6 host
	port      int        // 0 for the default port
	userinfo  bool       // the authority had an '@'
	restStart int        // index just past the authority
}

// Page schemes: what a protocol-relative URL ("//host/path") takes its
// scheme from.
const (
	pageUnknown uint8 = iota // no usable base: protocol-relative URLs are relative
	pageHTTP
	pageHTTPS
)

// originParser computes the origin of a URL the way the WHATWG URL parser
// does, failing closed on whatever it does not model exactly. The input
// must already be trimmed of leading and trailing C0 controls and spaces
// and have its tabs and newlines removed.
type originParser struct {
	hostBuf []byte
}

// parse computes the origin of w. page is the scheme of the base URL that
// w is resolved against when it starts with two slashes (pageUnknown if
// the base is unknown); every other relative URL fails closed.
func (o *originParser) parse(w []byte, page uint8) verdict {
	// A URL without a scheme that starts with two slashes or backslashes,
	// in any mix, resolved against an http or https base: the WHATWG
	// parser goes from the relative state through the relative slash
	// state to the special authority ignore slashes state, so it takes
	// the base's scheme and everything up to the authority is slashes.
	if len(w) >= 2 && isSlash(w[0]) && isSlash(w[1]) {
		if page == pageUnknown {
			return verdict{reason: SkipRelative}
		}
		k := 2
		for k < len(w) && isSlash(w[k]) {
			k++
		}
		return o.authority(w, k, page == pageHTTPS)
	}

	// Scheme: an ASCII letter, then letters, digits, '+', '-' or '.', then ':'.
	if len(w) == 0 || !isAlpha(w[0]) {
		return verdict{reason: SkipRelative}
	}
	k := 1
	for k < len(w) && isSchemeChar(w[k]) {
		k++
	}
	if k == len(w) || w[k] != ':' {
		return verdict{reason: SkipRelative}
	}
	var https bool
	switch {
	case equalFold(w[:k], "https"):
		https = true
	case equalFold(w[:k], "http"):
	default:
		return verdict{reason: SkipUnlisted}
	}
	k++

	// With fewer than two slashes, "https:host" is relative when the base
	// URL has the same scheme and absolute otherwise: let it be.
	slashes := 0
	for k < len(w) && isSlash(w[k]) {
		k++
		slashes++
	}
	if slashes < 2 {
		return verdict{reason: SkipRelative}
	}
	return o.authority(w, k, https)
}

// authority parses the authority that starts at w[k], right after the
// slashes, of an http (https false) or https URL.
func (o *originParser) authority(w []byte, k int, https bool) verdict {
	// Authority: up to the first '/', '\', '?' or '#'.
	start := k
	for k < len(w) && w[k] != '/' && w[k] != '\\' && w[k] != '?' && w[k] != '#' {
		k++
	}
	v := verdict{https: https, restStart: k}
	auth := w[start:k]
	if at := bytes.LastIndexByte(auth, '@'); at >= 0 {
		v.userinfo = true
		auth = auth[at+1:]
	}

	// Host and port.
	var hostPart, portPart []byte
	hasPort := false
	if len(auth) > 0 && auth[0] == '[' {
		rb := bytes.IndexByte(auth, ']')
		if rb < 0 {
			v.reason = SkipAmbiguous
			return v
		}
		hostPart = auth[:rb+1]
		if rest := auth[rb+1:]; len(rest) > 0 {
			if rest[0] != ':' {
				v.reason = SkipAmbiguous
				return v
			}
			portPart, hasPort = rest[1:], true
		}
	} else if colon := bytes.IndexByte(auth, ':'); colon >= 0 {
		hostPart, portPart, hasPort = auth[:colon], auth[colon+1:], true
	} else {
		hostPart = auth
	}

	if hasPort && len(portPart) > 0 {
		port := 0
		for _, c := range portPart {
			if c < '0' || c > '9' {
				v.reason = SkipAmbiguous
				return v
			}
			port = port*10 + int(c-'0')
			if port > 65535 {
				v.reason = SkipAmbiguous
				return v
			}
		}
		if (https && port == 443) || (!https && port == 80) {
			port = 0
		}
		v.port = port
	}

	if len(hostPart) == 0 {
		v.reason = SkipAmbiguous
		return v
	}
	if hostPart[0] == '[' {
		inner := hostPart[1 : len(hostPart)-1]
		// Embedded IPv4 and zones are serialized or rejected differently by
		// WHATWG and net/netip: leave them alone.
		if bytes.IndexByte(inner, '.') >= 0 || bytes.IndexByte(inner, '%') >= 0 {
			v.reason = SkipAmbiguous
			return v
		}
		ip, err := netip.ParseAddr(string(inner))
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			v.reason = SkipAmbiguous
			return v
		}
		v.ip6 = ip
		v.ok = true
		return v
	}

	host := hostPart
	if bytes.IndexByte(host, '%') >= 0 {
		o.hostBuf = percentDecode(o.hostBuf[:0], host)
		host = o.hostBuf
	}
	for _, c := range host {
		// Non-ASCII needs IDNA mapping; other punctuation is either
		// forbidden or unusual enough not to guess about.
		if !isAlnum(c) && c != '-' && c != '.' && c != '_' {
			v.reason = SkipAmbiguous
			return v
		}
	}
	if endsInNumber(host) && !canonicalIPv4(host) {
		v.reason = SkipAmbiguous
		return v
	}
	v.host = host
	v.ok = true
	return v
}

// match returns the index of the allowed origin v names, or -1.
func (c *compiled) match(v *verdict) int {
	for i := range c.allowed {
		a := &c.allowed[i]
		if a.https != v.https || a.port != v.port {
			continue
		}
		if v.ip6.IsValid() {
			if a.ip6 == v.ip6 {
				return i
			}
			continue
		}
		if a.host != "" && equalFold(v.host, a.host) {
			return i
		}
	}
	return -1
}

// endsInNumber implements the WHATWG "ends in a number" check.
func endsInNumber(h []byte) bool {
	if len(h) > 0 && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	last := h
	if i := bytes.LastIndexByte(h, '.'); i >= 0 {
		last = h[i+1:]
	}
	if len(last) == 0 {
		return false
	}
	digits := true
	for _, c := range last {
		if !isDigit(c) {
			digits = false
			break
		}
	}
	if digits {
		return true
	}
	if len(last) < 2 || last[0] != '0' || (last[1] != 'x' && last[1] != 'X') {
		return false
	}
	for _, c := range last[2:] {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// canonicalIPv4 reports whether h is a dotted quad that the WHATWG IPv4
// parser would serialize unchanged.
func canonicalIPv4(h []byte) bool {
	for part := 0; part < 4; part++ {
		n, k := 0, 0
		for k < len(h) && isDigit(h[k]) {
			n = n*10 + int(h[k]-'0')
			k++
			if k > 3 {
				return false
			}
		}
		if k == 0 || n > 255 || (k > 1 && h[0] == '0') {
			return false
		}
		h = h[k:]
		if part == 3 {
			return len(h) == 0
		}
		if len(h) == 0 || h[0] != '.' {
			return false
		}
		h = h[1:]
	}
	return false
}

// percentDecode appends s to dst with valid %XX sequences decoded.
func percentDecode(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// appendQueryEscape appends s escaped like url.QueryEscape.
func appendQueryEscape(dst []byte, s string) []byte {
	const hexdigits = "0123456789ABCDEF"
	i := 0
	for i < len(s) && unreserved[s[i]] {
		i++
	}
	dst = append(dst, s[:i]...) // the common case: everything
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c):
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hexdigits[c>>4], hexdigits[c&15])
		}
	}
	return dst
}

func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '.' || c == '~'
}

// unreserved is isUnreserved as a table, for the loops over whole tokens.
var unreserved = func() (t [256]bool) {
	for c := range t {
		t[c] = isUnreserved(byte(c))
	}
	return t
}()

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

func isHex(c byte) bool { return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// isSlash reports a slash or a backslash, which special URLs treat alike.
func isSlash(c byte) bool { return c == '/' || c == '\\' }

func isSchemeChar(c byte) bool { return isAlnum(c) || c == '+' || c == '-' || c == '.' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold reports whether b equals the lower-case ASCII string s,
// ignoring ASCII case in b.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

func lowerASCII(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, lower(c))
	}
	return dst
}
