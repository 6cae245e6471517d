// ---- caddy-bridge loader -------------------------------------------------
// bridge.js = Go's wasm_exec.js (above, unmodified) + this loader. It loads
// the WebAssembly runtime from the same directory as this module (so any
// runtime_path works) and exports the JS API of DESIGN §7: thin wrappers
// that await the runtime, whose protocol core (Go, package protocol) does
// every check.

const wasmURL = new URL("__WASM_NAME__", import.meta.url);
const sessionURL = new URL("session", import.meta.url);
// The bootstrap parameters' names and where a parent puts them. A site
// whose bridge sets session_param, parent_param or session_in is served a
// copy of this module with its own values on the next line (which must
// stay one line: the server replaces it whole).
const CONFIG = {"sessionParam":"__iframeBridgeSessionId","parentParam":"__iframeBridgeParentOrigin","sessionIn":"query"};
const SESSION_PARAM = CONFIG.sessionParam;
const PARENT_PARAM = CONFIG.parentParam;
const PARAMS = [SESSION_PARAM, PARENT_PARAM];
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

// Envelopes cross into and out of the runtime packed into one string (see
// assets/runtime/flat.go): a crossing costs far more than the work on
// either side. pack() and post() are the JavaScript halves.
const NUL = "\0";
let maxMessage = 0; // the runtime's size limit, once it has started
const isText = (v) => typeof v === "string" && v.indexOf(NUL) < 0;
const isCount = (v) => Number.isSafeInteger(v) && (v > 0 || Object.is(v, 0));

// pack returns the packed form of a message's data for the runtime:
// bits NUL size NUL version NUL seq NUL ts NUL sessionId NUL type NUL name
// NUL requestId NUL body NUL kid NUL mac, where bits says which members
// are present (in flat.go's order) and size is what size() counts for the
// data without its payload. A v1 payload travels beside it. It returns ""
// for anything it cannot pack exactly (not a plain bridge object, a
// member of an unexpected type, a string holding NUL, a v1 error, an
// unknown member): such data goes to the runtime as it is.
function pack(d) {
  if (d === null || typeof d !== "object" || Object.getPrototypeOf(d) !== Object.prototype || d.protocol !== "iframe-bridge") return "";
  let bits = 0, n = 2, version = 0, seq = 0, ts = 0;
  let sessionId = "", type = "", name = "", requestId = "", body = "", kid = "", mac = "";
  for (const k in d) {
    const v = d[k];
    n += k.length + 4;
    switch (k) {
      case "protocol": bits |= 1; n += 15; break;
      case "version":
        if (v !== 1 && v !== 2) return "";
        bits |= 2; n += 8; version = v; break;
      case "sessionId": if (!isText(v)) return ""; bits |= 4; n += v.length + 2; sessionId = v; break;
      case "type": if (!isText(v)) return ""; bits |= 8; n += v.length + 2; type = v; break;
      case "name": if (!isText(v)) return ""; bits |= 16; n += v.length + 2; name = v; break;
      case "requestId": if (!isText(v)) return ""; bits |= 32; n += v.length + 2; requestId = v; break;
      case "body": if (!isText(v)) return ""; bits |= 64; n += v.length + 2; body = v; break;
      case "payload": bits |= 4096; break;
      case "auth": {
        if (v === null || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) return "";
        bits |= 128; n += 2;
        for (const a in v) {
          const w = v[a];
          n += a.length + 4;
          switch (a) {
            case "kid": if (!isText(w)) return ""; bits |= 256; n += w.length + 2; kid = w; break;
            case "seq": if (!isCount(w)) return ""; bits |= 512; n += 8; seq = w; break;
            case "ts": if (!isCount(w)) return ""; bits |= 1024; n += 8; ts = w; break;
            case "mac": if (!isText(w)) return ""; bits |= 2048; n += w.length + 2; mac = w; break;
            default: return "";
          }
        }
        break;
      }
      default: return "";
    }
  }
  if ((bits & 4096) && version !== 1) return "";
  // Past the runtime's size limit (as size() counts), a message goes in
  // unpacked: the runtime's size check then drops it, and counts it,
  // without its text being copied into the runtime's memory.
  if (n > maxMessage) return "";
  return bits + NUL + n + NUL + version + NUL + seq + NUL + ts + NUL + sessionId + NUL + type + NUL + name + NUL + requestId + NUL + body + NUL + kid + NUL + mac;
}

