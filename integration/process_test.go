package integration

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// bridgeSites returns a parent site and an embed site of one deployment.
// When parentO and embedO are set, both sites declare them with origin,
// so that instances serving them on other ports are the same deployment;
// otherwise each site's origin is its own address. parentExtra goes into
// the parent site before its catch-all respond.
func bridgeSites(parentPort, embedPort int, parentO, embedO, parentExtra string) string {
	pSite := fmt.Sprintf("http://localhost:%d", parentPort)
	eSite := fmt.Sprintf("http://127.0.0.1:%d", embedPort)
	pOrigin, eOrigin := "", ""
	if parentO == "" {
		parentO, embedO = pSite, eSite
	} else {
		pOrigin = "origin " + parentO
		eOrigin = "origin " + embedO
	}
	return fmt.Sprintf(`
%s {
	bridge {
		embed %s
		%s
		allow_insecure_localhost
	}
	%s
	respond "p"
}
%s {
	bridge {
		parent %s
		%s
		allow_insecure_localhost
	}
	respond "e"
}
`, pSite, embedO, pOrigin, parentExtra, eSite, parentO, eOrigin)
}

func sessionURL(site string) string { return site + "/_bridge/session" }

func mustMint(t *testing.T, site, parentO, embedO string) sessionAnswer {
	t.Helper()
	st, ans, _ := postSession(t, sessionURL(site), parentO, mintBody(embedO))
	if st != 200 || ans.Token == "" || ans.Key == "" || ans.SessionID != ans.Token || ans.ParentOrigin != parentO || ans.EmbedOrigin != embedO {
		t.Fatalf("mint at %s: %d %+v", site, st, ans)
	}
	return ans
}

func mustRedeemSame(t *testing.T, site, origin string, minted sessionAnswer) {
	t.Helper()
	st, ans, _ := postSession(t, sessionURL(site), origin, redeemBody(minted.Token))
	if st != 200 {
		t.Fatalf("redeem at %s: %d %+v", site, st, ans)
	}
	if ans.Key != minted.Key || ans.KeyID != minted.KeyID || ans.SessionID != minted.SessionID || ans.ParentOrigin != minted.ParentOrigin || ans.EmbedOrigin != minted.EmbedOrigin {
		t.Fatalf("redeem at %s: another session:\n got %+v\nwant %+v", site, ans, minted)
	}
}

