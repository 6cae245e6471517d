package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The lifecycle around attach(), createIframeChildBridge(), remount() and
// destroy() in Chromium: an iframe moved in the document, a destroy()
// while the runtime loads, a child page that makes its bridge twice (as
// React's StrictMode does), what onStateChange hears, and the child's
// history.state. (Found by an audit of the JS API; each test failed on the
// build before its fix.)

// lcChild is the embed page. Its query says what it does: id names it,
// mode selects a variant, ct is its connection timeout.
const lcChild = `<!doctype html>
<meta charset="utf-8">
<title>lc child</title>
<script type="module">
const q = new URLSearchParams(location.search);
const id = q.get("id") || "?", mode = q.get("mode") || "";
const load = performance.timeOrigin;
const report = (m) => parent.postMessage({ test: true, id, load, ...m }, "{{PARENT}}");
addEventListener("error", (e) => report({ kind: "uncaught", msg: String(e.error && (e.error.code || e.error.message) || e.message) }));
addEventListener("unhandledrejection", (e) => report({ kind: "uncaught", msg: "rejection " + String(e.reason && (e.reason.code || e.reason.message) || e.reason) }));
if (mode.includes("hsobj")) history.replaceState({ app: "keep-me", n: 1 }, "");
if (mode.includes("hsarr")) history.replaceState(["a", "b"], "");
if (mode.includes("hsstr")) history.replaceState("app-string", "");
if (mode.includes("nostore")) Storage.prototype.setItem = function () { throw new DOMException("blocked", "SecurityError"); };
const { createIframeChildBridge } = await import("/_bridge/bridge.js");
const states = [];
const opts = { onStateChange: (s) => { states.push(s); report({ kind: "state", which: 1, s }); } };
if (q.get("ct")) opts.connectionTimeoutMs = +q.get("ct");
const setup = (c, which) => {
  c.handleRequest("who", () => ({ id, which, load, state: c.state }));
  c.handleRequest("delay", (p) => new Promise((r) => setTimeout(() => r({ id, which, i: p.i }), p.ms)));
  c.on("reload", () => location.reload());
  c.on("nav", (u) => { location.href = u; });
  c.on("push", (u) => history.pushState({ route: u }, "", u));
  c.on("ask", async (p) => {
    try { report({ kind: "ask", which, v: await c.request(p.name, p.payload, { timeoutMs: 3000 }) }); }
    catch (e) { report({ kind: "ask", which, code: e.code }); }
  });
  c.whenConnected().then(
    () => report({ kind: "connected", which, sessionId: c.sessionId, url: location.href, hs: history.state, state: c.state }),
    (e) => report({ kind: "error", which, code: e.code, details: e.details, url: location.href, hs: history.state, state: c.state }));
};
if (mode.includes("strict")) {
  // React StrictMode: mount, cleanup (destroy), mount again, at once.
  const c0 = createIframeChildBridge();
  c0.destroy();
  c0.whenConnected().then(() => report({ kind: "c0", ok: true }), (e) => report({ kind: "c0", code: e.code }));
}
const c = createIframeChildBridge(opts);
window.c = c;
setup(c, 1);
if (mode.includes("twice")) {
  const c2 = createIframeChildBridge();
  setup(c2, 2);
}
if (mode.includes("recreate")) {
  c.whenConnected().then(() => {
    c.destroy();
    report({ kind: "destroyed", which: 1, state: c.state, states: [...states] });
    const c3 = createIframeChildBridge();
    setup(c3, 3);
  }, () => {});
}
</script>
`

