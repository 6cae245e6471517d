package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// keysChild is an embed page whose child bridge answers echo and slow,
// asks the parent for a sum on the event "ask", reports its stats on
// "stats", reloads on "reload", and says hello once connected. It records
// the key id of every signed message it posts on the port
// (MessagePort.prototype.postMessage, hooked before the runtime loads).
const keysChild = `<!doctype html>
<meta charset="utf-8">
<title>keys</title>
<script type="module">
import { createIframeChildBridge } from "/_bridge/bridge.js";
const kids = [];
const post = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function (m, ...rest) {
  if (m && m.auth && typeof m.auth.kid === "string" && kids[kids.length - 1] !== m.auth.kid) kids.push(m.auth.kid);
  return post.call(this, m, ...rest);
};
const report = (m) => parent.postMessage({ test: true, ...m }, "{{PARENT}}");
const c = createIframeChildBridge({ connectionTimeoutMs: 5000 });
c.handleRequest("echo", (p) => ({ echo: p, sessionId: c.sessionId, loads: performance.getEntriesByType("navigation")[0].type }));
c.handleRequest("slow", (p) => new Promise((r) => setTimeout(() => r("late"), p.ms)));
c.on("ask", async (p) => {
  try { report({ kind: "sum", sum: await c.request("sum", p), sessionId: c.sessionId }); }
  catch (e) { report({ kind: "sumError", code: e.code }); }
});
c.on("stats", () => report({ kind: "stats", stats: c.stats(), kids, sessionId: c.sessionId }));
c.on("reload", () => location.reload());
try {
  await c.whenConnected();
  report({ kind: "connected", sessionId: c.sessionId });
  await c.sendEvent("hello", { sessionId: c.sessionId });
} catch (e) {
  report({ kind: "error", code: e.code });
}
</script>
`

// keysParent frames keys.html (src, rewritten by the server), attaches a
// bridge, listens for hello twice (once through a listener it removes
// on request) and answers sum.
func keysParent(src string) string {
	return `<!doctype html>
<meta charset="utf-8">
<title>parent</title>
<iframe id="f" class="widget" src="` + src + `"></iframe>
<script type="module">
import * as bridge from "/_bridge/bridge.js";
window.reports = [];
window.events = [];
window.extra = 0;
addEventListener("message", (e) => { if (e.data && e.data.test) window.reports.push(e.data); });
const b = bridge.attach("#f");
window.b = b;
b.on("hello", (p) => window.events.push(["hello", p]));
window.offExtra = b.on("hello", () => window.extra++);
b.handleRequest("sum", (p) => p.a + p.b);
window.ready = b.whenReady().then(() => "ready", (e) => e.code);
window.lastReport = (kind) => window.reports.filter((r) => r.kind === kind).at(-1);
</script>
`
}

var kidRE = regexp.MustCompile(`^[A-Za-z0-9_-]{12}$`)

