package integration

import (
	"encoding/json"
	"testing"
	"time"
)

// Edge cases of the JS API in Chromium: arguments of the wrong type, the
// size limit, timeouts beyond setTimeout's range, the lifecycle around
// destroy(), remount() and a failed handshake, and createIframeBridge's
// config. Each test asserts what a caller gets back, and that the page's
// runtime keeps working afterwards.

// edgeChild is an embed page with the handlers the tests call.
const edgeChild = `<!doctype html>
<meta charset="utf-8">
<title>edge child</title>
<script type="module">
import { createIframeChildBridge } from "/_bridge/bridge.js";
const report = (m) => parent.postMessage({ test: true, ...m }, "{{PARENT}}");
const c = createIframeChildBridge();
c.handleRequest("echo", (p) => p);
c.handleRequest("delay", (p) => new Promise((r) => setTimeout(() => r(p.i), p.ms)));
c.handleRequest("bigResp", (n) => "y".repeat(n));
c.handleRequest("fn", () => () => 1);
let gotBig = 0;
c.on("big", () => gotBig++);
c.handleRequest("gotBig", () => gotBig);
c.on("ask", async (p) => {
  try { report({ kind: "ask", id: p.id, v: await c.request(p.name, p.payload) }); }
  catch (e) { report({ kind: "ask", id: p.id, code: e.code, remote: e.details.remoteError && e.details.remoteError.code }); }
});
await c.whenConnected().catch(() => {});
</script>
`

// edgeParent frames src and attaches a bridge with options opts (a JS
// object literal). It counts setTimeout calls, session requests and
// uncaught errors from before the runtime loads.
func edgeParent(src, opts string) string {
	return `<!doctype html>
<meta charset="utf-8">
<title>edge parent</title>
<script>
window.stCount = 0;
const st = window.setTimeout;
window.setTimeout = function (...a) { window.stCount++; return st.apply(this, a); };
window.sessions = 0;
const f = window.fetch;
window.fetch = function (u, ...a) { if (String(u).endsWith("/_bridge/session")) window.sessions++; return f.call(this, u, ...a); };
window.uncaught = [];
addEventListener("error", (e) => window.uncaught.push(String(e.error && (e.error.code || e.error.message) || e.message)));
addEventListener("unhandledrejection", (e) => window.uncaught.push("rejection " + String(e.reason && (e.reason.code || e.reason.message) || e.reason)));
</script>
<div id="box"></div>
<iframe id="f" src="` + src + `"></iframe>
<script type="module">
import * as bridge from "/_bridge/bridge.js";
window.bridge = bridge;
window.reports = [];
addEventListener("message", (e) => { if (e.data && e.data.test) window.reports.push(e.data); });
window.settle = (p) => p.then((v) => ({ ok: v === undefined ? null : v }), (e) => ({ code: e.code, details: e.details, isErr: e instanceof bridge.IframeBridgeError }));
window.ask = async (id, name, payload) => {
  await b.sendEvent("ask", { id, name, payload });
  for (;;) {
    const r = reports.find((r) => r.kind === "ask" && r.id === id);
    if (r) return r;
    await new Promise((r) => st(r, 10));
  }
};
window.alive = () => b.request("echo", "alive", { timeoutMs: 3000 }).then((v) => v, (e) => "dead " + e.code);
const b = bridge.attach("#f", ` + opts + `);
window.b = b;
window.ready = b.whenReady().then(() => "ready", (e) => e.code);
</script>
`
}

func edgeSetup(t *testing.T, parentBlock, embedBlock, parentHTML string) {
	t.Helper()
	root := sitePages(t, map[string]string{
		"parent/index.html": parentHTML,
		"embed/child.html":  edgeChild,
		"embed/dead.html":   "<!doctype html><p>no bridge here</p>",
	})
	start(t, browserSites(root, parentBlock, embedBlock))
}

// settled is what window.settle gives.
type settled struct {
	OK      any            `json:"ok"`
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	IsErr   bool           `json:"isErr"`
}

func wantCode(t *testing.T, what string, got settled, code string) {
	t.Helper()
	if got.Code != code || !got.IsErr {
		t.Errorf("%s: got %+v, want an IframeBridgeError %s", what, got, code)
	}
}

func edgeReady(t *testing.T, parentHTML string) (ctxEval func(expr string, out any)) {
	t.Helper()
	edgeSetup(t, "", "", parentHTML)
	ctx := newBrowser(t, 90*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("ready: %s", ready)
	}
	return func(expr string, out any) {
		t.Helper()
		eval(t, ctx, expr, out)
	}
}

