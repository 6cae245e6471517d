package caddybridge

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// Error codes of the session endpoint (DESIGN §4).
const (
	errTokenMalformed       = "TOKEN_MALFORMED"
	errTokenForged          = "TOKEN_FORGED"
	errTokenExpired         = "TOKEN_EXPIRED"
	errTokenAlreadyRedeemed = "TOKEN_ALREADY_REDEEMED"
	errDeploymentUnknown    = "DEPLOYMENT_UNKNOWN"
	errOriginRefused        = "ORIGIN_REFUSED"
	errBodyInvalid          = "BODY_INVALID"
	// errBusy is returned when the redemption store is full of live
	// entries; it keeps refusing rather than forget a redemption.
	errBusy = "BUSY"
)

// roleNone labels metrics of requests refused before a deployment is known.
const roleNone = "none"

// maxSessionBody is the largest request body the endpoint reads.
const maxSessionBody = 4 << 10

// clockSkew is how far in the future a token's issue time may be, for
// instances whose clocks differ slightly.
const clockSkew = time.Minute

// sessionRequest is the endpoint's JSON input: exactly one of the fields.
type sessionRequest struct {
	Token *string `json:"token"`
	Embed *string `json:"embed"`
}

// sessionAnswer is the endpoint's JSON answer.
type sessionAnswer struct {
	SessionID    string `json:"sessionId"`
	Key          string `json:"key,omitempty"`
	KeyID        string `json:"keyId,omitempty"`
	ParentOrigin string `json:"parentOrigin"`
	EmbedOrigin  string `json:"embedOrigin"`
	Signing      string `json:"signing"`
	Token        string `json:"token,omitempty"`
}

// serveSession answers POST {runtime_path}/session: it redeems a token
// ({"token"}) for this site's role in its deployment, or, in the parent
// role, mints one for an iframe created in the browser ({"embed"}).
func (h *Handler) serveSession(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return nil
	}
	self := h.selfOrigin(r)
	if r.Header.Get("Origin") != self || (r.Header.Get("Sec-Fetch-Site") != "" && r.Header.Get("Sec-Fetch-Site") != "same-origin") {
		return h.sessionError(w, http.StatusForbidden, roleNone, errOriginRefused)
	}
	if r.ContentLength > maxSessionBody {
		return h.sessionError(w, http.StatusRequestEntityTooLarge, roleNone, errBodyInvalid)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSessionBody+1))
	if err != nil {
		return h.sessionError(w, http.StatusBadRequest, roleNone, errBodyInvalid)
	}
	if len(body) > maxSessionBody {
		return h.sessionError(w, http.StatusRequestEntityTooLarge, roleNone, errBodyInvalid)
	}
	field, value, ok := parseSessionRequest(body)
	if !ok {
		return h.sessionError(w, http.StatusBadRequest, roleNone, errBodyInvalid)
	}
	ds := h.deployments(self)
	now := time.Now()
	if field == "embed" {
		return h.mint(w, ds, value, now)
	}
	return h.redeem(w, ds, value, now)
}

// parseSessionRequest decodes the endpoint's JSON input: exactly one of
// "token" and "embed", a string, and nothing else. The shapes browsers
// send, {"token":"…"} and {"embed":"…"} with a value of printable ASCII
// that needs no escaping, are read directly; anything else goes through
// encoding/json's strict decoder. FuzzParseSessionRequest checks that the
// two agree.
func parseSessionRequest(body []byte) (field, value string, ok bool) {
	if f, v, ok := fastSessionRequest(body); ok {
		return f, v, true
	}
	return strictSessionRequest(body)
}

func fastSessionRequest(b []byte) (field, value string, ok bool) {
	for _, f := range [...]string{"token", "embed"} {
		pre := len(f) + 6 // {"f":"
		if len(b) <= pre+2 || b[0] != '{' || b[1] != '"' || string(b[2:2+len(f)]) != f ||
			string(b[2+len(f):pre]) != `":"` || string(b[len(b)-2:]) != `"}` {
			continue
		}
		v := b[pre : len(b)-2]
		for _, c := range v {
			if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				return "", "", false
			}
		}
		return f, string(v), true
	}
	return "", "", false
}

func strictSessionRequest(body []byte) (field, value string, ok bool) {
	var req sessionRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() || (req.Token == nil) == (req.Embed == nil) {
		return "", "", false
	}
	if req.Embed != nil {
		return "embed", *req.Embed, true
	}
	return "token", *req.Token, true
}

