// Package caddyfile registers the bridge Caddyfile directive and parses
// it into the http.handlers.bridge module's JSON config.
package caddyfile

import (
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/caddybridge/caddy-bridge/caddybridge"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("bridge", parseCaddyfile)
	// Right after encode: encode compresses what bridge writes, and
	// bridge sees what templates, file_server and reverse_proxy write.
	httpcaddyfile.RegisterDirectiveOrder("bridge", httpcaddyfile.After, "encode")
}

// parseCaddyfile sets up the bridge handler from Caddyfile tokens. Syntax:
//
//	bridge [<matcher>] {
//		embed   <origin...> [{
//			secret  <base64>
//			signing required|optional|off
//		}]
//		parent  <origin...> [{
//			secret  <base64>
//			signing required|optional|off
//		}]
//		origin  <origin>
//		session_param  <name>
//		parent_param   <name>
//		session_in     query|hash
//		runtime_path   <path>
//		token_ttl      <duration>
//		allow_insecure_localhost
//		csp            enforce|report_only|off
//	}
//
// embed lists the origins this site frames (this site is their parent);
// parent lists the origins allowed to frame this site (this site is their
// embed). At least one of the two is required; both may repeat. An origin
// is exact: scheme://host[:port], with no path, query, fragment,
// credentials or wildcard; http:// is accepted only for localhost,
// 127.0.0.1 and [::1], and only with allow_insecure_localhost.
//
// secret replaces the master secret derived from the root secret in
// Caddy's storage: base64 of at least 32 bytes; {env.NAME} and
// {file./path} are expanded when the config loads. signing defaults to
// required.
//
// Defaults: origin is the request's scheme://host; session_param
// __iframeBridgeSessionId; parent_param __iframeBridgeParentOrigin;
// session_in query; runtime_path /_bridge; token_ttl 2m; csp enforce.
func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	return parse(h.Dispenser)
}

// origins collects origin tokens so that they can be checked once the
// whole block (and so allow_insecure_localhost) has been read, while the
// error still names the origin's own line.
type originTok struct {
	role string
	tok  caddyfile.Token
}