// TestBrowserOddArguments: names, timeouts and options of the wrong type
// (a BigInt, which syscall/js cannot type, a Symbol, a blank string) are
// refused with the error of their kind, and the runtime, which is shared
// by every bridge of the page, keeps working.
func TestBrowserOddArguments(t *testing.T) {
	run := edgeReady(t, edgeParent("{{EMBED}}/child.html", "{}"))
	cases := []struct{ expr, code string }{
		{`b.request("echo", 1, { timeoutMs: 10n })`, "OPERATION_INVALID_TIMEOUT"},
		{`b.sendEvent("x", 1, { timeoutMs: 10n })`, "OPERATION_INVALID_TIMEOUT"},
		{`b.waitForEvent("x", { timeoutMs: 10n })`, "OPERATION_INVALID_TIMEOUT"},
		{`b.waitForEvent("x", { timeoutMs: Symbol() })`, "OPERATION_INVALID_TIMEOUT"},
		{`b.request("echo", 1, { signal: { aborted: 1n, addEventListener() {}, removeEventListener() {} } })`, ""},
		{`b.request(10n, 1)`, "MESSAGE_INVALID_ENVELOPE"},
		{`b.request("", 1)`, "MESSAGE_INVALID_ENVELOPE"},
		{`b.sendEvent("  ", 1)`, "MESSAGE_INVALID_ENVELOPE"},
		{`b.waitForEvent(10n, { timeoutMs: 50 })`, "MESSAGE_INVALID_ENVELOPE"},
		{`(async () => b.on(10n, () => {}))()`, "MESSAGE_INVALID_ENVELOPE"},
		{`(async () => b.handleRequest("", () => 1))()`, "MESSAGE_INVALID_ENVELOPE"},
		{`bridge.createIframeBridge({ container: "#box", src: "` + embedOrigin + `/child.html", handshakeTimeoutMs: 10n }).whenReady()`, "CONFIG_INVALID_TIMEOUT"},
		{`bridge.createIframeBridge({ container: "#box", src: "` + embedOrigin + `/child.html", queueMaxSize: 10n }).whenReady()`, "CONFIG_INVALID_QUEUE"},
		{`bridge.createIframeBridge({ container: "#box", src: "` + embedOrigin + `/child.html", queueDisabled: 1n, operationTimeoutMs: 0 }).whenReady()`, "CONFIG_INVALID_TIMEOUT"},
	}
	for _, c := range cases {
		var got struct {
			R      settled  `json:"r"`
			Alive  string   `json:"alive"`
			Errors []string `json:"errors"`
		}
		run(`(async () => ({ r: await settle(`+c.expr+`), alive: await alive(), errors: uncaught.slice() }))()`, &got)
		if c.code == "" {
			if got.R.Code != "" {
				t.Errorf("%s: %+v, want it answered", c.expr, got.R)
			}
		} else {
			wantCode(t, c.expr, got.R, c.code)
		}
		if got.Alive != "alive" || len(got.Errors) != 0 {
			t.Fatalf("after %s: runtime %q, uncaught errors %q", c.expr, got.Alive, got.Errors)
		}
	}
	var frames int
	run(`document.querySelectorAll("#box iframe").length`, &frames)
	if frames != 0 {
		t.Errorf("a createIframeBridge with a bad config made %d iframes", frames)
	}
}

// TestBrowserSizeLimit: a request or event past the runtime's 1 MiB limit
// is refused at once, not sent to be dropped; a handler's answer past it
// reaches the caller as the handler's failure; a payload just under it
// goes through.
func TestBrowserSizeLimit(t *testing.T) {
	run := edgeReady(t, edgeParent("{{EMBED}}/child.html", "{}"))
	var got struct {
		Request, Event, Control, Response settled
		GotBig                            int
		Near                              bool
		Alive                             string
	}
	run(`(async () => ({
		Request: await settle(b.request("echo", "x".repeat(1100000), { timeoutMs: 20000 })),
		Event: await settle(b.sendEvent("big", "x".repeat(1100000))),
		Control: await settle(b.request("echo", "\u0001".repeat(200000), { timeoutMs: 20000 })),
		Response: await settle(b.request("bigResp", 1100000, { timeoutMs: 20000 })),
		GotBig: await b.request("gotBig"),
		Near: await b.request("echo", "x".repeat(1000000), { timeoutMs: 20000 }).then((v) => v.length === 1000000),
		Alive: await alive(),
	}))()`, &got)
	for what, r := range map[string]settled{"request": got.Request, "event": got.Event, "request of 200000 control characters (1.2 MB of JSON)": got.Control} {
		wantCode(t, what, r, "MESSAGE_INVALID_PAYLOAD")
		if r.Details["maxMessageBytes"] != float64(1<<20) {
			t.Errorf("%s: details %v", what, r.Details)
		}
	}
	wantCode(t, "response", got.Response, "REQUEST_REMOTE_ERROR")
	if remote, _ := got.Response.Details["remoteError"].(map[string]any); remote["code"] != "REQUEST_HANDLER_ERROR" {
		t.Errorf("response: remote error %v", got.Response.Details)
	}
	if got.GotBig != 0 || !got.Near || got.Alive != "alive" {
		t.Errorf("child got %d big events; 1e6 characters echoed: %v; runtime %q", got.GotBig, got.Near, got.Alive)
	}
}