// The runtime's hot paths are WebAssembly exports and imports with their
// text in linear memory (assets/runtime/abi.go): a call's text is written
// with encodeInto at the address bridge_buf returns, and the JavaScript
// values that go with it wait in slots. The values of a round trip (an
// operation's payload, a parsed body, a handler's answer) stay in held,
// where Go refers to them by number: an operation's payload until the
// operation settles, the others until the outermost call into the runtime
// returns. Imports never throw.
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const slots = { port: undefined, arg: undefined, signal: undefined, res: undefined, payload: undefined };
const held = new Map();
let nextHeld = 0;
let turn = []; // what held keeps until the outermost call returns
let depth = 0;
const calls = new Map(); // operation number -> its callback
const servers = new Map(); // request handlers and event listeners, by number
let wasm; // the instance's exports
let goInstance; // the Go object, to refuse calls once the program has exited
let jsonOut = null; // stringify()'s text until take() copies it

function holdForTurn(v) {
  held.set(++nextHeld, v);
  turn.push(nextHeld);
  return nextHeld;
}

// enter calls the export f(id, n, a, b, c) with the text s (n bytes)
// written at bridge_buf's address, then clears the slots that went with
// the call, and once the outermost call returns, what held kept for it.
function enter(f, id, s, a, b, c) {
  if (goInstance.exited) throw new Error("Go program has already exited");
  const max = s.length * 3;
  const p = wasm.bridge_buf(max);
  const n = max ? encoder.encodeInto(s, new Uint8Array(wasm.mem.buffer, p, max)).written : 0;
  depth++;
  try {
    f(id, n, a, b, c);
  } finally {
    slots.port = slots.arg = slots.signal = slots.res = undefined;
    if (--depth === 0 && turn.length) {
      for (const k of turn) held.delete(k);
      turn = [];
    }
  }
}

// text returns the n bytes at p in the runtime's memory as a string.
const text = (p, n) => decoder.decode(new Uint8Array(wasm.mem.buffer, p, n));

// Targets of post: windows and ports, by id.
const targets = new Map();
let nextTarget = 0;

// target(v) registers the window or port v and returns its id;
// target(id) forgets one.
function target(v) {
  if (typeof v === "number") {
    targets.delete(v);
    return 0;
  }
  targets.set(++nextTarget, v);
  return nextTarget;
}

// heldOrRes returns the value held under n (n > 0), or takes slots.res.
function heldOrRes(n) {
  if (n > 0) return held.get(n);
  const v = slots.res;
  slots.res = undefined;
  return v;
}

// The imports of module "bridge" (see abi.go).
const imports = {
  dateNow: Date.now,
  perfNow: performance.now.bind(performance),
  post(t, p, n, flags, payload) {
    try {
      let s = text(p, n), origin;
      if (flags & 4) {
        const i = s.indexOf(NUL);
        origin = s.slice(0, i);
        s = s.slice(i + 1);
      }
      post(targets.get(t), s, flags & 1 ? (payload > 0 ? held.get(payload) : slots.payload) : undefined, origin, flags & 2 ? slots.port : undefined);
      return 0;
    } catch (e) {
      return e && e.name === "DataCloneError" ? 2 : 1;
    } finally {
      slots.payload = slots.port = undefined;
    }
  },
  size: (v, limit) => Math.min(size(held.get(v), limit), 0x7fffffff),
  parse(p, n) {
    try {
      return holdForTurn(JSON.parse(text(p, n)));
    } catch {
      return 0;
    }
  },
  stringify(v, p, cap) {
    const x = v > 0 ? held.get(v) : slots.arg;
    slots.arg = undefined;
    try {
      const s = JSON.stringify(x);
      if (typeof s !== "string") return -1;
      if (s.length * 3 <= cap) return encoder.encodeInto(s, new Uint8Array(wasm.mem.buffer, p, cap)).written;
      jsonOut = encoder.encode(s);
      return -3 - jsonOut.length;
    } catch {
      return -2;
    }
  },
  settle(call, status, value) {
    const done = calls.get(call);
    const v = heldOrRes(value);
    calls.delete(call);
    held.delete(call);
    if (done) status ? done(v) : done(null, v);
  },
  emit(listener, value) {
    const f = servers.get(listener);
    const v = heldOrRes(value);
    if (f) f(v);
  },
  serve(server, rid, value) {
    const f = servers.get(server);
    const v = heldOrRes(value);
    if (!f) return -1;
    const r = f(v, rid);
    if (r === false) return -1;
    if (r === undefined) return 0;
    return r[0] === undefined ? -2 : holdForTurn(r[0]);
  },
  take(p) {
    new Uint8Array(wasm.mem.buffer, p, jsonOut.length).set(jsonOut);
    jsonOut = null;
  },
};

// receive hands the message event e (packed is pack(e.data)) to runtime
// receiver id, with origin and the flags of bridge_message.
function receive(id, e, packed, origin, flags) {
  const data = packed ? e.data.payload : e.data;
  let d = 0;
  if (data !== undefined) {
    d = holdForTurn(data);
    flags |= 4;
  }
  enter(wasm.bridge_message, id, origin + NUL + packed, flags, d);
}

