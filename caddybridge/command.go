package caddybridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/certmagic"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "bridge-secret",
		Usage: "--config <path> [--adapter <name>] --parent <origin> --embed <origin>",
		Short: "Prints the master secret of one caddy-bridge deployment",
		Long: `
Prints the master secret of the deployment between a parent origin and an
embed origin, base64url-encoded, for handing to a partner that runs the
other side on its own server (it sets it with "secret" in its embed or
parent block).

The secret is derived from the root secret kept in the storage that the
config uses (created there if it does not exist yet), so every instance
sharing that storage agrees on it. Nothing else prints it: treat the
output as a password.

It refuses when the handlers that serve the deployment set their own
secret (hand that one over instead), disagree, or may set one but serve
an origin the config does not tell. A handler without "origin" serves
the hosts of its site, on its server's ports (https when the server has
TLS); one without a host matcher or with a wildcard host needs "origin".`,
		Flags: func() *flag.FlagSet {
			fs := flag.NewFlagSet("bridge-secret", flag.ExitOnError)
			fs.String("config", "", "Configuration file (required)")
			fs.String("adapter", "", "Name of the config adapter to use")
			fs.String("parent", "", "The parent origin, scheme://host[:port] (required)")
			fs.String("embed", "", "The embed origin, scheme://host[:port] (required)")
			return fs
		}(),
		Func: cmdBridgeSecret,
	})
}

func cmdBridgeSecret(fl caddycmd.Flags) (int, error) {
	configFile, adapter := fl.String("config"), fl.String("adapter")
	if configFile == "" {
		return caddy.ExitCodeFailedStartup, errors.New("--config is required: the config whose storage holds the root secret")
	}
	parent, err := ParseOrigin(fl.String("parent"), true)
	if err != nil {
		return caddy.ExitCodeFailedStartup, fmt.Errorf("--parent: %w", err)
	}
	embed, err := ParseOrigin(fl.String("embed"), true)
	if err != nil {
		return caddy.ExitCodeFailedStartup, fmt.Errorf("--embed: %w", err)
	}
	cfgJSON, _, _, err := caddycmd.LoadConfig(configFile, adapter)
	if err != nil {
		return caddy.ExitCodeFailedStartup, fmt.Errorf("loading the config: %w", err)
	}
	note, err := findDeployment(cfgJSON, parent, embed).verdict(configFile, parent, embed)
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	if note != "" {
		fmt.Fprintln(os.Stderr, "note: "+note)
	}

	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	st, err := configStorage(ctx, cfgJSON)
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	root, err := loadOrCreateRootSecret(ctx, st)
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	fmt.Println(base64.RawURLEncoding.EncodeToString(bridgekey.DeploymentSecret(root, parent, embed)))
	return caddy.ExitCodeSuccess, nil
}

// configStorage returns the storage a config uses, or Caddy's default.
func configStorage(ctx caddy.Context, cfgJSON []byte) (certmagic.Storage, error) {
	var cfg caddy.Config
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		return nil, fmt.Errorf("decoding the config: %w", err)
	}
	if cfg.StorageRaw == nil {
		return caddy.DefaultStorage, nil
	}
	val, err := ctx.LoadModule(&cfg, "StorageRaw")
	if err != nil {
		return nil, fmt.Errorf("loading the config's storage: %w", err)
	}
	st, err := val.(caddy.StorageConverter).CertMagicStorage()
	if err != nil {
		return nil, fmt.Errorf("opening the config's storage: %w", err)
	}
	return st, nil
}

// deploymentFinding sorts the bridge handlers of a config that list one
// deployment's peer, from the side of the deployment they would play.
type deploymentFinding struct {
	// derive and own are the handlers that serve the deployment's side
	// (their own origin is known and is that side's) and derive the
	// deployment's secret from the root secret, or set their own.
	derive, own []handlerRef
	// unknownDerive and unknownOwn are the handlers that list the peer
	// but whose own origin cannot be told from the config, so that they
	// may or may not serve the deployment's side.
	unknownDerive, unknownOwn []handlerRef
}

// handlerRef names a handler for messages.
type handlerRef struct {
	where string // "the bridge handler for shop.example at apps/http/…"
	peer  string // the peer origin it lists
	why   string // why its own origin cannot be told, or ""
}

func joinRefs(refs []handlerRef, f func(handlerRef) string) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = f(r)
	}
	return strings.Join(s, "; and ")
}