// lcParent frames the child several times (the server rewrites these
// iframes) and exposes helpers; nothing is attached until a probe does.
const lcParent = `<!doctype html>
<meta charset="utf-8">
<title>lc parent</title>
<script>
window.uncaught = [];
addEventListener("error", (e) => window.uncaught.push(String(e.error && (e.error.code || e.error.message) || e.message)));
addEventListener("unhandledrejection", (e) => window.uncaught.push("rejection " + String(e.reason && (e.reason.code || e.reason.message) || e.reason)));
window.reports = [];
addEventListener("message", (e) => { if (e.data && e.data.test) window.reports.push(e.data); });
</script>
<div id="box"></div>
<div id="other-place"></div>
<iframe id="f1" src="{{EMBED}}/child.html?id=A"></iframe>
<iframe id="f2" src="{{EMBED}}/child.html?id=B&ct=1500"></iframe>
<iframe id="f3" src="{{EMBED}}/child.html?id=C"></iframe>
<iframe id="f4" src="{{EMBED}}/child.html?id=D&ct=1500"></iframe>
<iframe id="hold" src="{{EMBED}}/missing.html"></iframe>
<iframe id="nosrc"></iframe>
<div id="notframe"></div>
<script type="module">
import * as bridge from "/_bridge/bridge.js";
window.bridge = bridge;
const st = setTimeout;
window.sleep = (ms) => new Promise((r) => st(r, ms));
// settle gives {ok} or {code}, or {hang: true} after ms.
window.settle = (p, ms = 8000) => Promise.race([
  p.then((v) => ({ ok: v === undefined ? null : v }), (e) => ({ code: e && e.code, msg: e && e.message, isErr: e instanceof bridge.IframeBridgeError })),
  new Promise((r) => st(() => r({ hang: true }), ms)),
]);
window.logs = {};
window.track = (name, o = {}) => { const l = (window.logs[name] = []); return { ...o, onStateChange: (s) => l.push(s) }; };
window.rep = (id, kind) => reports.filter((r) => r.id === id && (!kind || r.kind === kind));
window.loaded = true;
</script>
`

func lcStart(t *testing.T, extra map[string]string) context.Context {
	t.Helper()
	pages := map[string]string{
		"parent/index.html": lcParent,
		"embed/child.html":  lcChild,
	}
	for k, v := range extra {
		pages[k] = v
	}
	root := sitePages(t, pages)
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 75*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	poll(t, ctx, `window.loaded === true`, 10*time.Second)
	return ctx
}

func lcJSON(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	return evalJSON(t, ctx, `(async () => { `+expr+` })()`)
}

func lcUncaught(t *testing.T, ctx context.Context) {
	t.Helper()
	u := evalJSON(t, ctx, `window.uncaught`)
	t.Logf("parent uncaught: %s; child uncaught: %s", u, evalJSON(t, ctx, `reports.filter((r) => r.kind === "uncaught")`))
	if u != "[]" {
		t.Errorf("uncaught errors in the parent page: %s", u)
	}
}

// lcBridge creates an iframe of the child page with createIframeBridge,
// as window[name], and returns what its whenReady() settled to.
func lcBridge(t *testing.T, ctx context.Context, name, query string) string {
	t.Helper()
	return lcJSON(t, ctx, `
		window.`+name+` = bridge.createIframeBridge(track("`+name+`", { container: "#box", src: "`+embedOrigin+`/child.html?`+query+`" }));
		return await settle(`+name+`.whenReady());`)
}

