// Package caddybridge implements the bridge HTTP handler: it secures and
// serves bridged embeds, a parent page and a cross-origin iframe that talk
// over postMessage. See the README for the user's guide and
// DESIGN.md for the contract.
package caddybridge

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Default values of the handler's settings.
const (
	DefaultSessionParam = "__iframeBridgeSessionId"
	DefaultParentParam  = "__iframeBridgeParentOrigin"
	DefaultRuntimePath  = "/_bridge"
	DefaultTokenTTL     = 2 * time.Minute
)

// Values of Peers.Signing.
const (
	SigningRequired = "required"
	SigningOptional = "optional"
	SigningOff      = "off"
)

// Values of Handler.SessionIn.
const (
	SessionInQuery = "query"
	SessionInHash  = "hash"
)

// Values of Handler.CSP.
const (
	CSPEnforce    = cspEnforce
	CSPReportOnly = cspReportOnly
	CSPOff        = cspOff
)

// Handler serves and secures bridged embeds. In the parent role (Embed
// set) it gives every iframe in an HTML response that points at a listed
// embed origin a fresh session token, and allows those origins in the
// page's Content-Security-Policy frame-src. In the embed role (Parent
// set) it allows the listed parent origins to frame this site through
// frame-ancestors. In both roles it serves the bridge runtime and the
// session endpoint under RuntimePath.
type Handler struct {
	// Embed lists the origins this site frames; this site plays the
	// parent for them. Each entry is a group of origins that share the
	// same options.
	Embed []Peers `json:"embed,omitempty"`

	// Parent lists the origins allowed to frame this site; this site
	// plays the embed for them.
	Parent []Peers `json:"parent,omitempty"`

	// Origin is this site's own origin, scheme://host[:port]. Default:
	// the scheme and Host of each request.
	Origin string `json:"origin,omitempty"`

	// SessionParam is the name of the URL parameter that carries the
	// session token to the iframe. Default: __iframeBridgeSessionId.
	SessionParam string `json:"session_param,omitempty"`

	// ParentParam is the name of the URL parameter that carries the
	// parent's origin to the iframe. Default: __iframeBridgeParentOrigin.
	ParentParam string `json:"parent_param,omitempty"`

	// SessionIn says where the bootstrap parameters go in the iframe's
	// URL: "query" (the default) or "hash" (the fragment, which is never
	// sent to the embed's server).
	SessionIn string `json:"session_in,omitempty"`

	// RuntimePath is the path under which the runtime (bridge.js, the
	// WebAssembly bridge, bridge.d.ts) and the session endpoint are
	// served. Default: /_bridge.
	RuntimePath string `json:"runtime_path,omitempty"`

	// TokenTTL is how long after it was issued a session token may be
	// redeemed. Default: 2m.
	TokenTTL caddy.Duration `json:"token_ttl,omitempty"`

	// AllowInsecureLocalhost allows http:// origins whose host is
	// localhost, 127.0.0.1 or [::1], for local development. Other http://
	// origins are never allowed.
	AllowInsecureLocalhost bool `json:"allow_insecure_localhost,omitempty"`

	// CSP says how the framing policy is applied: "enforce" (the
	// default) edits Content-Security-Policy; "report_only" writes the
	// module's own restrictions to Content-Security-Policy-Report-Only
	// (upstream policies are still widened so that the embed works);
	// "off" leaves the headers alone.
	CSP string `json:"csp,omitempty"`

	embeds, parents []peer // canonical origins with their options
	origin          string // canonical Origin, or "" to use the request's
	rootSecret      []byte // from storage; nil when every peer has its own secret
	cache           *deploymentsCache
	fixed           *deploymentSet    // the deployments when Origin is configured
	runtime         map[string]*asset // the runtime files by name
	wantHTML        cspWant           // what HTML responses' policies must allow
	wantOther       cspWant           // what other responses' policies must allow
	cspFixed        [3]cspFixed       // applyCSP's edits of a response without policies; see cspFixedFor
	sessionParamEq  string            // SessionParam + "="
	preload         string            // the Link field value of pages that load the runtime
	logger          *zap.Logger
}

// Peers is a group of origins in the embed or parent list that share
// the same secret and signing mode.
type Peers struct {
	// Origins are exact web origins, scheme://host[:port]: no path,
	// query, fragment, credentials or wildcard. http:// is accepted only
	// for loopback hosts with allow_insecure_localhost.
	Origins []string `json:"origins"`

	// Secret, when set, is the master secret of the deployments between
	// this site and these origins, base64 (standard or URL alphabet) of
	// at least 32 bytes, instead of the secret derived from the root
	// secret in Caddy's storage. Use it with a partner that runs its own
	// server. Placeholders such as {env.BRIDGE_SECRET} or
	// {file./path/to/secret} are expanded when the config is loaded;
	// prefer them to a literal value, which would be saved in Caddy's
	// autosaved config.
	Secret string `json:"secret,omitempty"`

	// Signing is "required" (the default: every message is signed with
	// the session key, protocol v2), "optional" (v2 when both pages run
	// the runtime, v1 accepted otherwise) or "off" (v1 only; no session
	// key is issued).
	Signing string `json:"signing,omitempty"`
}