func (r handlerRef) unknown() string {
	return fmt.Sprintf("%s lists %s, but its own origin cannot be told from the config: %s", r.where, r.peer, r.why)
}

// verdict says what bridge-secret does with a finding: an error when the
// derived secret is not, or may not be, the deployment's; otherwise a
// note for stderr, empty when the config serves the deployment with the
// derived secret.
func (f deploymentFinding) verdict(configFile, parent, embed string) (note string, err error) {
	dep := parent + " -> " + embed
	where := func(r handlerRef) string { return r.where }
	switch {
	case len(f.own) > 0 && len(f.derive) > 0:
		return "", fmt.Errorf("ambiguous: the bridge handlers of the deployment %s disagree about its secret: it is derived from the root secret by %s, but set in the config (secret in the embed/parent block) by %s; make them agree: remove that secret, or set the same one in every handler of the deployment", dep, joinRefs(f.derive, where), joinRefs(f.own, where))
	case len(f.own) > 0:
		return "", fmt.Errorf("the deployment %s has its own secret in the config (secret in the embed/parent block of %s); hand that one to the partner", dep, joinRefs(f.own, where))
	case len(f.unknownOwn) > 0:
		return "", fmt.Errorf("ambiguous: %s; it sets its own secret for that peer, so if it is a side of the deployment %s, that secret is the deployment's, not the derived one; set `origin` in it (in %s), then run this again", joinRefs(f.unknownOwn, handlerRef.unknown), dep, configFile)
	case len(f.derive) > 0:
		return "", nil
	case len(f.unknownDerive) > 0:
		return fmt.Sprintf("no bridge handler in %s is known to serve the deployment %s: %s; if it is a side of this deployment, it derives the secret printed here (set `origin` in it to say so)", configFile, dep, joinRefs(f.unknownDerive, handlerRef.unknown)), nil
	}
	return fmt.Sprintf("no bridge handler in %s lists the deployment %s yet", configFile, dep), nil
}

// findDeployment walks the JSON config for bridge handlers that list the
// deployment parent -> embed: those serving parent with embed among
// their embeds, and those serving embed with parent among their parents.
// A handler without origin serves the request's scheme://host, so its
// origins are taken from the host matchers of the routes that enclose it
// and from its server's listeners and TLS, as Caddy sets them up.
func findDeployment(cfgJSON []byte, parent, embed string) deploymentFinding {
	var f deploymentFinding
	var root any
	if json.Unmarshal(cfgJSON, &root) != nil {
		return f
	}
	apps, _ := mapAt(root, "apps")
	httpApp, _ := mapAt(apps, "http")
	httpPort, httpsPort := portSetting(httpApp, "http_port", caddyhttp.DefaultHTTPPort), portSetting(httpApp, "https_port", caddyhttp.DefaultHTTPSPort)

	visit := func(v map[string]any, path string, srv *serverSite, hosts hostScope) {
		var h Handler
		b, _ := json.Marshal(v)
		if json.Unmarshal(b, &h) != nil {
			return
		}
		origins, why := h.ownOrigins(srv, hosts)
		ref := handlerRef{where: describeHandler(path, hosts), why: why}
		for _, side := range []struct {
			self, peer string
			groups     []Peers
		}{{parent, embed, h.Embed}, {embed, parent, h.Parent}} {
			listed, own := peerEntry(side.groups, side.peer)
			if !listed {
				continue
			}
			ref.peer = side.peer
			switch {
			case why != "" && own:
				f.unknownOwn = append(f.unknownOwn, ref)
			case why != "":
				f.unknownDerive = append(f.unknownDerive, ref)
			case !slices.Contains(origins, side.self):
			case own:
				f.own = append(f.own, ref)
			default:
				f.derive = append(f.derive, ref)
			}
		}
	}
	var walk func(v any, path string, srv *serverSite, hosts hostScope)
	walk = func(v any, path string, srv *serverSite, hosts hostScope) {
		switch v := v.(type) {
		case []any:
			for i, e := range v {
				walk(e, path+"/"+strconv.Itoa(i), srv, hosts)
			}
		case map[string]any:
			if _, isRoute := v["handle"].([]any); isRoute {
				hosts = hosts.and(routeHosts(v["match"]))
			}
			if v["handler"] == "bridge" {
				visit(v, path, srv, hosts)
			}
			for _, k := range slices.Sorted(maps.Keys(v)) {
				sub := path + "/" + k
				if path == "" {
					sub = k
				}
				if path == "apps/http/servers" {
					s := newServerSite(k, v[k], httpPort, httpsPort)
					walk(v[k], sub, s, anyHost)
					continue
				}
				walk(v[k], sub, srv, hosts)
			}
		}
	}
	walk(root, "", nil, anyHost)
	return f
}

