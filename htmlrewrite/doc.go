// Package htmlrewrite appends a session token and the parent origin to the
// src of every iframe whose URL points at a listed embed origin, and inserts
// a small script (the shim) once per page, changing nothing else in the
// document: the output minus the inserted bytes is the input, byte for byte.
//
// # Which tags are real
//
// The scanner follows the WHATWG HTML tokenizer far enough to know which
// start tags are real: comments (including the abrupt <!--> and <!--->
// forms and --!>), bogus comments (<!x>, <?x>, </ x>), doctypes, end tags
// with attributes, RAWTEXT and RCDATA elements (style, xmp, iframe,
// noembed, noframes, noscript, textarea, title), script data with its
// escaped and double-escaped states, and plaintext. Tags are matched in any
// case; attribute values may be double-quoted, single-quoted or unquoted,
// with whitespace around '='; the first of duplicate attributes wins. A tag
// that is still open at the end of the input is not a tag.
//
// Two choices follow golang.org/x/net/html's Tokenizer: noscript content is
// raw text (as in a browser with scripting enabled), and <![CDATA[ is a
// bogus comment that ends at the first '>' (CDATA sections only exist in
// SVG and MathML, which a tokenizer alone cannot know it is in). One choice
// follows the HTML standard where x/net/html does not: in the script data
// escaped state ("<script><!--"), a '<' followed by anything but '/' or a
// letter stays in the escaped state; x/net/html returns to plain script
// data and may end the script at a "</script>" that browsers treat as text.
// Foreign content (svg, math) is not modelled: an iframe inside it is still
// seen as one (harmless, it never loads), and raw-text tags inside it hide
// what follows (fails closed, except for a <base> hidden there: see below).
//
// # Which URLs get parameters
//
// The src value is decoded as an HTML attribute value (character
// references, with the attribute rules for legacy references without a
// semicolon), then its origin is computed as the WHATWG URL parser does:
// leading and trailing C0 controls and spaces trimmed, tabs and newlines
// removed, backslashes as slashes, scheme and host case-insensitive, default
// ports dropped, the host after the last '@', percent-encoded hosts decoded,
// IPv6 literals compared as addresses. Only http and https URLs with at
// least two slashes after the scheme can match, and protocol-relative URLs
// (two or more slashes or backslashes, in any mix, and no scheme:
// "//host/path"), which take the scheme of the page, Config.ParentOrigin.
// Those are resolved against the page's URL only until the first <base>
// start tag with an href attribute: a browser resolves an iframe's src
// when the parser inserts it, so a later <base> does not change it, but
// after one the base decides, and the rewriter does not resolve against
// base hrefs. A <base> counts where the scanner sees a real tag, and also
// any "<base" in raw text, RCDATA or script data after an svg or math
// start tag (in foreign content a browser parses those as markup) and in
// noscript (markup where scripting is disabled). Whatever else depends on
// the base URL (path-, query- and fragment-relative URLs, whose origin is
// the page's own, and scheme-relative URLs such as "https:host") or would
// need guesswork (userinfo, non-ASCII hosts that need IDNA, numeric hosts
// in non-canonical form, character references that produce '#', '?',
// controls or spaces, NUL bytes) fails closed: the tag is left alone byte
// for byte and counted in Stats. An iframe whose URL already mentions the
// session parameter (literally or percent-encoded) is left alone. srcdoc and
// every other attribute are never touched; when an iframe has both srcdoc
// and src, its src is still rewritten.
//
// # What is inserted
//
// In the query: "?" if the URL has no query, "&amp;" if it has a non-empty
// one, nothing after an empty "?"; inserted before the fragment, and before
// any trailing whitespace. In the fragment (Config.InHash): "#k=v&amp;k2=v2"
// without a fragment, "#route?k=v..." after a fragment without '?', and
// "&amp;k=v..." when the fragment already has a query. The separator '&' is
// always written "&amp;"; in an unquoted attribute value '=' is written
// "&#61;" so that the value stays valid unquoted. Tokens are query-escaped.
//
// The shim goes right after the first <head> start tag if that comes before
// the first rewritten iframe, otherwise right before that iframe's '<'. A
// stream cannot see the future, so a page with a <head> gets the shim even
// if no iframe follows.
//
// # Two entry points
//
// Rewriter streams: it writes everything as soon as it is decided and holds
// back at most one unfinished tag (Config.MaxTag, 64 KiB by default; longer
// tags pass through untouched and are counted) or a few bytes of lookahead.
// Scan finds the edit points of a whole page once, and Plan.Apply writes the
// page with fresh tokens without allocating. For the same input both produce
// the same bytes, however the input is split into writes.
package htmlrewrite