// TestBrowserRekey: the parent rotates the session key in the middle of a
// signed session. Both sides switch to the new key (the child's messages
// carry the new key id), requests keep working both ways, nothing is
// dropped, and a reload of the child after the rotation re-handshakes
// with the rotated key it kept.
func TestBrowserRekey(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": keysParent("{{EMBED}}/keys.html"),
		"embed/keys.html":   keysChild,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	var ready string
	eval(t, ctx, `window.ready`, &ready)
	if ready != "ready" {
		t.Fatalf("whenReady: %s", ready)
	}
	poll(t, ctx, `reports.some((r) => r.kind === "connected")`, 10*time.Second)

	var kid string
	eval(t, ctx, `b.rekey()`, &kid)
	if !kidRE.MatchString(kid) {
		t.Fatalf("rekey() = %q, want a 12-character base64url key id", kid)
	}
	if got := evalJSON(t, ctx, `b.request("echo", {n: 1}).then((a) => a.echo)`); got != `{"n":1}` {
		t.Errorf("request after rekey: %s", got)
	}
	eval(t, ctx, `b.sendEvent("ask", {a: 2, b: 5}).then(() => true)`, nil)
	poll(t, ctx, `lastReport("sum")`, 10*time.Second)
	if got := evalJSON(t, ctx, `lastReport("sum").sum`); got != "7" {
		t.Errorf("child's request after rekey: %s", got)
	}
	eval(t, ctx, `b.sendEvent("stats").then(() => true)`, nil)
	poll(t, ctx, `lastReport("stats")`, 10*time.Second)
	var child struct {
		Stats struct {
			Rekeys  int `json:"rekeys"`
			Dropped int `json:"dropped"`
			Version int `json:"version"`
		} `json:"stats"`
		Kids []string `json:"kids"`
	}
	eval(t, ctx, `lastReport("stats")`, &child)
	if child.Stats.Rekeys != 1 || child.Stats.Dropped != 0 || child.Stats.Version != 2 {
		t.Errorf("child stats after rekey: %+v", child.Stats)
	}
	if n := len(child.Kids); n != 2 || child.Kids[1] != kid || child.Kids[0] == kid {
		t.Errorf("key ids the child signed with: %q, want the first key's and then %q", child.Kids, kid)
	}
	var parent struct {
		Rekeys    int            `json:"rekeys"`
		Dropped   int            `json:"dropped"`
		DroppedBy map[string]int `json:"droppedBy"`
	}
	// The parent's only drops are the test's own reports, which are not
	// bridge messages ("envelope").
	checkParentDrops := func(when string) {
		t.Helper()
		var reports int
		eval(t, ctx, `b.stats()`, &parent)
		eval(t, ctx, `reports.length`, &reports)
		if parent.Dropped != reports || parent.DroppedBy["envelope"] != reports {
			t.Errorf("parent drops %s: %d %v, want only the %d test reports (envelope)", when, parent.Dropped, parent.DroppedBy, reports)
		}
	}
	checkParentDrops("after rekey")
	if parent.Rekeys != 1 {
		t.Errorf("parent rekeys: %d", parent.Rekeys)
	}

	// The child reloads: it signs its ready with the rotated key it kept.
	eval(t, ctx, `b.sendEvent("reload").then(() => true)`, nil)
	poll(t, ctx, `reports.filter((r) => r.kind === "connected").length >= 2 && b.stats().handshakes >= 2 && b.state === "ready"`, 15*time.Second)
	if got := evalJSON(t, ctx, `b.request("echo", {n: 2}).then((a) => [a.echo.n, a.loads])`); got != `[2,"reload"]` {
		t.Errorf("request after the reload: %s", got)
	}
	eval(t, ctx, `b.sendEvent("ask", {a: 20, b: 3}).then(() => true)`, nil)
	poll(t, ctx, `lastReport("sum") && lastReport("sum").sum === 23`, 10*time.Second)
	eval(t, ctx, `b.sendEvent("stats").then(() => true)`, nil)
	poll(t, ctx, `reports.filter((r) => r.kind === "stats").length >= 2`, 10*time.Second)
	eval(t, ctx, `lastReport("stats")`, &child)
	if len(child.Kids) == 0 || child.Kids[0] != kid || child.Stats.Dropped != 0 {
		t.Errorf("after the reload the child signed with %q (dropped %d), want only %q", child.Kids, child.Stats.Dropped, kid)
	}
	checkParentDrops("after the reload")
}

