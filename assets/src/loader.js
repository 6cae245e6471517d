// ---- caddy-bridge loader -------------------------------------------------
// bridge.js = Go's wasm_exec.js (above, unmodified) + this loader. It loads
// the WebAssembly runtime from the same directory as this module (so any
// runtime_path works) and exports the JS API of DESIGN §7: thin wrappers
// that await the runtime, whose protocol core (Go, package protocol) does
// every check.

const wasmURL = new URL("__WASM_NAME__", import.meta.url);
const sessionURL = new URL("session", import.meta.url);
const SESSION_PARAM = "__iframeBridgeSessionId";
const PARENT_PARAM = "__iframeBridgeParentOrigin";
const STORE_PREFIX = "caddy-bridge:";

/** The error of every bridge operation: {code, message, details}. */
export class IframeBridgeError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = "IframeBridgeError";
    this.code = code;
    this.details = details ?? {};
  }
}

function toError(e) {
  if (e instanceof IframeBridgeError) return e;
  if (e && typeof e === "object" && typeof e.code === "string") return new IframeBridgeError(e.code, e.message, e.details);
  return new IframeBridgeError("CONFIG_INVALID_ENVIRONMENT", "Unexpected bridge failure.", {});
}

// report rethrows an application callback's exception outside the
// runtime, so that it shows in the console but never unwinds Go code.
function report(e) {
  queueMicrotask(() => { throw e; });
}

function safe(f) {
  if (typeof f !== "function") return undefined;
  return (...args) => {
    try { f(...args); } catch (e) { report(e); }
  };
}

// size(value, limit) approximates the JSON size of a value for the
// runtime's size limit, and stops counting once past limit.
function size(v, limit) {
  let n = 0;
  const stack = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === "string") n += x.length + 2;
    else if (x === null || typeof x !== "object") n += 8;
    else if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) n += x.byteLength * 4 + 2;
    else if (Array.isArray(x)) {
      n += 2;
      for (let i = 0; i < x.length && n <= limit; i++, n++) stack.push(x[i]);
    } else {
      n += 2;
      for (const k in x) {
        if (!Object.hasOwn(x, k)) continue;
        n += k.length + 4;
        stack.push(x[k]);
        if (n > limit) break;
      }
    }
    if (n > limit) return n;
  }
  return n;
}

let runtime;

/** Loads the WebAssembly runtime once and resolves to its exports. */
export function load() {
  if (!runtime) {
    runtime = (async () => {
      const go = new globalThis.Go();
      const { instance } = await WebAssembly.instantiateStreaming(fetch(wasmURL), go.importObject);
      globalThis.__caddyBridgeHost = { size };
      go.run(instance);
      delete globalThis.__caddyBridgeHost;
      const rt = globalThis.__caddyBridgeRuntime;
      if (!rt) throw new IframeBridgeError("CONFIG_INVALID_ENVIRONMENT", "The bridge runtime did not start.", {});
      return rt;
    })();
    runtime.catch(() => { runtime = undefined; });
  }
  return runtime;
}

/** The URL of the WebAssembly runtime this module loads. */
export const runtimeURL = wasmURL.href;

