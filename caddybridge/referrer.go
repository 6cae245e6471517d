package caddybridge

import (
	"net/http"
	"strings"
)

// Referrer policies that keep a page's URL (and so a session token in its
// query) out of every Referer header, same-origin requests included: they
// send nothing, or the origin only.
var tokenSafeReferrerPolicies = map[string]bool{
	"no-referrer":   true,
	"strict-origin": true,
	"origin":        true,
}

// tightenReferrerPolicy makes the Referrer-Policy of a response to a
// request whose URL carries a session token keep that URL out of Referer
// headers, without ever loosening the upstream's policy:
//
//   - an effective upstream policy of no-referrer, strict-origin or origin
//     already does it and is kept as it is;
//   - same-origin sends nothing cross-origin but the full URL same-origin,
//     and strict-origin the reverse; only no-referrer is at least as strict
//     as both, so it replaces same-origin;
//   - anything else (no policy, unsafe-url, no-referrer-when-downgrade,
//     origin-when-cross-origin, strict-origin-when-cross-origin, which all
//     send the full URL same-origin) becomes strict-origin, which is
//     stricter than each of them.
//
// The effective policy is the last token a browser understands among the
// comma-separated values of every Referrer-Policy field. Browsers differ
// on whether tokens are case-sensitive, so both readings are taken and
// the weaker decides. set returns a one-value list for the header map.
func tightenReferrerPolicy(hdr http.Header, set func(string) []string) {
	vals := hdr["Referrer-Policy"]
	exact, folded := effectiveReferrerPolicy(vals, false), effectiveReferrerPolicy(vals, true)
	if tokenSafeReferrerPolicies[exact] && tokenSafeReferrerPolicies[folded] {
		return
	}
	v := "strict-origin"
	for _, p := range [2]string{exact, folded} {
		if p == "same-origin" || p == "no-referrer" {
			v = "no-referrer"
		}
	}
	hdr["Referrer-Policy"] = set(v)
}

// effectiveReferrerPolicy returns the policy a browser applies for these
// Referrer-Policy field values: the last known token, in lower case, or
// "" when there is none. fold says whether tokens match case-insensitively.
func effectiveReferrerPolicy(vals []string, fold bool) string {
	policy := ""
	for _, v := range vals {
		for _, tok := range strings.Split(v, ",") {
			tok = strings.TrimSpace(tok)
			if fold {
				tok = strings.ToLower(tok)
			}
			if knownReferrerPolicy(tok) {
				policy = tok
			}
		}
	}
	return policy
}

// knownReferrerPolicy reports whether tok is one of the referrer policies
// of the W3C Referrer Policy specification.
func knownReferrerPolicy(tok string) bool {
	switch tok {
	case "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
		"origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url":
		return true
	}
	return false
}