// deliver hands a message event (or an early-message shim entry) to a
// runtime bridge; packed is pack(e.data).
function deliver(h, e, packed, fromPeer) {
  const ports = e.ports;
  let flags = fromPeer ? 1 : 0;
  if (ports && ports.length) {
    slots.port = ports[0];
    flags |= 2;
  }
  receive(h.id, e, packed, e.origin, flags);
}

// listen makes a port hand its messages to receiver id.
function listenPort(port, id) {
  port.onmessage = (e) => receive(id, e, pack(e.data), "", 0);
}

// answering wraps a request handler for the serve import: a handler's
// value is handed back at once ([value]; false when it throws); a
// promise's is answered with respond() when it settles (undefined).
function answering(h, handler) {
  return (payload, rid) => {
    let r, thenable;
    try {
      r = handler(payload);
      thenable = r !== null && (typeof r === "object" || typeof r === "function") && typeof r.then === "function";
    } catch {
      return false;
    }
    if (thenable) {
      Promise.resolve(r).then((v) => h.respond(rid, true, v), () => h.respond(rid, false));
      return undefined;
    }
    return [r];
  };
}

// operation runs request or sendEvent (the export f) on bridge h.
function operation(f, h, name, payload, options, done) {
  let flags = 0, timeout = 0;
  const call = ++nextHeld;
  if (payload !== undefined) {
    held.set(call, payload);
    flags |= 1;
  }
  if (options !== null && typeof options === "object") {
    const t = options.timeoutMs;
    if (t !== undefined) {
      flags |= 2;
      timeout = typeof t === "number" ? t : NaN;
    }
    const signal = options.signal;
    if (signal !== null && typeof signal === "object") {
      slots.signal = signal;
      flags |= 4;
    }
  }
  calls.set(call, done);
  try {
    enter(f, h.id, typeof name === "string" ? name : "", flags, timeout, call);
  } catch (e) {
    calls.delete(call);
    held.delete(call);
    throw e;
  }
}

// post builds the envelope of the runtime's packed text (flat.go's
// packOutbound) and posts it on a window (with its target origin) or a
// port.
function post(target, packed, payload, origin, port) {
  const f = packed.split(NUL);
  const version = +f[1];
  const o = { protocol: "iframe-bridge", version, sessionId: f[2], type: f[3] };
  if (f[4]) o.name = f[4];
  if (f[5]) o.requestId = f[5];
  if (version === 1) {
    if (f[0]) o.payload = payload;
  } else {
    o.body = f[6];
    o.auth = { kid: f[7], seq: +f[8], ts: +f[9], mac: f[10] };
  }
  if (origin === undefined) target.postMessage(o);
  else if (port) target.postMessage(o, origin, [port]);
  else target.postMessage(o, origin);
}

let runtime;