// TestClusterSharesRootSecret starts two Caddy processes at the same time
// on one fresh storage folder (Caddy's clustering): they must create one
// root secret between them, redeem each other's tokens, and print the
// same bridge-secret, which is the secret the keys derive from.
func TestClusterSharesRootSecret(t *testing.T) {
	const parentO, embedO = "http://localhost:9998", "http://127.0.0.1:9999"
	storage, dir := t.TempDir(), t.TempDir()
	cfg := [2]string{
		writeConfig(t, dir, "Caddyfile1", processGlobals("localhost:2991", storage)+bridgeSites(9180, 9181, parentO, embedO, "")),
		writeConfig(t, dir, "Caddyfile2", processGlobals("localhost:2992", storage)+bridgeSites(9182, 9183, parentO, embedO, "")),
	}
	parent := [2]string{"http://localhost:9180", "http://localhost:9182"}
	embed := [2]string{"http://127.0.0.1:9181", "http://127.0.0.1:9183"}
	// Launch both before waiting for either, so that they race to create
	// the root secret.
	p1 := launchCaddy(t, "caddy-1", cfg[0], "localhost:2991", parent[0], embed[0])
	p2 := launchCaddy(t, "caddy-2", cfg[1], "localhost:2992", parent[1], embed[1])
	p1.waitReady(t)
	p2.waitReady(t)

	root := readRootSecret(t, storage)
	if _, err := os.Stat(filepath.Join(storage, "locks", "caddy_bridge_root_secret.lock")); err == nil {
		t.Error("the root secret's storage lock was left behind")
	}

	// The sites answer for the configured origins, not their addresses.
	if st, ans, _ := postSession(t, sessionURL(parent[0]), parent[0], mintBody(embedO)); st != 403 || ans.Error != "ORIGIN_REFUSED" {
		t.Errorf("mint with the site's address as Origin: %d %+v", st, ans)
	}

	var minted [2]sessionAnswer
	for i := range 2 {
		minted[i] = mustMint(t, parent[i], parentO, embedO)
		mustRedeemSame(t, embed[1-i], embedO, minted[i]) // at the other instance
	}
	if minted[0].Key == minted[1].Key {
		t.Error("two sessions got the same key")
	}

	// One redemption per role is remembered in each process's memory:
	// the instance that did not see a redemption accepts the token again.
	// Recorded, not asserted (see the report on issue 3).
	if st, _, _ := postSession(t, sessionURL(embed[0]), embedO, redeemBody(minted[0].Token)); st == 200 {
		t.Logf("note: a token redeemed by the embed at caddy-2 redeems again at caddy-1 (redemptions are per process)")
	}

	var printed [2]string
	for i := range 2 {
		out, errOut, err := runCaddy(t, "bridge-secret", "--config", cfg[i], "--adapter", "caddyfile", "--parent", parentO, "--embed", embedO)
		if err != nil {
			t.Fatalf("bridge-secret --config %s: %v\nstderr: %s", cfg[i], err, errOut)
		}
		if strings.Contains(errOut, "no bridge handler") {
			t.Errorf("bridge-secret does not find the deployment in %s: %s", cfg[i], errOut)
		}
		printed[i] = strings.TrimSpace(out)
		if strings.Count(out, "\n") != 1 {
			t.Errorf("bridge-secret printed %d lines, want 1", strings.Count(out, "\n"))
		}
	}
	if printed[0] == "" || printed[0] != printed[1] {
		t.Fatalf("the instances print different deployment secrets (equal: %v, empty: %v)", printed[0] == printed[1], printed[0] == "")
	}
	secret, err := base64.RawURLEncoding.DecodeString(printed[0])
	if err != nil || len(secret) != 32 {
		t.Fatalf("bridge-secret printed no 32-byte base64url value (%d bytes, %v)", len(secret), err)
	}
	if string(secret) != string(bridgekey.DeploymentSecret(root, parentO, embedO)) {
		t.Error("bridge-secret is not HKDF(root secret in storage, parent, embed)")
	}
	for i, m := range minted {
		tok, err := bridgekey.ParseToken(m.Token)
		if err != nil {
			t.Fatalf("minted token %d does not parse: %v", i, err)
		}
		if _, err := bridgekey.VerifyToken(secret, parentO, embedO, m.Token); err != nil {
			t.Errorf("token %d does not verify under the printed secret: %v", i, err)
		}
		if got := base64.RawURLEncoding.EncodeToString(bridgekey.SessionKey(secret, tok, parentO, embedO)); got != m.Key {
			t.Errorf("session key %d is not derived from the printed secret", i)
		}
	}
	if got := readRootSecret(t, storage); string(got) != string(root) {
		t.Error("bridge-secret changed the root secret")
	}
}

// TestRestartKeepsTokensRedeemable mints a token, restarts Caddy with the
// same config and storage, and redeems the token at the new process.
func TestRestartKeepsTokensRedeemable(t *testing.T) {
	storage, dir := t.TempDir(), t.TempDir()
	const parent, embed = "http://localhost:9190", "http://127.0.0.1:9191"
	cfg := writeConfig(t, dir, "Caddyfile", processGlobals("localhost:2993", storage)+bridgeSites(9190, 9191, "", "", ""))

	first := startCaddy(t, "caddy-before", cfg, "localhost:2993", parent, embed)
	root := readRootSecret(t, storage)
	minted := mustMint(t, parent, parent, embed)
	if err := first.stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}

	startCaddy(t, "caddy-after", cfg, "localhost:2993", parent, embed)
	mustRedeemSame(t, embed, embed, minted)
	if st, ans, _ := postSession(t, sessionURL(embed), embed, redeemBody(minted.Token)); st != 409 || ans.Error != "TOKEN_ALREADY_REDEEMED" {
		t.Errorf("second redemption after the restart: %d %+v", st, ans)
	}
	if got := readRootSecret(t, storage); string(got) != string(root) {
		t.Error("the restart replaced the root secret")
	}
	// The parent's redemption (made by the mint) was in the old process's
	// memory. Recorded, not asserted (see the report on issue 3).
	if st, _, _ := postSession(t, sessionURL(parent), parent, redeemBody(minted.Token)); st == 200 {
		t.Logf("note: after a restart the parent can redeem a token it minted before the restart")
	}
}

