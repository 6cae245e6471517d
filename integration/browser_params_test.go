package integration

import (
	"strings"
	"testing"
	"time"
)

// whereChild is an iframe page that answers "where" with its address
// after createIframeChildBridge has taken the bootstrap parameters out
// of it.
const whereChild = `<!doctype html>
<meta charset="utf-8">
<title>where</title>
<script type="module">
import { createIframeChildBridge } from "/_bridge/bridge.js";
const c = createIframeChildBridge();
c.handleRequest("where", () => location.href);
</script>
`

// TestBrowserCustomParamsInFragment: with session_param, parent_param and
// session_in hash on both sites, bridge.js reads and writes the configured
// names, in each fragment form of DESIGN §3 (no fragment, a route, a route
// with its own parameters), and the child leaves the route in its address
// as it was.
func TestBrowserCustomParamsInFragment(t *testing.T) {
	const block = "\n\t\tsession_param sid\n\t\tparent_param from\n\t\tsession_in hash"
	root := sitePages(t, map[string]string{
		"parent/index.html": `<!doctype html>
<meta charset="utf-8">
<title>parent</title>
<iframe id="plain" src="{{EMBED}}/where.html"></iframe>
<iframe id="route" src="{{EMBED}}/where.html?lang=en#top"></iframe>
<iframe id="routeq" src="{{EMBED}}/where.html#/checkout?step=2"></iframe>
<div id="made"></div>
<script type="module">
import * as bridge from "/_bridge/bridge.js";
window.srcs = [...document.querySelectorAll("iframe")].map((f) => f.getAttribute("src"));
window.bs = ["#plain", "#route", "#routeq"].map((s) => bridge.attach(s));
window.bs.push(bridge.createIframeBridge({ container: "#made", src: "{{EMBED}}/where.html#/made" }));
window.ready = Promise.all(window.bs.map((b) => b.whenReady())).then(() => "ready", (e) => e.code);
</script>
`,
		"embed/where.html": whereChild,
	})
	start(t, browserSites(root, block, block))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var srcs []string
	eval(t, ctx, `window.srcs`, &srcs)
	for _, s := range srcs {
		if !strings.Contains(s, "#") || !strings.Contains(s, "sid=") || !strings.Contains(s, "from=") || strings.Contains(s, "__iframeBridge") {
			t.Errorf("server-rewritten src %s: want sid= and from= in the fragment", s)
		}
	}
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s (stats %s)", ready, evalJSON(t, ctx, `bs.map((b) => b.stats())`))
	}
	want := []string{
		embedOrigin + "/where.html",
		embedOrigin + "/where.html?lang=en#top",
		embedOrigin + "/where.html#/checkout?step=2",
		embedOrigin + "/where.html#/made",
	}
	var where []string
	eval(t, ctx, `Promise.all(bs.map((b) => b.request("where")))`, &where)
	if strings.Join(where, " ") != strings.Join(want, " ") {
		t.Errorf("the children's addresses after bootstrap:\n got %q\nwant %q", where, want)
	}
	var made string
	eval(t, ctx, `bs[3].iframe.src`, &made)
	if !strings.HasPrefix(made, embedOrigin+"/where.html#/made?sid=") || !strings.Contains(made, "&from=") {
		t.Errorf("createIframeBridge's iframe URL %s: want the parameters after the route, in the fragment", made)
	}

	// A remount writes the new session where the old one was, after the
	// route, and the child's address is the route again.
	var remounted string
	eval(t, ctx, `bs[2].remount().then(() => "ready", (e) => e.code)`, &remounted)
	if remounted != "ready" {
		t.Fatalf("remount(): %s", remounted)
	}
	var src string
	eval(t, ctx, `bs[2].iframe.src`, &src)
	if !strings.HasPrefix(src, embedOrigin+"/where.html#/checkout?step=2&sid=") || strings.Count(src, "sid=") != 1 {
		t.Errorf("remounted iframe URL %s", src)
	}
	var after string
	eval(t, ctx, `bs[2].request("where")`, &after)
	if after != want[2] {
		t.Errorf("remounted child's address %s, want %s", after, want[2])
	}
}

