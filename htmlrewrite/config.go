package htmlrewrite

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"sync/atomic"
)

// DefaultMaxTag is the default for Config.MaxTag.
const DefaultMaxTag = 64 << 10

// minMaxTag keeps the hold-back window larger than the longest lookahead the
// scanner needs ("</noframes" plus one byte).
const minMaxTag = 64

// Config says what to rewrite. Fill it in, call Validate once, and share it:
// it must not be modified or copied after its first use.
type Config struct {
	// Allowed lists the embed origins whose iframes get a token, each in
	// canonical form: "scheme://host[:port]", lower case, default port
	// omitted, http or https only.
	Allowed []string

	// SessionParam is the name of the token parameter, for example
	// "__iframeBridgeSessionId". It may only contain ASCII letters, digits
	// and "-._~".
	SessionParam string

	// ParentParam is the name of the parent-origin parameter, for example
	// "__iframeBridgeParentOrigin", with the same alphabet as SessionParam.
	ParentParam string

	// InHash puts the parameters in the URL's fragment instead of its query.
	InHash bool

	// ParentOrigin is this page's origin, the value of ParentParam, for
	// example "https://shop.example". When it is an http or https origin,
	// it is also what protocol-relative src values ("//host/path") are
	// resolved against until the page has a <base href>: they take its
	// scheme. Otherwise they are skipped as relative.
	ParentOrigin string

	// NoProtocolRelative skips protocol-relative src values as relative
	// whatever ParentOrigin is: for a page whose request did not arrive
	// with ParentOrigin's scheme, where the browser's base is not known.
	NoProtocolRelative bool

	// Shim holds bytes inserted once per page: right after the first <head>
	// start tag if it comes before the first rewritten iframe, otherwise
	// immediately before the first rewritten iframe's '<'. A streaming
	// rewriter cannot see the future, so a page with a <head> gets the shim
	// even if no iframe follows. Empty means no shim.
	Shim []byte

	// MaxTag caps the length of a tag, in bytes from '<' to '>', that the
	// rewriter holds back to rewrite; longer iframe tags pass through
	// untouched and are counted. Zero means DefaultMaxTag.
	MaxTag int

	compiled atomic.Pointer[compiled]
}

// TokenFunc returns a fresh token for one iframe pointing at embedOrigin,
// one of Config.Allowed. Tokens should be base64url; other bytes are
// percent-encoded.
type TokenFunc func(embedOrigin string) (string, error)

// AppendTokenFunc is the form of TokenFunc that writes into a buffer: it
// appends a fresh token for one iframe pointing at embedOrigin, one of
// Config.Allowed, to dst and returns the extended buffer. Plan.ApplyAppend
// hands it the output buffer, so that a token costs no allocation of its
// own. Tokens should be base64url; other bytes are percent-encoded.
type AppendTokenFunc func(dst []byte, embedOrigin string) ([]byte, error)

// compiled is the prepared form of a Config.
type compiled struct {
	allowed      []allowedOrigin
	sessionParam []byte
	parentParam  []byte
	parentEsc    []byte // query-escaped ParentOrigin
	inHash       bool
	page         uint8 // ParentOrigin's scheme: pageHTTP, pageHTTPS or pageUnknown
	shim         []byte
	maxTag       int
	err          error
}

// allowedOrigin is one parsed entry of Config.Allowed.
type allowedOrigin struct {
	origin string
	https  bool
	host   string // lower case; empty for IPv6
	ip6    netip.Addr
	port   int // 0 for the scheme's default port
}

// Validate checks the configuration and prepares it for use. Rewriters and
// Scan call it too; with an invalid Config they pass pages through unchanged.
func (c *Config) Validate() error {
	return c.compile().err
}

// compile returns the cached prepared form of c, building it on first use.
func (c *Config) compile() *compiled {
	if p := c.compiled.Load(); p != nil {
		return p
	}
	p := build(c)
	if !c.compiled.CompareAndSwap(nil, p) {
		return c.compiled.Load()
	}
	return p
}

func build(c *Config) *compiled {
	p := &compiled{
		sessionParam: []byte(c.SessionParam),
		parentParam:  []byte(c.ParentParam),
		parentEsc:    appendQueryEscape(nil, c.ParentOrigin),
		inHash:       c.InHash,
		page:         pageSchemeOf(c.ParentOrigin),
		shim:         append([]byte(nil), c.Shim...),
		maxTag:       c.MaxTag,
	}
	if c.NoProtocolRelative {
		p.page = pageUnknown
	}
	if p.maxTag == 0 {
		p.maxTag = DefaultMaxTag
	}
	if p.maxTag < minMaxTag {
		p.err = fmt.Errorf("max tag length %d is below the minimum of %d", c.MaxTag, minMaxTag)
		return p
	}
	if err := checkParamName("session", c.SessionParam); err != nil {
		p.err = err
		return p
	}
	if err := checkParamName("parent", c.ParentParam); err != nil {
		p.err = err
		return p
	}
	if c.SessionParam == c.ParentParam {
		p.err = errors.New("session and parent parameter names must differ")
		return p
	}
	for _, s := range c.Allowed {
		a, err := parseAllowed(s)
		if err != nil {
			p.err = err
			return p
		}
		p.allowed = append(p.allowed, a)
	}
	return p
}

func checkParamName(which, name string) error {
	if name == "" {
		return fmt.Errorf("%s parameter name is empty", which)
	}
	for i := 0; i < len(name); i++ {
		if !isUnreserved(name[i]) {
			return fmt.Errorf("%s parameter name %q may only contain letters, digits and -._~", which, name)
		}
	}
	return nil
}

// parseAllowed parses a canonical origin with the same code that classifies
// iframe URLs, and insists that it round-trips.
func parseAllowed(s string) (allowedOrigin, error) {
	var o originParser
	v := o.parse([]byte(s), pageUnknown)
	if v.reason != 0 || v.userinfo || v.restStart != len(s) {
		return allowedOrigin{}, fmt.Errorf("embed origin %q is not of the form scheme://host[:port]", s)
	}
	a := allowedOrigin{https: v.https, port: v.port}
	if v.ip6.IsValid() {
		a.ip6 = v.ip6
	} else {
		a.host = string(lowerASCII(nil, v.host))
	}
	canon := canonicalOrigin(a)
	if canon != s {
		return allowedOrigin{}, fmt.Errorf("embed origin %q is not canonical: want %q", s, canon)
	}
	a.origin = s
	return a, nil
}

// pageSchemeOf returns the scheme of origin if it is an http or https
// origin, in the form parseAllowed accepts except that it need not be
// canonical, and pageUnknown otherwise.
func pageSchemeOf(origin string) uint8 {
	var o originParser
	v := o.parse([]byte(origin), pageUnknown)
	switch {
	case !v.ok || v.userinfo || v.restStart != len(origin):
		return pageUnknown
	case v.https:
		return pageHTTPS
	}
	return pageHTTP
}

func canonicalOrigin(a allowedOrigin) string {
	s := "http://"
	if a.https {
		s = "https://"
	}
	if a.ip6.IsValid() {
		s += "[" + a.ip6.String() + "]"
	} else {
		s += a.host
	}
	if a.port != 0 {
		s += ":" + strconv.Itoa(a.port)
	}
	return s
}
