package caddybridge_test

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/caddybridge/caddy-bridge/caddybridge"
	_ "github.com/caddybridge/caddy-bridge/caddyfile"
)

// TestBridgeSecretDeployment checks what caddy bridge-secret decides
// about a deployment in an adapted Caddyfile: which handlers serve it is
// told from their origin, or from their site's hosts, ports and TLS.
func TestBridgeSecretDeployment(t *testing.T) {
	const (
		twoSites = `
https://shop.example {
	bridge {
		embed https://w.example
	}
}
https://other.example {
	bridge {
		embed https://w.example {
			secret {env.OTHER_SECRET}
		}
	}
}
`
		// portSites: shop.example on 8443 sets its own secret; on 443 it
		// derives it.
		portSites = `
shop.example:8443 {
	bridge {
		embed https://w.example {
			secret {env.OTHER_SECRET}
		}
	}
}
https://shop.example {
	bridge {
		embed https://w.example
	}
}
`
		// originSet: a handler without a host matcher that names its
		// origin.
		originSet = `
:8080 {
	bridge {
		origin https://shop.example
		embed https://w.example {
			secret {env.OTHER_SECRET}
		}
	}
}
`
		localSites = `
http://localhost:9760 {
	bridge {
		embed http://127.0.0.1:9761
		allow_insecure_localhost
	}
	respond "p"
}
http://127.0.0.1:9761 {
	bridge {
		parent http://localhost:9760
		allow_insecure_localhost
	}
}
`
	)
	type want struct {
		err  []string // words of the error; nil: no error
		note []string // words of the note; nil: no note
	}
	cases := []struct {
		name, caddyfile, parent, embed string
		want
	}{
		{"two sites: derived", twoSites, "https://shop.example", "https://w.example", want{}},
		{"two sites: own secret", twoSites, "https://other.example", "https://w.example", want{err: []string{"has its own secret", "for other.example at apps/http/servers/srv0/routes/0/handle/0/routes/0/handle/0", "hand that one to the partner"}}},
		{"two sites: not listed", twoSites, "https://third.example", "https://w.example", want{note: []string{"no bridge handler in Caddyfile.test lists the deployment https://third.example -> https://w.example yet"}}},
		{"site with a port", portSites, "https://shop.example", "https://w.example", want{}},
		{"site with a port: own secret", portSites, "https://shop.example:8443", "https://w.example", want{err: []string{"https://shop.example:8443 -> https://w.example has its own secret", "for shop.example at"}}},
		{"http sites: both sides listed", localSites, "http://localhost:9760", "http://127.0.0.1:9761", want{}},
		// Another site's parent list does not list every embed.
		{"http sites: not listed", localSites, "http://localhost:9760", "http://localhost:9999", want{note: []string{"lists the deployment http://localhost:9760 -> http://localhost:9999 yet"}}},
		{"http site on the HTTP port", `
http://shop.example {
	bridge {
		embed https://w.example {
			secret {env.OTHER_SECRET}
		}
	}
}
https://shop.example {
	bridge {
		embed https://w.example
	}
}
`, "https://shop.example", "https://w.example", want{}},
		{"auto_https off", `
{
	auto_https off
}
http://localhost:9180 {
	bridge {
		embed http://127.0.0.1:9181 {
			secret {env.OTHER_SECRET}
		}
		allow_insecure_localhost
	}
}
https://localhost:9182 {
	bridge {
		embed http://127.0.0.1:9181
		allow_insecure_localhost
	}
}
`, "https://localhost:9182", "http://127.0.0.1:9181", want{}},
		{"ipv6 site", `
[::1]:9443 {
	bridge {
		embed https://w.example {
			secret {env.OTHER_SECRET}
		}
	}
}
`, "https://[::1]:9443", "https://w.example", want{err: []string{"has its own secret", "for ::1 at"}}},
		{"origin set", originSet, "https://shop.example", "https://w.example", want{err: []string{"has its own secret"}}},
		{"origin set: another deployment", originSet, "https://other.example", "https://w.example", want{note: []string{"yet"}}},
		{"origin set in a site of another host", `
https://other.example {
	bridge {
		origin https://shop.example
		embed https://w.example
	}
}
`, "https://shop.example", "https://w.example", want{}},
		{"no host matcher, own secret", `
:8080 {
	bridge {
		embed https://w.example {
			secret {env.OTHER_SECRET}
		}
	}
}
https://shop.example {
	bridge {
		embed https://w.example
	}
}
`, "https://shop.example", "https://w.example", want{err: []string{"ambiguous:", "the bridge handler at apps/http/servers/srv", "serves any host", "set `origin` in it (in Caddyfile.test)"}}},
		{"no host matcher, derived", `
:8080 {
	bridge {
		embed https://w.example
	}
}
`, "https://shop.example", "https://w.example", want{note: []string{"no bridge handler in Caddyfile.test is known to serve the deployment", "serves any host", "set `origin` in it"}}},
		{"wildcard host, own secret", `
*.shop.example {
	bridge {
		embed https://w.example {
			secret {env.OTHER_SECRET}
		}
	}
}
`, "https://a.shop.example", "https://w.example", want{err: []string{"ambiguous:", `host matcher "*.shop.example" is a wildcard`, "set `origin`"}}},
		{"sides disagree", `
https://shop.example {
	bridge {
		embed https://w.example
	}
}
https://w.example {
	bridge {
		parent https://shop.example {
			secret {env.OTHER_SECRET}
		}
	}
}
`, "https://shop.example", "https://w.example", want{err: []string{"ambiguous: the bridge handlers of the deployment https://shop.example -> https://w.example disagree", "derived from the root secret by the bridge handler for shop.example at", "set in the config (secret in the embed/parent block) by the bridge handler for w.example at"}}},
		{"nested route and matcher", `
shop.example:8443 {
	route /app/* {
		@other host other.example
		bridge @other {
			embed https://w.example {
				secret {env.OTHER_SECRET}
			}
		}
		bridge {
			embed https://w.example
		}
	}
}
`, "https://shop.example:8443", "https://w.example", want{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(c.caddyfile), map[string]any{"filename": "Caddyfile.test"})
			if err != nil {
				t.Fatal(err)
			}
			note, err := caddybridge.CheckDeployment(cfg, "Caddyfile.test", c.parent, c.embed)
			switch {
			case c.err == nil && err != nil:
				t.Fatalf("error: %v", err)
			case c.err != nil && err == nil:
				t.Fatalf("no error (note %q)", note)
			case c.note == nil && note != "":
				t.Errorf("note: %s", note)
			case c.note != nil && note == "":
				t.Errorf("no note")
			}
			msg := note
			if err != nil {
				msg = err.Error()
			}
			for _, w := range append(c.err, c.note...) {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not contain %q", msg, w)
				}
			}
		})
	}
}
