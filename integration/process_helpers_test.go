package integration

// Helpers for tests that run Caddy as separate processes (the binary of
// ../cmd/caddy), for what one in-process caddytest server cannot show:
// several instances sharing storage, restarts, reloads under load, and
// what the process writes to its logs.
//
// Ports: the in-process caddytest Caddy uses admin 2999 and 9080-9085;
// these tests use admin 2991-2995 and sites on 9180-9299.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds how long a starting Caddy may take to answer.
	readyTimeout = 20 * time.Second
	// stopTimeout bounds how long a stopping Caddy may take after
	// SIGTERM before it is killed (and the test fails).
	stopTimeout = 15 * time.Second
	// buildTimeout bounds the build of the Caddy binary.
	buildTimeout = 5 * time.Minute
	// commandTimeout bounds a one-shot caddy command such as bridge-secret.
	commandTimeout = 30 * time.Second
)

var caddyBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// caddyBinary returns the path of a Caddy binary built from ../cmd/caddy,
// building it once per test run. The binary lives at a fixed place under
// os.TempDir, keyed by the repository's path so that two checkouts do not
// share it, and is replaced atomically (build to a temporary name, then
// rename) so that a concurrent run never executes a half-written file.
// Keeping one fixed file, overwritten by each run, leaves no garbage
// behind. A failed build fails the test: it is never a skip.
func caddyBinary(t *testing.T) string {
	t.Helper()
	caddyBuild.once.Do(func() {
		caddyBuild.path, caddyBuild.out, caddyBuild.err = buildCaddy()
	})
	if caddyBuild.err != nil {
		t.Fatalf("building ../cmd/caddy: %v\n%s", caddyBuild.err, caddyBuild.out)
	}
	return caddyBuild.path
}

func buildCaddy() (string, []byte, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", nil, fmt.Errorf("the go command is needed to build Caddy: %w", err)
	}
	src, err := filepath.Abs(filepath.Join("..", "cmd", "caddy"))
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(filepath.Join(src, "main.go")); err != nil {
		return "", nil, fmt.Errorf("no Caddy main package: %w", err)
	}
	sum := sha256.Sum256([]byte(src))
	dir := filepath.Join(os.TempDir(), "caddy-bridge-it-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.CreateTemp(dir, "caddy-*.tmp")
	if err != nil {
		return "", nil, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", tmp.Name(), ".")
	cmd.Dir = src
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", out, err
	}
	bin := filepath.Join(dir, "caddy")
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", out, err
	}
	return bin, out, nil
}

// syncBuffer collects a process's output; Write and String may be called
// from different goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// caddyProcess is one `caddy run` subprocess.
type caddyProcess struct {
	name   string
	admin  string // host:port of the admin endpoint
	sites  []string
	cmd    *exec.Cmd
	out    *syncBuffer // stdout and stderr, interleaved
	exited chan struct{}
	err    error // from Wait, valid once exited is closed
	stop1  sync.Once
}

// launchCaddy starts `caddy run --config configFile --adapter caddyfile`
// without waiting for it to be ready (see waitReady), after checking that
// nothing already listens on admin and the sites' ports, so that a
// leftover server cannot pass for this one. The process is stopped in
// t.Cleanup; if the test failed, its output is logged.
func launchCaddy(t *testing.T, name, configFile, admin string, sites ...string) *caddyProcess {
	t.Helper()
	bin := caddyBinary(t)
	addrs := []string{admin}
	for _, s := range sites {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			t.Fatalf("%s: bad site URL %q", name, s)
		}
		addrs = append(addrs, u.Host)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Fatalf("%s: something already listens on %s; is another test run or a leftover Caddy using it?", name, a)
		}
	}

	home := t.TempDir()
	p := &caddyProcess{name: name, admin: admin, sites: sites, out: new(syncBuffer), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "run", "--config", configFile, "--adapter", "caddyfile")
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	// Keep Caddy's autosave and default data out of the user's home.
	p.cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home+"/config", "XDG_DATA_HOME="+home+"/data")
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: starting %s: %v", name, bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, tail(p.out.String(), 16<<10))
		}
	})
	return p
}

// startCaddy launches a Caddy and waits until it is ready.
func startCaddy(t *testing.T, name, configFile, admin string, sites ...string) *caddyProcess {
	t.Helper()
	p := launchCaddy(t, name, configFile, admin, sites...)
	p.waitReady(t)
	return p
}