// TestBrowserHugeTimeout: a timeout past setTimeout's 32-bit range waits
// without spinning (a browser fires such a delay at once).
func TestBrowserHugeTimeout(t *testing.T) {
	run := edgeReady(t, edgeParent("{{EMBED}}/child.html", "{ handshakeTimeoutMs: 1000 }"))
	// The runtime's one JavaScript timeout stays armed for the
	// handshake's deadline after the handshake; a timer armed later
	// than that only arms it once that deadline has passed. The page's
	// own timeout of 1100 ms, started after the handshake, fires after it.
	// (Only one timeout is tried: the JavaScript timeout armed for it
	// stays armed after the request, and would hide a second one.)
	for _, ms := range []string{"2 ** 53 - 1"} {
		var got struct {
			R     settled
			Calls int
		}
		run(`(async () => {
			await new Promise((r) => setTimeout(r, 1100));
			const c0 = stCount + 1;
			const r = await settle(b.request("delay", { i: 7, ms: 400 }, { timeoutMs: `+ms+` }));
			return { R: r, Calls: stCount - c0 };
		})()`, &got)
		if got.R.OK != float64(7) {
			t.Errorf("timeoutMs %s: %+v", ms, got.R)
		}
		if got.Calls > 2 {
			t.Errorf("timeoutMs %s: %d setTimeout calls during a 400 ms request", ms, got.Calls)
		}
	}
}

// TestBrowserLifecycleEdges: stats() after destroy(); a request handler
// replaced and then removed stays removed across remount(); on() and
// handleRequest() after a failed handshake raise nothing.
func TestBrowserLifecycleEdges(t *testing.T) {
	run := edgeReady(t, edgeParent("{{EMBED}}/child.html", "{}"))
	var handlers []any
	run(`(async () => {
		b.handleRequest("pdup", () => "first");
		const off = b.handleRequest("pdup", () => "second");
		const a = await ask(1, "pdup");
		off();
		const c = await ask(2, "pdup");
		await b.remount();
		const d = await ask(3, "pdup");
		return [a.v, c.remote, d.remote];
	})()`, &handlers)
	if want := []any{"second", "REQUEST_HANDLER_NOT_FOUND", "REQUEST_HANDLER_NOT_FOUND"}; !equalJSON(handlers, want) {
		t.Errorf("handler replaced, removed, remounted: %v, want %v", handlers, want)
	}

	var stats struct {
		Before, After struct {
			State    string `json:"state"`
			Version  int    `json:"version"`
			Sent     int    `json:"sent"`
			Accepted int    `json:"accepted"`
		}
		Request settled
	}
	run(`(async () => {
		await b.request("echo", 1);
		const Before = b.stats();
		b.destroy();
		return { Before, After: b.stats(), Request: await settle(b.request("echo", 1)) };
	})()`, &stats)
	if stats.After.State != "destroyed" || stats.After.Sent != stats.Before.Sent || stats.After.Accepted != stats.Before.Accepted || stats.After.Version != 2 || stats.Before.Sent == 0 {
		t.Errorf("stats before destroy %+v, after %+v", stats.Before, stats.After)
	}
	wantCode(t, "request after destroy", stats.Request, "BRIDGE_DESTROYED")

	// A child that never says ready.
	var failed struct {
		Ready  string
		State  string
		Errors []string
	}
	run(`(async () => {
		const d = bridge.createIframeBridge({ container: "#box", src: "`+embedOrigin+`/dead.html", handshakeTimeoutMs: 300 });
		const Ready = await d.whenReady().then(() => "ready", (e) => e.code);
		d.on("x", () => {})();
		d.handleRequest("x", () => 1)();
		await new Promise((r) => setTimeout(r, 0));
		return { Ready, State: d.state, Errors: uncaught.slice() };
	})()`, &failed)
	if failed.Ready != "HANDSHAKE_TIMEOUT" || failed.State != "handshake_failed" || len(failed.Errors) != 0 {
		t.Errorf("after a handshake timeout: %+v", failed)
	}
}

