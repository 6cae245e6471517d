// Command caddy is Caddy with the bridge module plugged in. It is what the
// demo and the integration tests run; users build their own with xcaddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	// The bridge module, its Caddyfile directive and command.
	_ "github.com/caddybridge/caddy-bridge"
)

func main() {
	caddycmd.Main()
}
