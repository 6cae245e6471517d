package integration

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// childPage is the embed's test page: a child bridge that answers echo,
// slow and boom, turns every ping into a pong, says hello once connected,
// asks the parent for a sum (a v2 request from the iframe), and reports
// what happened to the parent page with plain (non-bridge) messages.
const childPage = `<!doctype html>
<meta charset="utf-8">
<title>child</title>
<script type="module">
import { createIframeChildBridge } from "/_bridge/bridge.js";
const report = (m) => parent.postMessage({ test: true, ...m }, "{{PARENT}}");
const c = createIframeChildBridge({ connectionTimeoutMs: 5000 });
c.handleRequest("echo", (p) => ({ echo: p }));
c.handleRequest("slow", (p) => new Promise((r) => setTimeout(() => r("late"), p.ms)));
c.handleRequest("boom", () => { throw new Error("secret detail"); });
c.handleRequest("later", (p) => Promise.resolve({ later: p }));
c.handleRequest("rejects", () => Promise.reject(new Error("secret detail")));
c.handleRequest("badThen", () => ({ get then() { throw new Error("secret detail"); } }));
c.handleRequest("undef", () => undefined);
c.handleRequest("échø-😀", (p) => ({ echo: p, len: typeof p === "string" ? p.length : -1 }));
c.handleRequest("reenter", (p) => { c.sendEvent("nested", p); return { ok: p }; });
c.on("ping", (p) => { c.sendEvent("pong", p); });
// The runtime refuses to send a message past the size limit; the page
// then posts one by hand, for the parent to drop.
c.on("sendBig", (n) => {
  c.sendEvent("big", "x".repeat(n)).then(() => report({ kind: "bigSent" }), (e) => {
    report({ kind: "bigRefused", code: e.code });
    parent.postMessage({ protocol: "iframe-bridge", version: 2, sessionId: c.sessionId, type: "bridge:event", name: "big", body: JSON.stringify("x".repeat(n)) }, "{{PARENT}}");
  });
});
c.on("ünï-😀", (p) => { c.sendEvent("pong", { back: p }); });
try {
  await c.whenConnected();
  report({ kind: "connected", sessionId: c.sessionId, parentOrigin: c.parentOrigin, url: location.href, state: c.state });
  await c.sendEvent("hello", { from: "child" });
  const sum = await c.request("sum", { a: 2, b: 3 });
  report({ kind: "sum", sum });
} catch (e) {
  report({ kind: "error", code: e.code, name: e.name, state: c.state });
}
</script>
`

// parentPage frames the embed with a plain iframe, which the server
// rewrites, and attaches a bridge to it.
const parentPage = `<!doctype html>
<meta charset="utf-8">
<title>parent</title>
<iframe id="f" src="{{EMBED}}/child.html"></iframe>
<script type="module">
import * as bridge from "/_bridge/bridge.js";
window.reports = [];
window.events = [];
addEventListener("message", (e) => { if (e.data && e.data.test) window.reports.push(e.data); });
const b = bridge.attach("#f");
window.bridge = bridge;
window.b = b;
b.on("hello", (p) => window.events.push(["hello", p]));
b.on("pong", (p) => window.events.push(["pong", p]));
b.handleRequest("sum", (p) => p.a + p.b);
window.ready = b.whenReady().then(() => "ready", (e) => e.code);
</script>
`

