// Command browser benchmarks the caddy-bridge WebAssembly runtime in a real
// headless Chromium against a real Caddy built from this repository, beside
// the floors it is compared with, all in one run:
//
//   - raw window: a parent page and a cross-site iframe that echoes
//     window.postMessage (exact target origins, source checks), no library;
//   - raw port: the same two origins, one MessageChannel handed over once,
//     echo over the port;
//   - penpal 7 (from npm, bench/browser/node_modules), which also moves to a
//     MessagePort after its handshake;
//   - signed JS floor: the raw port echo speaking a signed protocol of
//     ours' shape in plain JavaScript (pages/signed.js: JSON bodies,
//     HMAC-SHA256 from noble-hashes over the same fields, seq and MAC
//     checks), the least that signing every message costs;
//   - ours v2: bridge.js with the default signing (every message signed,
//     over a MessagePort): attach("#f") on the parent, createIframeChildBridge
//     in the iframe, b.request("echo", p);
//   - ours v1: the same pages on a second pair of sites with `signing off`
//     (unsigned iframe-bridge v1 over window.postMessage).
//   - Go js/wasm floor (ready times only): the raw window handshake made
//     after each page has fetched, compiled and started a Go program that
//     only registers one function (gofloor/, built here as the runtime is
//     and served as it is: brotli, immutable, preloaded), the ready time
//     of any bridge written in Go for GOOS=js before its own work.
//
// The parent pages are on http://127.0.0.1:9610 (ours v1: :9612) and the
// iframes on http://localhost:9611 (:9613), different sites, so the iframe
// is an out-of-process frame. The baselines live under /base/ on the same
// origins, where the bridge handler is off (a matcher), so they are plain
// file_server pages. The pages are in pages/ beside this file.
//
// It measures:
//
//  1. request round trips: after ready and a warm-up, N sequential echo
//     requests of {n, s: "hello"} (PAYLOAD characters longer) per variant and round, timed in the parent
//     page with performance.now(); ROUNDS rounds, the order of the variants
//     rotated each round (and reversed every other round, so that no
//     variant always follows the same one); median, p99 and mean over all
//     samples, and the median of the per-round ratios to the floors;
//  2. ready time: performance.now() in the parent when it sees the peer
//     ready (ms since the parent's navigation started): the child's "ready"
//     message (raw window), the port's acknowledgement (raw port),
//     connection.promise (penpal), whenReady() (ours). Cold: a new browser
//     context per load (empty HTTP cache); warm: the default context, whose
//     cache the earlier loads filled. LOADS loads of each, interleaved.
//  3. unless DIAG=0, where a port round trip's time goes, from *-diag pages
//     that stamp every MessagePort send and message handler in both pages,
//     then ours v2 alternated with the raw port echo that busy-waits as
//     long as ours' measured send, child and receive work ("port + ours'
//     CPU"): what ours costs beyond those wall-time stretches (waits for a
//     core included);
//  4. with PROFILE=1, V8 CPU profiles of both pages (parent and iframe
//     targets) during ours' round trips: the functions with the most self
//     and total time per trip. WebAssembly functions get their Go names
//     from a build of ./assets/runtime that keeps its name section, once
//     its code is checked to be byte for byte the served runtime's.
//
// Every page load (round-trip batch, ready sample, diag batch) happens in
// a new tab, so each starts in a fresh renderer process, whatever was
// loaded before.
//
// By default the sites send COOP/COEP/CORP headers so that the pages are
// cross-origin isolated and performance.now() has 5 µs resolution instead
// of 100 µs (ISOLATE=0 turns that off). Every wait has a deadline; a
// variant that does not work (wrong echo, wrong protocol version, no
// ready) fails the run with a non-zero exit. Goals are printed beside the
// figures; missing one does not fail the run.
//
// Run it from the repository root, after `npm ci` in bench/browser:
//
//	bash bench/browser/run.sh
//	ROUNDS=9 N=400 LOADS=20 bash bench/browser/run.sh
//
// Tunables (environment): ROUNDS (8), N (300 timed trips per round and
// variant), WARMUP (50), LOADS (15 cold and 15 warm loads per variant),
// DIAG (1), DIAG_ROUNDS (2), PROFILE (0), ISOLATE (1), CADDY (a built
// Caddy; otherwise ./cmd/caddy is built), CHROMIUM (/usr/bin/chromium),
// CADDY_B (a second built Caddy, from another checkout: its runtime runs
// beside ours as "ours v2 (B)" on ports 9614/9615 and "ours v1 (B)"
// (signing off) on 9616/9617, admin localhost:2700, for comparing two
// builds of the runtime in one run), LIMIT (10m, the
// whole run), FOLDED (a folder: with PROFILE=1, also
// write each profile there as folded stacks, ms per trip, for callers),
// PAYLOAD (0: characters added to the echoed "hello", for larger
// messages), SAMEPROCESS (0; 1 turns Chromium's site isolation off, so that the
// iframe shares the parent's renderer: a round trip then measures both
// pages' own work, without IPC or two processes competing for the cores),
// JSFLAGS (V8 flags passed to Chromium as --js-flags, for trials such as
// --no-wasm-tier-up).
// Ports 9610-9613 and admin localhost:2699 (with CADDY_B also 9614-9617
// and localhost:2700) must be free.
package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/caddybridge/caddy-bridge/internal/chromium"
)

//go:embed pages/*.html pages/*.js
var pages embed.FS

// The sites. 127.0.0.1 and localhost are different sites, so the iframe
// runs in its own renderer process.
const (
	portA     = 9610 // parent: ours v2 at /, baselines under /base/
	portB     = 9611 // embed of portA
	portC     = 9612 // parent: ours v1 (signing off)
	portD     = 9613 // embed of portC
	adminAddr = "localhost:2699"

	// With CADDY_B, a second Caddy (another build of the runtime) serves
	// ours v2 and ours v1 (signing off) on these.
	portE      = 9614 // parent: ours v2 (B)
	portF      = 9615 // embed of portE
	portG      = 9616 // parent: ours v1 (B), signing off
	portH      = 9617 // embed of portG
	adminAddrB = "localhost:2700"
)

var (
	originA = fmt.Sprintf("http://127.0.0.1:%d", portA)
	originB = fmt.Sprintf("http://localhost:%d", portB)
	originC = fmt.Sprintf("http://127.0.0.1:%d", portC)
	originD = fmt.Sprintf("http://localhost:%d", portD)
	originE = fmt.Sprintf("http://127.0.0.1:%d", portE)
	originF = fmt.Sprintf("http://localhost:%d", portF)
	originG = fmt.Sprintf("http://127.0.0.1:%d", portG)
	originH = fmt.Sprintf("http://localhost:%d", portH)
)

// variant is one way of talking to the iframe. Every parent page defines
// window.bench = {ready, call(p), info()}: ready resolves to
// performance.now() when the peer is ready, call echoes p through the
// iframe, info returns the bridge's stats() (ours) or {}.
type variant struct {
	label   string
	url     string
	diagURL string // "" when the variant has no port to stamp
	version int    // the stats().version ours must report; 0 for baselines
	// readyOnly variants are loaded for ready times only, not timed for
	// round trips.
	readyOnly bool
}

