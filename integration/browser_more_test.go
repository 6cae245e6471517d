package integration

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// attachPage is a parent page that frames src (rewritten by the server)
// in #f and attaches a bridge to it, as window.b.
func attachPage(src string) string {
	return `<!doctype html>
<meta charset="utf-8">
<title>parent</title>
<iframe id="f" src="` + src + `"></iframe>
<script type="module">
import * as bridge from "/_bridge/bridge.js";
window.reports = [];
window.events = [];
addEventListener("message", (e) => { if (e.data && e.data.test) window.reports.push(e.data); });
const b = bridge.attach("#f");
window.b = b;
b.on("hello", (p) => window.events.push(["hello", p]));
window.ready = b.whenReady().then(() => "ready", (e) => e.code);
</script>
`
}

// rawV1Child is an iframe page written from the wire spec alone: no
// runtime, a classic inline script that reads the bootstrap parameters
// from its URL and speaks v1.
const rawV1Child = `<!doctype html>
<meta charset="utf-8">
<title>raw v1</title>
<script>
var q = new URLSearchParams(location.search);
var sessionId = q.get("__iframeBridgeSessionId");
var parentOrigin = q.get("__iframeBridgeParentOrigin");
var env = function (type, extra) {
	var m = { protocol: "iframe-bridge", version: 1, sessionId: sessionId, type: type };
	for (var k in extra) m[k] = extra[k];
	return m;
};
addEventListener("message", function (e) {
	var d = e.data;
	if (e.origin !== parentOrigin || e.source !== parent || !d || d.protocol !== "iframe-bridge" || d.version !== 1 || d.sessionId !== sessionId) return;
	if (d.type === "bridge:connected") {
		parent.postMessage(env("bridge:event", { name: "hello", payload: { from: "raw" } }), parentOrigin);
	} else if (d.type === "bridge:request") {
		if (d.name === "echo") {
			parent.postMessage(env("bridge:response", { requestId: d.requestId, payload: { raw: true, echo: d.payload } }), parentOrigin);
		} else {
			parent.postMessage(env("bridge:response", { requestId: d.requestId, error: { code: "NOPE", message: "unknown" } }), parentOrigin);
		}
	} else if (d.type === "bridge:event" && d.name === "ping") {
		parent.postMessage(env("bridge:event", { name: "pong", payload: d.payload }), parentOrigin);
	}
});
parent.postMessage(env("bridge:ready"), parentOrigin);
</script>
`

// TestBrowserRawV1Child: a raw v1 iframe with no runtime talks to our
// parent runtime with signing off: handshake, requests, remote errors and
// events both ways.
func TestBrowserRawV1Child(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": attachPage("{{EMBED}}/raw.html"),
		"embed/raw.html":    rawV1Child,
	})
	start(t, browserSites(root, " {\n\t\t\tsigning off\n\t\t}", " {\n\t\t\tsigning off\n\t\t}"))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s (stats %s)", ready, evalJSON(t, ctx, `b.stats()`))
	}
	if got := evalJSON(t, ctx, `b.stats().version`); got != `1` {
		t.Errorf("version: %s", got)
	}
	if got := evalJSON(t, ctx, `b.request("echo", { n: 1 }).then((r) => [r.raw, r.echo.n])`); got != `[true,1]` {
		t.Errorf("echo: %s", got)
	}
	// v1 payloads are structured-cloned, not JSON: what JSON would lose
	// (a Date, a Map, a typed array, non-ASCII text) arrives both ways.
	if got := evalJSON(t, ctx, `b.request("echo", { d: new Date(5), m: new Map([["k", "ω😀"]]), u8: new Uint8Array([1, 2, 3]) }).then((r) =>
		[r.echo.d instanceof Date && r.echo.d.getTime(), r.echo.m instanceof Map && r.echo.m.get("k") === "ω😀", r.echo.u8 instanceof Uint8Array && r.echo.u8[2]])`); got != `[5,true,3]` {
		t.Errorf("structured payload: %s", got)
	}
	if got := evalJSON(t, ctx, `b.request("other").catch((e) => e.code + " " + e.details.remoteError.code)`); got != `"REQUEST_REMOTE_ERROR NOPE"` {
		t.Errorf("remote error: %s", got)
	}
	poll(t, ctx, `events.some((e) => e[0] === "hello" && e[1].from === "raw")`, 5*time.Second)
	if got := evalJSON(t, ctx, `(async () => {
		const w = b.waitForEvent("pong", { timeoutMs: 5000 });
		await b.sendEvent("ping", { k: 3 });
		return await w;
	})()`); got != `{"k":3}` {
		t.Errorf("ping → pong: %s", got)
	}
}

