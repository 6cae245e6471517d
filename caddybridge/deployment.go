package caddybridge

import (
	"net/http"
	"strings"
	"sync"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddybridge/caddy-bridge/bridgekey"
	"github.com/caddybridge/caddy-bridge/htmlrewrite"
)

// Roles this site can play in a deployment.
const (
	roleParent = "parent"
	roleEmbed  = "embed"
)

// deployment is one (parent origin, embed origin) pair as seen from this
// site, with its master secret.
type deployment struct {
	id            bridgekey.DeploymentID
	parent, embed string
	role          string // this site's role: roleParent or roleEmbed
	secret        []byte // the master secret; never logged or sent
	signing       string
	minter        *bridgekey.TokenMinter // parent role: mints the page tokens; nil if it could not be made
}

// deploymentSet holds this site's deployments for one value of its own
// origin.
type deploymentSet struct {
	self    string
	byID    map[bridgekey.DeploymentID]*deployment
	embed   map[string]*deployment // parent role, by embed origin
	rewrite *htmlrewrite.Config    // parent role: what pages get; ParentOrigin is self
	plans   planCache              // plans of pages rewritten with rewrite, so for self only

	// strict is rewrite without protocol-relative resolution, for pages
	// whose request did not arrive with self's scheme (see rewriteFor).
	strict      *htmlrewrite.Config
	strictPlans planCache
}

// rewriteFor returns the rewriter config and plan cache for a page
// answering r. A protocol-relative iframe URL ("//host/app") takes the
// scheme the browser loaded the page with; that is self's only when the
// request arrived with it: over TLS for https, or from a trusted proxy
// that says so in X-Forwarded-Proto. Otherwise (a configured https origin
// also served over plain http, say) such URLs are left alone, so that a
// token never goes to an origin the browser would not have, in clear.
func (s *deploymentSet) rewriteFor(r *http.Request) (*htmlrewrite.Config, *planCache) {
	if requestScheme(r) == schemeOf(s.self) {
		return s.rewrite, &s.plans
	}
	return s.strict, &s.strictPlans
}

// requestScheme is the scheme the client used for r, as far as Caddy
// knows: https over TLS, or what a trusted proxy says.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool); trusted {
		if p := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto"))); p == "https" || p == "http" {
			return p
		}
	}
	return "http"
}

func schemeOf(origin string) string {
	scheme, _, _ := strings.Cut(origin, "://")
	return scheme
}

// maxCachedSelves bounds the deployment sets cached for request-derived
// origins (no origin configured): the Host header is the client's to
// choose, so the cache must not grow with it.
const maxCachedSelves = 64

// deploymentsCache caches deployment sets per own origin.
type deploymentsCache struct {
	mu   sync.Mutex
	sets map[string]*deploymentSet
}

// selfOrigin returns this site's origin for r: the configured origin, or
// the request's scheme and host with the default port removed.
func (h *Handler) selfOrigin(r *http.Request) string {
	if h.origin != "" {
		return h.origin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	} else {
		host = strings.TrimSuffix(host, ":80")
	}
	return scheme + "://" + host
}

// deploymentsFor returns the deployment set for r: that of
// h.selfOrigin(r), found without building the origin's string when it is
// cached.
func (h *Handler) deploymentsFor(r *http.Request) *deploymentSet {
	if h.fixed != nil {
		return h.fixed
	}
	var buf [128]byte
	if key, ok := appendSelfOrigin(buf[:0], r); ok {
		h.cache.mu.Lock()
		s := h.cache.sets[string(key)] // no allocation for the look-up
		h.cache.mu.Unlock()
		if s != nil {
			return s
		}
	}
	return h.deployments(h.selfOrigin(r))
}

// appendSelfOrigin appends the request-derived origin that selfOrigin
// returns when no origin is configured, for a Host that is all ASCII;
// otherwise it reports false.
func appendSelfOrigin(b []byte, r *http.Request) ([]byte, bool) {
	scheme, port := "http://", ":80"
	if r.TLS != nil {
		scheme, port = "https://", ":443"
	}
	b = append(b, scheme...)
	host := strings.TrimSuffix(r.Host, port) // the suffix is lower case: trimming first is the same
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c >= 0x80 {
			return b, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b, true
}

// deployments returns the deployment set for this site's origin self.
func (h *Handler) deployments(self string) *deploymentSet {
	if h.fixed != nil {
		return h.fixed // origin configured: built once, no lock
	}
	h.cache.mu.Lock()
	defer h.cache.mu.Unlock()
	if s, ok := h.cache.sets[self]; ok {
		return s
	}
	s := h.buildDeployments(self)
	if h.cache.sets == nil {
		h.cache.sets = make(map[string]*deploymentSet)
	}
	if len(h.cache.sets) < maxCachedSelves || h.origin != "" {
		h.cache.sets[self] = s
	}
	return s
}

func (h *Handler) buildDeployments(self string) *deploymentSet {
	s := &deploymentSet{
		self:  self,
		byID:  make(map[bridgekey.DeploymentID]*deployment),
		embed: make(map[string]*deployment),
	}
	add := func(parent, embed, role string, p peer) *deployment {
		d := &deployment{
			id:      bridgekey.NewDeploymentID(parent, embed),
			parent:  parent,
			embed:   embed,
			role:    role,
			secret:  p.secret,
			signing: p.signing,
		}
		if d.secret == nil {
			d.secret = bridgekey.DeploymentSecret(h.rootSecret, parent, embed)
		}
		s.byID[d.id] = d
		return d
	}
	for _, p := range h.embeds {
		d := add(self, p.origin, roleParent, p)
		// An error here (a short secret, which Provision refuses) comes
		// back from AppendTokenFor at the first token.
		d.minter, _ = bridgekey.NewTokenMinter(d.secret, d.parent, d.embed)
		s.embed[p.origin] = d
	}
	if len(h.embeds) > 0 {
		s.rewrite = &htmlrewrite.Config{
			Allowed:      originsOf(h.embeds),
			SessionParam: h.SessionParam,
			ParentParam:  h.ParentParam,
			InHash:       h.SessionIn == SessionInHash,
			// Also the base of protocol-relative iframe URLs ("//host"):
			// they take self's scheme.
			ParentOrigin: self,
			Shim:         shimTag,
		}
		if err := s.rewrite.Validate(); err != nil {
			// Provision validated every field; this would be a bug.
			h.logger.Error("rewriter config refused; pages pass through unchanged", zap.Error(err))
		}
		s.strict = &htmlrewrite.Config{
			Allowed:            s.rewrite.Allowed,
			SessionParam:       s.rewrite.SessionParam,
			ParentParam:        s.rewrite.ParentParam,
			InHash:             s.rewrite.InHash,
			ParentOrigin:       s.rewrite.ParentOrigin,
			NoProtocolRelative: true,
			Shim:               s.rewrite.Shim,
		}
	}
	for _, p := range h.parents {
		if p.origin == self {
			continue // a site does not frame itself through the bridge
		}
		add(p.origin, self, roleEmbed, p)
	}
	return s
}
