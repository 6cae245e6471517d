package caddyfile

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func adapt(t *testing.T, src string) (string, error) {
	t.Helper()
	ad := caddyconfig.GetAdapter("caddyfile")
	out, _, err := ad.Adapt([]byte(src), map[string]any{"filename": "Caddyfile"})
	return string(out), err
}

// TestAdaptGolden adapts each testdata/*.caddyfile and compares the JSON
// with the .json file beside it (go test -update rewrites them).
func TestAdaptGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.caddyfile")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := adapt(t, string(src))
			if err != nil {
				t.Fatalf("adapt: %v", err)
			}
			var pretty map[string]any
			if err := json.Unmarshal([]byte(out), &pretty); err != nil {
				t.Fatal(err)
			}
			b, _ := json.MarshalIndent(pretty, "", "\t")
			golden := strings.TrimSuffix(f, ".caddyfile") + ".json"
			if *update {
				if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(want)) != strings.TrimSpace(string(b)) {
				t.Errorf("adapted JSON differs from %s:\n%s", golden, b)
			}
		})
	}
}

// TestOrder checks that a plain site block needs no order line, and that
// bridge runs inside encode and outside file_server.
func TestOrder(t *testing.T) {
	out, err := adapt(t, ":8080 {\n\tfile_server\n\tbridge {\n\t\tembed https://w.example.com\n\t}\n\tencode gzip\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	e, b, f := strings.Index(out, `"handler":"encode"`), strings.Index(out, `"handler":"bridge"`), strings.Index(out, `"handler":"file_server"`)
	if e < 0 || b < 0 || f < 0 || !(e < b && b < f) {
		t.Errorf("want encode < bridge < file_server, got %d %d %d in %s", e, b, f, out)
	}
}

// TestRefused lists configs that must fail to adapt, each with the line
// and the words the message must contain.
func TestRefused(t *testing.T) {
	const secret32 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	cases := []struct {
		name, block string
		line        int // line of the Caddyfile the error names
		want        []string
	}{
		{"wildcard", "embed https://*.example.com", 3, []string{"wildcards are not allowed"}},
		{"path", "embed https://w.example.com/app", 3, []string{"no path", `write "https://w.example.com"`}},
		{"trailing slash", "embed https://w.example.com/", 3, []string{"not even a trailing /", `write "https://w.example.com"`}},
		{"query", "embed https://w.example.com?x=1", 3, []string{"no query (not even a bare ?)", `write "https://w.example.com"`}},
		{"fragment", "embed https://w.example.com#x", 3, []string{"no fragment (not even a bare #)", `write "https://w.example.com"`}},
		{"numeric ipv4", "embed https://w.example.com\n\t\tparent https://0x7f.0.0.1:8443", 4, []string{"parent:", `an origin must be written as the browser writes it; write "https://127.0.0.1:8443"`}},
		{"uncompressed ipv6", "embed https://[0:0::1]", 3, []string{`write "https://[::1]"`}},
		{"odd loopback spelling with flag", "allow_insecure_localhost\n\t\tembed http://127.000.0.1:8081", 4, []string{`write "http://127.0.0.1:8081"`}},
		{"odd loopback spelling without flag", "embed http://127.1:8081", 3, []string{"allow_insecure_localhost", `write "https://127.0.0.1:8081"`}},
		{"origin subdirective spelling", "embed https://w.example.com\n\t\torigin https://2130706433", 4, []string{"origin:", `write "https://127.0.0.1"`}},
		{"credentials", "embed https://user:pw@w.example.com", 3, []string{"no user name or password", `write "https://w.example.com"`}},
		{"ftp scheme", "embed ftp://w.example.com", 3, []string{"scheme must be https"}},
		{"javascript scheme", "parent javascript://w.example.com", 3, []string{"scheme must be https"}},
		{"bad port", "embed https://w.example.com:99999", 3, []string{"port must be a number from 1 to 65535"}},
		{"port zero", "embed https://w.example.com:0", 3, []string{"port must be a number"}},
		{"empty port", "embed https://w.example.com:", 3, []string{"port after : is empty"}},
		{"null", "parent null", 3, []string{"opaque origin"}},
		{"bare host", "embed w.example.com", 3, []string{"no scheme", `write "https://w.example.com"`}},
		{"http not loopback", "allow_insecure_localhost\n\t\tembed http://w.example.com", 4, []string{"only allowed for localhost", `write "https://w.example.com"`}},
		{"http loopback without flag", "embed http://localhost:8081", 3, []string{"allow_insecure_localhost"}},
		{"flag after origin still checked", "embed http://w.example.com\n\t\tallow_insecure_localhost", 3, []string{"only allowed for localhost"}},
		{"unbracketed ipv6", "embed https://::1", 3, []string{"IPv6"}},
		{"trailing dot", "embed https://w.example.com.", 3, []string{"trailing dot"}},
		{"unicode host", "embed https://bücher.example", 3, []string{"punycode"}},
		{"duplicate", "embed https://w.example.com\n\t\tembed https://W.example.com:443", 4, []string{"already listed at line 3"}},
		{"unknown subdirective", "embed https://w.example.com\n\t\tframe_src https://x.example.com", 4, []string{`unknown subdirective "frame_src"`, "embed, parent"}},
		{"unknown block option", "embed https://w.example.com {\n\t\t\tsecert x\n\t\t}", 4, []string{`unknown option "secert"`, "secret and signing"}},
		{"no role", "csp off", 4, []string{"at least one embed"}},
		{"embed without origin", "embed", 3, []string{"embed needs at least one origin"}},
		{"short secret", "embed https://w.example.com {\n\t\t\tsecret c2hvcnQ=\n\t\t}", 4, []string{"shorter than 32 bytes"}},
		{"bad base64 secret", "embed https://w.example.com {\n\t\t\tsecret not*base64!\n\t\t}", 4, []string{"not valid base64"}},
		{"bad signing", "parent https://p.example.com {\n\t\t\tsigning sometimes\n\t\t}", 4, []string{`signing "sometimes"`, "required, optional or off"}},
		{"bad session_in", "embed https://w.example.com\n\t\tsession_in cookie", 4, []string{"query or hash"}},
		{"bad csp", "embed https://w.example.com\n\t\tcsp strict", 4, []string{"enforce, report_only or off"}},
		{"bad ttl", "embed https://w.example.com\n\t\ttoken_ttl forever", 4, []string{"positive duration"}},
		{"negative ttl", "embed https://w.example.com\n\t\ttoken_ttl -1m", 4, []string{"positive duration"}},
		{"relative runtime_path", "embed https://w.example.com\n\t\truntime_path _bridge", 4, []string{"absolute path"}},
		{"root runtime_path", "embed https://w.example.com\n\t\truntime_path /", 4, []string{"whole site"}},
		{"bad origin", "embed https://w.example.com\n\t\torigin https://shop.example.com/", 4, []string{"origin:", "no path"}},
		{"twice", "embed https://w.example.com\n\t\tcsp off\n\t\tcsp enforce", 5, []string{"csp is set twice"}},
		{"session_param with &", "embed https://w.example.com\n\t\tsession_param a&b", 4, []string{`session_param "a&b" contains "&"`, "letters, digits"}},
		{"parent_param with =", "embed https://w.example.com\n\t\tparent_param from=x", 4, []string{`parent_param "from=x" contains "="`, "letters, digits"}},
		{"same params", "embed https://w.example.com\n\t\tsession_param x\n\t\tparent_param x", 5, []string{"different names"}},
		{"args on first line", "", 2, []string{"no arguments"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := ":8080 {\n\tbridge {\n\t\t" + c.block + "\n\t}\n}\n"
			if c.name == "args on first line" {
				src = ":8080 {\n\tbridge https://w.example.com\n}\n"
			}
			_, err := adapt(t, src)
			if err == nil {
				t.Fatalf("adapted without error:\n%s", src)
			}
			msg := err.Error()
			for _, w := range append(c.want, "Caddyfile:"+itoa(c.line)) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, secret32) || strings.Contains(msg, "c2hvcnQ") || strings.Contains(msg, "not*base64") {
				t.Errorf("error echoes the secret: %q", msg)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestExampleAdapts keeps the demo config working.
func TestExampleAdapts(t *testing.T) {
	src, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	out, err := adapt(t, string(src))
	if err != nil {
		t.Fatalf("Caddyfile.example: %v", err)
	}
	for _, want := range []string{`"embed":[{"origins":["http://localhost:8081"]}]`, `"parent":[{"origins":["http://127.0.0.1:8080"]}]`} {
		if !strings.Contains(out, want) {
			t.Errorf("Caddyfile.example adapts without %s", want)
		}
	}
}

// TestSecretNotEchoed checks that a secret written where another value
// goes (the secret keyword forgotten, or the value put after signing or
// among the origins) is described rather than repeated: the message has
// no 8-character piece of it, names the line and says what to write.
func TestSecretNotEchoed(t *testing.T) {
	secrets := map[string]string{
		"base64":     "jo6lmQmmaSJS01CL/30kRc75xm5jAvJib7NbqIABh+Q=",                     // openssl rand -base64 32
		"base64url":  "jo6lmQmmaSJS01CL_30kRc75xm5jAvJib7NbqIABh-Q",                      // unpadded URL alphabet
		"hex":        "8e8ea59909a6692252d350b8bf7d1191cef9c66e6302f26279b36ca880047f84", // openssl rand -hex 32
		"hex16":      "8e8ea59909a6692252d350b8bf7d1191",                                 // openssl rand -hex 16
		"lower only": "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq",                      // decodes to 32 bytes
	}
	slips := []struct {
		name  string
		block string // %s is the secret
		line  int
		want  []string
	}{
		{"secret keyword forgotten", "embed https://a.example {\n\t\t\t%s\n\t\t}", 4, []string{"is not an option of the embed block", `"secret <value>"`, "secret and signing"}},
		{"secret keyword forgotten in parent", "parent https://p.example {\n\t\t\t%s\n\t\t}", 4, []string{"is not an option of the parent block", `"secret <value>"`}},
		{"after signing", "embed https://a.example {\n\t\t\tsigning %s\n\t\t}", 4, []string{"signing takes required, optional or off", "secret <value>"}},
		{"as an origin", "embed https://a.example %s", 3, []string{"embed: a ", "is not an origin", "secret <value>", "https://widget.example.com"}},
		{"as the only origin", "parent %s", 3, []string{"parent: a ", "is not an origin", "secret <value>"}},
		{"as origin subdirective", "embed https://a.example\n\t\torigin %s", 4, []string{"origin: a ", "is not an origin"}},
		{"as a subdirective", "embed https://a.example\n\t\t%s", 4, []string{"is not a subdirective of bridge", "secret <value>"}},
		{"after csp", "embed https://a.example\n\t\tcsp %s", 4, []string{"csp (a ", "enforce, report_only or off", "secret <value>"}},
		{"after session_in", "embed https://a.example\n\t\tsession_in %s", 4, []string{"query or hash", "secret <value>"}},
		{"after token_ttl", "embed https://a.example\n\t\ttoken_ttl %s", 4, []string{"positive duration", "secret <value>"}},
		{"after runtime_path", "embed https://a.example\n\t\truntime_path %s", 4, []string{"absolute path", "secret <value>"}},
		{"after session_param", "embed https://a.example\n\t\tsession_param x\n\t\tparent_param %s", 5, []string{"parent_param (a ", "secret <value>"}},
	}
	for sname, secret := range secrets {
		for _, c := range slips {
			t.Run(sname+"/"+c.name, func(t *testing.T) {
				src := ":8080 {\n\tbridge {\n\t\t" + strings.ReplaceAll(c.block, "%s", secret) + "\n\t}\n}\n"
				_, err := adapt(t, src)
				if err == nil {
					if c.name == "after session_param" && !strings.ContainsAny(secret, "+/=") {
						return // a hex or URL-alphabet value is a valid name
					}
					t.Fatalf("adapted without error:\n%s", src)
				}
				msg := err.Error()
				for i := 0; i+8 <= len(secret); i++ {
					if strings.Contains(msg, secret[i:i+8]) {
						t.Fatalf("error repeats %q of the secret: %s", secret[i:i+8], msg)
					}
				}
				for _, w := range append(c.want, "Caddyfile:"+itoa(c.line), itoa(len(secret))+"-character value that looks like a secret") {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q does not contain %q", msg, w)
					}
				}
			})
		}
	}
}

// TestSameParamSecret: two equal hex names are refused without repeating
// them.
func TestSameParamSecret(t *testing.T) {
	const hex = "8e8ea59909a6692252d350b8bf7d1191cef9c66e6302f26279b36ca880047f84"
	_, err := adapt(t, ":8080 {\n\tbridge {\n\t\tembed https://a.example\n\t\tsession_param "+hex+"\n\t\tparent_param "+hex+"\n\t}\n}\n")
	if err == nil || strings.Contains(err.Error(), hex[:8]) || !strings.Contains(err.Error(), "different names") || !strings.Contains(err.Error(), "Caddyfile:5") {
		t.Errorf("got %v", err)
	}
}