var (
	rawWindow = &variant{label: "raw window", url: originA + "/base/raw-window.html"}
	rawPort   = &variant{label: "raw port", url: originA + "/base/raw-port.html", diagURL: originA + "/base/raw-port-diag.html"}
	penpal    = &variant{label: "penpal 7", url: originA + "/base/penpal.html", diagURL: originA + "/base/penpal-diag.html"}
	signedJS  = &variant{label: "signed JS floor", url: originA + "/base/signed.html", diagURL: originA + "/base/signed-diag.html"}
	oursV2    = &variant{label: "ours v2 signed", url: originA + "/index.html", diagURL: originA + "/index-diag.html", version: 2}
	oursV1    = &variant{label: "ours v1 (off)", url: originC + "/index.html", version: 1}
	oursV2B   = &variant{label: "ours v2 (B)", url: originE + "/index.html", diagURL: originE + "/index-diag.html", version: 2}
	oursV1B   = &variant{label: "ours v1 (B)", url: originG + "/index.html", version: 1}
	variants  = []*variant{rawWindow, rawPort, penpal, signedJS, oursV2, oursV1}

	// goFloor is the raw window handshake made after each page has
	// fetched, compiled and started a Go program that only registers one
	// function (gofloor/): the ready time of any bridge written in Go for
	// GOOS=js, before its own work.
	goFloor = &variant{label: "Go js/wasm floor", url: originA + "/base/gofloor.html", readyOnly: true}
)

// readyVariants are the variants of the ready-time loads.
func readyVariants() []*variant { return append(slices.Clone(variants), goFloor) }

// burnedPort is the raw port echo with ours' own CPU work added: the
// pages busy-wait, at the same three points, as long as ours' diag pages
// measured for send, child and receive (its URL is set once they have).
// Round trips of it beside ours tell how much of ours' round trip that
// CPU work explains.
var burnedPort = &variant{label: "port + ours' CPU"}

type config struct {
	rounds, n, warmup, loads int
	payload                  int // PAYLOAD: characters added to the echoed string
	diag, profile            bool
	sameProcess              bool // SAMEPROCESS: no site isolation, so both pages share one renderer
	diagRounds               int
	isolate                  bool
	caddy, chromium          string
	caddyB                   string // CADDY_B: a second Caddy, whose runtime runs as "ours v2 (B)" and "ours v1 (B)"
	jsFlags                  string // JSFLAGS: V8 flags for Chromium's --js-flags
	limit                    time.Duration
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/browser: FAIL:", err)
		os.Exit(1)
	}
}

func envInt(name string, def, min int) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < min {
		return 0, fmt.Errorf("%s=%q: want an integer >= %d", name, s, min)
	}
	return v, nil
}

func loadConfig() (config, error) {
	var c config
	var err error
	for _, p := range []struct {
		name     string
		dst      *int
		def, min int
	}{
		{"ROUNDS", &c.rounds, 8, 1},
		{"N", &c.n, 300, 10},
		{"WARMUP", &c.warmup, 50, 0},
		{"LOADS", &c.loads, 15, 1},
		{"DIAG_ROUNDS", &c.diagRounds, 2, 1},
		{"PAYLOAD", &c.payload, 0, 0},
	} {
		if *p.dst, err = envInt(p.name, p.def, p.min); err != nil {
			return c, err
		}
	}
	diag, err := envInt("DIAG", 1, 0)
	if err != nil {
		return c, err
	}
	isolate, err := envInt("ISOLATE", 1, 0)
	if err != nil {
		return c, err
	}
	profile, err := envInt("PROFILE", 0, 0)
	if err != nil {
		return c, err
	}
	same, err := envInt("SAMEPROCESS", 0, 0)
	if err != nil {
		return c, err
	}
	c.diag, c.isolate, c.profile, c.sameProcess = diag != 0, isolate != 0, profile != 0, same != 0
	c.caddy = os.Getenv("CADDY")
	c.caddyB = os.Getenv("CADDY_B")
	c.jsFlags = os.Getenv("JSFLAGS")
	c.chromium = os.Getenv("CHROMIUM")
	if c.chromium == "" {
		c.chromium = chromium.DefaultPath
	}
	c.limit = 10 * time.Minute
	if s := os.Getenv("LIMIT"); s != "" {
		if c.limit, err = time.ParseDuration(s); err != nil || c.limit <= 0 {
			return c, fmt.Errorf("LIMIT=%q: want a positive duration", s)
		}
	}
	return c, nil
}

func run() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.chromium); err != nil {
		return fmt.Errorf("Chromium not found at %s (apt-get install chromium, or set CHROMIUM): %w", cfg.chromium, err)
	}
	npm, err := readNPM()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.limit)
	defer cancel()

	addrs := []string{fmt.Sprint("127.0.0.1:", portA), fmt.Sprint("127.0.0.1:", portB), fmt.Sprint("127.0.0.1:", portC), fmt.Sprint("127.0.0.1:", portD), adminAddr}
	if cfg.caddyB != "" {
		addrs = append(addrs, fmt.Sprint("127.0.0.1:", portE), fmt.Sprint("127.0.0.1:", portF), fmt.Sprint("127.0.0.1:", portG), fmt.Sprint("127.0.0.1:", portH), adminAddrB)
		variants = append(variants, oursV2B, oursV1B)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, 300*time.Millisecond); err == nil {
			c.Close()
			return fmt.Errorf("%s is already in use", a)
		}
	}

	work, err := os.MkdirTemp("", "bench-browser-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	if cfg.caddy == "" {
		cfg.caddy = filepath.Join(work, "caddy")
		fmt.Fprintln(os.Stderr, "building ./cmd/caddy")
		b := exec.CommandContext(ctx, "go", "build", "-o", cfg.caddy, "./cmd/caddy")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/caddy: %w", err)
		}
	}
	if err := writeSites(work, npm); err != nil {
		return err
	}
	if err := writeGoFloor(ctx, work); err != nil {
		return err
	}
	caddyfile := filepath.Join(work, "Caddyfile")
	if err := os.WriteFile(caddyfile, []byte(caddyConfig(work, cfg.isolate, false)), 0o644); err != nil {
		return err
	}
	caddy, err := startCaddy(ctx, cfg.caddy, caddyfile, work, "caddy.log", rawWindow.url, oursV2.url, originB+"/child.html", oursV1.url, originD+"/child.html")
	if err != nil {
		return err
	}
	defer caddy.stop()
	if cfg.caddyB != "" {
		caddyfileB := filepath.Join(work, "Caddyfile.b")
		if err := os.WriteFile(caddyfileB, []byte(caddyConfig(work, cfg.isolate, true)), 0o644); err != nil {
			return err
		}
		caddyB, err := startCaddy(ctx, cfg.caddyB, caddyfileB, work, "caddy-b.log", oursV2B.url, originF+"/child.html", oursV1B.url, originH+"/child.html")
		if err != nil {
			return fmt.Errorf("CADDY_B: %w", err)
		}
		defer caddyB.stop()
	}

	b, err := newBench(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.close()
	if cfg.profile {
		if b.wasmNames, err = wasmNames(ctx, work); err != nil {
			fmt.Fprintf(os.Stderr, "profiles will not name WebAssembly functions: %v\n", err)
		}
	}
	return b.run()
}

