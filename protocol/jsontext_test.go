package protocol

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `quo"te\back`, "\n\r\t\b\f\x00\x1f", "é ✓ 😀", "\u2028", "bad\xffutf8"} {
		out := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, out, err)
		}
		want := s
		if !utf8.ValidString(s) {
			want = "bad\ufffdutf8"
		}
		if back != want {
			t.Fatalf("%q round-tripped to %q", s, back)
		}
		if got, ok := unquoteJSON(string(out)); !ok || got != want {
			t.Fatalf("unquoteJSON(%s) = %q, %v", out, got, ok)
		}
	}
}

func TestUnquoteJSON(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t", true},
		{`"\u00e9\u2713"`, "é✓", true},
		{`"\ud83d\ude00"`, "😀", true},
		{`"\ud83d"`, "\ufffd", true},
		{`"\ud83dx"`, "\ufffdx", true},
		{`"\ud83d\u0041"`, "\ufffdA", true},
		{`"\ude00"`, "\ufffd", true},
		{`"\ud83d\uzzzz"`, "", false},
		{`"\u12"`, "", false},
		{`"\x"`, "", false},
		{`"tab	inside"`, "", false},
		{"\"esc\\", "", false},
		{`"unterminated`, "", false},
		{`"a\nb`, "", false},
		{`"a" `, "", false},
		{`x`, "", false},
	}
	for _, tt := range tests {
		got, ok := unquoteJSON(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("unquoteJSON(%s) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReadJSONObject(t *testing.T) {
	valid := []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":-0.5e+10,"b":[1,{"c":null}],"d":true,"e":false,"f":"x"}`,
		`{"a":[]}`, `{"a":{"b":{}}}`, `{"a":1E5}`, `{"a":0}`,
	}
	for _, s := range valid {
		if !readJSONObject(s, func(jsonMember) {}) {
			t.Errorf("%s: rejected", s)
		}
		if !json.Valid([]byte(s)) {
			t.Fatalf("test bug: %s", s)
		}
	}
	invalid := []string{
		``, `[]`, `"s"`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1}x`, `{a:1}`, `{"a":01}`, `{"a":1.}`,
		`{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":{"b" 1}}`,
		`{"a":{"b":1,}}`, `{"a":1 "b":2}`, `{"a":[}`, `{"a":"\q"}`,
	}
	for _, s := range invalid {
		if readJSONObject(s, func(jsonMember) {}) {
			t.Errorf("%s: accepted", s)
		}
	}
	deep := `{"a":` + repeat("[", maxJSONDepth+1) + repeat("]", maxJSONDepth+1) + `}`
	if readJSONObject(deep, func(jsonMember) {}) {
		t.Error("nesting beyond the limit accepted")
	}
	var members []jsonMember
	readJSONObject(`{"k":"v", "n" : [1, 2] ,"k":"w"}`, func(m jsonMember) { members = append(members, m) })
	if len(members) != 3 || members[1].key != "n" || members[1].raw != "[1, 2]" || members[2].raw != `"w"` {
		t.Fatalf("members = %+v", members)
	}
	if v, ok := jsonStringMember(`{"k":"v","k":"w"}`, "k"); !ok || v != "w" {
		t.Fatalf("last duplicate wins: %q %v", v, ok)
	}
	if _, ok := jsonStringMember(`{"k":1}`, "k"); ok {
		t.Fatal("number read as string")
	}
	if _, ok := jsonStringMember(`{"j":"v"}`, "k"); ok {
		t.Fatal("missing member found")
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestTrimJS(t *testing.T) {
	tests := map[string]string{
		"":                    "",
		"  a b  ":             "a b",
		"\u00a0\ufeffx\u3000": "x",
		"\u2000\u200ay\u2029": "y",
		"\u200bz":             "\u200bz", // zero width space is not white space
		"\t\v\f\r\n":          "",
	}
	for in, want := range tests {
		if got := trimJS(in); got != want {
			t.Errorf("trimJS(%q) = %q, want %q", in, got, want)
		}
		if blankJS(in) != (want == "") {
			t.Errorf("blankJS(%q) = %v", in, blankJS(in))
		}
	}
}
