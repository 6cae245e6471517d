package protocol

import (
	"unsafe"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// link is the machinery that parents and children share: the signing
// state, the paths to the peer, the inbound checks, and the registries of
// pending requests, event listeners and request handlers. The roles add
// their lifecycles on top.
type link struct {
	common

	// role words for messages: "parent" or "child".
	role string

	// outDir and inDir are the MAC directions of sent and received
	// messages.
	outDir, inDir string

	// receive is the role's inbound entry point, for port messages.
	receive func(m Message, viaPort bool)

	// version is the session's protocol version once the handshake has
	// settled it, or 0.
	version int

	// open is set while the handshake is complete and the bridge not
	// failed or destroyed: only then are events, requests and responses
	// dispatched.
	open bool

	ring   keyring
	outSeq uint64
	inSeq  uint64

	// port is the v2 session's MessageChannel end, and gen counts the
	// ports adopted, so that a handler of an old port can tell.
	port Port
	gen  uint32

	bucket   bucket
	stats    Stats
	requests requestTable
	events   eventRegistry
	handlers handlerRegistry
}

func (l *link) init(c common, parent bool, receive func(Message, bool)) {
	l.common = c
	l.receive = receive
	if parent {
		l.role, l.outDir, l.inDir = "parent", bridgekey.ParentToChild, bridgekey.ChildToParent
	} else {
		l.role, l.outDir, l.inDir = "child", bridgekey.ChildToParent, bridgekey.ParentToChild
	}
	if c.signing != SigningOff {
		l.ring.cur = newSessionKey(c.kid, c.key)
		l.common.key = nil
	}
	l.bucket = newBucket(c.rate, c.burst, c.rt.Clock.Now())
}

// base returns an envelope of the session with the base fields set.
func (l *link) base(version int, typ string) Envelope {
	return Envelope{Protocol: ProtocolName, Version: version, SessionID: l.sessionID, Type: typ}
}

// isHandshake reports whether typ travels on the window in v2.
func isHandshake(typ string) bool {
	return typ == TypeReady || typ == TypeConnected
}

// post signs env with the current key if it is v2 and posts it: a v2
// session's messages other than the handshake go on the port, everything
// else on the window with the exact target origin, transferring transfer
// if it is not nil.
func (l *link) post(env *Envelope, transfer Port) *Error {
	return l.postWith(env, transfer, &l.ring.cur)
}

// postWith is post with the key that signs a v2 envelope: the current
// key, or the previous one while a parent brings a reloaded iframe up to
// date (Parent.postConnected).
func (l *link) postWith(env *Envelope, transfer Port, key *sessionKey) *Error {
	onPort := env.Version == Version2 && !isHandshake(env.Type)
	if onPort && l.port == nil {
		return newError(CodeBridgeNotReady, "Bridge transport is not available.", nil)
	}
	if !onPort && (l.target == "" || l.target == "*") {
		return newError(CodeMessageTargetMismatch, "Bridge transport target origin must be exact.",
			Details{"targetOrigin": l.target})
	}
	if env.Version == Version2 {
		l.sign(env, key)
	}
	var err error
	if onPort {
		err = l.port.Post(env)
	} else {
		err = l.rt.Transport.PostWindow(env, l.target, transfer)
	}
	if err != nil {
		l.stats.PostErrors++
		if e := AsError(err); e != nil {
			return e
		}
		return newError(CodeMessageTargetMismatch, "Bridge transport could not post the message.",
			Details{"targetOrigin": l.target, "cause": err.Error()})
	}
	l.stats.Sent++
	return nil
}

// sign sets env's auth: the next sequence number, the clock, key's id and
// the MAC under key.
func (l *link) sign(env *Envelope, key *sessionKey) {
	l.outSeq++
	env.Auth = Auth{KID: key.id, Seq: l.outSeq, TS: l.rt.Clock.Now()}
	in := macInput(env, l.outDir)
	env.Auth.MAC = key.mac.MACString(&in)
}

// macInput returns what the MAC of env covers, in direction dir.
func macInput(env *Envelope, dir string) bridgekey.MACInput {
	return bridgekey.MACInput{
		Protocol:  env.Protocol,
		Version:   env.Version,
		SessionID: env.SessionID,
		Direction: dir,
		Type:      env.Type,
		Name:      env.Name,
		RequestID: env.RequestID,
		KID:       env.Auth.KID,
		Seq:       env.Auth.Seq,
		TS:        env.Auth.TS,
		Body:      bytesOf(env.Body),
	}
}

// bytesOf returns the bytes of s without copying them. bridgekey only
// reads MACInput.Body, so the string's immutability is kept.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// setContent puts payload into env: as the payload for v1, as body text
// from the codec for v2. A nil payload is none.
//
// A message that a peer with the same size limit would drop is refused
// here with MESSAGE_INVALID_PAYLOAD, rather than sent to be dropped: its
// size is bounded above by the lengths of its strings and a fixed
// allowance for the envelope's other members, as Value.Size counts them.
func (l *link) setContent(env *Envelope, payload Value) *Error {
	if payload == nil {
		return nil
	}
	if env.Version == Version1 {
		if n, limit := l.sizeBound(env), l.maxBytes; limit > 0 && (n > limit || n+payload.Size(limit-n) > limit) {
			return l.errTooLarge()
		}
		env.Payload = payload
		return nil
	}
	body, err := l.rt.Codec.Encode(payload)
	if err != nil {
		return newError(CodeMessageInvalidPayload, "Bridge payload cannot be serialized.", Details{"cause": err.Error()})
	}
	if l.maxBytes > 0 && l.sizeBound(env)+len(body) > l.maxBytes {
		return l.errTooLarge()
	}
	env.Body = body
	return nil
}

// sizeBound bounds what Value.Size counts for env without its content.
func (l *link) sizeBound(env *Envelope) int {
	return envelopeAllowance + len(env.SessionID) + len(env.Type) + len(env.Name) + len(env.RequestID) + len(l.ring.cur.id)
}

// envelopeAllowance bounds what Value.Size counts for an envelope's
// member names, numbers, punctuation and signature, beyond the lengths of
// its strings (about 210 for a signed one).
const envelopeAllowance = 320

// errTooLarge is the error of a message past the size limit.
func (l *link) errTooLarge() *Error {
	return newError(CodeMessageInvalidPayload, "Bridge message exceeds the size limit.",
		Details{"cause": "too large", "maxMessageBytes": int64(l.maxBytes)})
}

// setError puts a remote error into a response envelope: the error
// member for v1; for v2 the name "error" and the body
// {"code", "message", "data"?}.
func (l *link) setError(env *Envelope, e *RemoteError) {
	code, message := e.Code, e.Message
	if blankJS(code) || blankJS(message) {
		failed := l.handlerFailed()
		code, message = failed.Code, failed.Message
	}
	if env.Version == Version1 {
		env.Error = &RemoteError{Code: code, Message: message, Data: e.Data}
		return
	}
	env.Name = errorResponseName
	b := make([]byte, 0, 32+len(code)+len(message))
	b = append(b, `{"code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	if e.Data != nil {
		if data, err := l.rt.Codec.Encode(e.Data); err == nil && data != "" {
			b = append(b, `,"data":`...)
			b = append(b, data...)
		}
	}
	env.Body = string(append(b, '}'))
}

// handlerFailed is the remote error for a handler that failed.
func (l *link) handlerFailed() *RemoteError {
	if l.role == "parent" {
		return &RemoteError{Code: CodeRequestHandlerError, Message: "Parent request handler failed."}
	}
	return &RemoteError{Code: CodeRequestHandlerError, Message: "Child request handler failed."}
}

// adopt makes port the session's port, replacing (and closing) any
// earlier one.
func (l *link) adopt(port Port) {
	l.dropPort()
	l.gen++
	l.port = port
	gen := l.gen
	port.SetHandler(func(data Value) {
		if gen != l.gen || l.port == nil {
			l.stats.Received++
			l.drop(DropStale, nil)
			return
		}
		l.receive(Message{Data: data}, true)
	})
}

// dropPort closes the session's port, if any.
func (l *link) dropPort() {
	if l.port == nil {
		return
	}
	l.port.SetHandler(nil)
	l.port.Close()
	l.port = nil
}

// close ends the session's traffic for good: the port closes, every
// pending request and event waiter fails with err, listeners and
// handlers go, and the keys are erased. No timer is left running.
func (l *link) close(err *Error) {
	l.open = false
	l.dropPort()
	l.requests.rejectAll(err)
	l.events.rejectWaiters(err)
	l.events.clearListeners()
	l.handlers.clear()
	l.ring.erase()
}
