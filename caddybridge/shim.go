package caddybridge

import (
	"crypto/sha256"
	"encoding/base64"
)

// shimScript is the early-message shim: a classic inline script inserted
// at the start of <head> (or before the first rewritten iframe) of every
// rewritten page. Until the runtime loads, it keeps each bridge:ready that
// one of the page's own iframes sends (a fast iframe's), the latest one
// per iframe, with its origin and source, in window.__caddyBridgeEarly;
// the runtime drains them through the same checks as any other message
// and then calls stop(). Other windows' messages, and an iframe's other
// messages, are not kept, so that no window can crowd out another's
// ready.
const shimScript = `(function(){if(window.__caddyBridgeEarly)return;var q=[],h=function(e){var d=e.data,s=e.source,i;if(!d||typeof d!=="object"||d.protocol!=="iframe-bridge"||d.type!=="bridge:ready"||!s)return;for(i=0;i<frames.length&&frames[i]!==s;i++);if(i===frames.length)return;for(i=0;i<q.length;i++)if(q[i].source===s){q.splice(i,1);break;}q.push({data:d,origin:e.origin,source:s,ports:e.ports});};addEventListener("message",h);window.__caddyBridgeEarly={queue:q,stop:function(){removeEventListener("message",h);}};})();`

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