func parse(d *caddyfile.Dispenser) (*caddybridge.Handler, error) {
	h := new(caddybridge.Handler)
	var toks []originTok
	var originTokPos *caddyfile.Token
	d.Next() // consume directive name
	if d.NextArg() {
		return nil, d.Errf("bridge takes no arguments on its first line; put embed and parent inside a block: bridge { embed https://widget.example.com }")
	}
	seen := make(map[string]caddyfile.Token) // where each single-valued subdirective is set
	once := func(name string) error {
		if first, ok := seen[name]; ok {
			return d.Errf("%s is set twice (first at line %d); set it once", name, first.Line)
		}
		seen[name] = d.Token()
		return nil
	}
	for d.NextBlock(0) {
		name := d.Val()
		switch name {
		case "embed", "parent":
			g, gt, err := parsePeers(d, name)
			if err != nil {
				return nil, err
			}
			toks = append(toks, gt...)
			if name == "embed" {
				h.Embed = append(h.Embed, g)
			} else {
				h.Parent = append(h.Parent, g)
			}
		case "origin":
			if err := once(name); err != nil {
				return nil, err
			}
			if !d.NextArg() {
				return nil, d.Errf("origin needs this site's own origin, for example: origin https://shop.example.com")
			}
			h.Origin = d.Val()
			tok := d.Token()
			originTokPos = &tok
			if d.NextArg() {
				return nil, d.Errf("origin takes one origin, this site's own")
			}
		case "session_param", "parent_param", "runtime_path":
			if err := once(name); err != nil {
				return nil, err
			}
			v, err := oneArg(d, name, map[string]string{
				"session_param": caddybridge.DefaultSessionParam,
				"parent_param":  caddybridge.DefaultParentParam,
				"runtime_path":  caddybridge.DefaultRuntimePath,
			}[name])
			if err != nil {
				return nil, err
			}
			switch name {
			case "session_param":
				if err := caddybridge.CheckParamName(name, v); err != nil {
					return nil, d.Err(err.Error())
				}
				h.SessionParam = v
			case "parent_param":
				if err := caddybridge.CheckParamName(name, v); err != nil {
					return nil, d.Err(err.Error())
				}
				h.ParentParam = v
			case "runtime_path":
				if err := checkRuntimePathArg(v); err != nil {
					return nil, d.Err(err.Error())
				}
				h.RuntimePath = v
			}
		case "session_in":
			if err := once(name); err != nil {
				return nil, err
			}
			v, err := oneArg(d, name, "query")
			if err != nil {
				return nil, err
			}
			if v != caddybridge.SessionInQuery && v != caddybridge.SessionInHash {
				return nil, d.Errf("session_in %s is not a place; write query or hash%s", caddybridge.QuoteValue(v), caddybridge.SecretNote(v))
			}
			h.SessionIn = v
		case "token_ttl":
			if err := once(name); err != nil {
				return nil, err
			}
			v, err := oneArg(d, name, "2m")
			if err != nil {
				return nil, err
			}
			dur, err := caddy.ParseDuration(v)
			if err != nil || dur <= 0 {
				return nil, d.Errf("token_ttl %s is not a positive duration; write one such as 2m or 90s%s", caddybridge.QuoteValue(v), caddybridge.SecretNote(v))
			}
			h.TokenTTL = caddy.Duration(dur)
		case "allow_insecure_localhost":
			if err := once(name); err != nil {
				return nil, err
			}
			if d.NextArg() {
				return nil, d.Errf("allow_insecure_localhost takes no argument")
			}
			h.AllowInsecureLocalhost = true
		case "csp":
			if err := once(name); err != nil {
				return nil, err
			}
			v, err := oneArg(d, name, "enforce")
			if err != nil {
				return nil, err
			}
			if v != caddybridge.CSPEnforce && v != caddybridge.CSPReportOnly && v != caddybridge.CSPOff {
				return nil, d.Errf("csp %s is not a mode; write enforce, report_only or off%s", caddybridge.QuoteValue(v), caddybridge.SecretNote(v))
			}
			h.CSP = v
		default:
			const list = "the subdirectives are embed, parent, origin, session_param, parent_param, session_in, runtime_path, token_ttl, allow_insecure_localhost and csp"
			if caddybridge.LooksLikeSecret(name) {
				return nil, d.Errf("%s is not a subdirective of bridge; %s; %s", caddybridge.DescribeSecret(name), caddybridge.SecretSlipHint, list)
			}
			return nil, d.Errf("unknown subdirective %q in bridge; %s", name, list)
		}
	}
	if len(h.Embed) == 0 && len(h.Parent) == 0 {
		return nil, d.Errf("bridge needs at least one embed (origins this site frames) or parent (origins that may frame this site), for example: bridge { embed https://widget.example.com }")
	}
	// Origins are checked now that allow_insecure_localhost is known.
	seenOrigin := make(map[string]caddyfile.Token)
	for _, ot := range toks {
		canon, err := caddybridge.ParseOrigin(ot.tok.Text, h.AllowInsecureLocalhost)
		if err != nil {
			return nil, tokErr(ot.tok, fmt.Errorf("%s: %w", ot.role, err))
		}
		key := ot.role + " " + canon
		if first, dup := seenOrigin[key]; dup {
			return nil, tokErr(ot.tok, fmt.Errorf("%s %s is already listed at line %d; list each origin once", ot.role, canon, first.Line))
		}
		seenOrigin[key] = ot.tok
	}
	// The JSON config gets the canonical spelling of each origin.
	for _, groups := range [][]caddybridge.Peers{h.Embed, h.Parent} {
		for _, g := range groups {
			for i, o := range g.Origins {
				g.Origins[i], _ = caddybridge.ParseOrigin(o, h.AllowInsecureLocalhost)
			}
		}
	}
	if originTokPos != nil {
		if _, err := caddybridge.ParseOrigin(h.Origin, h.AllowInsecureLocalhost); err != nil {
			return nil, tokErr(*originTokPos, fmt.Errorf("origin: %w", err))
		}
	}
	if h.SessionParam != "" && h.SessionParam == h.ParentParam {
		return nil, tokErr(seen["parent_param"], fmt.Errorf("session_param and parent_param are both %s; give them different names", caddybridge.QuoteValue(h.SessionParam)))
	}
	return h, nil
}