// peer is one provisioned origin of the embed or parent list.
type peer struct {
	origin  string
	secret  []byte // nil: derived from the root secret
	signing string
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.bridge",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision fills in defaults, expands placeholders in secrets and
// canonicalizes the origins.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	h.cache = new(deploymentsCache)
	if h.SessionParam == "" {
		h.SessionParam = DefaultSessionParam
	}
	if h.ParentParam == "" {
		h.ParentParam = DefaultParentParam
	}
	if h.SessionIn == "" {
		h.SessionIn = SessionInQuery
	}
	if h.RuntimePath == "" {
		h.RuntimePath = DefaultRuntimePath
	}
	if len(h.RuntimePath) > 1 {
		h.RuntimePath = strings.TrimSuffix(h.RuntimePath, "/")
	}
	if h.TokenTTL == 0 {
		h.TokenTTL = caddy.Duration(DefaultTokenTTL)
	}
	if h.CSP == "" {
		h.CSP = CSPEnforce
	}
	var err error
	if h.Origin != "" {
		if h.origin, err = ParseOrigin(h.Origin, h.AllowInsecureLocalhost); err != nil {
			return fmt.Errorf("origin: %w", err)
		}
	}
	repl := caddy.NewReplacer()
	if h.embeds, err = provisionPeers("embed", h.Embed, h.AllowInsecureLocalhost, repl); err != nil {
		return err
	}
	if h.parents, err = provisionPeers("parent", h.Parent, h.AllowInsecureLocalhost, repl); err != nil {
		return err
	}
	if needsRootSecret(h.embeds) || needsRootSecret(h.parents) {
		if h.rootSecret, err = loadOrCreateRootSecret(ctx, ctx.Storage()); err != nil {
			return err
		}
	}
	if h.origin != "" {
		h.fixed = h.buildDeployments(h.origin)
	}
	h.buildCSPWants()
	h.sessionParamEq = h.SessionParam + "="
	globalRedemptions.noteTTL(time.Duration(h.TokenTTL).Milliseconds())
	if h.runtime, err = loadRuntime(); err != nil {
		return err
	}
	h.runtime = runtimeFor(h.runtime, h.SessionParam, h.ParentParam, h.SessionIn)
	h.preload = preloadLink(h.RuntimePath, runtimeWasm)
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	return nil
}

func needsRootSecret(ps []peer) bool {
	for _, p := range ps {
		if p.secret == nil {
			return true
		}
	}
	return false
}

// provisionPeers validates one list and expands its secrets.
func provisionPeers(role string, groups []Peers, allowInsecure bool, repl *caddy.Replacer) ([]peer, error) {
	var out []peer
	seen := make(map[string]bool)
	for _, g := range groups {
		if len(g.Origins) == 0 {
			return nil, fmt.Errorf("%s: an entry lists no origin; write at least one, for example %q", role, "https://widget.example.com")
		}
		signing := g.Signing
		if signing == "" {
			signing = SigningRequired
		}
		if err := checkSigning(signing); err != nil {
			return nil, fmt.Errorf("%s %s: %w", role, g.Origins[0], err)
		}
		var secret []byte
		if g.Secret != "" {
			expanded, err := repl.ReplaceOrErr(g.Secret, true, true)
			if err != nil {
				return nil, fmt.Errorf("%s %s: secret: a placeholder could not be expanded; check that the environment variable or file it names exists", role, g.Origins[0])
			}
			if secret, err = decodeSecret(expanded); err != nil {
				return nil, fmt.Errorf("%s %s: secret: %w", role, g.Origins[0], err)
			}
		}
		for _, o := range g.Origins {
			canon, err := ParseOrigin(o, allowInsecure)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", role, err)
			}
			if seen[canon] {
				return nil, fmt.Errorf("%s: %s is listed twice; list each origin once", role, canon)
			}
			seen[canon] = true
			out = append(out, peer{origin: canon, secret: secret, signing: signing})
		}
	}
	return out, nil
}

