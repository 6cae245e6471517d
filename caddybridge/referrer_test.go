package caddybridge

import (
	"net/http"
	"reflect"
	"testing"
)

// TestTightenReferrerPolicy checks that the policy of a page opened with
// a token keeps the token out of Referer headers and is never loosened.
func TestTightenReferrerPolicy(t *testing.T) {
	set := func(v string) []string { return []string{v} }
	for _, c := range []struct {
		upstream []string // Referrer-Policy fields; nil: none
		want     []string
	}{
		{nil, []string{"strict-origin"}},
		{[]string{""}, []string{"strict-origin"}},
		// Already keeps the URL out of every Referer: kept as sent.
		{[]string{"no-referrer"}, []string{"no-referrer"}},
		{[]string{"strict-origin"}, []string{"strict-origin"}},
		{[]string{"origin"}, []string{"origin"}},
		{[]string{"unsafe-url, no-referrer"}, []string{"unsafe-url, no-referrer"}},
		{[]string{"no-referrer, x-future-policy"}, []string{"no-referrer, x-future-policy"}},
		{[]string{"unsafe-url", "strict-origin"}, []string{"unsafe-url", "strict-origin"}},
		// Sends the full URL same-origin: tightened to strict-origin.
		{[]string{"unsafe-url"}, []string{"strict-origin"}},
		{[]string{"no-referrer-when-downgrade"}, []string{"strict-origin"}},
		{[]string{"origin-when-cross-origin"}, []string{"strict-origin"}},
		{[]string{"strict-origin-when-cross-origin"}, []string{"strict-origin"}},
		{[]string{"no-referrer, unsafe-url"}, []string{"strict-origin"}}, // the last one wins
		{[]string{"strict-origin", "unsafe-url"}, []string{"strict-origin"}},
		{[]string{"x-unknown"}, []string{"strict-origin"}},
		// same-origin: only no-referrer is at least as strict as both.
		{[]string{"same-origin"}, []string{"no-referrer"}},
		{[]string{"unsafe-url, same-origin"}, []string{"no-referrer"}},
		// Tokens in another case: browsers that match exactly ignore them.
		{[]string{"No-Referrer"}, []string{"no-referrer"}},
		{[]string{"Strict-Origin"}, []string{"strict-origin"}},
		{[]string{"no-referrer, Unsafe-URL"}, []string{"no-referrer"}},
		{[]string{" no-referrer "}, []string{" no-referrer "}},
	} {
		hdr := http.Header{}
		if c.upstream != nil {
			hdr["Referrer-Policy"] = c.upstream
		}
		tightenReferrerPolicy(hdr, set)
		if got := hdr["Referrer-Policy"]; !reflect.DeepEqual(got, c.want) {
			t.Errorf("upstream %q: got %q, want %q", c.upstream, got, c.want)
		}
	}
}
