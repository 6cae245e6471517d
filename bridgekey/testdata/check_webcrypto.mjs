// check_webcrypto.mjs recomputes every vector in vectors.json with
// WebCrypto and TextEncoder only, as a browser implementation would, and
// exits non-zero on any difference. It is an independent check of the Go
// code and a starting point for the JavaScript side:
//
//	node bridgekey/testdata/check_webcrypto.mjs bridgekey/testdata/vectors.json
//
// (Node 20 or later; WebCrypto refuses zero-length HMAC keys, so the
// vectors have none.)
import { readFileSync } from "node:fs";

const v = JSON.parse(readFileSync(process.argv[2] ?? new URL("vectors.json", import.meta.url), "utf8"));
const { subtle } = globalThis.crypto;
const te = new TextEncoder();

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s) => new Uint8Array(s.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
const b64url = (b) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
};
const u32 = (n) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
// Length-prefixed UTF-8: the length is in bytes, not in UTF-16 code units.
const lp = (s) => {
  const b = typeof s === "string" ? te.encode(s) : s;
  return concat(u32(b.length), b);
};

async function hmac(key, msg) {
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, msg));
}
async function hkdf(secret, salt, info) {
  const k = await subtle.importKey("raw", secret, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, k, 256));
}
async function deploymentId(parent, embed) {
  const d = await subtle.digest("SHA-256", concat(te.encode("caddy-bridge/v1 deployment-id\0"), lp(parent), lp(embed)));
  return new Uint8Array(d).slice(0, 8);
}

let checks = 0;
let failures = 0;
function expect(what, got, want) {
  checks++;
  if (got !== want) {
    failures++;
    console.log(`FAIL ${what}: got ${got}, want ${want}`);
  }
}

for (const [i, c] of v.deploymentSecret.entries()) {
  const secret = await hkdf(unhex(c.root), te.encode("caddy-bridge/v1 deployment"), te.encode(c.parentOrigin + "\n" + c.embedOrigin));
  expect(`deploymentSecret ${i}`, hex(secret), c.secret);
}
for (const [i, c] of v.deploymentId.entries()) {
  expect(`deploymentId ${i}`, hex(await deploymentId(c.parentOrigin, c.embedOrigin)), c.id);
}
for (const [i, c] of v.token.entries()) {
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(c.issuedAtMs));
  const head = concat(new Uint8Array([1]), await deploymentId(c.parentOrigin, c.embedOrigin), unhex(c.random), time);
  const mac = await hmac(unhex(c.deploymentSecret), concat(te.encode("caddy-bridge/v1 token\0"), lp(c.parentOrigin), lp(c.embedOrigin), head));
  expect(`token ${i}`, b64url(concat(head, mac.slice(0, 16))), c.token);
}
for (const [i, c] of v.sessionKey.entries()) {
  const random = unb64url(c.token).slice(9, 25);
  const info = concat(te.encode("caddy-bridge/v1 session\0"), lp(c.parentOrigin), lp(c.embedOrigin));
  expect(`sessionKey ${i}`, hex(await hkdf(unhex(c.deploymentSecret), random, info)), c.sessionKey);
}
for (const [i, c] of v.keyId.entries()) {
  expect(`keyId ${i}`, b64url((await hmac(unhex(c.key), te.encode("caddy-bridge/v1 key-id"))).slice(0, 9)), c.keyId);
}
for (const [i, c] of v.rotateKey.entries()) {
  // No salt: WebCrypto's empty salt is RFC 5869's default of zero bytes.
  expect(`rotateKey ${i}`, hex(await hkdf(unhex(c.key), new Uint8Array(0), te.encode("rotate" + c.kid))), c.rotated);
}
for (const [i, c] of v.mac.entries()) {
  const m = c.input;
  const encoding = concat(
    te.encode("caddy-bridge/v2 mac\0"),
    lp(m.protocol), lp(String(m.version)), lp(m.sessionId), lp(m.direction), lp(m.type),
    lp(m.name), lp(m.requestId), lp(m.kid), lp(BigInt(m.seq).toString()), lp(BigInt(m.ts).toString()), lp(m.body),
  );
  expect(`mac ${i} encoding`, hex(encoding), c.encoding);
  const mac = await hmac(unhex(c.key), encoding);
  expect(`mac ${i}`, hex(mac), c.mac);
  expect(`mac ${i} string`, b64url(mac), c.macString);
}

console.log(`${checks} checks, ${failures} failures`);
process.exitCode = failures === 0 ? 0 : 1;
