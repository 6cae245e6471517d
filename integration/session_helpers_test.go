package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// sessionAnswer is the session endpoint's answer, success or error.
type sessionAnswer struct {
	SessionID    string `json:"sessionId"`
	Key          string `json:"key"`
	KeyID        string `json:"keyId"`
	ParentOrigin string `json:"parentOrigin"`
	EmbedOrigin  string `json:"embedOrigin"`
	Signing      string `json:"signing"`
	Token        string `json:"token"`
	Error        string `json:"error"`
}

// postSession POSTs body to a session endpoint as a same-origin fetch
// from origin would (origin "" sends no Origin header); extra headers
// come in pairs.
func postSession(t *testing.T, url, origin, body string, extra ...string) (int, sessionAnswer, http.Header) {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			req.Header.Del(extra[i])
		} else {
			req.Header.Set(extra[i], extra[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans sessionAnswer
	if len(b) > 0 {
		if err := json.Unmarshal(b, &ans); err != nil {
			t.Fatalf("POST %s: answer is not JSON: %q", url, b)
		}
	}
	return resp.StatusCode, ans, resp.Header
}

func mintBody(embed string) string { return `{"embed":` + jsonString(embed) + `}` }
func redeemBody(tok string) string { return `{"token":` + jsonString(tok) + `}` }

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
