package integration

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// partnerSecret is the explicit master secret of the deployment between
// http://localhost:9083 and https://partner.example, so that the test can
// mint tokens of its own (expired, from the future, forged).
var partnerSecret = []byte("0123456789abcdef0123456789abcdef")

const sessionSites = `
http://localhost:9080 {
	bridge {
		embed http://127.0.0.1:9081
		embed http://127.0.0.1:9084 {
			signing off
		}
		allow_insecure_localhost
	}
	respond "parent"
}
http://127.0.0.1:9081 {
	bridge {
		parent http://localhost:9080
		allow_insecure_localhost
	}
	respond "embed"
}
http://127.0.0.1:9084 {
	bridge {
		parent http://localhost:9080 {
			signing off
		}
		allow_insecure_localhost
	}
	respond "embed, unsigned"
}
http://localhost:9082 {
	bridge {
		parent https://other.example
		allow_insecure_localhost
	}
	respond "embed of another parent"
}
http://localhost:9083 {
	bridge {
		embed https://partner.example {
			secret MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
		}
		allow_insecure_localhost
	}
	respond "parent of a partner"
}
`

const (
	parentURL = "http://localhost:9080/_bridge/session"
	parentO   = "http://localhost:9080"
	embedURL  = "http://127.0.0.1:9081/_bridge/session"
	embedO    = "http://127.0.0.1:9081"
)

func TestSessionMintAndRedeem(t *testing.T) {
	start(t, sessionSites)

	st, minted, hdr := postSession(t, parentURL, parentO, mintBody(embedO))
	if st != 200 || minted.Token == "" || minted.Key == "" || minted.KeyID == "" {
		t.Fatalf("mint: %d %+v", st, minted)
	}
	if hdr.Get("Cache-Control") != "no-store" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("mint headers: %v", hdr)
	}
	if minted.SessionID != minted.Token || minted.ParentOrigin != parentO || minted.EmbedOrigin != embedO || minted.Signing != "required" {
		t.Errorf("mint answer: %+v", minted)
	}
	if k, err := base64.RawURLEncoding.DecodeString(minted.Key); err != nil || len(k) != 32 {
		t.Errorf("key is not 32 bytes of base64url: %v", err)
	}

	// The embed redeems the same token at its own origin: same session.
	st, redeemed, _ := postSession(t, embedURL, embedO, redeemBody(minted.Token))
	if st != 200 {
		t.Fatalf("redeem at embed: %d %+v", st, redeemed)
	}
	if redeemed.Key != minted.Key || redeemed.KeyID != minted.KeyID || redeemed.SessionID != minted.SessionID || redeemed.Token != "" {
		t.Errorf("embed got another session: %+v vs %+v", redeemed, minted)
	}

	// Once per role.
	for _, c := range []struct{ url, origin string }{{embedURL, embedO}, {parentURL, parentO}} {
		st, ans, _ := postSession(t, c.url, c.origin, redeemBody(minted.Token))
		if st != 409 || ans.Error != "TOKEN_ALREADY_REDEEMED" || ans.Key != "" {
			t.Errorf("second redemption at %s: %d %+v", c.url, st, ans)
		}
	}

	// signing off: no key is issued, on either side.
	st, unsigned, _ := postSession(t, parentURL, parentO, mintBody("http://127.0.0.1:9084"))
	if st != 200 || unsigned.Key != "" || unsigned.KeyID != "" || unsigned.Signing != "off" {
		t.Errorf("mint with signing off: %d %+v", st, unsigned)
	}
	st, unsignedE, _ := postSession(t, "http://127.0.0.1:9084/_bridge/session", "http://127.0.0.1:9084", redeemBody(unsigned.Token))
	if st != 200 || unsignedE.Key != "" || unsignedE.SessionID != unsigned.Token {
		t.Errorf("redeem with signing off: %d %+v", st, unsignedE)
	}
}