// session POSTs to the session endpoint of this page's origin.
async function session(body) {
  let res;
  try {
    res = await fetch(sessionURL, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new IframeBridgeError("SESSION_UNAVAILABLE", "The bridge session endpoint could not be reached.", {});
  }
  let answer = null;
  try { answer = await res.json(); } catch { /* not JSON */ }
  if (!res.ok || !answer || typeof answer !== "object" || typeof answer.sessionId !== "string") {
    const code = answer && typeof answer.error === "string" ? answer.error : "SESSION_REFUSED";
    throw new IframeBridgeError(code, "The bridge session endpoint refused the session.", { status: res.status });
  }
  return answer;
}

function failure(code, message, details) {
  return new IframeBridgeError(code, message, details ?? {});
}

const zeroStats = (state) => ({
  state, version: 0, received: 0, accepted: 0, sent: 0, postErrors: 0, handshakes: 0, rekeys: 0, dropped: 0, droppedBy: {},
});

// Bridge is what parents and children share: a JavaScript object over a
// runtime bridge that exists once the runtime has loaded and the session
// is redeemed.
class Bridge {
  #h = null;
  #state;
  #failState;
  #fail = null;
  #destroyed = false;
  #sessionId = null;
  #setup;
  #cleanup = [];

  constructor(initial, failState) {
    this.#state = initial;
    this.#failState = failState;
  }

  // _start runs setup(), which resolves to {h, sessionId, cleanup}.
  _start(setup) {
    this.#setup = setup().then(({ h, sessionId, cleanup }) => {
      this.#sessionId = sessionId;
      if (this.#destroyed) {
        h.destroy();
        cleanup?.();
        return;
      }
      this.#h = h;
      if (cleanup) this.#cleanup.push(cleanup);
    }, (e) => {
      this.#fail = toError(e);
      if (!this.#destroyed) this.#state = this.#failState;
    });
  }

  // _handle resolves to the runtime bridge, or rejects with the error
  // that stopped the setup.
  async _handle() {
    await this.#setup;
    if (this.#h) return this.#h;
    throw this.#fail ?? failure("BRIDGE_DESTROYED", "Bridge destroyed.");
  }

  _call(f) {
    return this._handle().then((h) => new Promise((resolve, reject) => {
      f(h, (err, v) => (err ? reject(toError(err)) : resolve(v)));
    }));
  }

  _whenHandle(f) {
    if (this.#h) return f(this.#h);
    this.#setup.then(() => { if (this.#h) f(this.#h); });
  }

  /** The lifecycle state. */
  get state() { return this.#h ? this.#h.state() : this.#destroyed ? "destroyed" : this.#state; }

  /** The session id (the token), once the session is known. */
  get sessionId() { return this.#sessionId; }

  /** Resolves once the session is established; rejects with the error that failed it. */
  whenReady() { return this._call((h, done) => (h.whenReady ? h.whenReady(done) : h.whenConnected(done))); }

  /** Alias of whenReady(). */
  whenConnected() { return this.whenReady(); }

  /** Sends a request and resolves to the response's payload. */
  request(name, payload, options) { return this._call((h, done) => h.request(name, payload, options, done)); }

  /** Sends an event. */
  sendEvent(name, payload, options) { return this._call((h, done) => h.sendEvent(name, payload, options, done)); }

  /** Listens for the events name; returns the function that stops listening. */
  on(name, handler) {
    let off = null;
    let stopped = false;
    const listener = safe(handler);
    this._whenHandle((h) => {
      if (stopped) return;
      const id = h.on(name, listener);
      if (typeof id === "number") off = () => h.off(id);
      else report(toError(id));
    });
    return () => {
      stopped = true;
      if (off) off();
    };
  }

  /** Answers the requests name with handler's result (or its promise's). */
  handleRequest(name, handler) {
    let off = null;
    let stopped = false;
    this._whenHandle((h) => {
      if (stopped) return;
      const id = h.handleRequest(name, (payload, rid) => {
        let r;
        try { r = handler(payload); } catch { h.respond(rid, false); return; }
        Promise.resolve(r).then((v) => h.respond(rid, true, v), () => h.respond(rid, false));
      });
      if (typeof id === "number") off = () => h.off(id);
      else report(toError(id));
    });
    return () => {
      stopped = true;
      if (off) off();
    };
  }

  /** Ends the bridge: everything pending fails with BRIDGE_DESTROYED. */
  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#h) this.#h.destroy();
    for (const c of this.#cleanup.splice(0)) c();
  }

  /** Traffic counters, including dropped messages by reason. */
  stats() { return this.#h ? this.#h.stats() : zeroStats(this.state); }
}

// ---- parent ---------------------------------------------------------------

// The page's bridges to iframes, and bridge messages from windows that no
// bridge owns yet (an iframe that said bridge:ready before its bridge
// existed). Every message goes to every parent bridge, whose inbound chain
// checks origin and source first and counts what it drops.
const parents = new Set();
let early = [];
let listening = false;

function keep(e) {
  const d = e.data;
  if (d && typeof d === "object" && d.protocol === "iframe-bridge" && early.length < 100) {
    early.push({ data: d, origin: e.origin, source: e.source, ports: e.ports });
  }
}

function onParentMessage(e) {
  let owned = false;
  for (const p of parents) {
    if (p.win === e.source) owned = true;
    p.h.handleMessage(e);
  }
  if (!owned) keep(e);
}

// listen takes over from the early-message shim: from here on this
// module's listener keeps what the shim kept.
function listen() {
  if (listening) return;
  listening = true;
  addEventListener("message", onParentMessage);
  const shim = globalThis.__caddyBridgeEarly;
  if (shim && Array.isArray(shim.queue)) {
    for (const e of shim.queue) keep(e);
    shim.queue.length = 0;
    if (typeof shim.stop === "function") shim.stop();
  }
}

if (typeof window !== "undefined" && globalThis.__caddyBridgeEarly) listen();

function sessionParams(url) {
  const hash = new URLSearchParams(url.hash.slice(1));
  const get = (name) => url.searchParams.get(name) ?? hash.get(name);
  return { token: get(SESSION_PARAM), parentOrigin: get(PARENT_PARAM) };
}

// mountParent creates the runtime parent for iframe, mounts it, and
// replays what its window sent before.
function mountParent(rt, bridge, iframe, s, options) {
  const win = iframe.contentWindow;
  if (!win) throw failure("CONFIG_INVALID_CONTAINER", "The iframe is not in a document.");
  const r = rt.newParent({
    sessionId: s.sessionId,
    origin: s.embedOrigin,
    window: win,
    signing: s.signing,
    key: s.key,
    keyId: s.keyId,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    operationTimeoutMs: options.operationTimeoutMs,
    queueMaxSize: options.queueMaxSize,
    onState: safe(options.onStateChange),
    onDrop: safe(options.onDrop),
  });
  if (r.error) throw toError(r.error);
  const h = r.bridge;
  listen();
  const entry = { win, h };
  parents.add(entry);
  h.mount();
  early = early.filter((e) => {
    if (e.source !== win) return true;
    h.handleMessage(e);
    return false;
  });
  return { h, sessionId: s.sessionId, cleanup: () => parents.delete(entry) };
}

class IframeBridge extends Bridge {
  constructor(iframe) {
    super("mounting", "handshake_failed");
    /** The iframe this bridge talks to (null until createIframeBridge has made it). */
    this.iframe = iframe;
  }

  /** Waits for the next event name from the iframe and resolves to its payload. */
  waitForEvent(name, options) { return this._call((h, done) => h.waitForEvent(name, options, done)); }

  /** Rotates the session key (v2); resolves to the new key id. */
  async rekey() {
    const h = await this._handle();
    const r = h.rekey();
    if (typeof r !== "string") throw toError(r);
    return r;
  }
}

/**
 * Attaches a bridge to an iframe that the server rewrote: the session
 * token comes from the iframe's URL and is redeemed at this page's origin.
 */
export function attach(iframeOrSelector, options = {}) {
  const iframe = typeof iframeOrSelector === "string" ? document.querySelector(iframeOrSelector) : iframeOrSelector;
  const b = new IframeBridge(iframe);
  b._start(async () => {
    if (!iframe || iframe.tagName !== "IFRAME") throw failure("CONFIG_INVALID_CONTAINER", "attach() needs an iframe element.");
    const src = new URL(iframe.getAttribute("src") ?? "", location.href);
    const { token } = sessionParams(src);
    if (!token) throw failure("CONFIG_INVALID_SRC", "The iframe's URL carries no bridge session.", { fieldName: "session" });
    const [rt, s] = await Promise.all([load(), session({ token })]);
    if (s.embedOrigin !== src.origin) {
      throw failure("CONFIG_UNSAFE_ORIGIN", "The iframe's origin is not the session's embed origin.", { origin: src.origin });
    }
    return mountParent(rt, b, iframe, s, options);
  });
  return b;
}

/**
 * Creates an iframe for config.src in config.container with a session
 * minted at this page's origin, and a bridge to it.
 */
export function createIframeBridge(config = {}) {
  const b = new IframeBridge(null);
  b._start(async () => {
    const container = typeof config.container === "string" ? document.querySelector(config.container) : config.container;
    if (!container || typeof container.appendChild !== "function") {
      throw failure("CONFIG_INVALID_CONTAINER", "Bridge container is required.");
    }
    let src;
    try { src = new URL(config.src, location.href); } catch {
      throw failure("CONFIG_INVALID_SRC", "Bridge src must be a valid URL.", { fieldName: "src" });
    }
    const [rt, s] = await Promise.all([load(), session({ embed: src.origin })]);
    src.searchParams.set(SESSION_PARAM, s.token);
    src.searchParams.set(PARENT_PARAM, s.parentOrigin);
    const iframe = document.createElement("iframe");
    for (const [k, v] of Object.entries(config.iframeAttributes ?? {})) iframe.setAttribute(k, v);
    if (config.title) iframe.title = config.title;
    iframe.src = src.href;
    container.appendChild(iframe);
    b.iframe = iframe;
    return mountParent(rt, b, iframe, s, config);
  });
  return b;
}

// ---- child ----------------------------------------------------------------

class IframeChildBridge extends Bridge {
  #parentOrigin = null;

  constructor() {
    super("connecting", "connection_failed");
  }

  _setParentOrigin(o) { this.#parentOrigin = o; }

  /** The parent's origin, as the server's session answer names it. */
  get parentOrigin() { return this.#parentOrigin; }
}

function loadStored(sessionId) {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE_PREFIX + sessionId));
    return s && typeof s === "object" ? s : null;
  } catch {
    return null;
  }
}

function store(sessionId, s) {
  try { sessionStorage.setItem(STORE_PREFIX + sessionId, JSON.stringify(s)); } catch { /* storage refused */ }
}

/**
 * Creates the bridge of the page inside an iframe: reads the bootstrap
 * parameters from the URL (query or hash), redeems the token at this
 * page's origin, checks the parent origin against the server's answer,
 * removes the parameters from the URL, and says bridge:ready.
 */
export function createIframeChildBridge(config = {}) {
  const b = new IframeChildBridge();
  b._start(async () => {
    if (window.parent === window) throw failure("CONFIG_INVALID_ENVIRONMENT", "This page is not in an iframe.");
    const url = new URL(location.href);
    let { token, parentOrigin } = sessionParams(url);
    const kept = history.state && typeof history.state === "object" ? history.state.__caddyBridge : null;
    if (token) {
      // The parameters leave the URL at once, so that later requests'
      // Referer does not carry them; history.state keeps the session id
      // for a reload.
      for (const p of [SESSION_PARAM, PARENT_PARAM]) url.searchParams.delete(p);
      const hash = new URLSearchParams(url.hash.slice(1));
      if (hash.has(SESSION_PARAM) || hash.has(PARENT_PARAM)) {
        hash.delete(SESSION_PARAM);
        hash.delete(PARENT_PARAM);
        url.hash = hash.toString();
      }
      const state = history.state && typeof history.state === "object" ? history.state : {};
      history.replaceState({ ...state, __caddyBridge: { sessionId: token, parentOrigin } }, "", url.href);
    } else if (kept && typeof kept.sessionId === "string") {
      ({ sessionId: token, parentOrigin } = kept);
    }
    if (!token || !parentOrigin) {
      throw failure("CONFIG_INVALID_SRC", "Child bootstrap parameter is missing.", { fieldName: token ? "parentOrigin" : "session" });
    }
    const rtP = load();
    let s = loadStored(token);
    if (!s) {
      try {
        s = await session({ token });
      } catch (e) {
        rtP.catch(() => {});
        throw e;
      }
      store(token, { sessionId: s.sessionId, key: s.key, keyId: s.keyId, signing: s.signing, parentOrigin: s.parentOrigin });
    }
    if (s.parentOrigin !== parentOrigin) {
      throw failure("CONFIG_UNSAFE_ORIGIN", "The parent origin is not the session's parent origin.", { origin: parentOrigin });
    }
    const rt = await rtP;
    const r = rt.newChild({
      sessionId: s.sessionId,
      parentOrigin: s.parentOrigin,
      signing: s.signing,
      key: s.key,
      keyId: s.keyId,
      connectionTimeoutMs: config.connectionTimeoutMs,
      operationTimeoutMs: config.operationTimeoutMs,
      onState: safe(config.onStateChange),
      onDrop: safe(config.onDrop),
      onKeyChange: (keyId, key) => store(s.sessionId, { ...s, keyId, key }),
    });
    if (r.error) throw toError(r.error);
    const h = r.bridge;
    b._setParentOrigin(s.parentOrigin);
    const onMessage = (e) => h.handleMessage(e);
    addEventListener("message", onMessage);
    const err = h.start();
    if (err) {
      removeEventListener("message", onMessage);
      h.destroy();
      throw toError(err);
    }
    return { h, sessionId: s.sessionId, cleanup: () => removeEventListener("message", onMessage) };
  });
  return b;
}
