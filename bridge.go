// Package bridge plugs caddy-bridge into Caddy. Importing it (as xcaddy's
// --with github.com/caddybridge/caddy-bridge does) registers the
// http.handlers.bridge module, the bridge Caddyfile directive and the
// caddy bridge-secret command.
package bridge

import (
	// The handler module and the bridge-secret command.
	_ "github.com/caddybridge/caddy-bridge/caddybridge"
	// The Caddyfile directive.
	_ "github.com/caddybridge/caddy-bridge/caddyfile"
)