// TestBrowserSignedBridge runs the product in Chromium: the server
// rewrites the parent page's iframe, attach() redeems the token at the
// parent's origin, the child redeems it at the embed's origin, and the
// two talk signed v2 over a MessageChannel: requests both ways, events
// both ways, waitForEvent, remote errors, timeouts and abort.
func TestBrowserSignedBridge(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": parentPage,
		"embed/child.html":  childPage,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")

	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s (stats %s)", ready, evalJSON(t, ctx, `b.stats()`))
	}
	var st struct {
		State      string            `json:"state"`
		Version    int               `json:"version"`
		Handshakes int               `json:"handshakes"`
		Dropped    int               `json:"dropped"`
		DroppedBy  map[string]int    `json:"droppedBy"`
		Extra      map[string]string `json:"-"`
	}
	eval(t, ctx, `b.stats()`, &st)
	if st.State != "ready" || st.Version != 2 || st.Handshakes != 1 {
		t.Errorf("stats after the handshake: %+v", st)
	}

	// The session id is the token the server put in the iframe's URL.
	var src, sessionID string
	eval(t, ctx, `document.getElementById("f").src`, &src)
	eval(t, ctx, `b.sessionId`, &sessionID)
	u, err := url.Parse(src)
	if err != nil || u.Query().Get("__iframeBridgeSessionId") != sessionID || sessionID == "" {
		t.Fatalf("iframe src %q, sessionId %q", src, sessionID)
	}

	// The child connected, with the parameters gone from its URL, and
	// asked the parent for a sum.
	poll(t, ctx, `reports.some((r) => r.kind === "sum")`, 10*time.Second)
	var reports []map[string]any
	eval(t, ctx, `reports`, &reports)
	for _, r := range reports {
		switch r["kind"] {
		case "connected":
			if r["sessionId"] != sessionID || r["parentOrigin"] != parentOrigin || r["state"] != "connected" {
				t.Errorf("child connected: %v", r)
			}
			if s, _ := r["url"].(string); strings.Contains(s, "__iframeBridge") || !strings.HasPrefix(s, embedOrigin+"/child.html") {
				t.Errorf("child URL still carries the bootstrap parameters: %q", s)
			}
		case "sum":
			if r["sum"] != float64(5) {
				t.Errorf("child's request to the parent: %v", r)
			}
		case "error":
			t.Errorf("child failed: %v", r)
		}
	}
	poll(t, ctx, `events.some((e) => e[0] === "hello" && e[1].from === "child")`, 5*time.Second)

	// Request and response.
	if got := evalJSON(t, ctx, `b.request("echo", { n: 42, s: "ü" }).then((r) => r.echo.n === 42 && r.echo.s === "ü" && Object.keys(r).length === 1)`); got != `true` {
		t.Errorf("echo: %s", got)
	}
	// Events both ways, and waitForEvent.
	if got := evalJSON(t, ctx, `(async () => {
		const w = b.waitForEvent("pong", { timeoutMs: 5000 });
		await b.sendEvent("ping", { k: 7 });
		return await w;
	})()`); got != `{"k":7}` {
		t.Errorf("ping → pong: %s", got)
	}
	poll(t, ctx, `events.some((e) => e[0] === "pong" && e[1].k === 7)`, 5*time.Second)

	// A handler that throws answers REQUEST_HANDLER_ERROR, and nothing of
	// its exception crosses.
	got := evalJSON(t, ctx, `b.request("boom").then(() => "resolved", (e) => ({
		name: e.name, isError: e instanceof bridge.IframeBridgeError, code: e.code,
		remote: e.details.remoteError && e.details.remoteError.code, text: JSON.stringify(e.details) + e.message }))`)
	var boom struct {
		Name    string `json:"name"`
		IsError bool   `json:"isError"`
		Code    string `json:"code"`
		Remote  string `json:"remote"`
		Text    string `json:"text"`
	}
	json.Unmarshal([]byte(got), &boom)
	if boom.Name != "IframeBridgeError" || !boom.IsError || boom.Code != "REQUEST_REMOTE_ERROR" || boom.Remote != "REQUEST_HANDLER_ERROR" || strings.Contains(boom.Text, "secret") {
		t.Errorf("boom: %s", got)
	}
	// Handlers answer with a value at once or through a promise; a
	// rejection, or a result whose then getter throws, is a handler error.
	if got := evalJSON(t, ctx, `Promise.all([b.request("later", 4), b.request("undef").then((v) => v === undefined ? "undefined" : v),
		b.request("rejects").catch((e) => e.details.remoteError.code + (JSON.stringify(e.details).includes("secret") ? " leaked" : "")),
		b.request("badThen").catch((e) => e.details.remoteError.code)])`); got != `[{"later":4},"undefined","REQUEST_HANDLER_ERROR","REQUEST_HANDLER_ERROR"]` {
		t.Errorf("handler answers: %s", got)
	}
	if got := evalJSON(t, ctx, `b.request("nothing").catch((e) => e.details.remoteError.code)`); got != `"REQUEST_HANDLER_NOT_FOUND"` {
		t.Errorf("unknown request: %s", got)
	}

	// Text crosses between JavaScript and the runtime through its memory
	// as UTF-8: names and payloads with non-ASCII and astral characters,
	// a lone surrogate (JSON.stringify escapes it), and payloads far
	// larger than the runtime's first buffer arrive exactly, both ways.
	if got := evalJSON(t, ctx, `(async () => {
		const big = "x😀é".repeat(40000);
		const odd = "a\ud800b";
		const r1 = await b.request("échø-😀", big);
		const r2 = await b.request("échø-😀", odd);
		const w = b.waitForEvent("pong", { timeoutMs: 5000 });
		await b.sendEvent("ünï-😀", { s: "ω😀", big });
		const e = await w;
		return [r1.echo === big, r1.len, r2.echo === odd, e.back.s === "ω😀", e.back.big === big];
	})()`); got != `[true,160000,true,true,true]` {
		t.Errorf("text through the runtime: %s", got)
	}
	// A message over the size limit (1 MiB) is refused by the sender; one
	// posted by hand is dropped and counted, and the next one is
	// delivered.
	if got := evalJSON(t, ctx, `(async () => {
		const before = b.stats().droppedBy.size;
		let big = 0;
		const off = b.on("big", () => big++);
		const w = b.waitForEvent("pong", { timeoutMs: 5000 });
		await b.sendEvent("sendBig", 1100000);
		while (!reports.some((r) => r.kind === "bigRefused" || r.kind === "bigSent") || b.stats().droppedBy.size === before) await new Promise((r) => setTimeout(r, 10));
		await b.sendEvent("ping", { after: true });
		const p = await w;
		off();
		return [b.stats().droppedBy.size - before, big, p, reports.filter((r) => r.kind.startsWith("big"))];
	})()`); got != `[1,0,{"after":true},[{"test":true,"kind":"bigRefused","code":"MESSAGE_INVALID_PAYLOAD"}]]` {
		t.Errorf("oversized message: %s", got)
	}
	// Calls into the runtime from inside the runtime: a handler that sends
	// an event before it answers, and a payload whose toJSON sends an
	// event while the request is being signed.
	if got := evalJSON(t, ctx, `(async () => {
		const nested = b.waitForEvent("nested", { timeoutMs: 5000 });
		const inside = b.waitForEvent("pong", { timeoutMs: 5000 });
		const r = await b.request("reenter", { toJSON() { b.sendEvent("ping", { from: "toJSON" }); return "v"; } });
		return [r, await nested, await inside];
	})()`); got != `[{"ok":"v"},"v",{"from":"toJSON"}]` {
		t.Errorf("re-entry: %s", got)
	}

	// Timeouts and abort; a late answer is dropped as unmatched.
	if got := evalJSON(t, ctx, `b.request("slow", { ms: 300 }, { timeoutMs: 50 }).then(() => "resolved", (e) => e.code + " " + e.details.timeoutMs)`); got != `"REQUEST_TIMEOUT 50"` {
		t.Errorf("timeout: %s", got)
	}
	// Timers share one JavaScript timeout: several pending requests time
	// out in the order of their deadlines, not of their calls, and one
	// answered in time is not disturbed.
	if got := evalJSON(t, ctx, `(async () => {
		const order = [];
		const timed = (ms) => b.request("slow", { ms: 1500 }, { timeoutMs: ms }).then(() => "resolved", (e) => (order.push(ms), e.code));
		const r = await Promise.all([timed(450), timed(150), timed(300), b.request("slow", { ms: 20 }, { timeoutMs: 3000 })]);
		return [order, r];
	})()`); got != `[[150,300,450],["REQUEST_TIMEOUT","REQUEST_TIMEOUT","REQUEST_TIMEOUT","late"]]` {
		t.Errorf("timeouts in deadline order: %s", got)
	}
	if got := evalJSON(t, ctx, `(() => {
		const ac = new AbortController();
		const p = b.request("slow", { ms: 300 }, { signal: ac.signal }).then(() => "resolved", (e) => e.code);
		setTimeout(() => ac.abort(), 20); // in flight, not before it is sent
		return p;
	})()`); got != `"OPERATION_ABORTED"` {
		t.Errorf("abort: %s", got)
	}
	if got := evalJSON(t, ctx, `b.waitForEvent("never", { timeoutMs: 30 }).catch((e) => e.code)`); got != `"EVENT_WAIT_TIMEOUT"` {
		t.Errorf("waitForEvent timeout: %s", got)
	}
	if got := evalJSON(t, ctx, `b.request("echo", 1, { timeoutMs: 0 }).catch((e) => e.code)`); got != `"OPERATION_INVALID_TIMEOUT"` {
		t.Errorf("invalid timeout: %s", got)
	}
	// Both late answers arrive and are dropped as unmatched.
	poll(t, ctx, `b.stats().droppedBy.unmatched >= 2`, 5*time.Second)

	// destroy fails what is pending and everything after.
	if got := evalJSON(t, ctx, `(async () => {
		const p = b.request("slow", { ms: 1000 }).catch((e) => e.code);
		b.destroy();
		const after = await b.request("echo", 1).catch((e) => e.code);
		return [await p, after, b.state];
	})()`); got != `["BRIDGE_DESTROYED","BRIDGE_DESTROYED","destroyed"]` {
		t.Errorf("destroy: %s", got)
	}
}