// mapAt returns v[key] when v is a JSON object and that is one too.
func mapAt(v any, key string) (map[string]any, bool) {
	m, _ := v.(map[string]any)
	sub, ok := m[key].(map[string]any)
	return sub, ok
}

// portSetting returns the http app's http_port or https_port.
func portSetting(httpApp map[string]any, key string, def int) int {
	if n, ok := httpApp[key].(float64); ok && n > 0 {
		return int(n)
	}
	return def
}

// peerEntry reports whether groups list peer, and whether an entry that
// lists it sets its own secret.
func peerEntry(groups []Peers, peer string) (listed, own bool) {
	for _, g := range groups {
		for _, o := range g.Origins {
			if c, err := ParseOrigin(o, true); err == nil && c == peer {
				listed = true
				own = own || g.Secret != ""
			}
		}
	}
	return listed, own
}

// hostScope is the set of hosts that the routes enclosing a handler let
// through: any host when unconstrained; none when constrained to an empty
// set. Hosts are in lower case and may be wildcards (*.example.com).
type hostScope struct {
	constrained bool
	hosts       []string
}

var anyHost = hostScope{}

// and is the scope of a route nested in a, whose own matchers allow b.
func (a hostScope) and(b hostScope) hostScope {
	if !b.constrained {
		return a
	}
	if !a.constrained {
		return b
	}
	out := hostScope{constrained: true}
	for _, x := range a.hosts {
		for _, y := range b.hosts {
			switch {
			case hostCovers(x, y):
				out.hosts = append(out.hosts, y)
			case hostCovers(y, x):
				out.hosts = append(out.hosts, x)
			}
		}
	}
	slices.Sort(out.hosts)
	out.hosts = slices.Compact(out.hosts)
	return out
}

// hostCovers reports whether the host matcher entry pattern matches every
// host that name matches, as Caddy's host matcher does: a * label stands
// for any one label.
func hostCovers(pattern, name string) bool {
	p, n := strings.Split(pattern, "."), strings.Split(name, ".")
	if len(p) != len(n) {
		return false
	}
	for i := range p {
		if p[i] != n[i] && p[i] != "*" {
			return false
		}
	}
	return true
}

// routeHosts returns the hosts a route's matcher sets let through: a
// route matches when one of its sets does, so a set without a host
// matcher lets any host through.
func routeHosts(match any) hostScope {
	sets, _ := match.([]any)
	if len(sets) == 0 {
		return anyHost
	}
	out := hostScope{constrained: true}
	for _, set := range sets {
		m, _ := set.(map[string]any)
		hosts, ok := m["host"].([]any)
		if !ok {
			return anyHost
		}
		for _, h := range hosts {
			if s, ok := h.(string); ok {
				out.hosts = append(out.hosts, strings.ToLower(expandKnown(s)))
			}
		}
	}
	return out
}

// expandKnown replaces the placeholders Caddy replaces in listen
// addresses and host matchers when it loads a config ({env.NAME} and
// the like); unknown ones stay.
func expandKnown(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return caddy.NewReplacer().ReplaceKnown(s, "")
}

// serverSite is what a server's listeners and TLS say about the origins
// of its sites: the scheme of each port, as Caddy's automatic HTTPS sets
// it up (TLS on every port but the HTTP port when the server has TLS
// connection policies, given or added because a host matcher of its
// routes is not skipped, or because it listens only on the HTTPS port).
type serverSite struct {
	name  string
	ports []portScheme
	why   string // why the origins of its sites cannot be told, or ""
}

type portScheme struct {
	port   uint
	scheme string
}

// maxPorts bounds the ports of a server whose sites' origins are
// enumerated.
const maxPorts = 16