// TestBrowserIframeMoved: moving an attached iframe in the document loads
// its page again in a new window; the bridge follows it there (the child
// re-handshakes as after a reload) instead of dropping it as a stranger.
func TestBrowserIframeMoved(t *testing.T) {
	ctx := lcStart(t, nil)
	var before struct {
		R          map[string]any
		SameWindow bool
	}
	eval(t, ctx, `(async () => {
		window.b = bridge.attach("#f3", track("mv"));
		const R = await settle(b.whenReady());
		const f = document.getElementById("f3"), w0 = f.contentWindow;
		document.getElementById("other-place").appendChild(f);
		return { R, SameWindow: f.contentWindow === w0 };
	})()`, &before)
	if before.R["code"] != nil || before.SameWindow {
		t.Fatalf("before the move: %+v", before)
	}
	// The child's page in the new window (a later load time) has
	// connected or failed.
	poll(t, ctx, `(() => { const last = Math.max(...rep("C").map((r) => r.load));
		return new Set(rep("C").map((r) => r.load)).size >= 2 && rep("C").some((r) => r.load === last && (r.kind === "connected" || r.kind === "error")); })()`, 15*time.Second)
	var after struct {
		Q          map[string]any
		State      string
		Handshakes int
		Log        []string
		Dropped    map[string]float64
		Child      []map[string]any
	}
	eval(t, ctx, `(async () => ({
		Q: await settle(b.request("who", null, { timeoutMs: 3000 })), State: b.state, Handshakes: b.stats().handshakes,
		Log: logs.mv, Dropped: b.stats().droppedBy, Child: rep("C").filter((r) => r.kind === "connected" || r.kind === "error"),
	}))()`, &after)
	who, _ := after.Q["ok"].(map[string]any)
	if who["id"] != "C" || after.State != "ready" || after.Handshakes != 2 {
		t.Errorf("after the move: %+v", after)
	}
	for _, c := range after.Child {
		if c["kind"] != "connected" {
			t.Errorf("the moved child: %v", c)
		}
	}
	lcUncaught(t, ctx)
}

// TestBrowserDestroyWhileLoading: a bridge destroyed before its runtime
// bridge exists says nothing to its iframe (whose child then gives up
// after its connection timeout, 1.5 s here), and onStateChange hears
// "destroyed" once.
func TestBrowserDestroyWhileLoading(t *testing.T) {
	ctx := lcStart(t, nil)
	var got struct {
		At1, At2 []string
		W1, W2   map[string]any
	}
	eval(t, ctx, `(async () => {
		const d1 = bridge.attach("#f4", track("d1"));
		d1.destroy();
		const At1 = [...logs.d1];
		await bridge.load();
		const d2 = bridge.attach("#f2", track("d2"));
		await Promise.resolve();
		d2.destroy();
		const At2 = [...logs.d2];
		return { At1, At2, W1: await settle(d1.whenReady()), W2: await settle(d2.whenReady()) };
	})()`, &got)
	poll(t, ctx, `["D", "B"].every((id) => rep(id, "error").length + rep(id, "connected").length >= 1)`, 15*time.Second)
	var later struct {
		L1, L2     []string
		Connected  int
		ChildCodes []string
	}
	eval(t, ctx, `({ L1: logs.d1, L2: logs.d2, Connected: rep("D", "connected").length + rep("B", "connected").length,
		ChildCodes: [...rep("D", "error"), ...rep("B", "error")].map((r) => r.code) })`, &later)
	if !equalJSON(got.At1, []string{"destroyed"}) || !equalJSON(got.At2, []string{"destroyed"}) || !equalJSON(later.L1, got.At1) || !equalJSON(later.L2, got.At2) {
		t.Errorf("onStateChange: %v and %v at destroy(), %v and %v later", got.At1, got.At2, later.L1, later.L2)
	}
	if got.W1["code"] != "BRIDGE_DESTROYED" || got.W2["code"] != "BRIDGE_DESTROYED" {
		t.Errorf("whenReady after destroy(): %v, %v", got.W1, got.W2)
	}
	if later.Connected != 0 || !equalJSON(later.ChildCodes, []string{"HANDSHAKE_TIMEOUT", "HANDSHAKE_TIMEOUT"}) {
		t.Errorf("the iframes of destroyed bridges: %d connected, errors %v", later.Connected, later.ChildCodes)
	}
	lcUncaught(t, ctx)
}

