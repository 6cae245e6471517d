// Package session benchmarks the bridge session endpoint in a real Caddy
// process (built from ../../cmd/caddy) against a plain respond route in
// the same process. run.sh measures the mint path with wrk; this file
// measures the redeem path, which needs a new token for every request
// (each token is redeemable once), so the client mints them itself under
// the deployment's explicit secret.
package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

const (
	parentO   = "http://localhost:9290" // listed, never served: tokens are minted here
	embedO    = "http://127.0.0.1:9291"
	plainSite = "http://localhost:9292"
)

var secret = []byte("benchmark deployment secret, 32b")

// bin is the Caddy binary: $CADDY_BIN, or one that TestMain builds from
// ../../cmd/caddy when benchmarks run.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run()) // no benchmark to run: do not build Caddy
	}
	if bin = os.Getenv("CADDY_BIN"); bin != "" {
		os.Exit(m.Run()) // built by the caller (run.sh)
	}
	dir, err := os.MkdirTemp("", "caddy-bridge-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "caddy")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..", "cmd", "caddy")
	out, err := build.CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building Caddy: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startCaddy starts Caddy with the embed site (explicit secret) and a
// plain respond site, and stops it when b ends.
func startCaddy(b *testing.B) {
	b.Helper()
	dir := b.TempDir()
	for _, a := range []string{"127.0.0.1:9291", "127.0.0.1:9292"} {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			b.Fatalf("%s is already in use", a)
		}
	}
	cfg := fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	skip_install_trust
	default_bind 127.0.0.1
	storage file_system %s/storage
}
%s {
	bridge {
		parent %s {
			secret %s
		}
		allow_insecure_localhost
	}
	respond "e"
}
%s {
	respond "p"
}
`, dir, embedO, parentO, base64.StdEncoding.EncodeToString(secret), plainSite)
	if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.Command(bin, "run", "--config", filepath.Join(dir, "Caddyfile"), "--adapter", "caddyfile")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir+"/config", "XDG_DATA_HOME="+dir+"/data")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			b.Error("Caddy did not stop within 15s")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for _, u := range []string{plainSite + "/", embedO + "/"} {
		for {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
				break
			}
			select {
			case err := <-exited:
				b.Fatalf("Caddy exited: %v\n%s", err, out.String())
			default:
			}
			if time.Now().After(deadline) {
				b.Fatalf("Caddy not ready within 20s:\n%s", out.String())
			}
			// Poll again in 20 ms, or at once if Caddy exits meanwhile.
			select {
			case err := <-exited:
				b.Fatalf("Caddy exited: %v\n%s", err, out.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// BenchmarkSession compares, in one Caddy, a plain respond route with
// the session endpoint's redeem path, in BENCH_ROUNDS alternated rounds
// (respond, redeem, respond, ...). 32 concurrent clients, as in run.sh.
// Each request carries a fresh token minted by the client; the respond
// site gets the very same request and answers "p" without reading it.
func BenchmarkSession(b *testing.B) {
	startCaddy(b)
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
	}
	defer client.CloseIdleConnections()
	parallel := max(1, 32/runtime.GOMAXPROCS(0))

	run := func(b *testing.B, newReq func() (*http.Request, error), wantBody string) {
		var bad atomic.Int64
		var firstErr atomic.Value
		b.SetParallelism(parallel)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, err := newReq()
				if err == nil {
					var resp *http.Response
					if resp, err = client.Do(req); err == nil {
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 || !strings.Contains(string(body), wantBody) {
							err = fmt.Errorf("%d %.100s", resp.StatusCode, body)
						}
					}
				}
				if err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
		elapsed := time.Since(start)
		b.StopTimer()
		if n := bad.Load(); n > 0 {
			b.Fatalf("%d of %d requests failed, first: %v", n, b.N, firstErr.Load())
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	}

	// Both sides send the same request, built the same way (a fresh
	// token, minted by the client, POSTed as JSON with the same headers),
	// so that the client's own work, which shares the machine with
	// Caddy, weighs the same on both: only the server's work differs.
	request := func(site string) func() (*http.Request, error) {
		return func() (*http.Request, error) {
			tok, _, err := bridgekey.MintToken(secret, parentO, embedO, time.Now(), rand.Reader)
			if err != nil {
				return nil, err
			}
			req, err := http.NewRequest("POST", site+"/_bridge/session", strings.NewReader(`{"token":"`+tok+`"}`))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", embedO)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			return req, nil
		}
	}
	respond, redeem := request(plainSite), request(embedO)
	// Alternated rounds in the same Caddy, so that drifts of the
	// machine's speed hit both sides alike; compare medians.
	for i := 1; i <= rounds(); i++ {
		b.Run(fmt.Sprintf("respond/round%d", i), func(b *testing.B) { run(b, respond, "p") })
		b.Run(fmt.Sprintf("redeem/round%d", i), func(b *testing.B) { run(b, redeem, `"key":"`) })
	}
}

// rounds is BENCH_ROUNDS, default 5.
func rounds() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 5
}
