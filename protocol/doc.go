// Package protocol is the bridge protocol core of caddy-bridge (DESIGN
// §6–§8): the iframe-bridge wire protocol v1, exactly as the SDK
// furkankaynak/iframe-helper-sdk speaks it, and its signed extension v2,
// with both lifecycles, in pure Go. It has no syscall/js and no Caddy in
// it: the WebAssembly runtime wraps it, and `go test` runs it on the host
// against an in-memory browser.
//
// # Roles and lifecycles
//
// A Parent is the page that embeds the iframe; its states are the SDK's:
// created → mounting → waiting_for_handshake → ready | handshake_failed,
// and destroyed from anywhere. A Child is the page inside the iframe:
// created → connecting → connected | connection_failed, and destroyed. The
// handshake is ready-first: the child sends bridge:ready, the parent
// accepts the first valid one and answers bridge:connected exactly once,
// then runs its pre-ready queue (50 operations; one more fails with
// QUEUE_LIMIT_EXCEEDED) and resolves WhenReady. Requests and waitForEvent
// time out after 5 s by default, the handshake after 10 s; every operation
// can be aborted through a Signal; the first response per requestId wins;
// Destroy fails everything pending with BRIDGE_DESTROYED and stops every
// timer. Errors are *Error values with the SDK's codes and messages.
//
// # v2: signed, on a port
//
// With signing required (the default) or optional, messages are v2: the
// application content is a JSON string body (produced and parsed by the
// Codec, i.e. the browser's JSON), and auth {kid, seq, ts, mac} carries
// bridgekey.MACString over protocol, version, sessionId, direction ("p2c"
// or "c2p"), type, name, requestId, kid, seq, ts and body. The handshake
// runs on window.postMessage; the signed bridge:connected transfers one
// end of a MessageChannel, and every later message of the session goes on
// that port, still signed. v1 stays on the window. Requests go both ways
// in v2. The parent rotates the key with Rekey (bridge:rekey {kid}, the new
// key being bridgekey.RotateKey(current, kid)); the previous key verifies
// inbound messages for a grace period (60 s) and is then zeroed. When the
// iframe reloads, the new page sends a bridge:ready of a new epoch (a
// random value in its body) on the same session; the parent re-handshakes
// on a new port, and nothing of the old epoch (its port, answers to
// requests sent before the reload, its ready replayed) is accepted. The
// parent remembers the epochs it accepted instead of asking for a newer
// timestamp, so a reload after the system clock was set back connects.
// Signing
// required never accepts v1; optional uses v2 when both sides run this
// runtime (an optional child sends a v2 ready and then a v1 one, so that
// an SDK parent finds the one it reads) and v1 otherwise; off is v1 only.
//
// # The inbound chain
//
// Every inbound message passes, in order: the exact origin and the source
// window (for window messages; a port is a private pipe), a token bucket
// (10000 messages per second, burst 10000), a size limit (1 MiB by
// Value.Size), the envelope, the version and the path it came on, the
// session id, and for v2 the key id and the MAC; then the role checks the
// sequence number (strictly increasing per direction) and what its state
// allows, and only then does any state change. Anything else is dropped
// silently and counted by DropReason in Stats; OnDrop reports each drop to
// diagnostics.
//
// # What the WebAssembly layer implements
//
//   - Value over js.Value: Kind, Bool, Float, String, Get, Has (own
//     property) and Size (approximate bytes, allowed to stop counting past
//     a limit). Inbound events become a Message {Origin, Source, Data, Port}
//     and go to HandleMessage; Source must be a comparable handle (a
//     pointer the layer keeps per window), not a js.Value.
//   - Transport: PostWindow(env, targetOrigin, transfer) builds the plain
//     object from the Envelope (see Envelope for which members) and calls
//     postMessage with exactly that target origin, transferring the port if
//     any; NewChannel creates a MessageChannel.
//   - Port over MessagePort: Post, SetHandler (onmessage, which starts the
//     port) and Close.
//   - Clock over Date.now, setTimeout and clearTimeout; Rand over
//     crypto.getRandomValues; Codec over JSON.stringify and JSON.parse;
//     Signal over AbortSignal.
//   - Promises: every asynchronous operation takes a callback that runs
//     exactly once (func(Value, *Error) or func(*Error)); the layer resolves
//     or rejects a Promise in it. Request handlers answer through a
//     Responder (Resolve, Reject, or Fail when a JavaScript handler throws).
//
// The package is single-threaded by design, like the browser: a bridge's
// methods, timer callbacks and port handlers must run on one thread, and
// callbacks may call back into the bridge. It imports no fmt,
// encoding/json, regexp or reflect (a test checks), to keep the
// WebAssembly runtime small.
//
// A child page that reloads needs the current key to re-handshake: the
// layer keeps what OnKeyChange reports (sessionStorage) and passes it as
// ChildConfig.Key, since a token is redeemable only once per role. A page
// that unloaded before it handled the last bridge:rekey leaves the key
// before it: while that key is in its grace period, the parent answers
// the reloaded page's ready with it and sends bridge:rekey again, so the
// page catches up; after the grace period the ready is dropped (DropKID).
package protocol