// TestReloadUnderLoad reloads the config twice through the admin API
// while a bounded load of respond and mint requests runs: no request may
// fail, tokens minted before and during the reloads redeem after them,
// and the metrics keep counting across them.
func TestReloadUnderLoad(t *testing.T) {
	const (
		admin          = "localhost:2994"
		parent, embed  = "http://localhost:9200", "http://127.0.0.1:9201"
		workers        = 4
		perWorker      = 500
		total          = workers * perWorker
		reloadAt1      = 500
		reloadAt2      = 1100
		maxReported    = 20
		requestTimeout = 10 * time.Second
	)
	storage, dir := t.TempDir(), t.TempDir()
	config := func(extra string) string {
		return processGlobals(admin, storage) + bridgeSites(9200, 9201, "", "", extra)
	}
	cfg := writeConfig(t, dir, "Caddyfile", config(""))
	startCaddy(t, "caddy", cfg, admin, parent, embed)
	before := mustMint(t, parent, parent, embed)

	load := newLoadClient(requestTimeout, workers*2)
	defer load.close()
	client := &http.Client{Timeout: requestTimeout} // for the reloads and their checks
	defer client.CloseIdleConnections()

	var (
		done      atomic.Int64
		at1, at2  = make(chan struct{}), make(chan struct{})
		mu        sync.Mutex
		failures  []string
		failCount int
		tokens    []sessionAnswer
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failCount++
		if len(failures) < maxReported {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	completed := func() {
		switch done.Add(1) {
		case reloadAt1:
			close(at1)
		case reloadAt2:
			close(at2)
		}
	}

	// The reloads: each is triggered by the request count, and checked by
	// a route that only the new config has.
	reloadErr := make(chan error, 1)
	var doneAtReload [2]int64
	go func() {
		for i, at := range []chan struct{}{at1, at2} {
			<-at
			route := fmt.Sprintf("/reload-%d", i+1)
			if err := loadConfig(client, admin, config(fmt.Sprintf("respond %s %q", route, route))); err != nil {
				reloadErr <- fmt.Errorf("reload %d: %w", i+1, err)
				return
			}
			doneAtReload[i] = done.Load()
			resp, err := client.Get(parent + route)
			if err != nil {
				reloadErr <- fmt.Errorf("after reload %d: %w", i+1, err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != route {
				reloadErr <- fmt.Errorf("after reload %d, GET %s: %d %q", i+1, route, resp.StatusCode, b)
				return
			}
		}
		reloadErr <- nil
	}()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if (w+i)%2 == 0 {
					st, b, err := load.do("GET", parent+"/", "")
					if err != nil || st != 200 || string(b) != "p" {
						fail("GET /: %d %q %v", st, b, err)
					}
				} else {
					st, ans, err := load.mint(parent, parent, embed)
					switch {
					case err != nil:
						fail("mint: %d %v", st, err)
					case st != 200 || ans.Token == "" || ans.Key == "":
						fail("mint: %d %+v", st, ans)
					default:
						mu.Lock()
						tokens = append(tokens, ans)
						mu.Unlock()
					}
				}
				completed()
			}
		}()
	}
	wg.Wait()

	select {
	case err := <-reloadErr:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reloads did not finish within 30s")
	}
	if failCount > 0 {
		t.Errorf("%d of %d requests failed, first ones:\n%s", failCount, total, strings.Join(failures, "\n"))
	}
	if n := done.Load(); n != total {
		t.Errorf("%d requests completed, want %d", n, total)
	}
	for i, n := range doneAtReload {
		if n >= total {
			t.Errorf("the load had finished when reload %d completed: it did not run under load", i+1)
		}
	}
	resent := load.resent.Load()
	t.Logf("reloads completed after %d and %d of %d requests; %d requests resent after the server closed an idle connection", doneAtReload[0], doneAtReload[1], total, resent)
	if resent > total/50 {
		t.Errorf("%d of %d requests met a closed idle connection: more than a reload's idle connections", resent, total)
	}

	// Tokens minted before and during the reloads redeem at the embed.
	mustRedeemSame(t, embed, embed, before)
	if len(tokens) == 0 {
		t.Fatal("no mint succeeded")
	}
	sample := []sessionAnswer{}
	for i := 0; i < len(tokens); i += len(tokens)/10 + 1 {
		sample = append(sample, tokens[i])
	}
	for _, m := range append(sample, tokens[len(tokens)-1]) {
		mustRedeemSame(t, embed, embed, m)
	}

	// The counters survived both reloads: every mint of this process is
	// counted once.
	wantMinted := 1 + len(tokens)
	if got := metricValue(t, admin, `caddy_bridge_tokens_minted_total{via="endpoint"}`); got != wantMinted {
		t.Errorf("tokens_minted_total = %d after the reloads, want %d", got, wantMinted)
	}
	if got := metricValue(t, admin, `caddy_bridge_session_requests_total{outcome="ok",role="parent"}`); got != wantMinted {
		t.Errorf("session_requests_total{ok,parent} = %d after the reloads, want %d", got, wantMinted)
	}
}

// metricValue reads one sample from the admin endpoint's /metrics.
func metricValue(t *testing.T, admin, series string) int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %q", series, v)
			}
			return int(f)
		}
	}
	t.Fatalf("no metric %s at %s/metrics", series, admin)
	return 0
}