// TestBrowserEarlyBufferNotCrowdedOut: before the parent's runtime has
// loaded, another iframe on the page (and a frame inside it) floods the
// page with forged bridge:ready messages; the real iframe's ready, sent
// after the flood, is still kept and the bridge connects.
func TestBrowserEarlyBufferNotCrowdedOut(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": `<!doctype html>
<meta charset="utf-8">
<title>crowded parent</title>
<iframe id="ad" src="/ad.html"></iframe>
<iframe id="f" src="{{EMBED}}/late.html"></iframe>
<script>
window.reports = [];
window.ready = new Promise((resolve) => {
	addEventListener("message", (e) => {
		if (!e.data || !e.data.test) return;
		window.reports.push(e.data);
		// The real iframe says ready only once the flood is over (and
		// it listens for the go).
		const kinds = window.reports.map((r) => r.kind);
		if ((e.data.kind === "flooded" || e.data.kind === "waiting") && kinds.includes("flooded") && kinds.includes("waiting")) {
			document.getElementById("f").contentWindow.postMessage({ go: true }, "{{EMBED}}");
		}
		if (e.data.kind !== "readySent" || window.b) return;
		window.shimKept = window.__caddyBridgeEarly ? window.__caddyBridgeEarly.queue.length : -1;
		import("/_bridge/bridge.js").then((bridge) => {
			window.b = bridge.attach("#f", { handshakeTimeoutMs: 5000 });
			window.b.whenReady().then(() => resolve("ready"), (err) => resolve(err.code));
		});
	});
});
</script>
`,
		"parent/ad.html": `<!doctype html>
<meta charset="utf-8">
<title>ad</title>
<body>
<script>
for (let i = 0; i < 150; i++) parent.postMessage({ protocol: "iframe-bridge", version: 1, sessionId: "x" + i, type: "bridge:ready" }, "*");
const sub = document.createElement("iframe");
sub.src = "/adsub.html";
document.body.appendChild(sub);
</script>
`,
		"parent/adsub.html": `<!doctype html>
<meta charset="utf-8">
<title>ad's frame</title>
<script>
for (let i = 0; i < 150; i++) top.postMessage({ protocol: "iframe-bridge", version: 1, sessionId: "y" + i, type: "bridge:ready" }, "*");
top.postMessage({ test: true, kind: "flooded" }, "*");
</script>
`,
		"embed/late.html": `<!doctype html>
<meta charset="utf-8">
<title>late child</title>
<script type="module">
import { createIframeChildBridge } from "/_bridge/bridge.js";
const report = (m) => parent.postMessage({ test: true, ...m }, "{{PARENT}}");
addEventListener("message", (e) => {
	if (e.origin !== "{{PARENT}}" || !e.data || !e.data.go || window.c) return;
	const c = createIframeChildBridge();
	window.c = c;
	c.handleRequest("echo", (p) => p);
	const t0 = Date.now();
	const tick = () => {
		if (c.stats().sent >= 1) report({ kind: "readySent" });
		else if (Date.now() - t0 < 10000) setTimeout(tick, 5);
		else report({ kind: "never" });
	};
	tick();
});
report({ kind: "waiting" });
</script>
`,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `Promise.race([window.ready, new Promise((r) => setTimeout(() => r("no ready within 20 s"), 20000))])`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s (stats %s, reports %s)", ready, evalJSON(t, ctx, `window.b ? b.stats() : null`), evalJSON(t, ctx, `reports`))
	}
	// One ready per iframe of the page (the ad's latest and the real
	// one); none from the frame inside the ad.
	if got := evalJSON(t, ctx, `window.shimKept`); got != `2` {
		t.Errorf("messages the shim kept before the runtime loaded: %s, want 2", got)
	}
	if got := evalJSON(t, ctx, `b.request("echo", "through")`); got != `"through"` {
		t.Errorf("echo: %s", got)
	}
}

// TestBrowserChildKeepsItsAddress: in query mode the child takes only the
// bootstrap parameters out of its address; the rest of the query and a
// fragment the server never touched (here one ending in "?") stay as the
// page wrote them.
func TestBrowserChildKeepsItsAddress(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": `<!doctype html>
<meta charset="utf-8">
<title>parent</title>
<iframe id="f" src="{{EMBED}}/where.html?a=1&amp;b=%20x#/route?"></iframe>
<script type="module">
import * as bridge from "/_bridge/bridge.js";
window.b = bridge.attach("#f");
window.ready = window.b.whenReady().then(() => "ready", (e) => e.code);
</script>
`,
		"embed/where.html": whereChild,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s", ready)
	}
	var where string
	eval(t, ctx, `b.request("where")`, &where)
	if want := embedOrigin + "/where.html?a=1&b=%20x#/route?"; where != want {
		t.Errorf("the child's address after bootstrap: %s, want %s", where, want)
	}
}