// redeem checks a token and answers with the session key of this site's
// role. Checks run in this order, and none changes state before the
// token is known to be authentic: format, deployment, MAC, age, replay.
func (h *Handler) redeem(w http.ResponseWriter, ds *deploymentSet, token string, now time.Time) error {
	tok, err := bridgekey.ParseToken(token)
	if err != nil {
		return h.sessionError(w, http.StatusBadRequest, roleNone, errTokenMalformed)
	}
	d := ds.byID[tok.Deployment]
	if d == nil {
		return h.sessionError(w, http.StatusForbidden, roleNone, errDeploymentUnknown)
	}
	if _, err := bridgekey.VerifyToken(d.secret, d.parent, d.embed, token); err != nil {
		return h.sessionError(w, http.StatusForbidden, d.role, errTokenForged)
	}
	ttl := time.Duration(h.TokenTTL)
	expires := tok.IssuedAt.Add(ttl)
	if now.After(expires) || tok.IssuedAt.After(now.Add(clockSkew)) {
		return h.sessionError(w, http.StatusGone, d.role, errTokenExpired)
	}
	key := redemptionKey{role: d.role[0], id: d.id, random: tok.Random}
	switch globalRedemptions.claim(key, tok.IssuedAt.UnixMilli(), now.UnixMilli()) {
	case alreadyClaimed:
		return h.sessionError(w, http.StatusConflict, d.role, errTokenAlreadyRedeemed)
	case storeFull:
		w.Header().Set("Retry-After", "10")
		return h.sessionError(w, http.StatusServiceUnavailable, d.role, errBusy)
	}
	return h.sessionOK(w, d, tok, token, false)
}

// mint issues a token for an iframe that the parent page creates itself,
// and answers as a redemption by the parent would, plus the token.
func (h *Handler) mint(w http.ResponseWriter, ds *deploymentSet, embed string, now time.Time) error {
	canon, err := ParseOrigin(embed, h.AllowInsecureLocalhost)
	if err != nil {
		return h.sessionError(w, http.StatusForbidden, roleParent, errDeploymentUnknown)
	}
	d := ds.embed[canon]
	if d == nil {
		return h.sessionError(w, http.StatusForbidden, roleParent, errDeploymentUnknown)
	}
	token, tok, err := bridgekey.MintTokenFor(d.secret, d.id, d.parent, d.embed, now, tokenRand)
	if err != nil {
		h.logger.Error("minting a session token", zap.Error(err))
		return h.sessionError(w, http.StatusInternalServerError, roleParent, "INTERNAL")
	}
	// The parent has its key now: the token is redeemed for its role.
	key := redemptionKey{role: d.role[0], id: d.id, random: tok.Random}
	if globalRedemptions.claim(key, tok.IssuedAt.UnixMilli(), now.UnixMilli()) == storeFull {
		w.Header().Set("Retry-After", "10")
		return h.sessionError(w, http.StatusServiceUnavailable, d.role, errBusy)
	}
	mintedByEndpoint.Inc() // counted once handed out, not when refused as BUSY
	return h.sessionOK(w, d, tok, token, true)
}

func (h *Handler) sessionOK(w http.ResponseWriter, d *deployment, tok bridgekey.Token, token string, withToken bool) error {
	ans := sessionAnswer{
		SessionID:    token,
		ParentOrigin: d.parent,
		EmbedOrigin:  d.embed,
		Signing:      d.signing,
	}
	if withToken {
		ans.Token = token
	}
	if d.signing != SigningOff {
		key := bridgekey.SessionKey(d.secret, tok, d.parent, d.embed)
		ans.Key = base64.RawURLEncoding.EncodeToString(key)
		ans.KeyID = bridgekey.KeyID(key)
		clear(key)
	}
	metrics.sessions.WithLabelValues(d.role, "ok").Inc()
	h.logger.Debug("session issued",
		zap.String("role", d.role),
		zap.String("parent_origin", d.parent),
		zap.String("embed_origin", d.embed),
		zap.Bool("minted", withToken))
	return writeSessionJSON(w, http.StatusOK, ans.appendJSON(make([]byte, 0, 320)))
}

// appendJSON encodes the answer as encoding/json would, without
// reflection: its values are base64url, canonical origins and signing
// modes. TestSessionAnswerJSON checks it against encoding/json.
func (a *sessionAnswer) appendJSON(b []byte) []byte {
	b = append(b, `{"sessionId":`...)
	b = appendJSONString(b, a.SessionID)
	if a.Key != "" {
		b = append(b, `,"key":`...)
		b = appendJSONString(b, a.Key)
	}
	if a.KeyID != "" {
		b = append(b, `,"keyId":`...)
		b = appendJSONString(b, a.KeyID)
	}
	b = append(b, `,"parentOrigin":`...)
	b = appendJSONString(b, a.ParentOrigin)
	b = append(b, `,"embedOrigin":`...)
	b = appendJSONString(b, a.EmbedOrigin)
	b = append(b, `,"signing":`...)
	b = appendJSONString(b, a.Signing)
	if a.Token != "" {
		b = append(b, `,"token":`...)
		b = appendJSONString(b, a.Token)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Strings with anything but
// printable ASCII other than the characters encoding/json escapes go
// through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// sessionError answers with {"error": code}. Nothing in it says which
// secret or deployment was tried.
func (h *Handler) sessionError(w http.ResponseWriter, status int, role, code string) error {
	metrics.sessions.WithLabelValues(role, code).Inc()
	h.logger.Debug("session refused", zap.String("role", role), zap.String("error", code), zap.Int("status", status))
	return writeSessionJSON(w, status, append(appendJSONString([]byte(`{"error":`), code), '}'))
}

// writeSessionJSON writes an answer; b is a JSON object missing its final
// newline.
func writeSessionJSON(w http.ResponseWriter, status int, b []byte) error {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err := w.Write(append(b, '\n'))
	return err
}
