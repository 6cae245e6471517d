package caddybridge

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ParseOrigin checks that s is an exact web origin, scheme://host[:port],
// and returns its canonical form: scheme and host in lower case, the
// default port omitted. http:// is accepted only for loopback hosts and
// only when allowInsecure is set. Every error is a full sentence that
// says what to write instead; it may quote s, which is never a secret.
func ParseOrigin(s string, allowInsecure bool) (string, error) {
	if s == "" {
		return "", errors.New(`an origin cannot be empty; write scheme://host[:port], for example "https://widget.example.com"`)
	}
	if strings.EqualFold(s, "null") {
		return "", errors.New(`"null" is the opaque origin of sandboxed and file: documents and cannot be allowed; write the real origin, for example "https://widget.example.com"`)
	}
	if strings.Contains(s, "*") {
		return "", fmt.Errorf("%q: wildcards are not allowed; list each origin exactly, for example %q", s, "https://app.example.com")
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || c == '\\' {
			return "", fmt.Errorf("%q contains whitespace, a control character or a backslash; write scheme://host[:port] with none of them", s)
		}
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		if strings.Contains(s, ":") && !strings.Contains(s, "/") && !strings.Contains(s, ".") {
			return "", fmt.Errorf("%q is not an origin; write scheme://host[:port], for example %q", s, "https://widget.example.com")
		}
		return "", fmt.Errorf("%q has no scheme; write %q", s, "https://"+strings.TrimPrefix(s, "//"))
	}
	scheme = strings.ToLower(scheme)
	if scheme != "https" && scheme != "http" {
		return "", fmt.Errorf("%q: the scheme must be https (or http on localhost); write %q", s, "https://"+rest)
	}
	// Whatever follows the authority is not part of an origin.
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		what := map[byte]string{'/': "a path", '?': "a query", '#': "a fragment"}[rest[i]]
		return "", fmt.Errorf("%q: an origin has no %s (not even a trailing /); write %q", s, strings.TrimPrefix(what, "a "), scheme+"://"+rest[:i])
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		return "", fmt.Errorf("%q: an origin has no user name or password; write %q", s, scheme+"://"+rest[i+1:])
	}
	host, port, err := splitHostPort(rest)
	if err != nil {
		return "", fmt.Errorf("%q: %v; write scheme://host[:port], for example %q", s, err, scheme+"://example.com:8443")
	}
	host = strings.ToLower(host)
	if err := checkHost(host); err != nil {
		return "", fmt.Errorf("%q: %v", s, err)
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	canon := scheme + "://" + host
	if port != "" {
		canon += ":" + port
	}
	if scheme == "http" {
		if !isLoopbackHost(host) {
			return "", fmt.Errorf("%q: http:// is only allowed for localhost, 127.0.0.1 and [::1]; write %q", s, "https://"+rest)
		}
		if !allowInsecure {
			return "", fmt.Errorf("%q: http:// origins need the allow_insecure_localhost subdirective (for local development only); add it, or write %q", s, "https://"+rest)
		}
	}
	return canon, nil
}

// splitHostPort splits host[:port], where host may be a bracketed IPv6
// literal. The port, when present, must be a decimal number from 1 to
// 65535 without a sign or leading zeros.
func splitHostPort(hp string) (host, port string, err error) {
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", "", errors.New("the IPv6 address has no closing ]")
		}
		host, rest := hp[:end+1], hp[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' {
			return "", "", errors.New("unexpected text after the IPv6 address")
		}
		port = rest[1:]
		return host, port, checkPort(port)
	}
	host, port, found := strings.Cut(hp, ":")
	if !found {
		return host, "", nil
	}
	if strings.Contains(port, ":") {
		return "", "", errors.New("an IPv6 address must be written in brackets, like [::1]")
	}
	return host, port, checkPort(port)
}

func checkPort(port string) error {
	if port == "" {
		return errors.New("the port after : is empty")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '0' || port[0] == '+' {
		return errors.New("the port must be a number from 1 to 65535")
	}
	return nil
}

// checkHost accepts a DNS name in ASCII (letters, digits, '-', '_' and
// dots, no empty label, no trailing dot), an IPv4 address, or a
// bracketed IPv6 address.
func checkHost(host string) error {
	if host == "" {
		return errors.New("the host is empty")
	}
	if host[0] == '[' {
		ip := net.ParseIP(host[1 : len(host)-1])
		if ip == nil || ip.To4() != nil && !strings.Contains(host, ":") {
			return errors.New("the IPv6 address in brackets is not valid")
		}
		return nil
	}
	if strings.HasSuffix(host, ".") {
		return fmt.Errorf("remove the trailing dot from the host: write %q", strings.TrimRight(host, "."))
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" {
			return errors.New("the host has an empty label (two dots in a row, or a leading dot)")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			case c >= 0x80:
				return errors.New("the host is not ASCII; write its punycode form (xn--…), as browsers serialize origins")
			default:
				return fmt.Errorf("the host contains %q, which a host name cannot contain", string(c))
			}
		}
	}
	return nil
}

// isLoopbackHost reports whether host (canonical form) is one of the
// loopback names for which http:// may be allowed.
func isLoopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "[::1]"
}
