package htmlrewrite

// SkipReason says why an iframe was left alone.
type SkipReason uint8

// The reasons an iframe is left alone.
const (
	// SkipNoSrc means the iframe has no src attribute, or an empty one.
	SkipNoSrc SkipReason = iota
	// SkipRelative means the URL depends on a base URL the rewriter does
	// not resolve against: a path-, query- or fragment-relative URL (its
	// origin would be the page's own), a scheme-relative one
	// ("https:host"), or a protocol-relative one ("//host") after a
	// <base href> or when Config.ParentOrigin is not an http or https
	// origin.
	SkipRelative
	// SkipUnlisted means the URL's origin is not one of Config.Allowed
	// (including every scheme but http and https).
	SkipUnlisted
	// SkipAmbiguous means deciding the origin or the insertion point would
	// take guesswork: userinfo, a non-ASCII or unusual host, a numeric host
	// in non-canonical form, a character reference producing a delimiter,
	// a NUL byte.
	SkipAmbiguous
	// SkipHasParam means the URL already carries the session parameter.
	SkipHasParam
	// SkipOversized means the tag is longer than Config.MaxTag.
	SkipOversized

	// NumSkipReasons is the number of SkipReason values.
	NumSkipReasons
)

var skipNames = [NumSkipReasons]string{"no_src", "relative", "unlisted", "ambiguous", "has_param", "oversized"}

// String returns the reason as a short snake_case label, fit for a metric.
func (r SkipReason) String() string {
	if r >= NumSkipReasons {
		return "unknown"
	}
	return skipNames[r]
}

// Stats counts what a rewriter or a scan saw.
type Stats struct {
	// Iframes is the number of real iframe start tags.
	Iframes int
	// Rewritten is the number of iframes that got parameters.
	Rewritten int
	// Skipped counts the iframes left alone, by reason.
	Skipped [NumSkipReasons]int
	// OversizedTags counts tags of any name longer than Config.MaxTag.
	OversizedTags int
	// Shim reports whether the shim was inserted.
	Shim bool
}