// whoChild answers "who" with its own n (from its URL) and session id,
// reloads itself on the event "reload", and reports each connection.
const whoChild = `<!doctype html>
<meta charset="utf-8">
<title>who</title>
<script type="module">
import { createIframeChildBridge } from "/_bridge/bridge.js";
const n = new URLSearchParams(location.search).get("n");
const report = (m) => parent.postMessage({ test: true, n, ...m }, "{{PARENT}}");
const c = createIframeChildBridge();
c.handleRequest("who", () => ({ n, sessionId: c.sessionId, loads: performance.getEntriesByType("navigation")[0].type }));
c.on("reload", () => location.reload());
c.whenConnected().then(() => report({ kind: "connected", sessionId: c.sessionId }), (e) => report({ kind: "error", code: e.code }));
</script>
`

// TestBrowserThreeIframesIsolated: three iframes on one page get their
// own sessions, and a request to each is answered by that one.
func TestBrowserThreeIframesIsolated(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": `<!doctype html>
<meta charset="utf-8">
<title>three</title>
<iframe id="f1" src="{{EMBED}}/who.html?n=1"></iframe>
<iframe id="f2" src="{{EMBED}}/who.html?n=2"></iframe>
<iframe id="f3" src="{{EMBED}}/who.html?n=3"></iframe>
<script type="module">
import { attach } from "/_bridge/bridge.js";
window.bs = ["#f1", "#f2", "#f3"].map((s) => attach(s));
window.ready = Promise.all(bs.map((b) => b.whenReady())).then(() => "ready", (e) => e.code);
</script>
`,
		"embed/who.html": whoChild,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s", ready)
	}
	var ids []string
	eval(t, ctx, `bs.map((b) => b.sessionId)`, &ids)
	if len(ids) != 3 || ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] || ids[0] == "" {
		t.Fatalf("session ids: %q", ids)
	}
	var answers []struct {
		N         string `json:"n"`
		SessionID string `json:"sessionId"`
	}
	eval(t, ctx, `Promise.all(bs.map((b) => b.request("who")))`, &answers)
	for i, a := range answers {
		if a.N != string(rune('1'+i)) || a.SessionID != ids[i] {
			t.Errorf("iframe %d answered %+v (session %s)", i+1, a, ids[i])
		}
	}
	// Each bridge made one signed handshake, and nothing of another
	// iframe's session reached its session or MAC checks.
	var stats []struct {
		Version    int            `json:"version"`
		Handshakes int            `json:"handshakes"`
		DroppedBy  map[string]int `json:"droppedBy"`
	}
	eval(t, ctx, `bs.map((b) => b.stats())`, &stats)
	for i, s := range stats {
		if s.Version != 2 || s.Handshakes != 1 || s.DroppedBy["session"] != 0 || s.DroppedBy["mac"] != 0 {
			t.Errorf("bridge %d stats: %+v", i+1, s)
		}
	}
}

// TestBrowserIframeReload: the child reloads itself; it finds its session
// again (the parameters are gone from its URL), re-handshakes, and the
// parent is ready again on the same session, with requests working.
func TestBrowserIframeReload(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": attachPage("{{EMBED}}/who.html?n=7"),
		"embed/who.html":    whoChild,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s", ready)
	}
	var sessionID string
	eval(t, ctx, `b.sessionId`, &sessionID)
	if got := evalJSON(t, ctx, `b.request("who").then((a) => a.loads)`); got != `"navigate"` {
		t.Errorf("first load: %s", got)
	}

	eval(t, ctx, `b.sendEvent("reload").then(() => true)`, nil)
	poll(t, ctx, `reports.filter((r) => r.kind === "connected").length >= 2 && b.stats().handshakes >= 2 && b.state === "ready"`, 15*time.Second)
	if got := evalJSON(t, ctx, `reports.filter((r) => r.kind === "connected").map((r) => r.sessionId)`); got != `["`+sessionID+`","`+sessionID+`"]` {
		t.Errorf("child sessions: %s, want %s twice", got, sessionID)
	}
	if got := evalJSON(t, ctx, `b.request("who", null, { timeoutMs: 5000 }).then((a) => [a.n, a.sessionId, a.loads])`); got != `["7","`+sessionID+`","reload"]` {
		t.Errorf("request after the reload: %s", got)
	}
	if got := evalJSON(t, ctx, `b.sessionId`); got != jsQuote(sessionID) {
		t.Errorf("session after the reload: %s", got)
	}
}

// forgerChild is a child bridge that keeps a copy of what it posts on the
// port (MessagePort.prototype.postMessage, hooked before the runtime
// loads) and, on the event "forge", posts forgeries of its last signed
// event on the same port: a replay, a changed MAC, another session id.
const forgerChild = `<!doctype html>
<meta charset="utf-8">
<title>forger</title>
<script type="module">
const sent = [];
const post = MessagePort.prototype.postMessage;
let port = null;
MessagePort.prototype.postMessage = function (m, ...rest) {
	port = this;
	if (m && m.type === "bridge:event") sent.push(structuredClone(m));
	return post.call(this, m, ...rest);
};
const { createIframeChildBridge } = await import("/_bridge/bridge.js");
const c = createIframeChildBridge();
c.handleRequest("echo", (p) => p);
c.on("nul\0name", (p) => parent.postMessage({ test: true, kind: "nul", p }, "{{PARENT}}"));
c.on("forge", async () => {
	await c.sendEvent("captured", { x: 1 });
	const last = sent[sent.length - 1];
	const flip = (s) => (s[0] === "A" ? "B" : "A") + s.slice(1);
	post.call(port, last); // replayed
	post.call(port, { ...last, auth: { ...last.auth, seq: last.auth.seq + 1, mac: flip(last.auth.mac) } }); // bad MAC
	post.call(port, { ...last, sessionId: flip(last.sessionId) }); // wrong session
	// Shapes that the loader does not pack (they take the runtime's
	// member-by-member path) are dropped and counted the same way.
	const next = (k) => ({ ...last.auth, seq: last.auth.seq + k });
	post.call(port, { ...last, payload: { x: 2 }, auth: next(2) }); // unsigned content: envelope
	post.call(port, { ...last, auth: { ...next(3), seq: String(last.auth.seq + 3) } }); // seq not a number: envelope
	post.call(port, { ...last, name: "capt\0ured", auth: next(4) }); // NUL in the name: MAC
	post.call(port, { ...last, extra: 1, auth: next(5) }); // unknown member, new seq: MAC
	parent.postMessage({ test: true, kind: "forged", seq: last.auth.seq }, "{{PARENT}}");
});
</script>
`

// rogueFrame posts bridge messages for the session it is given to the
// top page: from the parent's own origin (another frame of the page) and,
// framed at the embed's origin, from the right origin but the wrong window.
const rogueFrame = `<!doctype html>
<meta charset="utf-8">
<title>rogue</title>
<script>
var sid = new URLSearchParams(location.search).get("sid");
var m = function (type, extra) {
	var o = { protocol: "iframe-bridge", version: 1, sessionId: sid, type: type };
	for (var k in extra) o[k] = extra[k];
	return o;
};
top.postMessage(m("bridge:ready"), "{{PARENT}}");
top.postMessage(m("bridge:event", { name: "hello", payload: { from: "rogue" } }), "{{PARENT}}");
top.postMessage(m("bridge:response", { requestId: "1", payload: 1 }), "{{PARENT}}");
top.postMessage({ protocol: "iframe-bridge", version: 2, sessionId: sid, type: "bridge:event", name: "hello", body: "{}", auth: { kid: "k", seq: 99, ts: Date.now(), mac: "AAAA" } }, "{{PARENT}}");
top.postMessage({ test: true, kind: "rogue", origin: location.origin }, "{{PARENT}}");
</script>
`

// TestBrowserRogueAndForgedDropped: a rogue frame on the same page (at
// the parent's origin, and at the embed's origin in another window) and
// forged, bad-MAC and replayed messages on the session's own port are
// all dropped and counted by reason, and the bridge keeps working.
func TestBrowserRogueAndForgedDropped(t *testing.T) {
	page := strings.Replace(attachPage("{{EMBED}}/forger.html"), `window.ready =`, `window.rogue = (origin) => {
	const f = document.createElement("iframe");
	f.src = origin + "/rogue.html?sid=" + encodeURIComponent(b.sessionId);
	document.body.appendChild(f);
};
window.ready =`, 1)
	root := sitePages(t, map[string]string{
		"parent/index.html": page,
		"parent/rogue.html": rogueFrame,
		"embed/rogue.html":  rogueFrame,
		"embed/forger.html": forgerChild,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s (stats %s)", ready, evalJSON(t, ctx, `b.stats()`))
	}

	eval(t, ctx, `rogue(location.origin), rogue(`+jsQuote(embedOrigin)+`), true`, nil)
	poll(t, ctx, `reports.filter((r) => r.kind === "rogue").length === 2 && b.stats().droppedBy.origin >= 4 && b.stats().droppedBy.source >= 4`, 10*time.Second)

	var envelopeBefore int
	eval(t, ctx, `b.stats().droppedBy.envelope`, &envelopeBefore)
	eval(t, ctx, `window.captured = b.waitForEvent("captured", { timeoutMs: 5000 }), b.sendEvent("forge").then(() => true)`, nil)
	poll(t, ctx, `reports.some((r) => r.kind === "forged") && b.stats().droppedBy.replay >= 1 && b.stats().droppedBy.mac >= 3 && b.stats().droppedBy.session >= 1 && b.stats().droppedBy.envelope >= `+strconv.Itoa(envelopeBefore+3), 10*time.Second)
	if got := evalJSON(t, ctx, `window.captured`); got != `{"x":1}` {
		t.Errorf("the genuine event: %s", got)
	}
	if got := evalJSON(t, ctx, `events.filter((e) => e[1] && e[1].from === "rogue").length`); got != `0` {
		t.Errorf("a rogue event was delivered: %s", got)
	}
	if got := evalJSON(t, ctx, `b.request("echo", 5)`); got != `5` {
		t.Errorf("echo after the forgeries: %s", got)
	}
	var st struct {
		State     string         `json:"state"`
		Dropped   int            `json:"dropped"`
		DroppedBy map[string]int `json:"droppedBy"`
	}
	eval(t, ctx, `b.stats()`, &st)
	// envelope: the two malformed forgeries and the page's "forged" report,
	// which reached the parent's window listener.
	if st.State != "ready" || st.DroppedBy["replay"] != 1 || st.DroppedBy["mac"] != 3 || st.DroppedBy["session"] != 1 || st.DroppedBy["envelope"] != envelopeBefore+3 {
		t.Errorf("stats: %+v", st)
	}
	// A genuine event whose name holds NUL cannot be packed either way; it
	// goes member by member and arrives.
	eval(t, ctx, `b.sendEvent("nul\0name", { y: 3 }).then(() => true)`, nil)
	poll(t, ctx, `reports.some((r) => r.kind === "nul" && r.p && r.p.y === 3)`, 10*time.Second)
}

// TestBrowserReadyBeforeRuntime: the parent page imports bridge.js only
// once the child has posted bridge:ready; the early-message shim the
// server inserted kept it, and the parent becomes ready.
func TestBrowserReadyBeforeRuntime(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": `<!doctype html>
<meta charset="utf-8">
<title>late parent</title>
<iframe id="f" src="{{EMBED}}/early.html"></iframe>
<script>
window.reports = [];
window.ready = new Promise((resolve) => {
	addEventListener("message", (e) => {
		if (!e.data || !e.data.test) return;
		window.reports.push(e.data);
		if (e.data.kind !== "readySent" || window.b) return;
		window.shimKept = window.__caddyBridgeEarly ? window.__caddyBridgeEarly.queue.length : -1;
		window.loadedBefore = !!window.b;
		import("/_bridge/bridge.js").then((bridge) => {
			window.b = bridge.attach("#f");
			window.b.whenReady().then(() => resolve("ready"), (err) => resolve(err.code));
		});
	});
});
</script>
`,
		"embed/early.html": `<!doctype html>
<meta charset="utf-8">
<title>early child</title>
<script type="module">
import { createIframeChildBridge } from "/_bridge/bridge.js";
const report = (m) => parent.postMessage({ test: true, ...m }, "{{PARENT}}");
const c = createIframeChildBridge();
c.handleRequest("echo", (p) => p);
const t0 = Date.now();
const tick = () => {
	if (c.stats().sent >= 1) report({ kind: "readySent" });
	else if (Date.now() - t0 < 10000) setTimeout(tick, 5);
	else report({ kind: "never" });
};
tick();
</script>
`,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s (stats %s, reports %s)", ready, evalJSON(t, ctx, `window.b && b.stats()`), evalJSON(t, ctx, `reports`))
	}
	if got := evalJSON(t, ctx, `window.shimKept`); got != `1` {
		t.Errorf("messages the shim kept before the runtime loaded: %s", got)
	}
	if got := evalJSON(t, ctx, `b.request("echo", "late")`); got != `"late"` {
		t.Errorf("echo: %s", got)
	}
	if got := evalJSON(t, ctx, `b.stats().handshakes`); got != `1` {
		t.Errorf("handshakes: %s", got)
	}
}