// TestBrowserForgedTokenRefused gives the child a well-formed token whose
// MAC is wrong: the embed's session endpoint refuses it and the child's
// bridge fails with that code, without a handshake.
func TestBrowserForgedTokenRefused(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/forged.html": `<!doctype html>
<meta charset="utf-8">
<title>forged</title>
<div id="box"></div>
<script>
window.reports = [];
addEventListener("message", (e) => { if (e.data && e.data.test) window.reports.push(e.data); });
window.frameWith = (token) => {
	const f = document.createElement("iframe");
	f.src = "{{EMBED}}/child.html?__iframeBridgeSessionId=" + encodeURIComponent(token) + "&__iframeBridgeParentOrigin=" + encodeURIComponent("{{PARENT}}");
	document.getElementById("box").appendChild(f);
};
</script>
`,
		"embed/child.html": childPage,
	})
	start(t, browserSites(root, "", ""))

	// A real token, minted at the parent's endpoint, with one character
	// of its MAC changed.
	status, minted, _ := postSession(t, parentOrigin+"/_bridge/session", parentOrigin, mintBody(embedOrigin))
	if status != 200 || minted.Token == "" {
		t.Fatalf("mint: %d %+v", status, minted)
	}
	b := []byte(minted.Token)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	forged := string(b)

	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/forged.html")
	eval(t, ctx, `frameWith(`+jsQuote(forged)+`), true`, nil)
	poll(t, ctx, `reports.length > 0`, 10*time.Second)
	var reports []map[string]any
	eval(t, ctx, `reports`, &reports)
	r := reports[0]
	if r["kind"] != "error" || r["code"] != "TOKEN_FORGED" || r["name"] != "IframeBridgeError" || r["state"] != "connection_failed" {
		t.Errorf("forged token: %v", reports)
	}
}

// TestBrowserCSPRefusesUnlistedParent frames the embed from a site it does
// not list: the embed's frame-ancestors refuses it, so the embed's page
// never runs there (the frame shows Chromium's error page), while the
// listed parent frames it and the page runs. The same holds for the
// parent's frame-src and a frame origin it does not list.
//
// Chromium (this release) shows a blocked frame neither in the page's
// frame tree nor as a target, so the check is what runs: each framed page
// says "alive" to its parent, and each framing page waits for the
// iframe's load event, which fires for the error page too.
func TestBrowserCSPRefusesUnlistedParent(t *testing.T) {
	framing := func(src string) string {
		return `<!doctype html>
<meta charset="utf-8">
<script>
window.alive = [];
window.loaded = false;
addEventListener("message", (e) => { if (e.data && e.data.alive) window.alive.push(e.origin); });
</script>
<iframe src="` + src + `" onload="window.loaded = true"></iframe>
`
	}
	alive := "<!doctype html><p>framed</p><script>parent.postMessage({ alive: true }, \"*\");</script>"
	root := sitePages(t, map[string]string{
		"parent/framed.html":   framing("{{EMBED}}/plain.html"),
		"intruder/framed.html": framing("{{EMBED}}/plain.html"),
		"embed/plain.html":     alive,
		"parent/unlisted.html": framing("{{INTRUDER}}/plain.html"),
		"intruder/plain.html":  alive,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)

	// Positive: the listed parent shows the embed, whose page runs.
	navigate(t, ctx, parentOrigin+"/framed.html")
	poll(t, ctx, `loaded && alive.length === 1`, 10*time.Second)
	if got := evalJSON(t, ctx, `alive`); got != `["`+embedOrigin+`"]` {
		t.Errorf("listed parent: %s", got)
	}

	// The unlisted parent gets the error page: the frame loads, and the
	// embed's page never runs.
	navigate(t, ctx, intruderOrigin+"/framed.html")
	poll(t, ctx, `loaded`, 10*time.Second)
	if got := evalJSON(t, ctx, `alive`); got != `[]` {
		t.Errorf("unlisted parent: the embed ran: %s", got)
	}

	// The parent's frame-src lists the embed only.
	navigate(t, ctx, parentOrigin+"/unlisted.html")
	poll(t, ctx, `loaded`, 10*time.Second)
	if got := evalJSON(t, ctx, `alive`); got != `[]` {
		t.Errorf("unlisted frame origin: the frame ran: %s", got)
	}
}