/** Loads the WebAssembly runtime once and resolves to its exports. */
export function load() {
  if (!runtime) {
    runtime = (async () => {
      const go = new globalThis.Go();
      go.importObject.bridge = imports;
      const { instance } = await WebAssembly.instantiateStreaming(fetch(wasmURL), go.importObject);
      wasm = instance.exports;
      goInstance = go;
      globalThis.__caddyBridgeHost = { size, listen: listenPort, target, slots, held: (n) => held.get(n) };
      go.run(instance);
      delete globalThis.__caddyBridgeHost;
      const rt = globalThis.__caddyBridgeRuntime;
      if (!rt) throw new IframeBridgeError("CONFIG_INVALID_ENVIRONMENT", "The bridge runtime did not start.", {});
      maxMessage = rt.maxMessageBytes;
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

// checkName throws for an event or request name that no peer accepts: a
// name is a string that is not blank. The runtime refuses such names too
// (request, sendEvent and waitForEvent leave it to the runtime); on() and
// handleRequest() check here, to throw at once, also before it loads.
function checkName(name) {
  if (typeof name !== "string" || name.trim() === "") {
    throw failure("MESSAGE_INVALID_ENVELOPE", "Bridge message name must be a non-empty string.", { fieldName: "name" });
  }
}

// shown is a value as an error's details may carry it.
const shown = (v) => (typeof v === "number" || typeof v === "string" || typeof v === "boolean" || v === null ? v : String(v));

// checkConfig throws for a timeout or queue size of config that the
// runtime would refuse (queue says whether it has a pre-ready queue),
// before a session is minted or redeemed for it.
function checkConfig(config, timeouts, queue) {
  for (const name of timeouts) {
    const v = config[name];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) {
      throw failure("CONFIG_INVALID_TIMEOUT", "Timeout must be an integer greater than or equal to 1.", { name, timeoutMs: shown(v) });
    }
  }
  const q = config.queueMaxSize;
  if (queue && q !== undefined && !(Number.isSafeInteger(q) && q >= 1)) {
    throw failure("CONFIG_INVALID_QUEUE", "Queue maxSize must be an integer greater than or equal to 1.", { maxSize: shown(q) });
  }
}

const zeroStats = (state) => ({
  state, version: 0, received: 0, accepted: 0, sent: 0, postErrors: 0, handshakes: 0, rekeys: 0, dropped: 0, droppedBy: {},
});

// Bridge is what parents and children share: a JavaScript object over a
// runtime bridge that exists once the runtime has loaded and the session
// is redeemed. A parent's remount() replaces the runtime bridge; the
// listeners and request handlers registered here carry over to the new one.
class Bridge {
  #h = null;
  #state;
  #failState;
  #fail = null;
  #destroyed = false;
  #sessionId = null;
  #setup;
  #gen = 0;
  #cleanup = null;
  #subs = new Set();
  #opTimeout;
  #final = null; // stats() of the runtime bridge that destroy() ended
  #onState; // the application's onStateChange, or undefined
  #mute = null; // silences the runtime bridge's state reports

  constructor(initial, failState, opTimeout, onState) {
    this.#state = initial;
    this.#failState = failState;
    this.#opTimeout = opTimeout === undefined ? 5000 : opTimeout;
    this.#onState = safe(onState);
  }

  get _destroyed() { return this.#destroyed; }

  // _start runs setup(live), which resolves to {h, sessionId, cleanup,
  // mute}; live() says whether the setup still counts, so that it makes
  // no runtime bridge (and says nothing to the peer) once destroy() or a
  // later _start (remount) has superseded it. What a superseded setup
  // makes all the same is destroyed at once, silently.
  _start(setup) {
    const gen = ++this.#gen;
    this.#fail = null;
    const live = () => !this.#destroyed && gen === this.#gen;
    this.#setup = setup(live).then(({ h, sessionId, cleanup, mute }) => {
      if (!live()) {
        mute?.();
        h.destroy();
        cleanup?.();
        return;
      }
      this.#sessionId = sessionId;
      this.#h = h;
      this.#cleanup = cleanup ?? null;
      this.#mute = mute ?? null;
      for (const sub of this.#subs) this.#subscribe(h, sub);
    }, (e) => {
      if (gen !== this.#gen) return;
      this.#fail = toError(e);
      if (!this.#destroyed) {
        this.#state = this.#failState;
        this.#onState?.(this.#failState);
      }
    });
  }

  // _stop ends the current runtime bridge (its pending operations fail
  // with BRIDGE_DESTROYED) and leaves this object in state, for a remount.
  _stop(state) {
    const h = this.#h;
    const cleanup = this.#cleanup;
    const mute = this.#mute;
    this.#h = null;
    this.#cleanup = null;
    this.#mute = null;
    this.#state = state;
    // The ended runtime bridge reports "destroyed" only when the bridge
    // is: a remount's new runtime bridge reports "mounting" next.
    if (state !== "destroyed") mute?.();
    else if (!h) this.#onState?.("destroyed");
    // The listeners and handlers stay registered here (a remount gives
    // them to the new runtime bridge) but leave the ended one's table.
    for (const sub of this.#subs) {
      servers.delete(sub.key);
      sub.off = null;
    }
    if (h) h.destroy();
    cleanup?.();
  }

  // _handle resolves to the runtime bridge, or rejects with the error
  // that stopped the setup. It follows a remount to the newest setup.
  async _handle() {
    for (;;) {
      const setup = this.#setup;
      await setup;
      if (setup !== this.#setup) continue;
      if (this.#h) return this.#h;
      throw this.#fail ?? failure("BRIDGE_DESTROYED", "Bridge destroyed.");
    }
  }

  // _op runs f(h, options, done) on the runtime bridge. While the runtime
  // loads and the session is redeemed, the operation waits here: its
  // signal is honoured at once, and its timeout counts from the call
  // (timed says whether the operation has one).
  _op(options, timed, f) {
    const run = (h, opts) => new Promise((resolve, reject) => {
      f(h, opts, (err, v) => (err ? reject(toError(err)) : resolve(v)));
    });
    if (this.#h) return run(this.#h, options);
    const signal = options && typeof options === "object" ? options.signal : undefined;
    const watch = signal && typeof signal === "object" && typeof signal.addEventListener === "function";
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        reject(failure("OPERATION_ABORTED", "Bridge operation aborted."));
      };
      if (watch) {
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
      }
      const unwatch = () => { if (watch) signal.removeEventListener("abort", onAbort); };
      this._handle().then((h) => {
        unwatch();
        if (settled) return;
        settled = true;
        let opts = options;
        const t = options && typeof options === "object" && options.timeoutMs !== undefined ? options.timeoutMs : this.#opTimeout;
        if (timed && Number.isInteger(t) && t >= 1) {
          opts = { ...(options && typeof options === "object" ? options : {}), timeoutMs: Math.max(1, t - Math.floor(performance.now() - t0)) };
        }
        run(h, opts).then(resolve, reject);
      }, (e) => {
        unwatch();
        if (settled) return;
        settled = true;
        reject(e);
      });
    });
  }

  // #subscribe registers sub (an on() listener or a handleRequest()
  // handler) with the runtime bridge h, under a number of servers.
  #subscribe(h, sub) {
    const key = ++nextHeld;
    sub.key = key;
    servers.set(key, sub.kind === "on" ? sub.fn : answering(h, sub.fn));
    const id = sub.kind === "on" ? h.on(sub.name, key) : h.handleRequest(sub.name, key);
    if (typeof id === "number") {
      sub.off = () => {
        h.off(id);
        servers.delete(key);
      };
    } else {
      // The runtime bridge has failed (its name was checked): its
      // whenReady() says why. The registration stays here for a remount.
      servers.delete(key);
      sub.off = null;
    }
  }

  #add(sub) {
    checkName(sub.name);
    // A request handler replaces the one registered before it for the
    // same name, here as in the runtime, so a remount does not bring the
    // replaced one back.
    if (sub.kind === "request") {
      for (const old of this.#subs) {
        if (old.kind !== "request" || old.name !== sub.name) continue;
        this.#subs.delete(old);
        if (old.off) old.off();
        old.off = null;
      }
    }
    this.#subs.add(sub);
    if (this.#h) this.#subscribe(this.#h, sub);
    return () => {
      if (!this.#subs.delete(sub)) return;
      if (sub.off) sub.off();
      sub.off = null;
    };
  }

  /** The lifecycle state. */
  get state() { return this.#h ? this.#h.state() : this.#destroyed ? "destroyed" : this.#state; }

  /** The session id (the token), once the session is known. */
  get sessionId() { return this.#sessionId; }

  /** Resolves once the session is established; rejects with the error that failed it. */
  whenReady() { return this._op(undefined, false, (h, _, done) => (h.whenReady ? h.whenReady(done) : h.whenConnected(done))); }

  /** Alias of whenReady(). */
  whenConnected() { return this.whenReady(); }

  /** Sends a request and resolves to the response's payload. */
  request(name, payload, options) { return this._op(options, true, (h, o, done) => operation(wasm.bridge_request, h, name, payload, o, done)); }

  /** Sends an event. */
  sendEvent(name, payload, options) { return this._op(options, false, (h, o, done) => operation(wasm.bridge_event, h, name, payload, o, done)); }

  /** Listens for the events name; returns the function that stops listening. */
  on(name, handler) { return this.#add({ kind: "on", name, fn: safe(handler), off: null, key: 0 }); }

  /** Answers the requests name with handler's result (or its promise's). */
  handleRequest(name, handler) { return this.#add({ kind: "request", name, fn: handler, off: null, key: 0 }); }

  /** Ends the bridge: everything pending fails with BRIDGE_DESTROYED. */
  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#h) this.#final = this.#h.stats();
    this._stop("destroyed");
  }

  /** Traffic counters, including dropped messages by reason; after destroy(), the last ones. */
  stats() {
    if (this.#h) return this.#h.stats();
    if (this.#final) return { ...this.#final, state: "destroyed", droppedBy: { ...this.#final.droppedBy } };
    return zeroStats(this.state);
  }
}

// ---- parent ---------------------------------------------------------------

// The page's bridges to iframes, and bridge messages from windows that no
// bridge owns yet (an iframe that said bridge:ready before its bridge
// existed). Every message goes to every parent bridge, whose inbound chain
// checks origin and source first and counts what it drops.
const parents = new Set();
let early = [];
let listening = false;

// keep holds e if it is a bridge:ready from one of this page's own
// iframes: the latest one of each, so that no window can crowd out
// another's (the early-message shim keeps the same).
function keep(e) {
  const d = e.data;
  if (!d || typeof d !== "object" || d.protocol !== "iframe-bridge" || d.type !== "bridge:ready" || !isChildFrame(e.source)) return;
  early = early.filter((x) => x.source !== e.source);
  early.push({ data: d, origin: e.origin, source: e.source, ports: e.ports });
}

function isChildFrame(w) {
  if (!w) return false;
  for (let i = 0; i < frames.length; i++) if (frames[i] === w) return true;
  return false;
}

function onParentMessage(e) {
  let owned = false;
  const packed = parents.size ? pack(e.data) : "";
  for (const p of parents) {
    let fromPeer = p.win === e.source;
    if (!fromPeer && e.source && p.iframe.contentWindow === e.source) {
      // The iframe element has a new window: it was moved in the
      // document, which loads its page again in a new browsing context.
      // Its bridge:ready re-handshakes as a reload does.
      p.win = e.source;
      p.h.retarget(e.source);
      fromPeer = true;
    }
    if (fromPeer) owned = true;
    deliver(p.h, e, packed, fromPeer);
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

// splitFragment splits a fragment (without "#") into the route before the
// bootstrap parameters and the parameters, in the forms of DESIGN §3:
// "k=v&k2=v2", "route?k=v&k2=v2", "route?x=1&k=v&k2=v2".
function splitFragment(f) {
  const q = f.indexOf("?");
  return q < 0 ? ["", f] : [f.slice(0, q + 1), f.slice(q + 1)];
}

// withoutParams removes the bootstrap parameters from a query or fragment
// parameter string and keeps every other part byte for byte.
function withoutParams(s) {
  return s.split("&").filter((part) => {
    const k = part.split("=", 1)[0];
    let name = k;
    try { name = decodeURIComponent(k.replace(/\+/g, " ")); } catch { /* kept as written */ }
    return !PARAMS.includes(name);
  }).join("&");
}

// sessionParams reads the bootstrap parameters from url's query, else
// from its fragment.
function sessionParams(url) {
  const hash = new URLSearchParams(splitFragment(url.hash.slice(1))[1]);
  const get = (name) => url.searchParams.get(name) ?? hash.get(name);
  return { token: get(SESSION_PARAM), parentOrigin: get(PARENT_PARAM), inHash: hash.has(SESSION_PARAM) && !url.searchParams.has(SESSION_PARAM) };
}

// stripParams returns url without the bootstrap parameters, the rest of
// its query and fragment unchanged.
function stripParams(url) {
  const out = new URL(url.href);
  const query = out.search.slice(1);
  const q = withoutParams(query);
  if (q !== query) out.search = q ? "?" + q : "";
  if (out.hash) {
    const [route, params] = splitFragment(out.hash.slice(1));
    const rest = withoutParams(params);
    if (rest !== params) out.hash = rest ? route + rest : route.slice(0, -1);
  }
  return out;
}

// mountParent creates the runtime parent for iframe, mounts it, and
// replays what its window sent before.
function mountParent(rt, iframe, s, options, live) {
  if (!live()) throw failure("BRIDGE_DESTROYED", "Bridge destroyed.");
  const win = iframe.contentWindow;
  if (!win) throw failure("CONFIG_INVALID_CONTAINER", "The iframe is not in a document.");
  const onState = safe(options.onStateChange);
  let muted = false;
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
    onState: onState && ((st) => { if (!muted) onState(st); }),
    onDrop: safe(options.onDrop),
  });
  if (r.error) throw toError(r.error);
  const h = r.bridge;
  listen();
  const entry = { win, h, iframe };
  parents.add(entry);
  h.mount();
  early = early.filter((e) => {
    if (e.source !== win) return true;
    deliver(h, e, pack(e.data), true);
    return false;
  });
  return { h, sessionId: s.sessionId, cleanup: () => parents.delete(entry), mute: () => { muted = true; } };
}

class IframeBridge extends Bridge {
  #mount;

  // mount(fresh) resolves to what mountParent returns; fresh says that a
  // new session must be minted (a remount).
  constructor(iframe, options, mount) {
    super("mounting", "handshake_failed", options.operationTimeoutMs, options.onStateChange);
    /** The iframe this bridge talks to (null until createIframeBridge has made it). */
    this.iframe = iframe;
    this.#mount = mount;
    this._start((live) => mount(false, live));
  }

  /** Waits for the next event name from the iframe and resolves to its payload. */
  waitForEvent(name, options) { return this._op(options, true, (h, o, done) => h.waitForEvent(name, o, done)); }

  /** Rotates the session key (v2); resolves to the new key id. */
  async rekey() {
    const h = await this._handle();
    const r = h.rekey();
    if (typeof r !== "string") throw toError(r);
    return r;
  }

  /**
   * Starts over with a new session: the current one ends (its pending
   * operations fail with BRIDGE_DESTROYED), a fresh token is minted at
   * this page's origin, and the iframe is replaced by a copy of itself
   * whose URL carries it. Listeners and request handlers carry over.
   * Resolves once the new session is ready.
   */
  remount() {
    if (this._destroyed) return Promise.reject(failure("BRIDGE_DESTROYED", "Bridge destroyed."));
    this._stop("mounting");
    this._start((live) => this.#mount(true, live));
    return this.whenReady();
  }
}

// sessionURLFor returns src with the session of s in it: where src had
// the bootstrap parameters, else where session_in says, in the forms the
// server writes (DESIGN §3); the rest of src is kept as it was.
function sessionURLFor(src, s) {
  const had = sessionParams(src);
  const inHash = had.token ? had.inHash : CONFIG.sessionIn === "hash";
  const url = stripParams(src);
  const params = `${SESSION_PARAM}=${encodeURIComponent(s.token)}&${PARENT_PARAM}=${encodeURIComponent(s.parentOrigin)}`;
  if (inHash) {
    const f = url.hash.slice(1);
    const sep = f === "" || f.endsWith("?") || f.endsWith("&") ? "" : f.includes("?") ? "&" : "?";
    url.hash = f + sep + params;
  } else {
    const q = url.search.slice(1);
    url.search = q === "" ? params : q.endsWith("&") ? q + params : q + "&" + params;
  }
  return url.href;
}

// replaceIframe puts a copy of the bridge's iframe, loading src, in its
// place: a new browsing context, with no entry in the page's history.
function replaceIframe(b, src) {
  const old = b.iframe;
  if (!old || !old.isConnected) throw failure("CONFIG_INVALID_CONTAINER", "The bridge's iframe is no longer in the document.");
  const fresh = old.cloneNode(false);
  fresh.setAttribute("src", src);
  old.replaceWith(fresh);
  b.iframe = fresh;
  return fresh;
}

/**
 * Attaches a bridge to an iframe that the server rewrote: the session
 * token comes from the iframe's URL and is redeemed at this page's origin.
 */
export function attach(iframeOrSelector, options) {
  if (options === null || typeof options !== "object") options = {};
  const first = typeof iframeOrSelector === "string" ? document.querySelector(iframeOrSelector) : iframeOrSelector;
  let b = null;
  b = new IframeBridge(first, options, async (fresh, live) => {
    checkConfig(options, ["handshakeTimeoutMs", "operationTimeoutMs"], true);
    const iframe = b ? b.iframe : first;
    if (!iframe || iframe.tagName !== "IFRAME") throw failure("CONFIG_INVALID_CONTAINER", "attach() needs an iframe element.");
    const src = new URL(iframe.getAttribute("src") ?? "", location.href);
    if (fresh) {
      const [rt, s] = await Promise.all([load(), session({ embed: src.origin })]);
      if (!live()) throw failure("BRIDGE_DESTROYED", "Bridge destroyed.");
      return mountParent(rt, replaceIframe(b, sessionURLFor(src, s)), s, options, live);
    }
    const { token } = sessionParams(src);
    if (!token) throw failure("CONFIG_INVALID_SRC", "The iframe's URL carries no bridge session.", { fieldName: "session" });
    const [rt, s] = await Promise.all([load(), session({ token })]);
    if (s.embedOrigin !== src.origin) {
      throw failure("CONFIG_UNSAFE_ORIGIN", "The iframe's origin is not the session's embed origin.", { origin: src.origin });
    }
    return mountParent(rt, iframe, s, options, live);
  });
  return b;
}

/**
 * Creates an iframe for config.src in config.container with a session
 * minted at this page's origin, and a bridge to it.
 */
export function createIframeBridge(config) {
  if (config === null || typeof config !== "object") config = {};
  let b = null;
  b = new IframeBridge(null, config, async (fresh, live) => {
    checkConfig(config, ["handshakeTimeoutMs", "operationTimeoutMs"], true);
    const container = typeof config.container === "string" ? document.querySelector(config.container) : config.container;
    if (!fresh && (!container || typeof container.appendChild !== "function")) {
      throw failure("CONFIG_INVALID_CONTAINER", "Bridge container is required.");
    }
    let src;
    if ((typeof config.src !== "string" || config.src.trim() === "") && !(config.src instanceof URL)) {
      throw failure("CONFIG_INVALID_SRC", "Bridge src is required.", { fieldName: "src" });
    }
    try { src = new URL(config.src, location.href); } catch {
      throw failure("CONFIG_INVALID_SRC", "Bridge src must be a valid URL.", { fieldName: "src" });
    }
    if (src.protocol !== "https:" && src.protocol !== "http:") {
      throw failure("CONFIG_INVALID_SRC", "Bridge src must be an http: or https: URL.", { fieldName: "src" });
    }
    const [rt, s] = await Promise.all([load(), session({ embed: src.origin })]);
    const url = sessionURLFor(src, s);
    if (!live()) throw failure("BRIDGE_DESTROYED", "Bridge destroyed.");
    if (fresh && b.iframe) return mountParent(rt, replaceIframe(b, url), s, config, live);
    const iframe = document.createElement("iframe");
    for (const [k, v] of Object.entries(config.iframeAttributes ?? {})) iframe.setAttribute(k, v);
    if (config.title) iframe.title = config.title;
    iframe.src = url;
    container.appendChild(iframe);
    b.iframe = iframe;
    return mountParent(rt, iframe, s, config, live);
  });
  return b;
}

// ---- child ----------------------------------------------------------------

class IframeChildBridge extends Bridge {
  #parentOrigin = null;

  constructor(opTimeout, onState) {
    super("connecting", "connection_failed", opTimeout, onState);
  }

  _setParentOrigin(o) { this.#parentOrigin = o; }

  /** The parent's origin, as the server's session answer names it. */
  get parentOrigin() { return this.#parentOrigin; }
}

// The session endpoint's answers for the tokens this page redeemed.
const redemptions = new Map();

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
export function createIframeChildBridge(config) {
  if (config === null || typeof config !== "object") config = {};
  const b = new IframeChildBridge(config.operationTimeoutMs, config.onStateChange);
  b._start(async (live) => {
    checkConfig(config, ["connectionTimeoutMs", "operationTimeoutMs"]);
    if (window.parent === window) throw failure("CONFIG_INVALID_ENVIRONMENT", "This page is not in an iframe.");
    // The runtime starts loading first: its download and compile are the
    // longest part of getting ready.
    const rtP = load();
    rtP.catch(() => {});
    const url = new URL(location.href);
    let { token, parentOrigin } = sessionParams(url);
    const kept = history.state && typeof history.state === "object" ? history.state.__caddyBridge : null;
    if (token) {
      // The parameters leave the URL at once, so that later requests'
      // Referer does not carry them; history.state keeps the session id
      // for a reload, beside the page's own state when that is a plain
      // object (any other state is left as it is, without the session).
      const state = history.state;
      const plain = state === null || state === undefined || (typeof state === "object" && Object.getPrototypeOf(state) === Object.prototype);
      history.replaceState(plain ? { ...state, __caddyBridge: { sessionId: token, parentOrigin } } : state, "", stripParams(url).href);
    } else if (kept && typeof kept.sessionId === "string") {
      ({ sessionId: token, parentOrigin } = kept);
    }
    if (!token || !parentOrigin) {
      throw failure("CONFIG_INVALID_SRC", "Child bootstrap parameter is missing.", { fieldName: token ? "parentOrigin" : "session" });
    }
    let s = loadStored(token);
    if (!s) {
      // One redemption per token and page: a second child bridge made
      // while the first redeems (create, destroy, create again, as
      // React's StrictMode does) shares its answer.
      let p = redemptions.get(token);
      if (!p) {
        p = session({ token }).then((a) => {
          store(token, { sessionId: a.sessionId, key: a.key, keyId: a.keyId, signing: a.signing, parentOrigin: a.parentOrigin });
          return a;
        });
        redemptions.set(token, p);
        p.catch(() => redemptions.delete(token));
      }
      s = await p;
    }
    if (s.parentOrigin !== parentOrigin) {
      throw failure("CONFIG_UNSAFE_ORIGIN", "The parent origin is not the session's parent origin.", { origin: parentOrigin });
    }
    const rt = await rtP;
    if (!live()) throw failure("BRIDGE_DESTROYED", "Bridge destroyed.");
    const onState = safe(config.onStateChange);
    let muted = false;
    const r = rt.newChild({
      sessionId: s.sessionId,
      parentOrigin: s.parentOrigin,
      signing: s.signing,
      key: s.key,
      keyId: s.keyId,
      connectionTimeoutMs: config.connectionTimeoutMs,
      operationTimeoutMs: config.operationTimeoutMs,
      onState: onState && ((st) => { if (!muted) onState(st); }),
      onDrop: safe(config.onDrop),
      onKeyChange: (keyId, key) => store(s.sessionId, { ...s, keyId, key }),
    });
    if (r.error) throw toError(r.error);
    const h = r.bridge;
    b._setParentOrigin(s.parentOrigin);
    const onMessage = (e) => deliver(h, e, pack(e.data), e.source === window.parent);
    addEventListener("message", onMessage);
    const err = h.start();
    if (err) {
      removeEventListener("message", onMessage);
      h.destroy();
      throw toError(err);
    }
    return { h, sessionId: s.sessionId, cleanup: () => removeEventListener("message", onMessage), mute: () => { muted = true; } };
  });
  return b;
}