// TestBrowserRemount: remount() ends the session (a pending request fails
// with BRIDGE_DESTROYED), mints a new one at the parent's origin, puts a
// fresh copy of the iframe in place with the new token where the server
// had put the first (query or fragment), and is ready again, with the
// listeners and request handlers registered before it (and not those
// removed) working on the new session.
func TestBrowserRemount(t *testing.T) {
	for _, tc := range []struct {
		name, block, where string
	}{
		{"query", "", "?"},
		{"fragment", "\n\t\tsession_in hash", "#"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := sitePages(t, map[string]string{
				"parent/index.html": keysParent("{{EMBED}}/keys.html?tab=2"),
				"embed/keys.html":   keysChild,
			})
			start(t, browserSites(root, tc.block, ""))
			ctx := newBrowser(t, 60*time.Second)
			navigate(t, ctx, parentOrigin+"/")
			var ready string
			eval(t, ctx, `window.ready`, &ready)
			if ready != "ready" {
				t.Fatalf("whenReady: %s", ready)
			}
			poll(t, ctx, `events.length === 1 && extra === 1`, 10*time.Second)
			var first string
			eval(t, ctx, `b.sessionId`, &first)
			eval(t, ctx, `window.oldFrame = b.iframe; window.pending = b.request("slow", {ms: 20000}, {timeoutMs: 30000}).then(() => "resolved", (e) => e.code); offExtra(); true`, nil)

			var remounted string
			eval(t, ctx, `b.remount().then(() => "ready", (e) => e.code)`, &remounted)
			if remounted != "ready" {
				t.Fatalf("remount(): %s (stats %s)", remounted, evalJSON(t, ctx, `b.stats()`))
			}
			var pending string
			eval(t, ctx, `window.pending`, &pending)
			if pending != "BRIDGE_DESTROYED" {
				t.Errorf("request pending at the remount: %s, want BRIDGE_DESTROYED", pending)
			}
			var second string
			eval(t, ctx, `b.sessionId`, &second)
			if second == "" || second == first {
				t.Fatalf("session after remount %q, before %q", second, first)
			}
			var dom struct {
				Frames   int    `json:"frames"`
				OldInDoc bool   `json:"oldInDoc"`
				Same     bool   `json:"same"`
				ID       string `json:"id"`
				Src      string `json:"src"`
				State    string `json:"state"`
				Version  int    `json:"version"`
			}
			eval(t, ctx, `({frames: document.querySelectorAll("iframe").length, oldInDoc: oldFrame.isConnected, same: oldFrame === b.iframe, id: b.iframe.id + "." + b.iframe.className, src: b.iframe.src, state: b.state, version: b.stats().version})`, &dom)
			if dom.Frames != 1 || dom.OldInDoc || dom.Same || dom.ID != "f.widget" || dom.State != "ready" || dom.Version != 2 {
				t.Errorf("after remount: %+v", dom)
			}
			if !strings.Contains(dom.Src, "tab=2") || !strings.Contains(dom.Src, tc.where) ||
				strings.Contains(dom.Src, first) || strings.Count(dom.Src, "__iframeBridgeSessionId=") != 1 {
				t.Errorf("new iframe URL %s: want tab=2 and one session parameter after %q, not the old session", dom.Src, tc.where)
			}
			if i := strings.Index(dom.Src, tc.where); i < 0 || !strings.Contains(dom.Src[i:], "__iframeBridgeSessionId=") {
				t.Errorf("new iframe URL %s: session not in the %s", dom.Src, tc.name)
			}
			// Carried over: the hello listener (not the removed one) and
			// the sum handler, now on the new session.
			poll(t, ctx, `events.length === 2`, 10*time.Second)
			if got := evalJSON(t, ctx, `[events[1][1].sessionId === b.sessionId, extra]`); got != `[true,1]` {
				t.Errorf("listeners after remount (new session's hello, removed listener's count): %s", got)
			}
			eval(t, ctx, `b.sendEvent("ask", {a: 1, b: 2}).then(() => true)`, nil)
			poll(t, ctx, `lastReport("sum")`, 10*time.Second)
			if got := evalJSON(t, ctx, `[lastReport("sum").sum, lastReport("sum").sessionId === b.sessionId]`); got != `[3,true]` {
				t.Errorf("child's request after remount: %s", got)
			}
			if got := evalJSON(t, ctx, `b.request("echo", "x").then((a) => [a.echo, a.sessionId === b.sessionId])`); got != `["x",true]` {
				t.Errorf("request after remount: %s", got)
			}
			// The new session's only drops are the test's reports.
			if got := evalJSON(t, ctx, `[b.stats().dropped - b.stats().droppedBy.envelope, b.stats().droppedBy.envelope <= reports.length]`); got != `[0,true]` {
				t.Errorf("drops after remount: %s (%s)", got, evalJSON(t, ctx, `b.stats()`))
			}
		})
	}
}

// abortPage attaches a bridge and, in the same task (before the runtime
// has loaded or the session is redeemed), sends a request whose signal
// aborts at once, and one with a signal aborted before the call. Both
// must fail with OPERATION_ABORTED while the bridge is still mounting;
// the bridge itself goes on to be ready.
const abortPage = `<!doctype html>
<meta charset="utf-8">
<title>abort</title>
<iframe id="f" src="{{EMBED}}/keys.html"></iframe>
<script type="module">
import * as bridge from "/_bridge/bridge.js";
const b = bridge.attach("#f");
window.b = b;
const settle = (p) => p.then(() => ({ code: "resolved", state: b.state }), (e) => ({ code: e.code, name: e.name, state: b.state }));
const ac = new AbortController();
window.aborted = settle(b.request("echo", 1, { signal: ac.signal }));
window.preAborted = settle(b.request("echo", 2, { signal: AbortSignal.abort() }));
window.waitAborted = settle(b.waitForEvent("never", { signal: ac.signal }));
window.startState = b.state;
ac.abort();
window.after = b.whenReady().then(() => b.request("echo", 3)).then((a) => a.echo, (e) => e.code);
</script>
`

// TestBrowserAbortWhileLoading: an operation's signal is honoured while
// the runtime is still loading and the session is being redeemed, not
// only once the bridge exists.
func TestBrowserAbortWhileLoading(t *testing.T) {
	root := sitePages(t, map[string]string{
		"parent/index.html": abortPage,
		"embed/keys.html":   keysChild,
	})
	start(t, browserSites(root, "", ""))
	ctx := newBrowser(t, 60*time.Second)
	navigate(t, ctx, parentOrigin+"/")
	type settled struct {
		Code, Name, State string
	}
	for _, name := range []string{"aborted", "preAborted", "waitAborted"} {
		var got settled
		eval(t, ctx, "window."+name, &got)
		if got.Code != "OPERATION_ABORTED" || got.Name != "IframeBridgeError" || got.State != "mounting" {
			t.Errorf("%s: %+v, want an IframeBridgeError OPERATION_ABORTED while mounting", name, got)
		}
	}
	if got := evalJSON(t, ctx, `Promise.all([startState, window.after])`); got != `["mounting",3]` {
		t.Errorf("state at the start, and a request once ready: %s", got)
	}
}
