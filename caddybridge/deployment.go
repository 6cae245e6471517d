package caddybridge

import (
	"net/http"
	"strings"
	"sync"

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
}

// deploymentSet holds this site's deployments for one value of its own
// origin.
type deploymentSet struct {
	self    string
	byID    map[bridgekey.DeploymentID]*deployment
	embed   map[string]*deployment // parent role, by embed origin
	rewrite *htmlrewrite.Config    // parent role: what pages get
	plans   planCache              // plans of pages rewritten with rewrite
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
		s.embed[p.origin] = add(self, p.origin, roleParent, p)
	}
	if len(h.embeds) > 0 {
		s.rewrite = &htmlrewrite.Config{
			Allowed:      originsOf(h.embeds),
			SessionParam: h.SessionParam,
			ParentParam:  h.ParentParam,
			InHash:       h.SessionIn == SessionInHash,
			ParentOrigin: self,
			Shim:         shimTag,
		}
		if err := s.rewrite.Validate(); err != nil {
			// Provision validated every field; this would be a bug.
			h.logger.Error("rewriter config refused; pages pass through unchanged", zap.Error(err))
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