func TestSessionRefusals(t *testing.T) {
	start(t, sessionSites)
	fresh := func() string {
		t.Helper()
		st, ans, _ := postSession(t, parentURL, parentO, mintBody(embedO))
		if st != 200 {
			t.Fatalf("mint: %d %+v", st, ans)
		}
		return ans.Token
	}
	partner := func(at time.Time, secret []byte) string {
		tok, _, err := bridgekey.MintToken(secret, "http://localhost:9083", "https://partner.example", at, strings.NewReader(strings.Repeat("r", 64)+time.Now().String()))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tampered := func(tok string) string {
		b := []byte(tok)
		if b[30] == 'A' {
			b[30] = 'B'
		} else {
			b[30] = 'A'
		}
		return string(b)
	}
	const partnerURL, partnerO = "http://localhost:9083/_bridge/session", "http://localhost:9083"
	big := `{"token":"` + strings.Repeat("a", 5000) + `"}`

	cases := []struct {
		name, url, origin, body string
		extra                   []string
		status                  int
		code                    string
	}{
		{"tampered", embedURL, embedO, redeemBody(tampered(fresh())), nil, 403, "TOKEN_FORGED"},
		{"malformed", embedURL, embedO, redeemBody("not-a-token"), nil, 400, "TOKEN_MALFORMED"},
		{"empty token", embedURL, embedO, redeemBody(""), nil, 400, "TOKEN_MALFORMED"},
		{"expired", partnerURL, partnerO, redeemBody(partner(time.Now().Add(-3*time.Minute), partnerSecret)), nil, 410, "TOKEN_EXPIRED"},
		{"from the future", partnerURL, partnerO, redeemBody(partner(time.Now().Add(time.Hour), partnerSecret)), nil, 410, "TOKEN_EXPIRED"},
		{"wrong secret", partnerURL, partnerO, redeemBody(partner(time.Now(), []byte("another secret, 32 bytes long..."))), nil, 403, "TOKEN_FORGED"},
		{"cross-deployment", "http://localhost:9082/_bridge/session", "http://localhost:9082", redeemBody(fresh()), nil, 403, "DEPLOYMENT_UNKNOWN"},
		{"foreign Origin", embedURL, parentO, redeemBody(fresh()), nil, 403, "ORIGIN_REFUSED"},
		{"missing Origin", embedURL, "", redeemBody(fresh()), nil, 403, "ORIGIN_REFUSED"},
		{"cross-site fetch", embedURL, embedO, redeemBody(fresh()), []string{"Sec-Fetch-Site", "cross-site"}, 403, "ORIGIN_REFUSED"},
		{"same-site fetch", embedURL, embedO, redeemBody(fresh()), []string{"Sec-Fetch-Site", "same-site"}, 403, "ORIGIN_REFUSED"},
		{"oversized", embedURL, embedO, big, nil, 413, "BODY_INVALID"},
		{"bad JSON", embedURL, embedO, `{"token":`, nil, 400, "BODY_INVALID"},
		{"empty body", embedURL, embedO, ``, nil, 400, "BODY_INVALID"},
		{"both fields", parentURL, parentO, `{"token":"x","embed":"http://127.0.0.1:9081"}`, nil, 400, "BODY_INVALID"},
		{"unknown field", embedURL, embedO, `{"tokn":"x"}`, nil, 400, "BODY_INVALID"},
		{"trailing data", embedURL, embedO, redeemBody("x") + `{}`, nil, 400, "BODY_INVALID"},
		{"mint unlisted embed", parentURL, parentO, mintBody("https://evil.example"), nil, 403, "DEPLOYMENT_UNKNOWN"},
		{"mint bad origin", parentURL, parentO, mintBody("http://127.0.0.1:9081/path"), nil, 403, "DEPLOYMENT_UNKNOWN"},
		{"mint at an embed-only site", embedURL, embedO, mintBody(parentO), nil, 403, "DEPLOYMENT_UNKNOWN"},
	}
	for _, c := range cases {
		st, ans, hdr := postSession(t, c.url, c.origin, c.body, c.extra...)
		if st != c.status || ans.Error != c.code || ans.Key != "" || ans.SessionID != "" {
			t.Errorf("%s: got %d %+v, want %d %s", c.name, st, ans, c.status, c.code)
		}
		if hdr.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", c.name, hdr.Get("Cache-Control"))
		}
	}

	// A refused token is not spent: a token refused at a wrong origin is
	// still redeemable by its embed.
	tok := fresh()
	if st, _, _ := postSession(t, embedURL, parentO, redeemBody(tok)); st != 403 {
		t.Fatalf("foreign origin: %d", st)
	}
	if st, ans, _ := postSession(t, embedURL, embedO, redeemBody(tok)); st != 200 {
		t.Errorf("after a refusal: %d %+v", st, ans)
	}
	// A partner token that is valid redeems once.
	good := partner(time.Now(), partnerSecret)
	if st, ans, _ := postSession(t, partnerURL, partnerO, redeemBody(good)); st != 200 || ans.EmbedOrigin != "https://partner.example" {
		t.Errorf("partner token: %d %+v", st, ans)
	}

	// Methods and paths.
	resp := get(t, embedURL)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET session: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp := get(t, "http://127.0.0.1:9081/_bridge/nothing"); resp.StatusCode != 404 {
		t.Errorf("unknown runtime path: %d", resp.StatusCode)
	}

	// Metrics count outcomes, and never carry a token.
	mresp, err := http.Get("http://localhost:2999/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	m := string(mb)
	for _, want := range []string{`caddy_bridge_session_requests_total{outcome="TOKEN_FORGED",role="embed"}`, `caddy_bridge_session_requests_total{outcome="ORIGIN_REFUSED",role="none"}`, `caddy_bridge_tokens_minted_total{via="endpoint"}`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, tok) {
		t.Error("metrics contain a token")
	}
}