// Validate checks the settings that Provision does not already check.
func (h *Handler) Validate() error {
	if len(h.embeds) == 0 && len(h.parents) == 0 {
		return fmt.Errorf("configure at least one of embed (origins this site frames) or parent (origins that may frame this site)")
	}
	if err := checkParamName("session_param", h.SessionParam); err != nil {
		return err
	}
	if err := checkParamName("parent_param", h.ParentParam); err != nil {
		return err
	}
	if h.SessionParam == h.ParentParam {
		return fmt.Errorf("session_param and parent_param are both %q; give them different names", h.SessionParam)
	}
	if err := checkSessionIn(h.SessionIn); err != nil {
		return err
	}
	if err := CheckRuntimePath(h.RuntimePath); err != nil {
		return err
	}
	if time.Duration(h.TokenTTL) <= 0 {
		return fmt.Errorf("token_ttl must be positive, for example 2m")
	}
	return checkCSPMode(h.CSP)
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if p := r.URL.Path; p == h.RuntimePath || strings.HasPrefix(p, h.RuntimePath) && p[len(h.RuntimePath)] == '/' {
		return h.serveRuntime(w, r)
	}
	candidate := len(h.embeds) > 0 && isCandidate(r)
	// An embed page opened with its token in the query must not pass the
	// token on in Referer headers.
	tokenInURL := len(h.parents) > 0 && strings.Contains(r.URL.RawQuery, h.sessionParamEq)
	if h.CSP == CSPOff && !candidate && !tokenInURL {
		return next.ServeHTTP(w, r)
	}
	if candidate {
		prepareCandidate(r)
	}
	rw := &responseWriter{
		ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w},
		h:                     h,
		r:                     r,
		candidate:             candidate,
		tokenInURL:            tokenInURL,
	}
	// A panic further down (Caddy recovers it) must not leave a page's
	// decoder goroutine waiting on its pipe.
	defer func() {
		if v := recover(); v != nil {
			rw.abandon()
			panic(v)
		}
	}()
	if err := next.ServeHTTP(rw, r); err != nil {
		rw.abandon()
		if !rw.wroteHeader {
			h.prepareErrorHeaders(rw.Header(), tokenInURL, rw.field)
		}
		return err // Caddy's error handling writes the response
	}
	return rw.finish()
}

// prepareErrorHeaders applies the embed role's policy to the headers of a
// response that Caddy's error handling is about to write: the error
// routes (handle_errors), or Caddy's bare status when there are none,
// write to the writer the server gave, outside this handler, but into the
// same header map, which Caddy does not clear. So an error page gets
// frame-ancestors with the parent origins (merged into the policies
// already in the map), loses X-Frame-Options, and, opened with a token,
// gets the tightened Referrer-Policy. Headers that the error routes set
// afterwards (a header directive in handle_errors) are theirs; a bridge
// inside handle_errors merges those too. The parent role does nothing
// here: an error page is not rewritten, and a frame-src of the module's
// own would only restrict it.
func (h *Handler) prepareErrorHeaders(hdr http.Header, tokenInURL bool, field func(string) []string) {
	if len(h.parents) == 0 {
		return
	}
	if h.CSP != CSPOff {
		applyCSP(hdr, h.CSP, h.wantOther)
	}
	if tokenInURL {
		tightenReferrerPolicy(hdr, field)
	}
}

// serveRuntime answers requests under RuntimePath: the runtime files,
// the session endpoint, and 404 for anything else.
func (h *Handler) serveRuntime(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimPrefix(r.URL.Path, h.RuntimePath+"/")
	if name == "session" {
		return h.serveSession(w, r)
	}
	if a := h.runtime[name]; a != nil && name != "" {
		return serveAsset(w, r, a)
	}
	return caddyhttp.Error(http.StatusNotFound, fmt.Errorf("no bridge resource at %s", r.URL.Path))
}

// cspWantFor returns what the response's policies must allow; the two
// answers are computed once, in Provision.
func (h *Handler) cspWantFor(html bool) cspWant {
	if html {
		return h.wantHTML
	}
	return h.wantOther
}

// cspFixedFor returns the precomputed edits that applyCSP makes to the
// headers of a response without policies: HTML or not, and with the
// shim's hash or not (HTML only).
func (h *Handler) cspFixedFor(html, shim bool) *cspFixed {
	switch {
	case !html:
		return &h.cspFixed[0]
	case !shim:
		return &h.cspFixed[1]
	}
	return &h.cspFixed[2]
}

func (h *Handler) buildCSPWants() {
	if len(h.embeds) > 0 {
		h.wantHTML.FrameSrc = originsOf(h.embeds)
	}
	if len(h.parents) > 0 {
		h.wantHTML.FrameAncestors = originsOf(h.parents)
		h.wantOther.FrameAncestors = h.wantHTML.FrameAncestors
	}
	h.wantHTML.Scripts = true
	withShim := h.wantHTML
	withShim.ScriptHashes = shimHashes
	h.cspFixed = [3]cspFixed{
		precomputeCSP(h.CSP, h.wantOther),
		precomputeCSP(h.CSP, h.wantHTML),
		precomputeCSP(h.CSP, withShim),
	}
}

// preloadLink returns the Link field value that tells a browser to fetch
// bridge.js and the WebAssembly runtime while it parses a page that will
// load them: the runtime's download and compilation are most of the time a
// bridge takes to be ready, and without it they wait for bridge.js. The
// wasm is preloaded as the loader fetches it (a CORS-mode fetch with
// same-origin credentials), so that the browser reuses the response.
func preloadLink(runtimePath, wasm string) string {
	return "<" + runtimePath + "/bridge.js>; rel=modulepreload, <" + runtimePath + "/" + wasm + ">; rel=preload; as=fetch; crossorigin"
}

func originsOf(ps []peer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.origin
	}
	return out
}

// Interface guards
var (
	_ caddy.Module                = (*Handler)(nil)
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