// parsePeers parses one embed or parent line with its optional block.
func parsePeers(d *caddyfile.Dispenser, role string) (caddybridge.Peers, []originTok, error) {
	var g caddybridge.Peers
	var toks []originTok
	for d.NextArg() {
		g.Origins = append(g.Origins, d.Val())
		toks = append(toks, originTok{role: role, tok: d.Token()})
	}
	if len(g.Origins) == 0 {
		return g, nil, d.Errf("%s needs at least one origin, for example: %s https://widget.example.com", role, role)
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch sub := d.Val(); sub {
		case "secret":
			if g.Secret != "" {
				return g, nil, d.Errf("secret is set twice in this %s block; set it once", role)
			}
			if !d.NextArg() {
				return g, nil, d.Errf("secret needs a value: base64 of at least 32 bytes, best from the environment: secret {env.BRIDGE_SECRET}")
			}
			g.Secret = d.Val()
			if d.NextArg() {
				return g, nil, d.Errf("secret takes one value (base64 of at least 32 bytes)")
			}
			if !caddybridge.HasPlaceholder(g.Secret) {
				if err := caddybridge.CheckSecret(g.Secret); err != nil {
					return g, nil, d.Errf("%s secret: %v", role, err)
				}
			}
		case "signing":
			if g.Signing != "" {
				return g, nil, d.Errf("signing is set twice in this %s block; set it once", role)
			}
			v, err := oneArg(d, "signing", "required")
			if err != nil {
				return g, nil, err
			}
			if v != caddybridge.SigningRequired && v != caddybridge.SigningOptional && v != caddybridge.SigningOff {
				if caddybridge.LooksLikeSecret(v) {
					return g, nil, d.Errf("signing takes required, optional or off, not %s; did you mean \"secret <value>\"? Write the secret on a line of its own, secret <value> (best: secret {env.BRIDGE_SECRET}), and signing required, optional or off", caddybridge.DescribeSecret(v))
				}
				return g, nil, d.Errf("signing %q is not a signing mode; write required, optional or off", v)
			}
			g.Signing = v
		default:
			if caddybridge.LooksLikeSecret(sub) {
				return g, nil, d.Errf("%s is not an option of the %s block; did you mean \"secret <value>\"? Write the keyword before the value: secret <value> (best: secret {env.BRIDGE_SECRET}); the options are secret and signing", caddybridge.DescribeSecret(sub), role)
			}
			return g, nil, d.Errf("unknown option %q in the %s block; the options are secret and signing", sub, role)
		}
	}
	return g, toks, nil
}

// oneArg reads exactly one argument of a subdirective.
func oneArg(d *caddyfile.Dispenser, name, example string) (string, error) {
	if !d.NextArg() {
		return "", d.Errf("%s needs a value, for example: %s %s", name, name, example)
	}
	v := d.Val()
	if d.NextArg() {
		return "", d.Errf("%s takes one value, for example: %s %s", name, name, example)
	}
	return v, nil
}

func checkRuntimePathArg(v string) error {
	if strings.HasSuffix(v, "/") && v != "/" {
		v = strings.TrimSuffix(v, "/")
	}
	return caddybridge.CheckRuntimePath(v)
}

// tokErr adds a token's file and line to err, the way Caddy's
// Dispenser.WrapErr does.
func tokErr(t caddyfile.Token, err error) error {
	return fmt.Errorf("%w, at %s:%d", err, t.File, t.Line)
}
