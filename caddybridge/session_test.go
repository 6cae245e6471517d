package caddybridge

import (
	"encoding/json"
	"testing"
)

// TestSessionAnswerJSON checks the hand-made encoding against
// encoding/json, for the values the endpoint sends and for odd ones.
func TestSessionAnswerJSON(t *testing.T) {
	for _, a := range []sessionAnswer{
		{SessionID: "AVuK8yV_nzTc", Key: "k-_", KeyID: "kid", ParentOrigin: "https://shop.example.com", EmbedOrigin: "http://[::1]:8080", Signing: "required"},
		{SessionID: "t", ParentOrigin: "https://a", EmbedOrigin: "https://b", Signing: "off", Token: "t"},
		{SessionID: `q"uo\te<&>`, ParentOrigin: "héllo\n\x00", EmbedOrigin: "\xff", Signing: ""},
	} {
		want, _ := json.Marshal(a)
		if got := a.appendJSON(nil); string(got) != string(want) {
			t.Errorf("appendJSON:\n got %s\nwant %s", got, want)
		}
	}
	if got := string(appendJSONString(nil, "BODY_INVALID")); got != `"BODY_INVALID"` {
		t.Errorf("appendJSONString: %s", got)
	}
}

// FuzzParseSessionRequest checks that the direct reading of common bodies
// agrees with encoding/json's strict decoding.
func FuzzParseSessionRequest(f *testing.F) {
	for _, s := range []string{`{"token":"AVuK8y-_"}`, `{"embed":"https://w.example.com"}`, `{"token":""}`,
		`{"token":"a","embed":"b"}`, `{"token":"a\"b"}`, `{"token":"x"} `, `{"tokn":"x"}`, `{"token":1}`, `{"embed":"<>&"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, sv, sok := strictSessionRequest(b)
		pf, pv, pok := parseSessionRequest(b)
		if sok != pok || sf != pf || sv != pv {
			t.Fatalf("%q: strict (%q, %q, %v), parse (%q, %q, %v)", b, sf, sv, sok, pf, pv, pok)
		}
	})
}
