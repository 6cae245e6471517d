package protocol

// check runs the inbound chain that every message passes, in order:
// origin and source (window messages only; a port is a private pipe), the
// rate limit, the size limit, the envelope, the version (with the path it
// came on), the session id, and for v2 the key id and the MAC. It changes
// no state but the token bucket. The sequence number is checked by the
// roles, after the MAC and before anything else changes.
func (l *link) check(m *Message, viaPort bool, env *Envelope) DropReason {
	if !viaPort {
		if m.Origin != l.peerOrigin {
			return DropOrigin
		}
		if m.Source != l.window {
			return DropSource
		}
	}
	if !l.bucket.take(l.rt.Clock.Now()) {
		return DropRate
	}
	if l.maxBytes > 0 && m.Data != nil && m.Data.Size(l.maxBytes) > l.maxBytes {
		return DropSize
	}
	if r, _ := decodeEnvelope(m.Data, env); r != dropNone {
		return r
	}
	if r := l.checkVersion(env, viaPort); r != dropNone {
		return r
	}
	if env.SessionID != l.sessionID {
		return DropSession
	}
	if env.Version == Version1 {
		return dropNone
	}
	key := l.ring.lookup(env.Auth.KID)
	if key == nil {
		return DropKID
	}
	in := macInput(env, l.inDir)
	if !key.mac.VerifyMAC(&in, env.Auth.MAC) {
		return DropMAC
	}
	return dropNone
}

// checkVersion enforces the signing mode and the version the session
// settled on, and keeps v2 traffic on its path: the handshake on the
// window, everything else on the port.
func (l *link) checkVersion(env *Envelope, viaPort bool) DropReason {
	if env.Version == Version1 {
		switch {
		case l.version == Version2 && env.Type == TypeReady:
			// The v1 twin of the v2 ready that an optional child sends
			// for SDK parents: a duplicate ready, not an attack.
			return DropState
		case l.signing == SigningRequired || l.version == Version2:
			return DropDowngrade
		case viaPort:
			return DropTransport
		}
		return dropNone
	}
	if l.signing == SigningOff || l.version == Version1 {
		return DropVersion
	}
	if isHandshake(env.Type) == viaPort {
		return DropTransport
	}
	return dropNone
}

// fresh reports whether a v2 message's sequence number is above the last
// accepted one; v1 messages have none.
func (l *link) fresh(env *Envelope) bool {
	return env.Version == Version1 || env.Auth.Seq > l.inSeq
}

// accept records an accepted message: its sequence number becomes the
// last one.
func (l *link) accept(env *Envelope) {
	if env.Version == Version2 {
		l.inSeq = env.Auth.Seq
	}
	l.stats.Accepted++
}

// drop counts a dropped message and closes any port it carried.
func (l *link) drop(r DropReason, m *Message) {
	l.stats.Dropped[r]++
	if m != nil && m.Port != nil {
		m.Port.Close()
	}
	if l.onDrop != nil {
		l.onDrop(r)
	}
}

// onContent handles an event, a request or a response that the role has
// admitted in its state. Everything that can make the message invalid
// (replay, an undecodable body, a response nobody waits for) is checked
// before any state changes.
func (l *link) onContent(env *Envelope) DropReason {
	if !l.fresh(env) {
		return DropReplay
	}
	switch env.Type {
	case TypeEvent, TypeRequest:
		payload, r := l.payloadOf(env)
		if r != dropNone {
			return r
		}
		l.accept(env)
		if env.Type == TypeEvent {
			l.events.dispatch(env.Name, payload)
		} else {
			l.handlers.serve(l, env, payload)
		}
		return dropNone
	}
	p := l.requests.m[env.RequestID]
	if p == nil {
		return DropUnmatched
	}
	if p.gen != l.gen {
		return DropStale
	}
	var payload Value
	var remote *RemoteError
	var r DropReason
	if isErrorResponse(env) {
		remote, r = l.remoteErrorOf(env)
	} else {
		payload, r = l.payloadOf(env)
	}
	if r != dropNone {
		return r
	}
	l.accept(env)
	l.requests.settle(env.RequestID, payload, remote)
	return dropNone
}

// isErrorResponse reports whether a response carries an error.
func isErrorResponse(env *Envelope) bool {
	if env.Version == Version1 {
		return env.Error != nil
	}
	return env.Name == errorResponseName
}

// payloadOf returns the message's payload: v1's as it came, v2's decoded
// from the body.
func (l *link) payloadOf(env *Envelope) (Value, DropReason) {
	if env.Version == Version1 {
		return env.Payload, dropNone
	}
	if env.Body == "" {
		return Undefined, dropNone
	}
	v, err := l.rt.Codec.Decode(env.Body)
	if err != nil || v == nil {
		return nil, DropEnvelope
	}
	return v, dropNone
}

// remoteErrorOf returns a response's error: v1's as validated, v2's
// parsed from the body {"code", "message", "data"?} with the same rules.
func (l *link) remoteErrorOf(env *Envelope) (*RemoteError, DropReason) {
	if env.Version == Version1 {
		return env.Error, dropNone
	}
	var e RemoteError
	var dataText string
	codeOK, messageOK := false, false
	valid := readJSONObject(env.Body, func(m jsonMember) {
		switch m.key {
		case "code":
			e.Code, codeOK = unquoteJSON(m.raw)
		case "message":
			e.Message, messageOK = unquoteJSON(m.raw)
		case "data":
			dataText = m.raw
		}
	})
	if !valid || !codeOK || !messageOK || blankJS(e.Code) || blankJS(e.Message) {
		return nil, DropEnvelope
	}
	if dataText != "" {
		data, err := l.rt.Codec.Decode(dataText)
		if err != nil || data == nil {
			return nil, DropEnvelope
		}
		e.Data = data
	}
	return &e, dropNone
}