// TestLogsCarryNoSecrets runs Caddy with debug and access logs and checks
// that, after minting, redeeming and refused requests, its output holds
// no token, key, root secret or deployment secret in any common encoding.
func TestLogsCarryNoSecrets(t *testing.T) {
	const (
		admin         = "localhost:2995"
		parent, embed = "http://localhost:9210", "http://127.0.0.1:9211"
		partner       = "https://partner.example"
	)
	partnerSecret := base64.StdEncoding.EncodeToString([]byte("a partner secret of 32 bytes...."))
	t.Setenv("BRIDGE_IT_PARTNER_SECRET", partnerSecret)
	storage, dir := t.TempDir(), t.TempDir()
	cfg := writeConfig(t, dir, "Caddyfile", processGlobals(admin, storage, "debug")+fmt.Sprintf(`
http://localhost:9210 {
	log
	bridge {
		embed %s
		embed %s {
			secret {env.BRIDGE_IT_PARTNER_SECRET}
		}
		allow_insecure_localhost
	}
	handle /page {
		header Content-Type "text/html; charset=utf-8"
		respond `+"`"+`<!doctype html><iframe src="http://127.0.0.1:9211/w"></iframe>`+"`"+`
	}
	respond "p"
}
http://127.0.0.1:9211 {
	log
	bridge {
		parent %s
		allow_insecure_localhost
	}
	respond "e"
}
`, embed, partner, parent))
	p := startCaddy(t, "caddy", cfg, admin, parent, embed)
	root := readRootSecret(t, storage)

	var minted []sessionAnswer
	for range 3 {
		m := mustMint(t, parent, parent, embed)
		mustRedeemSame(t, embed, embed, m)
		minted = append(minted, m)
	}
	minted = append(minted, mustMint(t, parent, parent, partner))
	// A token minted into a page (the iframe's URL), then redeemed.
	pageTok := iframeToken(t, parent+"/page", embed+"/w")
	st, fromPage, _ := postSession(t, sessionURL(embed), embed, redeemBody(pageTok))
	if st != 200 || fromPage.SessionID != pageTok {
		t.Fatalf("redeeming the page's token: %d %+v", st, fromPage)
	}
	fromPage.Token = pageTok
	minted = append(minted, fromPage)
	forged := []byte(minted[1].Token)
	if forged[len(forged)-3] == 'A' { // still base64url, wrong MAC
		forged[len(forged)-3] = 'B'
	} else {
		forged[len(forged)-3] = 'A'
	}
	refused := []struct {
		url, origin, body string
		status            int
	}{
		{sessionURL(embed), embed, redeemBody(minted[0].Token), 409},                     // already redeemed
		{sessionURL(embed), embed, redeemBody(string(forged)), 403},                      // forged
		{sessionURL(embed), embed, redeemBody(minted[1].Token[:40] + "AAAA"), 400},       // malformed
		{sessionURL(embed), parent, redeemBody(minted[2].Token), 403},                    // foreign origin
		{sessionURL(parent), parent, redeemBody(minted[3].Token + "x"), 400},             // malformed
		{sessionURL(embed), embed, `{"token":"` + strings.Repeat("a", 5000) + `"}`, 413}, // oversized
	}
	for _, r := range refused {
		if st, ans, _ := postSession(t, r.url, r.origin, r.body); st != r.status || ans.Key != "" {
			t.Errorf("POST %s %.60s: %d %+v, want %d", r.url, r.body, st, ans, r.status)
		}
	}
	// Everything is written by the time the process has exited.
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	logs := p.output()

	// The logs are on: the checks below would see a leak.
	for _, want := range []string{`"msg":"session issued"`, `"msg":"session refused"`, `"logger":"http.log.access`, `"uri":"/_bridge/session"`, `"level":"debug"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the output lacks %s: logging is not on as the test assumes", want)
		}
	}

	type secretForm struct{ what, value string }
	var secrets []secretForm
	addBytes := func(what string, b []byte) {
		for _, e := range encodings(b) {
			secrets = append(secrets, secretForm{what, e})
		}
	}
	addBytes("root secret", root)
	addBytes("deployment secret", bridgekey.DeploymentSecret(root, parent, embed))
	addBytes("partner secret", []byte("a partner secret of 32 bytes...."))
	secrets = append(secrets, secretForm{"partner secret as configured", partnerSecret})
	for i, m := range minted {
		for _, tok := range []string{m.Token, url.QueryEscape(m.Token), url.PathEscape(m.Token)} {
			secrets = append(secrets, secretForm{fmt.Sprintf("token %d", i), tok})
		}
		// A token's first characters are its header; its random part
		// is what must not leak, even truncated.
		secrets = append(secrets, secretForm{fmt.Sprintf("token %d (tail)", i), m.Token[len(m.Token)-24:]})
		key, err := base64.RawURLEncoding.DecodeString(m.Key)
		if err != nil {
			t.Fatal(err)
		}
		addBytes(fmt.Sprintf("session key %d", i), key)
	}
	secrets = append(secrets, secretForm{"forged token", string(forged)})
	for _, s := range secrets {
		if i := strings.Index(logs, s.value); i >= 0 {
			t.Errorf("the output contains the %s, in: %s", s.what, lineAt(logs, i))
		}
	}
}

// TestAccessLogOmitsTokenizedURL gets a parent page, whose iframe the
// bridge gives a session token in its URL (session_in query, the
// default), loads that URL at the embed site as the browser would, then
// a subresource of the embed page (whose Referer is the tokenized URL),
// with the README's recommended access-log filter on: the token must not
// be logged, and the tokenized page tells the browser not to send its URL
// in Referer headers.
func TestAccessLogOmitsTokenizedURL(t *testing.T) {
	const (
		admin         = "localhost:2991"
		parent, embed = "http://localhost:9220", "http://127.0.0.1:9221"
	)
	storage, dir := t.TempDir(), t.TempDir()
	cfg := writeConfig(t, dir, "Caddyfile", processGlobals(admin, storage)+`
http://localhost:9220 {
	log
	bridge {
		embed `+embed+`
		allow_insecure_localhost
	}
	handle /page {
		header Content-Type "text/html; charset=utf-8"
		respond `+"`"+`<!doctype html><iframe src="`+embed+`/widget"></iframe>`+"`"+`
	}
	respond "p"
}
http://127.0.0.1:9221 {
	# The README's recommended access log for an embed site: the token
	# is taken out of the URI and of Referer headers.
	log {
		format filter {
			request>uri query {
				delete __iframeBridgeSessionId
			}
			request>headers>Referer query {
				delete __iframeBridgeSessionId
			}
		}
	}
	bridge {
		parent `+parent+`
		allow_insecure_localhost
	}
	respond "e"
}
`)
	p := startCaddy(t, "caddy", cfg, admin, parent, embed)
	tok := iframeToken(t, parent+"/page", embed+"/widget")
	page := embed + "/widget?__iframeBridgeSessionId=" + tok + "&__iframeBridgeParentOrigin=" + url.QueryEscape(parent)
	// The browser loads the iframe, then a script of that page.
	for _, r := range []struct{ url, referer string }{{page, parent + "/page"}, {embed + "/app.js", page}} {
		req, _ := http.NewRequest("GET", r.url, nil)
		req.Header.Set("Referer", r.referer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", r.url, resp.StatusCode)
		}
		if rp := resp.Header.Get("Referrer-Policy"); (r.url == page) != (rp == "strict-origin") {
			t.Errorf("GET %s: Referrer-Policy %q", r.url, rp)
		}
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	logs := p.output()
	if !strings.Contains(logs, `"uri":"/widget?`) {
		t.Fatal("the access log has no entry for the page: logging is not on as the test assumes")
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, tok) {
			t.Errorf("the log contains the session token: %s", line)
		}
	}
}

// iframeToken gets a parent page and returns the session token that the
// bridge put into the URL of its iframe pointing at src.
func iframeToken(t *testing.T, pageURL, src string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", pageURL, nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`src="` + regexp.QuoteMeta(src) + `\?__iframeBridgeSessionId=([A-Za-z0-9_-]+)&amp;`).FindSubmatch(b)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("GET %s: %d, no tokenized iframe for %s in:\n%s", pageURL, resp.StatusCode, src, b)
	}
	return string(m[1])
}
