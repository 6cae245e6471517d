package caddybridge

import (
	"net/http"
	"reflect"
	"sort"
	"testing"
)

// TestCandidateMethods checks which requests may get a rewritten page and
// which of their headers are removed before the upstream sees them.
func TestCandidateMethods(t *testing.T) {
	all := []string{"Accept-Encoding", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Range"}
	for _, c := range []struct {
		method, dest string
		candidate    bool
		kept         []string // request headers left after prepareCandidate
	}{
		{"GET", "document", true, nil},
		{"HEAD", "iframe", true, nil},
		{"POST", "document", true, []string{"If-Match", "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since"}},
		{"PUT", "empty", true, []string{"If-Match", "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since"}},
		{"OPTIONS", "empty", true, []string{"If-Match", "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since"}},
		{"POST", "script", false, nil},
		{"CONNECT", "document", false, nil},
	} {
		r, _ := http.NewRequest(c.method, "http://shop.example.com/", nil)
		r.Header.Set("Sec-Fetch-Dest", c.dest)
		if got := isCandidate(r); got != c.candidate {
			t.Errorf("%s %s: candidate %v, want %v", c.method, c.dest, got, c.candidate)
		}
		if !c.candidate {
			continue
		}
		for _, k := range all {
			r.Header.Set(k, "x")
		}
		prepareCandidate(r)
		var kept []string
		for _, k := range all {
			if _, ok := r.Header[k]; ok {
				kept = append(kept, k)
			}
		}
		sort.Strings(kept)
		if !reflect.DeepEqual(kept, c.kept) {
			t.Errorf("%s: kept %v, want %v", c.method, kept, c.kept)
		}
	}
}