func newServerSite(name string, raw any, httpPort, httpsPort int) *serverSite {
	s := &serverSite{name: name}
	srv, _ := raw.(map[string]any)
	listen, _ := srv["listen"].([]any)
	var addrs []caddy.NetworkAddress
	for _, l := range listen {
		str, _ := l.(string)
		na, err := caddy.ParseNetworkAddress(expandKnown(str))
		if err != nil {
			s.why = fmt.Sprintf("server %s listens on %q, which is not an address", name, str)
			return s
		}
		if na.Network != "tcp" && na.Network != "tcp4" && na.Network != "tcp6" && na.Network != "udp" && na.Network != "udp4" && na.Network != "udp6" {
			s.why = fmt.Sprintf("server %s listens on %s, not on a TCP port", name, na.Network)
			return s
		}
		if na.PortRangeSize() > maxPorts {
			s.why = fmt.Sprintf("server %s listens on %d ports", name, na.PortRangeSize())
			return s
		}
		addrs = append(addrs, na)
	}
	if len(addrs) == 0 {
		s.why = fmt.Sprintf("server %s has no listen address", name)
		return s
	}
	otherThan := func(port int) bool {
		for _, na := range addrs {
			if uint(port) < na.StartPort || uint(port) > na.EndPort {
				return true
			}
		}
		return false
	}
	policies, given := srv["tls_connection_policies"].([]any)
	tls := len(policies) > 0
	ah, _ := srv["automatic_https"].(map[string]any)
	if ah["disable"] != true && otherThan(httpPort) && !given {
		tls = !otherThan(httpsPort)
		var skip []string
		if l, ok := ah["skip"].([]any); ok {
			for _, e := range l {
				if str, ok := e.(string); ok {
					skip = append(skip, str)
				}
			}
		}
		routes, _ := srv["routes"].([]any)
		for _, r := range routes {
			rm, _ := r.(map[string]any)
			sets, _ := rm["match"].([]any)
			for _, set := range sets {
				m, _ := set.(map[string]any)
				hosts, _ := m["host"].([]any)
				for _, h := range hosts {
					if str, ok := h.(string); ok && !slices.Contains(skip, expandKnown(str)) {
						tls = true
					}
				}
			}
		}
	}
	seen := make(map[uint]bool)
	for _, na := range addrs {
		for p := na.StartPort; p <= na.EndPort; p++ {
			if seen[p] {
				continue
			}
			seen[p] = true
			ps := portScheme{port: p, scheme: "http"}
			if tls && int(p) != httpPort {
				ps.scheme = "https"
			}
			s.ports = append(s.ports, ps)
		}
	}
	if len(s.ports) > maxPorts {
		s.why = fmt.Sprintf("server %s listens on %d ports", name, len(s.ports))
	}
	return s
}

// ownOrigins returns the origins this (unprovisioned) handler config
// serves: its origin when set, otherwise scheme://host[:port] for each
// host its enclosing routes let through and each port of its server.
// When that cannot be told, why says so, for a message.
func (h *Handler) ownOrigins(srv *serverSite, hosts hostScope) (origins []string, why string) {
	if h.Origin != "" {
		c, err := ParseOrigin(h.Origin, true)
		if err != nil {
			return nil, "its origin is not valid: " + err.Error()
		}
		return []string{c}, ""
	}
	switch {
	case srv == nil:
		return nil, "it is not in the routes of an HTTP server"
	case srv.why != "":
		return nil, srv.why
	case !hosts.constrained:
		return nil, "it has no origin and no host matcher of its routes or site, so it serves any host"
	}
	for _, host := range hosts.hosts {
		switch {
		case strings.Contains(host, "*"):
			return nil, fmt.Sprintf("it has no origin and its host matcher %q is a wildcard", host)
		case strings.ContainsAny(host, "{}"):
			return nil, fmt.Sprintf("it has no origin and its host matcher %q has a placeholder", host)
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		for _, p := range srv.ports {
			hostPort := host + ":" + strconv.FormatUint(uint64(p.port), 10)
			c, err := ParseOrigin(p.scheme+"://"+hostPort, true)
			if err != nil {
				if _, err2 := ParseOrigin("https://"+hostPort, true); p.scheme == "http" && err2 == nil {
					continue // http:// on a host that is not loopback: no deployment's origin
				}
				return nil, fmt.Sprintf("it has no origin and its host matcher %q gives no origin: %v", host, err)
			}
			origins = append(origins, c)
		}
	}
	return origins, ""
}

// describeHandler names a handler for a message: its site's hosts and
// its place in the JSON config (as under /config/ in the admin API).
func describeHandler(path string, hosts hostScope) string {
	d := "the bridge handler"
	if hosts.constrained && len(hosts.hosts) > 0 {
		d += " for " + strings.Join(hosts.hosts, ", ")
	}
	return d + " at " + path
}
