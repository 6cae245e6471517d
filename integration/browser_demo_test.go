package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// demoPages copies the demo's pages (../demo) into a temporary folder with
// Caddyfile.example's origins replaced by the test ports, and returns it.
func demoPages(t *testing.T) string {
	t.Helper()
	r := strings.NewReplacer(
		"http://127.0.0.1:8080", parentOrigin,
		"http://localhost:8081", embedOrigin,
		"http://localhost:8082", intruderOrigin,
	)
	pages := map[string]string{}
	for _, dir := range []string{"parent", "embed", "intruder"} {
		entries, err := os.ReadDir(filepath.Join("..", "demo", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join("..", "demo", dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			pages[dir+"/"+e.Name()] = r.Replace(string(b))
		}
	}
	return sitePages(t, pages)
}

// TestBrowserDemo serves the demo's pages with Caddyfile.example's bridge
// config on the test ports: the parent page reaches the ready state over
// signed v2, shows the session id, the widget's answer and a round-trip
// time, logs the embed's hello event, and its button sends another
// request that the embed answers.
func TestBrowserDemo(t *testing.T) {
	start(t, browserSites(demoPages(t), "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")

	text := func(id string) string {
		var s string
		eval(t, ctx, `document.getElementById(`+jsQuote(id)+`).textContent`, &s)
		return s
	}
	poll(t, ctx, `document.getElementById("state").dataset.state === "ready" && document.getElementById("rtt").dataset.ms !== undefined`, 15*time.Second)
	var sessionID string
	eval(t, ctx, `demoBridge.sessionId`, &sessionID)
	if sessionID == "" || text("session") != sessionID {
		t.Errorf("session shown %q, bridge %q", text("session"), sessionID)
	}
	if v := text("version"); !strings.HasPrefix(v, "v2") {
		t.Errorf("protocol shown: %q", v)
	}
	if d := text("data"); !strings.Contains(d, `"request":1`) {
		t.Errorf("widget data: %q", d)
	}
	if rtt := text("rtt"); !strings.HasSuffix(rtt, "ms (request #1)") {
		t.Errorf("round trip: %q", rtt)
	}
	poll(t, ctx, `document.getElementById("log").textContent.includes("widget:hello")`, 10*time.Second)

	// The button sends another request.
	eval(t, ctx, `document.getElementById("again").click(), true`, nil)
	poll(t, ctx, `document.getElementById("rtt").textContent.endsWith("ms (request #2)")`, 10*time.Second)
	if d := text("data"); !strings.Contains(d, `"request":2`) {
		t.Errorf("widget data after the button: %q", d)
	}

	// CADDY_BRIDGE_DEMO_SCREENSHOT=file.png saves what the page shows.
	if out := os.Getenv("CADDY_BRIDGE_DEMO_SCREENSHOT"); out != "" {
		poll(t, ctx, `document.getElementById("log").textContent.includes("widget:hello")`, 10*time.Second)
		if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(1000, 900)); err != nil {
			t.Fatalf("viewport: %v", err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		writeFile(t, out, string(png))
	}
}
