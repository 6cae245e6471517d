package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/caddybridge/caddy-bridge/internal/chromium"
)

// chromiumPath is Debian's chromium, which CI installs. A missing browser
// fails the browser tests: they are the proof of the runtime.
const chromiumPath = chromium.DefaultPath

// The browser tests' sites: the parent and the embed are different sites
// (127.0.0.1 and localhost), so the iframe is a real out-of-process
// frame; the intruder is a site that the embed does not list.
const (
	parentOrigin   = "http://127.0.0.1:9090"
	embedOrigin    = "http://localhost:9091"
	intruderOrigin = "http://127.0.0.1:9092"
)

// browserSites is the Caddyfile of the three sites, serving the pages of
// root/parent, root/embed and root/intruder.
func browserSites(root, parentBlock, embedBlock string) string {
	return `
` + parentOrigin + ` {
	bridge {
		embed ` + embedOrigin + parentBlock + `
		allow_insecure_localhost
	}
	root * ` + filepath.Join(root, "parent") + `
	file_server
}

` + embedOrigin + ` {
	bridge {
		parent ` + parentOrigin + embedBlock + `
		allow_insecure_localhost
	}
	root * ` + filepath.Join(root, "embed") + `
	file_server
}

` + intruderOrigin + ` {
	root * ` + filepath.Join(root, "intruder") + `
	file_server
}
`
}

// sitePages writes pages (path under root → content) and returns root.
// Content may use {{PARENT}}, {{EMBED}} and {{INTRUDER}} for the origins.
func sitePages(t *testing.T, pages map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for _, dir := range []string{"parent", "embed", "intruder"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := strings.NewReplacer("{{PARENT}}", parentOrigin, "{{EMBED}}", embedOrigin, "{{INTRUDER}}", intruderOrigin)
	for name, content := range pages {
		writeFile(t, filepath.Join(root, name), r.Replace(content))
	}
	return root
}

// newBrowser starts a headless Chromium with a fresh profile for one test
// and returns its context, which ends with the test or after limit.
func newBrowser(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (apt-get install chromium): %v", chromiumPath, err)
	}
	opts := chromium.Options(chromiumPath)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), limit)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return bctx
}

// navigate opens url in the browser's tab.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
}

// eval evaluates a JavaScript expression in the top page, awaiting a
// promise, and decodes its (JSON) value into out.
func eval(t *testing.T, ctx context.Context, expr string, out any) {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", short(expr), err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("evaluating %s: result %s: %v", short(expr), raw, err)
		}
	}
}

// evalJSON evaluates expr and returns its value as JSON text.
func evalJSON(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	var raw json.RawMessage
	eval(t, ctx, expr, &raw)
	return string(raw)
}

// poll waits, with the context's deadline, until expr is truthy in the
// top page.
func poll(t *testing.T, ctx context.Context, expr string, limit time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(limit), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		dump, _ := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`({reports: window.reports, events: window.events, state: window.b && window.b.state, stats: window.b && window.b.stats()})`))
		t.Fatalf("waiting for %s: %v (page: %s)", short(expr), err, dump)
	}
}

// frameURLs returns the URLs of the page's child frames, from the
// browser's frame tree (cross-origin frames included).
func frameURLs(ctx context.Context) ([]string, error) {
	var urls []string
	res, err := chromedp.Call(ctx, cdppage.GetFrameTree, cdp.Empty{})
	if err != nil || res.FrameTree == nil {
		return nil, err
	}
	var walk func(ft *cdppage.FrameTree)
	walk = func(ft *cdppage.FrameTree) {
		for _, c := range ft.ChildFrames {
			urls = append(urls, c.Frame.URL+c.Frame.URLFragment)
			walk(c)
		}
	}
	walk(res.FrameTree)
	return urls, nil
}

// waitFrames waits until the page has n child frames whose URLs all
// satisfy done, and returns them.
func waitFrames(t *testing.T, ctx context.Context, n int, limit time.Duration, done func(url string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var urls []string
	for {
		var err error
		urls, err = frameURLs(ctx)
		if err != nil {
			t.Fatalf("frame tree: %v", err)
		}
		ok := len(urls) == n
		for _, u := range urls {
			ok = ok && done(u)
		}
		if ok {
			return urls
		}
		if time.Now().After(deadline) {
			t.Fatalf("frames after %v: %q", limit, urls)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("frames: %v (last %q)", ctx.Err(), urls)
		}
	}
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// jsQuote returns s as a JavaScript string literal.
func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