// ---- sites ------------------------------------------------------------------

// npmFiles are the files from bench/browser/node_modules that the baseline
// pages import, by the name they are served under in /base/.
var npmFiles = map[string]string{
	"penpal.mjs":     "penpal/dist/penpal.mjs",
	"noble/hmac.js":  "@noble/hashes/hmac.js",
	"noble/sha2.js":  "@noble/hashes/sha2.js",
	"noble/_md.js":   "@noble/hashes/_md.js",
	"noble/_u64.js":  "@noble/hashes/_u64.js",
	"noble/utils.js": "@noble/hashes/utils.js",
}

// readNPM reads npmFiles.
func readNPM() (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, file := range npmFiles {
		b, err := os.ReadFile(filepath.Join("bench", "browser", "node_modules", filepath.FromSlash(file)))
		if err != nil {
			return nil, fmt.Errorf("%s from npm: run `npm ci` in bench/browser, and run this from the repository root: %w", file, err)
		}
		out[name] = b
	}
	return out, nil
}

// writeSites writes the four sites' pages under work/a … work/d. Every
// page exists twice: plain, and as *-diag with the stamps of diag.html.
// The baselines' sites also get the npm files and signed.js under /base/.
func writeSites(work string, npm map[string][]byte) error {
	read := func(name string) (string, error) {
		b, err := pages.ReadFile("pages/" + name)
		return string(b), err
	}
	diagTmpl, err := read("diag.html")
	if err != nil {
		return err
	}
	type page struct{ tmpl, site, path string }
	pair := func(parent, embed string, baselines bool) []page {
		ps := []page{{"parent-ours.html", parent, "index"}, {"child-ours.html", embed, "child"}}
		if baselines {
			for _, k := range []string{"raw-window", "raw-port", "penpal", "signed", "gofloor"} {
				ps = append(ps, page{"parent-" + k + ".html", parent, "base/" + k}, page{"child-" + k + ".html", embed, "base/" + k + "-child"})
			}
		}
		return ps
	}
	all := append(append(append(pair("a", "b", true), pair("c", "d", false)...), pair("e", "f", false)...), pair("g", "h", false)...)
	origins := map[string][2]string{"a": {originA, originB}, "b": {originA, originB}, "c": {originC, originD}, "d": {originC, originD}, "e": {originE, originF}, "f": {originE, originF}, "g": {originG, originH}, "h": {originG, originH}}
	for _, p := range all {
		tmpl, err := read(p.tmpl)
		if err != nil {
			return err
		}
		o := origins[p.site]
		for _, suffix := range []string{"", "-diag"} {
			diag := ""
			if suffix != "" {
				diag = diagTmpl
			}
			r := strings.NewReplacer("{{DIAG}}", diag, "{{SUFFIX}}", suffix)
			text := strings.NewReplacer("{{PARENT}}", o[0], "{{EMBED}}", o[1]).Replace(r.Replace(tmpl))
			name := filepath.Join(work, p.site, p.path+suffix+".html")
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
				return err
			}
		}
	}
	signed, err := pages.ReadFile("pages/signed.js")
	if err != nil {
		return err
	}
	for _, s := range []string{"a", "b"} {
		files := map[string][]byte{"signed.js": signed}
		maps.Copy(files, npm)
		for name, b := range files {
			file := filepath.Join(work, s, "base", filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(file, b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeGoFloor builds gofloor/ as the runtime is built (GOOS=js
// GOARCH=wasm, -trimpath, -ldflags=-s -w), compresses it with brotli at
// the runtime's level, and writes it with the wasm_exec.js of the Go
// release that built it under /base/ of the baselines' two sites.
func writeGoFloor(ctx context.Context, work string) error {
	wasm := filepath.Join(work, "gofloor.wasm")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, "./bench/browser/gofloor")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building bench/browser/gofloor: %w\n%s", err, out)
	}
	code, err := os.ReadFile(wasm)
	if err != nil {
		return err
	}
	var br bytes.Buffer
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	if _, err := bw.Write(code); err != nil {
		return err
	}
	if err := bw.Close(); err != nil {
		return err
	}
	root, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	execJS, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	for _, s := range []string{"a", "b"} {
		for name, b := range map[string][]byte{"gofloor.wasm": code, "gofloor.wasm.br": br.Bytes(), "wasm_exec.js": execJS} {
			if err := os.WriteFile(filepath.Join(work, s, "base", name), b, 0o644); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(os.Stderr, "Go js/wasm floor: %d bytes, %d brotli\n", len(code), br.Len())
	return nil
}

// caddyConfig is the Caddyfile of the four sites. On 9610/9611 the bridge
// is off under /base/ (the baselines); 9612/9613 have signing off. With
// second, it is the Caddyfile of CADDY_B's four sites (9614/9615, ours v2;
// 9616/9617, ours v1 with signing off).
func caddyConfig(work string, isolate, second bool) string {
	iso := ""
	if isolate {
		iso = `
	header {
		Cross-Origin-Opener-Policy same-origin
		Cross-Origin-Embedder-Policy require-corp
		Cross-Origin-Resource-Policy cross-origin
	}`
	}
	site := func(origin, dir, role, peer, block string, baselines bool) string {
		matcher, m, fs := "", "", "file_server"
		if baselines {
			matcher, m = "\n\t@bridged not path /base/*", " @bridged"
			// The Go floor's program is served as the runtime is:
			// brotli-compressed ahead of time, immutable.
			matcher += "\n\theader /base/gofloor.wasm Cache-Control \"public, max-age=31536000, immutable\""
			fs = "file_server {\n\t\tprecompressed br\n\t}"
		}
		return fmt.Sprintf(`
%s {%s
	bridge%s {
		%s %s%s
		allow_insecure_localhost
	}%s
	root * %s
	%s
}
`, origin, matcher, m, role, peer, block, iso, filepath.Join(work, dir), fs)
	}
	off := " {\n\t\t\tsigning off\n\t\t}"
	admin, storage := adminAddr, "storage"
	if second {
		admin, storage = adminAddrB, "storage-b"
	}
	head := fmt.Sprintf(`{
	admin %s
	persist_config off
	auto_https off
	skip_install_trust
	default_bind 127.0.0.1 [::1]
	storage file_system %s
}
`, admin, filepath.Join(work, storage))
	if second {
		return head + site(originE, "e", "embed", originF, "", false) + site(originF, "f", "parent", originE, "", false) +
			site(originG, "g", "embed", originH, off, false) + site(originH, "h", "parent", originG, off, false)
	}
	return head +
		site(originA, "a", "embed", originB, "", true) +
		site(originB, "b", "parent", originA, "", true) +
		site(originC, "c", "embed", originD, off, false) +
		site(originD, "d", "parent", originC, off, false)
}

type caddyProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
}

// startCaddy runs Caddy and waits (20 s at most) until every site serves
// its page.
// startCaddy runs bin with caddyfile, logging to work/logName, and waits
// until it serves every probe URL.
func startCaddy(ctx context.Context, bin, caddyfile, work, logName string, probes ...string) (*caddyProc, error) {
	logName = filepath.Join(work, logName)
	logFile, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "run", "--config", caddyfile, "--adapter", "caddyfile")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "HOME="+work, "XDG_CONFIG_HOME="+filepath.Join(work, "config"), "XDG_DATA_HOME="+filepath.Join(work, "data"))
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting caddy: %w", err)
	}
	p := &caddyProc{cmd: cmd, exited: make(chan struct{}), log: logName}
	go func() {
		cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for len(probes) > 0 {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("caddy exited:\n%s", p.tail())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("caddy did not serve %s within 20 s:\n%s", probes[0], p.tail())
		}
		if res, err := client.Get(probes[0]); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				probes = probes[1:]
				continue
			}
		}
		time.Sleep(50 * time.Millisecond) // polling interval, bounded by the deadline
	}
	return p, nil
}

