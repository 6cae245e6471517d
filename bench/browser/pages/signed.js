// The signed floor: the least a page can do per message to speak a signed
// protocol like ours in plain JavaScript, for the "signed JS floor"
// baseline. Each message is an envelope of ours' shape with a JSON body and
// an HMAC-SHA256 (noble-hashes, synchronous, pad states kept per key) over
// the same length-prefixed fields as ours, in base64url; the receiver checks
// protocol, version, session, seq and the MAC, then parses the body. It
// leaves out what the product adds around that (origins and sources on the
// window, the size and rate limits, key ids and rotation, timeouts,
// constant-time comparison, stats), so it is a floor, not a rival.
import { hmac } from "./noble/hmac.js";
import { sha256 } from "./noble/sha2.js";

const enc = new TextEncoder();
const domain = enc.encode("caddy-bridge/v2 mac\0");
const buf = new Uint8Array(1 << 16);
const view = new DataView(buf.buffer);

function field(o, s) {
  const { written } = enc.encodeInto(s, buf.subarray(o + 4));
  view.setUint32(o, written);
  return o + 4 + written;
}

function b64url(d) {
  let s = "";
  for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// signer signs what this side sends (direction out) and opens what it
// receives (direction inbound) in session sessionId under key.
export function signer(key, sessionId, out, inbound) {
  const base = hmac.create(sha256, key);
  let outSeq = 0, inSeq = 0;
  const mac = (e, dir) => {
    buf.set(domain);
    let o = domain.length;
    for (const s of [e.protocol, String(e.version), e.sessionId, dir, e.type, e.name || "", e.requestId || "", e.auth.kid, String(e.auth.seq), String(e.auth.ts), e.body]) {
      o = field(o, s);
    }
    const h = base.clone();
    h.update(buf.subarray(0, o));
    return b64url(h.digest());
  };
  return {
    sign(type, name, requestId, payload) {
      const e = { protocol: "iframe-bridge", version: 2, sessionId, type };
      if (name) e.name = name;
      e.requestId = requestId;
      e.body = JSON.stringify(payload);
      e.auth = { kid: "k1", seq: ++outSeq, ts: Date.now(), mac: "" };
      e.auth.mac = mac(e, out);
      return e;
    },
    open(e) {
      if (!e || e.protocol !== "iframe-bridge" || e.version !== 2 || e.sessionId !== sessionId || !e.auth || !(e.auth.seq > inSeq) || mac(e, inbound) !== e.auth.mac) {
        throw new Error("refused");
      }
      inSeq = e.auth.seq;
      return JSON.parse(e.body);
    },
  };
}
