package caddybridge

import (
	"crypto/sha256"
	"encoding/base64"
)

// shimScript is the early-message shim: a classic inline script inserted
// at the start of <head> (or before the first rewritten iframe) of every
// rewritten page. Until the runtime loads, it keeps the bridge messages
// that arrive (a bridge:ready sent by a fast iframe), at most 100, with
// their origin and source, in window.__caddyBridgeEarly; the runtime
// drains them through the same checks as any other message and then
// calls stop().
const shimScript = `(function(){if(window.__caddyBridgeEarly)return;var q=[],h=function(e){var d=e.data;if(d&&typeof d==="object"&&d.protocol==="iframe-bridge"&&q.length<100)q.push({data:d,origin:e.origin,source:e.source,ports:e.ports});};addEventListener("message",h);window.__caddyBridgeEarly={queue:q,stop:function(){removeEventListener("message",h);}};})();`

// shimTag is what the rewriter inserts.
var shimTag = []byte(`<script data-caddy-bridge-shim>` + shimScript + `</script>`)

// ShimCSPSource is the CSP source expression ('sha256-…') that allows the
// early-message shim; rewritten pages get it where scripts are
// restricted.
var ShimCSPSource = func() string {
	sum := sha256.Sum256([]byte(shimScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

var shimHashes = []string{ShimCSPSource}
