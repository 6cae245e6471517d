package caddybridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
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
output as a password.`,
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
	listed, ownSecret := findDeployment(cfgJSON, parent, embed)
	if ownSecret {
		return caddy.ExitCodeFailedStartup, fmt.Errorf("the deployment %s -> %s has its own secret in the config (secret in its embed/parent block); hand that one to the partner", parent, embed)
	}
	if !listed {
		fmt.Fprintf(os.Stderr, "note: no bridge handler in %s lists the deployment %s -> %s yet\n", configFile, parent, embed)
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

// findDeployment walks the JSON config for bridge handlers and reports
// whether one lists the deployment, and whether one gives it its own
// secret.
func findDeployment(cfgJSON []byte, parent, embed string) (listed, ownSecret bool) {
	var root any
	if json.Unmarshal(cfgJSON, &root) != nil {
		return false, false
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if v["handler"] == "bridge" {
				var h Handler
				b, _ := json.Marshal(v)
				if json.Unmarshal(b, &h) == nil {
					l, s := h.lists(parent, embed)
					listed, ownSecret = listed || l, ownSecret || s
				}
			}
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(root)
	return listed, ownSecret
}

// lists reports whether this (unprovisioned) handler config lists the
// deployment parent -> embed in one of its roles, and whether that entry
// sets its own secret.
func (h *Handler) lists(parent, embed string) (listed, ownSecret bool) {
	check := func(groups []Peers, want string) {
		for _, g := range groups {
			for _, o := range g.Origins {
				if c, err := ParseOrigin(o, true); err == nil && c == want {
					listed = true
					ownSecret = ownSecret || g.Secret != ""
				}
			}
		}
	}
	self, _ := ParseOrigin(h.Origin, true)
	if h.Origin == "" || self == parent {
		check(h.Embed, embed)
	}
	if h.Origin == "" || self == embed {
		check(h.Parent, parent)
	}
	return listed, ownSecret
}