// TestBrowserCreateConfig: createIframeBridge refuses a config it cannot
// use before it mints a session or makes an iframe.
func TestBrowserCreateConfig(t *testing.T) {
	run := edgeReady(t, edgeParent("{{EMBED}}/child.html", "{}"))
	cases := []struct {
		config, code string
		details      map[string]any
	}{
		{`{ container: "#box" }`, "CONFIG_INVALID_SRC", map[string]any{"fieldName": "src"}},
		{`{ container: "#box", src: "javascript:alert(1)" }`, "CONFIG_INVALID_SRC", map[string]any{"fieldName": "src"}},
		{`{ container: "#box", src: "http://[" }`, "CONFIG_INVALID_SRC", map[string]any{"fieldName": "src"}},
		{`{ container: "#nope", src: "` + embedOrigin + `/child.html" }`, "CONFIG_INVALID_CONTAINER", map[string]any{}},
		{`{ container: "#box", src: "` + embedOrigin + `/child.html", queueMaxSize: -1 }`, "CONFIG_INVALID_QUEUE", map[string]any{"maxSize": float64(-1)}},
		{`{ container: "#box", src: "` + embedOrigin + `/child.html", handshakeTimeoutMs: 0 }`, "CONFIG_INVALID_TIMEOUT", map[string]any{"name": "handshakeTimeoutMs", "timeoutMs": float64(0)}},
		{`{ container: "#box", src: "` + embedOrigin + `/child.html", operationTimeoutMs: 1.5 }`, "CONFIG_INVALID_TIMEOUT", map[string]any{"name": "operationTimeoutMs", "timeoutMs": 1.5}},
	}
	for _, c := range cases {
		var got struct {
			R        settled
			Sessions int
			Frames   int
		}
		run(`(async () => {
			const s0 = sessions;
			const R = await settle(bridge.createIframeBridge(`+c.config+`).whenReady());
			return { R, Sessions: sessions - s0, Frames: document.querySelectorAll("#box iframe").length };
		})()`, &got)
		wantCode(t, c.config, got.R, c.code)
		if !equalJSON(got.R.Details, c.details) || got.Sessions != 0 || got.Frames != 0 {
			t.Errorf("%s: details %v (want %v), %d sessions, %d iframes", c.config, got.R.Details, c.details, got.Sessions, got.Frames)
		}
	}
	// And a good one, to show the page can.
	var ok struct {
		R      settled
		Frames int
	}
	run(`(async () => ({ R: await settle(bridge.createIframeBridge({ container: "#box", src: "`+embedOrigin+`/child.html" }).whenReady()), Frames: document.querySelectorAll("#box iframe").length }))()`, &ok)
	if ok.R.Code != "" || ok.Frames != 1 {
		t.Errorf("a good config: %+v, %d iframes", ok.R, ok.Frames)
	}
}

// TestBrowserV1Payloads: on a v1 session (signing off) payloads travel by
// structured clone: one postMessage cannot clone is refused at once, and a
// handler's answer that it cannot clone reaches the caller as the
// handler's failure instead of a timeout.
func TestBrowserV1Payloads(t *testing.T) {
	off := " {\n\t\t\tsigning off\n\t\t}"
	edgeSetup(t, off, off, edgeParent("{{EMBED}}/child.html", "{}"))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var got struct {
		Ready          string
		Version        int
		Fn, HandlerFn  settled
		Cyclic, BigInt settled
		After          any
	}
	eval(t, ctx, `(async () => {
		const cyc = {}; cyc.self = cyc;
		return {
			Ready: await window.ready, Version: b.stats().version,
			Fn: await settle(b.request("echo", () => 1)),
			HandlerFn: await settle(b.request("fn", null, { timeoutMs: 20000 })),
			Cyclic: await settle(b.request("echo", cyc)),
			BigInt: await settle(b.request("echo", 10n).then((v) => typeof v)),
			After: await b.request("echo", 3),
		};
	})()`, &got)
	if got.Ready != "ready" || got.Version != 1 {
		t.Fatalf("session: %+v", got)
	}
	wantCode(t, "a function", got.Fn, "MESSAGE_INVALID_PAYLOAD")
	wantCode(t, "a handler answering a function", got.HandlerFn, "REQUEST_REMOTE_ERROR")
	if remote, _ := got.HandlerFn.Details["remoteError"].(map[string]any); remote["code"] != "REQUEST_HANDLER_ERROR" {
		t.Errorf("handler answering a function: %v", got.HandlerFn.Details)
	}
	// The peer's size check cannot measure a cyclic value, so it is
	// refused as too large rather than sent to be dropped.
	wantCode(t, "a cyclic object", got.Cyclic, "MESSAGE_INVALID_PAYLOAD")
	if got.BigInt.OK != "bigint" || got.After != float64(3) {
		t.Errorf("a BigInt (structured clone carries it): %+v; then %v", got.BigInt, got.After)
	}
}

// equalJSON compares two values by their JSON text.
func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
