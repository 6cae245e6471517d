package protocol

import "testing"

func TestCheckOrigin(t *testing.T) {
	tests := []struct {
		in       string
		insecure bool
		want     string
		message  string
	}{
		{"https://a.example", false, "https://a.example", ""},
		{"  https://a.example\n", false, "https://a.example", ""},
		{"https://a.example:8443", false, "https://a.example:8443", ""},
		{"https://[2001:db8::1]", false, "https://[2001:db8::1]", ""},
		{"https://[2001:db8::1]:444", false, "https://[2001:db8::1]:444", ""},
		{"https://10.0.0.1", false, "https://10.0.0.1", ""},
		{"http://localhost:8080", true, "http://localhost:8080", ""},
		{"http://127.0.0.1", true, "http://127.0.0.1", ""},
		{"http://[::1]:3000", true, "http://[::1]:3000", ""},
		{"*", false, "", "Wildcard origins are not allowed."},
		{"https://*.example", false, "", "Wildcard origins are not allowed."},
		{" ", false, "", "Configured origin must not be empty."},
		{"a.example", false, "", "Configured origin must be an absolute URL origin."},
		{"://a.example", false, "", "Configured origin must be an absolute URL origin."},
		{"ftp://a.example", false, "", "Configured origin must use HTTP or HTTPS."},
		{"https://a.example/", false, "", "Configured origin must not include path, query, or hash."},
		{"https://a.example?x", false, "", "Configured origin must not include path, query, or hash."},
		{"https://a.example#x", false, "", "Configured origin must not include path, query, or hash."},
		{"http://a.example", true, "", "Configured origin must use HTTPS."},
		{"http://localhost", false, "", "Configured origin must use HTTPS."},
	}
	bad := []string{
		"HTTPS://a.example", "https://A.example", "https://a.example:443", "http://localhost:80",
		"https://a.example:", "https://a.example:0", "https://a.example:08", "https://a.example:+8",
		"https://a.example:70000", "https://user@a.example", "https://a.example.", "https://.a.example",
		"https://a..example", "https://", "https://[::1", "https://[::1]x", "https://[]", "https://[::G]",
	}
	for _, s := range bad {
		tests = append(tests, struct {
			in       string
			insecure bool
			want     string
			message  string
		}{s, true, "", "Configured origin must be a serialized origin: scheme://host[:port], lowercase, without credentials or a default port."})
	}
	for _, tt := range tests {
		got, err := checkOrigin(tt.in, tt.insecure)
		if tt.message == "" {
			if err != nil || got != tt.want {
				t.Errorf("checkOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || err.Code != CodeConfigUnsafeOrigin || err.Message != tt.message || err.Details["origin"] != tt.in {
			t.Errorf("checkOrigin(%q) error = %v, want %q", tt.in, err, tt.message)
		}
	}
}
