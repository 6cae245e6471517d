// Package integration runs the bridge module in a real Caddy (caddytest's
// in-process server) and, for the runtime, in real headless Chromium.
// caddytest runs one Caddy per test binary: tests here never run in
// parallel, and every config keeps admin localhost:2999.
package integration

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"

	_ "github.com/caddybridge/caddy-bridge/caddyfile"
)

// storageDir is a fresh Caddy storage folder for this test binary.
var storageDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "caddy-bridge-it-")
	if err != nil {
		panic(err)
	}
	storageDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// globalOptions is the global block every test config starts with.
func globalOptions() string {
	return `{
	admin localhost:2999
	http_port 9080
	https_port 9443
	grace_period 1ns
	skip_install_trust
	storage file_system ` + storageDir + `
}
`
}

// start loads a Caddyfile (after the global options) into the test Caddy.
func start(t testing.TB, sites string) *caddytest.Tester {
	t.Helper()
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions()+strings.TrimSpace(sites)+"\n", "caddyfile")
	// Connections that earlier tests left in the default pool went to the
	// servers this config replaced: a request that is not retried on a
	// dead connection (a POST) would fail with EOF on one of them.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	return tester
}