// TestBrowserStateReports: what onStateChange hears across remount(), a
// setup that fails (a second attach() to one iframe: its token is already
// redeemed) and destroy().
func TestBrowserStateReports(t *testing.T) {
	ctx := lcStart(t, nil)
	var got struct {
		First, Remount, Destroy, Second []string
		SecondState                     string
		SecondErr                       map[string]any
	}
	eval(t, ctx, `(async () => {
		const b = bridge.attach("#f1", track("s"));
		await b.whenReady();
		const First = [...logs.s];
		logs.s.length = 0;
		await b.remount();
		const Remount = [...logs.s];
		logs.s.length = 0;
		const b2 = bridge.attach(b.iframe, track("s2"));
		const SecondErr = await settle(b2.whenReady());
		b.destroy();
		return { First, Remount, Destroy: [...logs.s], Second: logs.s2, SecondState: b2.state, SecondErr };
	})()`, &got)
	want := []string{"mounting", "waiting_for_handshake", "ready"}
	if !equalJSON(got.First, want) || !equalJSON(got.Remount, want) || !equalJSON(got.Destroy, []string{"destroyed"}) {
		t.Errorf("onStateChange: first %v, remount %v, destroy %v; want %v, %v, [destroyed]", got.First, got.Remount, got.Destroy, want, want)
	}
	if got.SecondErr["code"] != "TOKEN_ALREADY_REDEEMED" || got.SecondState != "handshake_failed" || !equalJSON(got.Second, []string{"handshake_failed"}) {
		t.Errorf("a second attach(): %v, state %s, onStateChange %v", got.SecondErr, got.SecondState, got.Second)
	}
	lcUncaught(t, ctx)
}

// TestBrowserChildMadeTwice: a child page that makes its bridge, destroys
// it and makes it again at once (React's StrictMode) connects; so does
// one that makes a new bridge after destroying a connected one. Both
// bridges of the first redeem the token once, together.
func TestBrowserChildMadeTwice(t *testing.T) {
	ctx := lcStart(t, nil)
	for _, c := range []struct{ name, which string }{{"sm", "1"}, {"rc", "3"}} {
		r := lcBridge(t, ctx, c.name, "id="+c.name+"&mode="+map[string]string{"sm": "strict", "rc": "recreate"}[c.name])
		if !strings.Contains(r, `"ok"`) {
			t.Fatalf("%s: %s", c.name, r)
		}
		poll(t, ctx, `rep("`+c.name+`", "connected").some((r) => r.which === `+c.which+`) || rep("`+c.name+`", "error").length > 0`, 15*time.Second)
		var got struct {
			Q      map[string]any
			Errors []map[string]any
		}
		eval(t, ctx, `(async () => ({ Q: await settle(`+c.name+`.request("who", null, { timeoutMs: 3000 })), Errors: rep("`+c.name+`", "error") }))()`, &got)
		who, _ := got.Q["ok"].(map[string]any)
		if fmt.Sprint(who["which"]) != c.which || len(got.Errors) != 0 {
			t.Errorf("%s: request %v, child errors %v", c.name, got.Q, got.Errors)
		}
	}
	lcUncaught(t, ctx)
}

// TestBrowserChildHistoryState: the child keeps the session in
// history.state beside the page's own state when that is a plain object,
// and leaves any other state as it is.
func TestBrowserChildHistoryState(t *testing.T) {
	ctx := lcStart(t, nil)
	for _, c := range []struct{ mode, want string }{
		{"hsobj", `{"app":"keep-me","n":1,"__caddyBridge":true}`},
		{"hsarr", `["a","b"]`},
		{"hsstr", `"app-string"`},
	} {
		r := lcBridge(t, ctx, c.mode, "id="+c.mode+"&mode="+c.mode)
		poll(t, ctx, `rep("`+c.mode+`", "connected").length + rep("`+c.mode+`", "error").length >= 1`, 10*time.Second)
		hs := evalJSON(t, ctx, `(() => { const h = rep("`+c.mode+`", "connected").map((r) => r.hs)[0];
			return h && typeof h === "object" && !Array.isArray(h) ? { ...h, __caddyBridge: !!(h.__caddyBridge && h.__caddyBridge.sessionId) } : h; })()`)
		if !strings.Contains(r, `"ok"`) || hs != c.want {
			t.Errorf("%s: ready %s, history.state %s, want %s", c.mode, r, hs, c.want)
		}
	}
	lcUncaught(t, ctx)
}
