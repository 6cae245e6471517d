package htmlrewrite

import (
	"bytes"
	"strconv"
	"testing"
)

// newTestConfig returns a config with short parameter names, easy to read
// in expectations.
func newTestConfig(inHash bool, shim string) *Config {
	return &Config{
		Allowed:      []string{"https://widget.example", "http://localhost:8080", "http://[::1]:8080", "https://127.0.0.1", "https://w2.example:8443"},
		SessionParam: "sid",
		ParentParam:  "po",
		InHash:       inHash,
		ParentOrigin: "https://parent.example",
		Shim:         []byte(shim),
	}
}

// counterTokens returns a TokenFunc that hands out T1, T2, ...
func counterTokens() TokenFunc {
	n := 0
	return func(string) (string, error) {
		n++
		return "T" + strconv.Itoa(n), nil
	}
}

// rewriteAll runs page through Scan+Apply, checks that a Rewriter fed in
// one write, in 1-byte writes and in two pieces at a few split points
// gives the same bytes and stats, and returns the output and stats.
func rewriteAll(t testing.TB, cfg *Config, page []byte, splits bool) ([]byte, Stats) {
	t.Helper()
	plan := Scan(page, cfg)
	want, err := plan.Apply(nil, page, cfg, counterTokens())
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got, err := plan.ApplyAppend(nil, page, cfg, appendTokens(counterTokens())); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ApplyAppend: %v\ngot  %q\nwant %q", err, got, want)
	}
	check := func(name string, chunks [][]byte) {
		t.Helper()
		var out bytes.Buffer
		r := NewRewriter(&out, cfg, counterTokens())
		for _, c := range chunks {
			if _, err := r.Write(c); err != nil {
				t.Fatalf("%s: write: %v", name, err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatalf("%s: close: %v", name, err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("%s: streaming output differs from Scan+Apply\ninput:  %q\nstream: %q\nplan:   %q", name, page, out.Bytes(), want)
		}
		if r.Stats() != plan.Stats() {
			t.Fatalf("%s: stats differ: stream %+v, plan %+v\ninput: %q", name, r.Stats(), plan.Stats(), page)
		}
	}
	check("one write", [][]byte{page})
	if splits {
		ones := make([][]byte, len(page))
		for i := range page {
			ones[i] = page[i : i+1]
		}
		check("1-byte writes", ones)
		for i := 1; i < len(page); i++ {
			check("split at "+strconv.Itoa(i), [][]byte{page[:i], page[i:]})
		}
	}
	return want, plan.Stats()
}