// waitReady polls the admin endpoint until it answers 200, then every
// site until it answers at all (any status), failing the test if the
// process exits first or the deadline passes.
func (p *caddyProcess) waitReady(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	type probe struct {
		url      string
		anyReply bool
	}
	pending := []probe{{"http://" + p.admin + "/config/", false}}
	for _, s := range p.sites {
		pending = append(pending, probe{s, true})
	}
	deadline := time.Now().Add(readyTimeout)
	for len(pending) > 0 {
		select {
		case <-p.exited:
			t.Fatalf("%s exited before it was ready (%v):\n%s", p.name, p.err, tail(p.out.String(), 16<<10))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %s; still waiting for %v:\n%s", p.name, readyTimeout, pending, tail(p.out.String(), 16<<10))
		}
		if resp, err := client.Get(pending[0].url); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if pending[0].anyReply || resp.StatusCode == http.StatusOK {
				pending = pending[1:]
				continue
			}
		}
		// Poll again in 20 ms, or at once if the process exits meanwhile.
		select {
		case <-p.exited:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits for the process to exit, killing it (and
// reporting an error) if it has not within stopTimeout. It is safe to
// call more than once. An exit after SIGTERM with a non-zero status is
// not an error: Caddy exits 0 or 1 depending on the platform's signal
// handling.
func (p *caddyProcess) stop() error {
	var err error
	p.stop1.Do(func() {
		select {
		case <-p.exited:
			return // already gone; the test will have seen it
		default:
		}
		if sigErr := p.cmd.Process.Signal(syscall.SIGTERM); sigErr != nil {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.exited:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.exited
			err = fmt.Errorf("did not stop within %s of SIGTERM; killed", stopTimeout)
		}
	})
	return err
}

// output returns everything the process wrote so far.
func (p *caddyProcess) output() string { return p.out.String() }

// runCaddy runs a one-shot caddy command and returns its stdout and
// stderr separately.
func runCaddy(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin := caddyBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home+"/config", "XDG_DATA_HOME="+home+"/data")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	return o.String(), e.String(), err
}

// processGlobals is the global options block of a process config. The
// grace period lets in-flight requests finish across a reload.
func processGlobals(admin, storage string, extra ...string) string {
	return `{
	admin ` + admin + `
	persist_config off
	auto_https off
	skip_install_trust
	default_bind 127.0.0.1
	grace_period 10s
	storage file_system ` + storage + `
` + indent(extra) + `}
`
}

func indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\t" + l + "\n")
	}
	return b.String()
}

// writeConfig writes a Caddyfile into dir and returns its path.
func writeConfig(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	writeFile(t, path, content)
	return path
}

// loadConfig replaces a running Caddy's config through its admin API.
func loadConfig(client *http.Client, admin, caddyfile string) error {
	req, err := http.NewRequest("POST", "http://"+admin+"/load", strings.NewReader(caddyfile))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/caddyfile")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /load: %d %s", resp.StatusCode, b)
	}
	return nil
}

// readRootSecret reads the root secret that Caddy keeps in a file_system
// storage folder.
func readRootSecret(t *testing.T, storage string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(storage, "caddy_bridge", "root_secret"))
	if err != nil {
		t.Fatalf("reading the root secret: %v", err)
	}
	s, ok := strings.CutPrefix(string(b), "caddy-bridge root secret v1\n")
	if !ok {
		t.Fatalf("root secret file has no header: %q", firstLine(string(b)))
	}
	secret, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(secret) != 32 {
		t.Fatalf("root secret is not 32 bytes of base64url (%d bytes, %v)", len(secret), err)
	}
	return secret
}

// encodings returns the forms in which bytes could show up in text:
// base64 in both alphabets, padded or not, and hex.
func encodings(b []byte) []string {
	return []string{
		base64.RawURLEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.StdEncoding.EncodeToString(b),
		hex.EncodeToString(b),
	}
}

// loadClient sends the requests of a load test. An HTTP/1.1 client that
// reuses idle connections races with a server that closes them: when
// Caddy reloads, the old servers close their idle keep-alive connections
// (net/http's Server.Shutdown), and a request written to one of them at
// that moment fails before any byte of an answer. That is not a request
// the server dropped: it never read it, and browsers resend a request that
// fails this way on a reused connection. Go's client resends only some
// idempotent requests, so loadClient does it itself, once, on a new
// connection, and counts it; any other failure is returned.
type loadClient struct {
	reuse, fresh *http.Client
	resent       atomic.Int64
}

func newLoadClient(timeout time.Duration, conns int) *loadClient {
	return &loadClient{
		reuse: &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}},
		fresh: &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}},
	}
}

func (c *loadClient) close() {
	c.reuse.CloseIdleConnections()
	c.fresh.CloseIdleConnections()
}

// do sends a request (body may be "") and returns the status and body.
func (c *loadClient) do(method, url, body string, header ...string) (int, []byte, error) {
	st, b, err, race := c.try(c.reuse, method, url, body, header)
	if race {
		c.resent.Add(1)
		st, b, err, _ = c.try(c.fresh, method, url, body, header)
	}
	return st, b, err
}

func (c *loadClient) try(client *http.Client, method, url, body string, header []string) (status int, b []byte, err error, race bool) {
	var reused, answered atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:              func(i httptrace.GotConnInfo) { reused.Store(i.Reused) },
		GotFirstResponseByte: func() { answered.Store(true) },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err, false
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err, reused.Load() && !answered.Load()
	}
	defer resp.Body.Close()
	b, err = io.ReadAll(resp.Body)
	return resp.StatusCode, b, err, false
}

// mint asks a parent's session endpoint for a token, as a same-origin
// fetch from origin would.
func (c *loadClient) mint(site, origin, embed string) (int, sessionAnswer, error) {
	st, b, err := c.do("POST", site+"/_bridge/session", mintBody(embed),
		"Content-Type", "application/json", "Origin", origin, "Sec-Fetch-Site", "same-origin")
	if err != nil {
		return st, sessionAnswer{}, err
	}
	var ans sessionAnswer
	if err := json.Unmarshal(b, &ans); err != nil {
		return st, sessionAnswer{}, fmt.Errorf("answer is not JSON: %q", tail(string(b), 200))
	}
	return st, ans, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return tail(line, 80)
}

// lineAt returns the line of s that contains byte i.
func lineAt(s string, i int) string {
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}
