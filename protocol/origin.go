package protocol

import "strings"

// checkOrigin validates a configured origin the way the SDK's
// parseExactOrigin does (src/host/config.ts), without a URL parser: it
// must be a serialized origin, scheme://host[:port], because inbound
// origins are compared with it byte for byte. http is allowed only for a
// loopback host and only with allowInsecureLocalhost. It returns the
// trimmed origin.
func checkOrigin(origin string, allowInsecureLocalhost bool) (string, *Error) {
	trimmed := trimJS(origin)
	details := Details{"origin": origin}
	if strings.Contains(trimmed, "*") {
		return "", newError(CodeConfigUnsafeOrigin, "Wildcard origins are not allowed.", details)
	}
	if trimmed == "" {
		return "", newError(CodeConfigUnsafeOrigin, "Configured origin must not be empty.", details)
	}
	scheme, rest, ok := strings.Cut(trimmed, "://")
	if !ok || scheme == "" {
		return "", newError(CodeConfigUnsafeOrigin, "Configured origin must be an absolute URL origin.", details)
	}
	if lower := asciiLower(scheme); lower != "https" && lower != "http" {
		return "", newError(CodeConfigUnsafeOrigin, "Configured origin must use HTTP or HTTPS.", details)
	}
	if strings.ContainsAny(rest, "/?#") {
		return "", newError(CodeConfigUnsafeOrigin, "Configured origin must not include path, query, or hash.", details)
	}
	host, port, ok := splitHostPort(rest)
	if !ok || scheme != asciiLower(scheme) || !canonicalHost(host) || !canonicalPort(scheme, port) {
		return "", newError(CodeConfigUnsafeOrigin,
			"Configured origin must be a serialized origin: scheme://host[:port], lowercase, without credentials or a default port.", details)
	}
	if scheme == "http" && !(allowInsecureLocalhost && isLoopback(host)) {
		return "", newError(CodeConfigUnsafeOrigin, "Configured origin must use HTTPS.", details)
	}
	return trimmed, nil
}

// splitHostPort splits an authority into host and port ("" if none).
func splitHostPort(authority string) (host, port string, ok bool) {
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", "", false
		}
		host, rest := authority[:end+1], authority[end+1:]
		if rest == "" {
			return host, "", true
		}
		if rest[0] != ':' {
			return "", "", false
		}
		return host, rest[1:], true
	}
	host, port, hasPort := strings.Cut(authority, ":")
	if hasPort && port == "" {
		return "", "", false
	}
	return host, port, true
}

// canonicalHost reports whether host is a lowercase DNS name or IPv4
// address, or a bracketed IPv6 address, as an origin serializes it.
func canonicalHost(host string) bool {
	if host == "" {
		return false
	}
	if host[0] == '[' {
		for _, c := range host[1 : len(host)-1] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == ':' || c == '.') {
				return false
			}
		}
		return len(host) > 2
	}
	if host[len(host)-1] == '.' || host[0] == '.' || strings.Contains(host, "..") {
		return false
	}
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// canonicalPort reports whether port is empty or a decimal port other
// than the scheme's default, without leading zeros.
func canonicalPort(scheme, port string) bool {
	if port == "" {
		return true
	}
	if port[0] == '0' || strings.Trim(port, "0123456789") != "" {
		return false
	}
	if len(port) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(port); i++ {
		n = n*10 + int(port[i]-'0')
	}
	if n < 1 || n > 65535 {
		return false
	}
	return !(scheme == "https" && n == 443 || scheme == "http" && n == 80)
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "[::1]"
}

// asciiLower lowercases the ASCII letters of s, as the SDK's
// toLowerCase does for the schemes it accepts (a non-ASCII scheme is
// refused either way). It keeps strings.ToLower's Unicode tables out
// of the WebAssembly runtime.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