func (p *caddyProc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop ends Caddy: SIGTERM, then SIGKILL after 10 s.
func (p *caddyProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// ---- browser ----------------------------------------------------------------

type bench struct {
	cfg       config
	ctx       context.Context // the run's limit
	bctx      context.Context // the browser and its main tab
	closeFns  []func()
	chromeVer string

	rt      map[*variant][]float64  // round trips, ms
	rtRound map[*variant][]float64  // per-round medians
	cold    map[*variant][]float64  // ready, ms
	warm    map[*variant][]float64  // ready, ms
	diag    map[*variant][]diagTrip // stamped trips
	burn    diagTrip                // the medians of ours v2's diag trips (burnedPort burns send, child, recv)
	burnRT  map[*variant][]float64  // round trips of ours v2 and burnedPort, alternated

	wasmNames map[int]string // PROFILE: function names of the runtime
}

type diagTrip struct{ total, send, hops, child, recv, post float64 }

// medianTrip returns the median of each part of trips, part by part.
func medianTrip(trips []diagTrip) diagTrip {
	col := func(f func(diagTrip) float64) float64 {
		xs := make([]float64, len(trips))
		for i, t := range trips {
			xs[i] = f(t)
		}
		return median(xs)
	}
	return diagTrip{
		total: col(func(t diagTrip) float64 { return t.total }), send: col(func(t diagTrip) float64 { return t.send }),
		hops: col(func(t diagTrip) float64 { return t.hops }), child: col(func(t diagTrip) float64 { return t.child }),
		recv: col(func(t diagTrip) float64 { return t.recv }), post: col(func(t diagTrip) float64 { return t.post }),
	}
}

func newBench(ctx context.Context, cfg config) (*bench, error) {
	opts := chromium.Options(cfg.chromium)
	if cfg.sameProcess {
		opts = append(opts, chromedp.Flag("disable-site-isolation-trials", true))
	}
	if cfg.jsFlags != "" {
		opts = append(opts, chromedp.Flag("js-flags", cfg.jsFlags))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	b := &bench{cfg: cfg, ctx: ctx, bctx: bctx, closeFns: []func(){cancelBrowser, cancelAlloc},
		rt: map[*variant][]float64{}, rtRound: map[*variant][]float64{}, cold: map[*variant][]float64{},
		warm: map[*variant][]float64{}, diag: map[*variant][]diagTrip{}, burnRT: map[*variant][]float64{}}
	if err := startTab(bctx, 30*time.Second); err != nil {
		b.close()
		return nil, fmt.Errorf("starting Chromium: %w", err)
	}
	vctx, cancel := stepCtx(bctx, 5*time.Second)
	defer cancel()
	if v, err := chromedp.CallBrowser(vctx, browser.GetVersion, cdp.Empty{}); err == nil {
		b.chromeVer = v.Product
	}
	return b, nil
}

func (b *bench) close() {
	for _, f := range b.closeFns {
		f()
	}
}

// startTab runs the first action on a chromedp context (which binds the
// tab, or the browser, to that context, so it cannot carry a deadline
// itself) and bounds it with limit.
func startTab(ctx context.Context, limit time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		return fmt.Errorf("no tab after %v", limit)
	}
}

func stepCtx(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, d)
}

// load navigates the tab of ctx to v's page (or its diag page) and
// returns the ready time the page measured.
func load(ctx context.Context, v *variant, diag bool) (float64, error) {
	url := v.url
	if diag {
		url = v.diagURL
	}
	c, cancel := stepCtx(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Navigate(url)); err != nil {
		return 0, fmt.Errorf("%s: navigate %s: %w", v.label, url, err)
	}
	c2, cancel2 := stepCtx(ctx, 25*time.Second)
	defer cancel2()
	ready, err := chromedp.Run(c2, chromedp.Evaluate[float64](`(async () => {
		const limit = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(what + " after " + ms + " ms")), ms));
		const has = new Promise((resolve) => { (function wait() { if (window.bench) resolve(); else setTimeout(wait, 5); })(); });
		await Promise.race([has, limit(10000, "no window.bench")]);
		return await Promise.race([window.bench.ready, limit(15000, "not ready")]);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		info, _ := chromedp.Run(c2, chromedp.Evaluate[json.RawMessage](`window.bench ? window.bench.info() : null`))
		return 0, fmt.Errorf("%s: ready: %w (info %s)", v.label, err, info)
	}
	if !(ready > 0) {
		return 0, fmt.Errorf("%s: ready time %v", v.label, ready)
	}
	return ready, nil
}

// pageCheck is what every loaded variant must satisfy.
type pageCheck struct {
	Isolated bool            `json:"isolated"`
	Info     json.RawMessage `json:"info"`
}

func (b *bench) check(ctx context.Context, v *variant) error {
	c, cancel := stepCtx(ctx, 10*time.Second)
	defer cancel()
	pc, err := chromedp.Run(c, chromedp.Evaluate[pageCheck](`({ isolated: self.crossOriginIsolated, info: window.bench.info() })`))
	if err != nil {
		return fmt.Errorf("%s: %w", v.label, err)
	}
	if b.cfg.isolate && !pc.Isolated {
		return fmt.Errorf("%s: the page is not cross-origin isolated (timer resolution would be 100 µs); ISOLATE=0 to run without", v.label)
	}
	if v.version != 0 {
		var st struct {
			State   string `json:"state"`
			Version int    `json:"version"`
			Dropped int    `json:"dropped"`
		}
		if err := json.Unmarshal(pc.Info, &st); err != nil {
			return fmt.Errorf("%s: stats %s: %w", v.label, pc.Info, err)
		}
		if st.Version != v.version || st.State != "ready" {
			return fmt.Errorf("%s: stats() says version %d, state %q, want version %d, ready (%s)", v.label, st.Version, st.State, v.version, pc.Info)
		}
	}
	return nil
}

type trips struct {
	T      []float64 `json:"t"`
	Bad    int       `json:"bad"`
	Sample string    `json:"sample"`
}

// roundTrips runs warmup + n echo requests in the loaded page of ctx.
func (b *bench) roundTrips(ctx context.Context, v *variant, n, warmup int) ([]float64, error) {
	c, cancel := stepCtx(ctx, 120*time.Second)
	defer cancel()
	t, err := chromedp.Run(c, chromedp.Evaluate[trips](fmt.Sprintf(`(async () => {
		const B = window.bench, W = %d, N = %d, S = "hello" + "x".repeat(%d);
		let bad = 0, sample = "";
		const check = (r, i) => {
			if (r && r.n === i && r.s === S && Object.keys(r).length === 2) return;
			bad++;
			if (!sample) sample = JSON.stringify(r) + " for n=" + i;
		};
		for (let i = 0; i < W; i++) check(await B.call({ n: i, s: S }), i);
		const t = new Array(N);
		for (let i = 0; i < N; i++) {
			const p = { n: W + i, s: S };
			const t0 = performance.now();
			const r = await B.call(p);
			t[i] = performance.now() - t0;
			check(r, W + i);
		}
		return { t, bad, sample };
	})()`, warmup, n, b.cfg.payload), chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("%s: round trips: %w", v.label, err)
	}
	if t.Bad != 0 || len(t.T) != n {
		return nil, fmt.Errorf("%s: %d wrong echo answers (first: %s), %d timings", v.label, t.Bad, t.Sample, len(t.T))
	}
	return t.T, nil
}

type diagResult struct {
	Rows  [][7]float64 `json:"rows"`
	Bad   int          `json:"bad"`
	Child struct {
		Sends    []float64 `json:"sends"`
		Sent     []float64 `json:"sent"`
		Recvs    []float64 `json:"recvs"`
		Isolated bool      `json:"isolated"`
	} `json:"child"`
}

// diagTrips runs stamped round trips in a loaded diag page.
func (b *bench) diagTrips(ctx context.Context, v *variant) ([]diagTrip, error) {
	c, cancel := stepCtx(ctx, 120*time.Second)
	defer cancel()
	r, err := chromedp.Run(c, chromedp.Evaluate[diagResult](fmt.Sprintf(`(async () => {
		const B = window.bench, D = window.__diag, W = %d, N = %d, S = "hello" + "x".repeat(%d);
		let bad = 0;
		for (let i = 0; i < W; i++) await B.call({ n: i, s: S });
		const rows = [];
		for (let i = 0; i < N; i++) {
			const p = { n: W + i, s: S };
			const s0 = D.sends.length, r0 = D.recvs.length;
			const t0 = performance.now();
			const r = await B.call(p);
			const t2 = performance.now();
			if (!r || r.n !== W + i || r.s !== S) bad++;
			rows.push([t0, D.sends[s0], D.recvs[D.recvs.length - 1], D.sent[s0], t2, D.sends.length - s0, D.recvs.length - r0]);
		}
		const child = await Promise.race([window.__diagChild(), new Promise((_, reject) => setTimeout(() => reject(new Error("no child dump")), 10000))]);
		return { rows, bad, child };
	})()`, b.cfg.warmup, b.cfg.n, b.cfg.payload), chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("%s: diag round trips: %w", v.label, err)
	}
	if r.Bad != 0 || len(r.Rows) != b.cfg.n {
		return nil, fmt.Errorf("%s: diag: %d wrong answers, %d rows", v.label, r.Bad, len(r.Rows))
	}
	if b.cfg.isolate && !r.Child.Isolated {
		return nil, fmt.Errorf("%s: diag: the iframe is not cross-origin isolated", v.label)
	}
	n := b.cfg.n
	cs, cd, cr := r.Child.Sends, r.Child.Sent, r.Child.Recvs
	if len(cs) < n || len(cd) != len(cs) || len(cr) < n {
		return nil, fmt.Errorf("%s: diag: the child stamped %d sends, %d receives for %d trips", v.label, len(cs), len(cr), n)
	}
	cs, cd, cr = cs[len(cs)-n:], cd[len(cd)-n:], cr[len(cr)-n:]
	out := make([]diagTrip, 0, n)
	for i, row := range r.Rows {
		t0, tS, tR, tD, t2, ns, nr := row[0], row[1], row[2], row[3], row[4], row[5], row[6]
		if ns != 1 || nr != 1 {
			return nil, fmt.Errorf("%s: diag: trip %d made %v port sends and %v port receipts in the parent, want 1 and 1", v.label, i, ns, nr)
		}
		child := cs[i] - cr[i]
		out = append(out, diagTrip{total: t2 - t0, send: tS - t0, hops: tR - tS - child, child: child, recv: t2 - tR, post: (tD - tS) + (cd[i] - cs[i])})
	}
	return out, nil
}

// inTab runs f in a new tab: in the default browser context (whose HTTP
// cache the earlier loads filled), or with cold in a new browser context
// (empty cache), which ends with the tab.
func (b *bench) inTab(cold bool, f func(ctx context.Context) error) error {
	var opts []chromedp.ContextOption
	if cold {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(b.bctx, opts...)
	defer cancel()
	if err := startTab(ctx, 20*time.Second); err != nil {
		return fmt.Errorf("new tab: %w", err)
	}
	return f(ctx)
}

// order is the order of the variants in round r: rotated by r, and
// reversed in odd rounds.
func order(vs []*variant, r int) []*variant {
	out := make([]*variant, len(vs))
	for i := range vs {
		out[i] = vs[(i+r)%len(vs)]
	}
	if r%2 == 1 {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

func (b *bench) alive() error {
	if err := b.ctx.Err(); err != nil {
		return fmt.Errorf("run limit (LIMIT=%v) or interrupt: %w", b.cfg.limit, err)
	}
	return nil
}

func (b *bench) run() error {
	cfg := b.cfg
	start := time.Now()
	fmt.Printf("caddy-bridge browser benchmarks: %s, %d CPUs, load average %s\n", b.chromeVer, runtime.NumCPU(), loadAvg())
	res := "100 µs (not isolated)"
	if cfg.isolate {
		res = "5 µs (cross-origin isolated)"
	}
	if cfg.sameProcess {
		fmt.Println("SAMEPROCESS: site isolation is off, so the parent and the iframe share one renderer and one main thread:\na round trip is both pages' work plus an in-process dispatch, without IPC or the two processes' contention")
	}
	if cfg.jsFlags != "" {
		fmt.Printf("JSFLAGS: Chromium runs with --js-flags=%q\n", cfg.jsFlags)
	}
	fmt.Printf("timer resolution %s; round trips: %d rounds × %d timed (+%d warm-up) per variant; ready: %d cold + %d warm loads per variant\n",
		res, cfg.rounds, cfg.n, cfg.warmup, cfg.loads, cfg.loads)
	fmt.Printf("echoed payload: {n, s} with s %d characters long\n\n", 5+cfg.payload)

	// Smoke: every variant loads, answers correctly and says its version;
	// this also fills the default context's cache for the warm loads.
	for _, v := range readyVariants() {
		err := b.inTab(false, func(ctx context.Context) error {
			if _, err := load(ctx, v, false); err != nil {
				return err
			}
			if err := b.check(ctx, v); err != nil {
				return err
			}
			_, err := b.roundTrips(ctx, v, 10, 0)
			return err
		})
		if err != nil {
			return fmt.Errorf("smoke: %w", err)
		}
	}
	fmt.Fprintf(os.Stderr, "all %d variants work (%.1fs)\n", len(readyVariants()), time.Since(start).Seconds())

	// 1. Round trips.
	for r := 0; r < cfg.rounds; r++ {
		for _, v := range order(variants, r) {
			if err := b.alive(); err != nil {
				return err
			}
			err := b.inTab(false, func(ctx context.Context) error {
				if _, err := load(ctx, v, false); err != nil {
					return err
				}
				t, err := b.roundTrips(ctx, v, cfg.n, cfg.warmup)
				if err != nil {
					return err
				}
				if err := b.check(ctx, v); err != nil {
					return err
				}
				b.rt[v] = append(b.rt[v], t...)
				b.rtRound[v] = append(b.rtRound[v], median(t))
				return nil
			})
			if err != nil {
				return fmt.Errorf("round trips: %w", err)
			}
		}
		fmt.Fprintf(os.Stderr, "round trips: round %d/%d done (%.1fs)\n", r+1, cfg.rounds, time.Since(start).Seconds())
	}

	// 2. Ready, cold and warm, interleaved.
	for l := 0; l < cfg.loads; l++ {
		for _, v := range order(readyVariants(), l) {
			for _, cold := range []bool{l%2 == 0, l%2 == 1} {
				if err := b.alive(); err != nil {
					return err
				}
				err := b.inTab(cold, func(ctx context.Context) error {
					ready, err := load(ctx, v, false)
					if err != nil {
						return err
					}
					if err := b.check(ctx, v); err != nil {
						return err
					}
					if cold {
						b.cold[v] = append(b.cold[v], ready)
					} else {
						b.warm[v] = append(b.warm[v], ready)
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("ready (cold %v): %w", cold, err)
				}
			}
		}
		if (l+1)%4 == 0 || l+1 == cfg.loads {
			fmt.Fprintf(os.Stderr, "ready: %d/%d loads done (%.1fs)\n", l+1, cfg.loads, time.Since(start).Seconds())
		}
	}

	// 3. Where a port round trip's time goes.
	diagVs := []*variant{rawPort, penpal, signedJS, oursV2}
	if cfg.caddyB != "" {
		diagVs = append(diagVs, oursV2B)
	}
	if cfg.diag {
		for r := 0; r < cfg.diagRounds; r++ {
			for _, v := range order(diagVs, r) {
				if err := b.alive(); err != nil {
					return err
				}
				err := b.inTab(false, func(ctx context.Context) error {
					if _, err := load(ctx, v, true); err != nil {
						return err
					}
					d, err := b.diagTrips(ctx, v)
					b.diag[v] = append(b.diag[v], d...)
					return err
				})
				if err != nil {
					return err
				}
			}
		}
		if err := b.burned(); err != nil {
			return err
		}
	}

	// 4. CPU profiles of ours.
	var profiles []profileReport
	if cfg.profile {
		for _, v := range []*variant{oursV2, oursV1} {
			if err := b.alive(); err != nil {
				return err
			}
			err := b.inTab(false, func(ctx context.Context) error {
				p, err := b.profile(ctx, v)
				profiles = append(profiles, p...)
				return err
			})
			if err != nil {
				return fmt.Errorf("profile: %w", err)
			}
		}
	}

	b.report(diagVs)
	for _, p := range profiles {
		p.print()
	}
	fmt.Printf("\n(%.0f s, load average now %s; compare figures within one run only)\n", time.Since(start).Seconds(), loadAvg())
	return nil
}

// loadAvg is the first three fields of /proc/loadavg, or "?".
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// ---- report -----------------------------------------------------------------

func sorted(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}

func median(xs []float64) float64 {
	s := sorted(xs)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// pct is the nearest-rank percentile p (0-100).
func pct(xs []float64, p float64) float64 {
	s := sorted(xs)
	if len(s) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// roundRatio is the median over rounds of a's round median / b's.
func (b *bench) roundRatio(x, y *variant) float64 {
	var rs []float64
	for i := range b.rtRound[x] {
		rs = append(rs, b.rtRound[x][i]/b.rtRound[y][i])
	}
	return median(rs)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func (b *bench) report(diagVs []*variant) {
	fmt.Println("Request round trip (ms; all samples of all rounds)")
	fmt.Printf("  %-16s %8s %8s %8s   %s\n", "variant", "median", "p99", "mean", "round medians min..max")
	for _, v := range variants {
		rm := sorted(b.rtRound[v])
		fmt.Printf("  %-16s %8.3f %8.3f %8.3f   %.3f..%.3f\n", v.label, median(b.rt[v]), pct(b.rt[v], 99), mean(b.rt[v]), rm[0], rm[len(rm)-1])
	}
	ratio := func(x, y *variant) (float64, float64) {
		return median(b.rt[x]) / median(b.rt[y]), b.roundRatio(x, y)
	}
	fmt.Println("\n  ratios of medians (overall; median of per-round ratios), goal")
	type ratioRow struct {
		x, y *variant
		goal float64
	}
	var extra []ratioRow
	if len(b.rt[oursV2B]) > 0 {
		extra = append(extra, ratioRow{oursV2, oursV2B, 0}, ratioRow{oursV1, oursV1B, 0})
	}
	for _, g := range append([]ratioRow{
		{oursV2, rawPort, 1.3},
		{oursV2, penpal, 1.0},
		{oursV2, signedJS, 0},
		{oursV1, rawWindow, 1.1},
		{penpal, rawPort, 0},
		{signedJS, rawPort, 0},
		{rawWindow, rawPort, 0},
	}, extra...) {
		o, r := ratio(g.x, g.y)
		goal := ""
		if g.goal > 0 {
			goal = fmt.Sprintf("goal <= %.1fx: %s", g.goal, verdict(o <= g.goal))
		}
		fmt.Printf("  %-16s / %-15s %6.2fx  %6.2fx   %s\n", g.x.label, g.y.label, o, r, goal)
	}

	fmt.Println("\nReady (ms since the parent's navigation start; median [p90])")
	fmt.Printf("  %-16s %18s %18s %10s %10s\n", "variant", "cold", "warm", "cold/raw", "warm/raw")
	rc, rw := median(b.cold[rawWindow]), median(b.warm[rawWindow])
	for _, v := range readyVariants() {
		c, w := median(b.cold[v]), median(b.warm[v])
		fmt.Printf("  %-16s %8.1f [%7.1f] %8.1f [%7.1f] %9.2fx %9.2fx\n", v.label, c, pct(b.cold[v], 90), w, pct(b.warm[v], 90), c/rc, w/rw)
	}
	for _, v := range []*variant{oursV2, oursV1} {
		c, w := median(b.cold[v])/rc, median(b.warm[v])/rw
		fmt.Printf("  goal %-14s warm <= 1.2x raw: %.2fx %s; cold <= 1.6x raw: %.2fx %s\n", v.label, w, verdict(w <= 1.2), c, verdict(c <= 1.6))
	}
	gc, gw := median(b.cold[goFloor]), median(b.warm[goFloor])
	fmt.Printf("  %s (a Go program that only registers one function, in each page): %.2fx raw cold, %.2fx warm;\n", goFloor.label, gc/rc, gw/rw)
	fmt.Printf("  ours v2 signed over it: %.2fx cold, %.2fx warm\n", median(b.cold[oursV2])/gc, median(b.warm[oursV2])/gw)

	if len(b.diag) == 0 {
		return
	}
	fmt.Println("\nWhere a port round trip goes (diag pages stamp MessagePort sends and handlers; medians, ms)")
	fmt.Println("  send = caller → port.postMessage called in the parent; hops = both port hops, from each postMessage call")
	fmt.Println("  to the peer's handler (of which 'in post' is spent inside the two postMessage calls themselves);")
	fmt.Println("  child = child's port handler entry → its answer's postMessage; receive = parent's handler entry → caller resumes.")
	fmt.Println("  When the cores are busy, a sender is often descheduled inside postMessage while its peer runs, so")
	fmt.Println("  'in post' can include the peer's work; send + hops + child + receive is the critical path.")
	fmt.Printf("  %-16s %8s %8s %8s %8s %8s %8s\n", "variant", "total", "send", "hops", "in post", "child", "receive")
	for _, v := range diagVs {
		m := medianTrip(b.diag[v])
		fmt.Printf("  %-16s %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f\n", v.label, m.total, m.send, m.hops, m.post, m.child, m.recv)
	}
	if len(b.burnRT[burnedPort]) == 0 {
		return
	}
	o, p := median(b.burnRT[oursV2]), median(b.burnRT[burnedPort])
	fmt.Printf("\n  The raw port echo with ours' CPU work added (busy-waits of %.3f, %.3f and %.3f ms at send, child and\n", b.burn.send, b.burn.child, b.burn.recv)
	fmt.Println("  receive), alternated with ours in new tabs; round trip medians, ms:")
	fmt.Printf("  %-16s %8.3f\n  %-16s %8.3f   ours / it %.2fx: what ours costs beyond its measured stretches\n", oursV2.label, o, burnedPort.label, p, o/p)
}

// burned runs DIAG_ROUNDS alternated rounds of round trips of ours v2
// and of the raw port echo that burns ours' measured CPU (burnedPort).
func (b *bench) burned() error {
	b.burn = medianTrip(b.diag[oursV2])
	burnedPort.url = fmt.Sprintf("%s?burn=%.3f,%.3f,%.3f", rawPort.url, b.burn.send, b.burn.child, b.burn.recv)
	for r := 0; r < b.cfg.diagRounds*2; r++ {
		for _, v := range order([]*variant{oursV2, burnedPort}, r) {
			if err := b.alive(); err != nil {
				return err
			}
			err := b.inTab(false, func(ctx context.Context) error {
				if _, err := load(ctx, v, false); err != nil {
					return err
				}
				t, err := b.roundTrips(ctx, v, b.cfg.n, b.cfg.warmup)
				b.burnRT[v] = append(b.burnRT[v], t...)
				return err
			})
			if err != nil {
				return fmt.Errorf("burned port: %w", err)
			}
		}
	}
	return nil
}

// ---- CPU profiles (PROFILE=1) ---------------------------------------------------

type profRow struct {
	name        string
	self, total float64 // ms
}

type profileReport struct {
	title     string
	trips     int
	wall      float64 // ms of the whole profile
	busy      float64 // ms not idle
	self, inc []profRow
	kinds     map[string]float64 // self time by kindOf
}

// profile loads v, warms it up, then runs N round trips while V8's
// sampling profiler runs in the parent page and in the iframe's target.
func (b *bench) profile(ctx context.Context, v *variant) ([]profileReport, error) {
	if _, err := load(ctx, v, false); err != nil {
		return nil, err
	}
	if _, err := b.roundTrips(ctx, v, b.cfg.warmup+10, 0); err != nil {
		return nil, err
	}
	type side struct {
		name string
		ctx  context.Context
	}
	sides := []side{{"parent", ctx}}
	if b.cfg.sameProcess {
		// Both pages run on the parent's main thread, in its profile.
		sides[0].name = "parent and iframe (one process)"
	} else {
		parentID := chromedp.FromContext(ctx).Target.TargetID
		tctx, cancel := stepCtx(ctx, 10*time.Second)
		infos, err := chromedp.Targets(tctx)
		cancel()
		if err != nil {
			return nil, err
		}
		var childID target.ID
		for _, in := range infos {
			if in.Type == "iframe" && in.ParentID == parentID {
				childID = in.TargetID
			}
		}
		if childID == "" {
			return nil, fmt.Errorf("%s: no iframe target under the page %s", v.label, parentID)
		}
		cctx, cancelChild := chromedp.NewContext(ctx, chromedp.WithTargetID(childID), chromedp.WithDetachOnCancel())
		defer cancelChild()
		if err := startTab(cctx, 20*time.Second); err != nil {
			return nil, fmt.Errorf("%s: attaching to the iframe: %w", v.label, err)
		}
		sides = append(sides, side{"iframe", cctx})
	}
	for _, s := range sides {
		c, cancel := stepCtx(s.ctx, 10*time.Second)
		_, err := chromedp.Call(c, profiler.Enable, cdp.Empty{})
		if err == nil {
			_, err = chromedp.Call(c, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 25})
		}
		if err == nil {
			_, err = chromedp.Call(c, profiler.Start, cdp.Empty{})
		}
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s: profiler in the %s: %w", v.label, s.name, err)
		}
	}
	if _, err := b.roundTrips(ctx, v, b.cfg.n, 0); err != nil {
		return nil, err
	}
	var out []profileReport
	for _, s := range sides {
		c, cancel := stepCtx(s.ctx, 20*time.Second)
		res, err := chromedp.Call(c, profiler.Stop, cdp.Empty{})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s: profile of the %s: %w", v.label, s.name, err)
		}
		out = append(out, summarize(fmt.Sprintf("%s, %s", v.label, s.name), res.Profile, b.cfg.n, b.wasmNames))
	}
	return out, nil
}

// summarize adds up a V8 CPU profile's samples by function: self time
// (the function on top) and total time (anywhere on the stack).
func summarize(title string, p *profiler.Profile, trips int, wasm map[int]string) profileReport {
	r := profileReport{title: title, trips: trips}
	if p == nil || len(p.Nodes) == 0 {
		return r
	}
	nodes := map[int64]*profiler.ProfileNode{}
	parent := map[int64]int64{}
	for _, n := range p.Nodes {
		nodes[n.ID] = n
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	name := func(n *profiler.ProfileNode) string {
		f := n.CallFrame
		s := f.FunctionName
		if s == "" {
			s = "(anonymous)"
		}
		var idx int
		if _, err := fmt.Sscanf(s, "wasm-function[%d]", &idx); err == nil && wasm[idx] != "" {
			return wasm[idx] + " (wasm)"
		}
		if u := f.URL; u != "" {
			s += " " + u[strings.LastIndex(u, "/")+1:]
		}
		return s
	}
	self, inc := map[string]float64{}, map[string]float64{}
	foldDir := os.Getenv("FOLDED")
	folded := map[string]float64{} // FOLDED: time by whole stack, root first
	for i, id := range p.Samples {
		d := 0.0
		if i+1 < len(p.TimeDeltas) {
			d = float64(p.TimeDeltas[i+1]) / 1000
		}
		r.wall += d
		n := nodes[id]
		if n == nil {
			continue
		}
		top := name(n)
		if top == "(idle)" {
			continue
		}
		r.busy += d
		self[top] += d
		seen := map[string]bool{}
		var stack []string // leaf first
		for at, ok := id, true; ok; at, ok = parent[at] {
			s := name(nodes[at])
			if foldDir != "" {
				stack = append(stack, s)
			}
			if !seen[s] && s != "(root)" {
				seen[s] = true
				inc[s] += d
			}
		}
		if foldDir != "" {
			slices.Reverse(stack)
			folded[strings.Join(stack, ";")] += d
		}
	}
	if foldDir != "" {
		var sb strings.Builder
		for k, v := range folded {
			fmt.Fprintf(&sb, "%s %.4f\n", k, v/float64(trips))
		}
		file := filepath.Join(foldDir, strings.NewReplacer(" ", "_", ",", "", "(", "", ")", "").Replace(title)+".folded")
		if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "FOLDED: %v\n", err)
		}
	}
	rows := func(m map[string]float64) []profRow {
		var rs []profRow
		for k, v := range m {
			rs = append(rs, profRow{name: k, self: v})
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].self > rs[j].self })
		return rs[:min(len(rs), 16)]
	}
	r.self, r.inc = rows(self), rows(inc)
	r.kinds = map[string]float64{}
	for k, v := range self {
		r.kinds[kindOf(k)] += v
	}
	return r
}

// kindOf sorts a profile row by where its time goes: Go code, the
// JavaScript of bridge.js (wasm_exec's glue and the loader), the page,
// postMessage itself, other browser functions, V8 and Blink outside any
// JavaScript function ((program)), and the garbage collector.
func kindOf(name string) string {
	switch {
	case strings.HasSuffix(name, " (wasm)") || strings.HasPrefix(name, "wasm-function["):
		return "Go (wasm)"
	case strings.HasSuffix(name, " bridge.js"):
		return "bridge.js"
	case strings.HasSuffix(name, ".html"):
		return "page"
	case name == "postMessage":
		return "postMessage"
	case name == "(program)", name == "(garbage collector)":
		return name
	}
	return "other built-ins"
}

func (r profileReport) print() {
	fmt.Printf("\nCPU profile: %s, %d round trips: %.1f ms sampled, %.1f ms busy = %.3f ms per trip\n", r.title, r.trips, r.wall, r.busy, r.busy/float64(r.trips))
	kinds := make([]string, 0, len(r.kinds))
	for k := range r.kinds {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return r.kinds[kinds[i]] > r.kinds[kinds[j]] })
	fmt.Printf("  self time by kind, ms/trip:")
	for _, k := range kinds {
		fmt.Printf(" %s %.3f;", k, r.kinds[k]/float64(r.trips))
	}
	fmt.Println()
	for _, part := range []struct {
		title string
		rows  []profRow
	}{{"self time", r.self}, {"total time (anywhere on the stack)", r.inc}} {
		fmt.Printf("  ms/trip  %s\n", part.title)
		for _, row := range part.rows {
			fmt.Printf("  %7.4f  %s\n", row.self/float64(r.trips), trim(row.name, 110))
		}
	}
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// wasmNames builds ./assets/runtime for js/wasm as assets/build does but
// keeping the name section (no -s -w), checks that its code section is
// byte for byte the served runtime's (assets/dist), and returns the
// function names by index, so that profiles name Go functions.
func wasmNames(ctx context.Context, work string) (map[int]string, error) {
	served, err := filepath.Glob(filepath.Join("assets", "dist", "bridge.*.wasm"))
	if err != nil || len(served) != 1 {
		return nil, fmt.Errorf("want one assets/dist/bridge.*.wasm, found %q", served)
	}
	out := filepath.Join(work, "names.wasm")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./assets/runtime")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the runtime with names: %v\n%s", err, msg)
	}
	named, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	stripped, err := os.ReadFile(served[0])
	if err != nil {
		return nil, err
	}
	sn, err := wasmSections(named)
	if err != nil {
		return nil, err
	}
	ss, err := wasmSections(stripped)
	if err != nil {
		return nil, err
	}
	if string(sn[10]) != string(ss[10]) || len(ss[10]) == 0 {
		return nil, fmt.Errorf("the runtime built here differs from %s (another Go release?)", served[0])
	}
	return wasmFuncNames(sn[0])
}

func uleb(b []byte, i int) (int, int, error) {
	v, shift := 0, 0
	for ; i < len(b) && shift < 35; shift += 7 {
		x := b[i]
		i++
		v |= int(x&0x7f) << shift
		if x < 0x80 {
			return v, i, nil
		}
	}
	return 0, 0, errors.New("bad LEB128")
}

// wasmSections returns the contents of a module's sections by id; for
// custom sections (id 0), the one named "name", without its name.
func wasmSections(b []byte) (map[int][]byte, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, errors.New("not a WebAssembly module")
	}
	secs := map[int][]byte{}
	for i := 8; i < len(b); {
		id := int(b[i])
		n, j, err := uleb(b, i+1)
		if err != nil || j+n > len(b) {
			return nil, errors.New("bad section")
		}
		body := b[j : j+n]
		i = j + n
		if id == 0 {
			l, k, err := uleb(body, 0)
			if err != nil || k+l > len(body) || string(body[k:k+l]) != "name" {
				continue
			}
			body = body[k+l:]
		}
		secs[id] = body
	}
	return secs, nil
}

// wasmFuncNames reads the function names subsection of a name section.
func wasmFuncNames(b []byte) (map[int]string, error) {
	for i := 0; i < len(b); {
		id := b[i]
		n, j, err := uleb(b, i+1)
		if err != nil || j+n > len(b) {
			return nil, errors.New("bad name section")
		}
		sub := b[j : j+n]
		i = j + n
		if id != 1 {
			continue
		}
		count, k, err := uleb(sub, 0)
		if err != nil {
			return nil, err
		}
		names := make(map[int]string, count)
		for ; count > 0; count-- {
			var idx, l int
			if idx, k, err = uleb(sub, k); err != nil {
				return nil, err
			}
			if l, k, err = uleb(sub, k); err != nil || k+l > len(sub) {
				return nil, errors.New("bad function name")
			}
			names[idx] = string(sub[k : k+l])
			k += l
		}
		return names, nil
	}
	return nil, errors.New("no function names")
}
