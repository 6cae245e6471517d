package caddybridge

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	wurlerrors "github.com/nlnwa/whatwg-url/errors"
	wurl "github.com/nlnwa/whatwg-url/url"
)

// ParseOrigin checks that s is an exact web origin, scheme://host[:port],
// and returns its canonical form: scheme and host in lower case, the
// default port omitted. That form is the WHATWG URL serialization, which
// is what a browser sends and compares. Letter case and a default port
// are normalised; any other difference from that serialization (numeric
// IPv4 forms such as 127.1, 0x7f.0.0.1 or 2130706433, IPv6 written with
// zeros a browser compresses, percent-encoded hosts) is refused with the
// spelling to write, because a reader could not guess that both mean the
// same origin. http:// is accepted only for loopback hosts (judged on the
// browser's spelling) and only when allowInsecure is set. Every error is
// a full sentence that says what to write instead; it quotes s unless s
// looks like a secret (LooksLikeSecret), the likeliest slip being a
// secret written among the origins, and then describes it instead.
func ParseOrigin(s string, allowInsecure bool) (string, error) {
	if s == "" {
		return "", errors.New(`an origin cannot be empty; write scheme://host[:port], for example "https://widget.example.com"`)
	}
	if LooksLikeSecret(s) {
		return "", fmt.Errorf("%s is not an origin; write scheme://host[:port], for example %q; %s", DescribeSecret(s), "https://widget.example.com", SecretSlipHint)
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
		what := map[byte]string{'/': "path (not even a trailing /)", '?': "query (not even a bare ?)", '#': "fragment (not even a bare #)"}[rest[i]]
		return "", fmt.Errorf("%q: an origin has no %s; write %q", s, what, scheme+"://"+rest[:i])
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		return "", fmt.Errorf("%q: an origin has no user name or password; write %q", s, scheme+"://"+rest[i+1:])
	}
	host, port, err := splitHostPort(rest)
	if err != nil {
		return "", fmt.Errorf("%q: %v; write scheme://host[:port], for example %q", s, err, scheme+"://example.com:8443")
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	written := strings.ToLower(host)
	browser, berr := browserHost(scheme, host)
	if err := checkHost(written); err != nil {
		// A percent-encoded host that a browser decodes to a valid
		// one is refused below with the decoded spelling.
		if !strings.Contains(host, "%") || berr != nil || checkHost(browser) != nil {
			if berr == nil && errors.Is(err, errHostNotASCII) {
				return "", fmt.Errorf("%q: the host is not ASCII; browsers serialize it in ASCII (punycode, xn--…), so write %q", s, joinOrigin(scheme, browser, port))
			}
			return "", fmt.Errorf("%q: %v", s, err)
		}
	}
	if berr != nil {
		return "", fmt.Errorf("%q: %v", s, berr)
	}
	if scheme == "http" {
		// Judged on the browser's spelling, so that 127.1 or
		// [0:0::1] is loopback and 127.0.0.2 spelled oddly is not.
		if !isLoopbackHost(browser) {
			return "", fmt.Errorf("%q: http:// is only allowed for localhost, 127.0.0.1 and [::1]; write %q", s, joinOrigin("https", browser, port))
		}
		if !allowInsecure {
			return "", fmt.Errorf("%q: http:// origins need the allow_insecure_localhost subdirective (for local development only); add it, or write %q", s, joinOrigin("https", browser, port))
		}
	}
	canon := joinOrigin(scheme, browser, port)
	if browser != written {
		// Not a difference of letter case: refuse rather than
		// normalise, so that the config reads as browsers send it.
		return "", fmt.Errorf("%q: an origin must be written as the browser writes it; write %q", s, canon)
	}
	return canon, nil
}

func joinOrigin(scheme, host, port string) string {
	if port != "" {
		return scheme + "://" + host + ":" + port
	}
	return scheme + "://" + host
}

// browserHost returns host as a browser serializes it in an origin
// (the WHATWG URL host serializer: IPv4 in dotted decimal, IPv6
// compressed in lower case, domains percent-decoded, mapped and in
// punycode), or an error sentence when a browser rejects the host.
func browserHost(scheme, host string) (string, error) {
	u, err := wurl.Parse(scheme + "://" + host)
	if err == nil {
		return u.Hostname(), nil
	}
	t := string(wurlerrors.Type(err))
	switch {
	case strings.HasPrefix(t, "An IPv4 address") || strings.HasPrefix(t, "The IPv4 address"):
		return "", errors.New("a browser reads a host whose last label is a number as an IPv4 address, and this is not a valid one; write the address as four decimal numbers from 0 to 255, like \"https://192.0.2.1\", or a host name whose last label is not a number")
	case strings.Contains(t, "IPv6"):
		return "", errors.New("the IPv6 address in brackets is not valid")
	case wurlerrors.Type(err) == wurlerrors.DomainToASCII:
		return "", errors.New("a browser rejects this host name: a label that starts with xn-- must be valid punycode; write the punycode form of the real name, as browsers serialize origins")
	}
	return "", errors.New("a browser rejects this host; write a host name, an IPv4 address like 192.0.2.1 or an IPv6 address in brackets like [2001:db8::1]")
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

var errHostNotASCII = errors.New("the host is not ASCII; write its punycode form (xn--…), as browsers serialize origins")

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
				return errHostNotASCII
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
