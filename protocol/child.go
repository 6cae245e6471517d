package protocol

// ChildConfig configures the child side of a bridge: the page inside the
// iframe.
type ChildConfig struct {
	// SessionID is the session id read from the iframe's URL. Required.
	SessionID string

	// ParentOrigin is the parent's exact origin: inbound window messages
	// must come from it and posts target it. Required; never "*".
	ParentOrigin string

	// Window is the handle of window.parent, compared with == to each
	// message's Source. Required.
	Window any

	// AllowInsecureLocalhost allows http:// origins on localhost,
	// 127.0.0.1 and [::1].
	AllowInsecureLocalhost bool

	// Signing is the deployment's signing mode. Default SigningRequired.
	Signing Signing

	// Key is the 32-byte session key. Required unless Signing is
	// SigningOff. After a reload, pass the key that OnKeyChange reported
	// last, so that the handshake survives key rotations.
	Key []byte

	// KeyID is the key's id. Required with Key.
	KeyID string

	// ConnectionTimeoutMs is how long to wait for bridge:connected.
	// Default DefaultHandshakeTimeoutMs.
	ConnectionTimeoutMs int64

	// OperationTimeoutMs is the default timeout of Request. Default
	// DefaultOperationTimeoutMs.
	OperationTimeoutMs int64

	// RekeyGraceMs is how long the previous key verifies inbound
	// messages after a rotation. Default DefaultRekeyGraceMs.
	RekeyGraceMs int64

	// Limits bounds inbound traffic.
	Limits Limits

	// Runtime is the browser.
	Runtime Runtime

	// OnStateChange, if set, is called after every state change.
	OnStateChange func(State)

	// OnDrop, if set, is called for every dropped inbound message.
	OnDrop func(DropReason)

	// OnKeyChange, if set, is called with the new key id and a copy of
	// the new key after each rotation, for the WebAssembly layer to keep
	// in sessionStorage across reloads.
	OnKeyChange func(kid string, key []byte)
}

// Child is the child side of a bridge, the lifecycle of the SDK's
// IframeChildBridgeLifecycle (src/child/create-iframe-child-bridge.ts)
// with v2 added. Its methods, its timers' callbacks and the handlers of
// its ports must all run on one thread, as in a browser.
type Child struct {
	link
	lifecycle

	parentOrigin string
	connectMs    int64
	epoch        string
	onKeyChange  func(kid string, key []byte)
}

// NewChild validates cfg and returns a child in state created.
func NewChild(cfg ChildConfig) (*Child, error) {
	if blankJS(cfg.SessionID) {
		return nil, newError(CodeConfigInvalidSrc, "Child bootstrap parameter is missing.",
			Details{"fieldName": "session"})
	}
	origin, err := checkOrigin(cfg.ParentOrigin, cfg.AllowInsecureLocalhost)
	if err != nil {
		return nil, err
	}
	c := common{
		sessionID:  cfg.SessionID,
		peerOrigin: origin,
		target:     origin,
		window:     cfg.Window,
		signing:    cfg.Signing,
		kid:        cfg.KeyID,
		opTimeout:  cfg.OperationTimeoutMs,
		graceMs:    cfg.RekeyGraceMs,
		rt:         cfg.Runtime,
		onDrop:     cfg.OnDrop,
	}
	if err := checkCommon(&c, cfg.Key, cfg.Limits); err != nil {
		return nil, err
	}
	ch := &Child{parentOrigin: origin, onKeyChange: cfg.OnKeyChange}
	if ch.connectMs, err = timeoutOrDefault("connectionTimeoutMs", cfg.ConnectionTimeoutMs, DefaultHandshakeTimeoutMs); err != nil {
		return nil, err
	}
	if c.signing != SigningOff {
		epoch, err := newEpoch(c.rt.Rand)
		if err != nil {
			return nil, newError(CodeConfigInvalidEnvironment, "No randomness for the handshake.", nil)
		}
		ch.epoch = epoch
	}
	ch.link.init(c, false, ch.receive)
	ch.lifecycle = lifecycle{state: StateCreated, onState: cfg.OnStateChange}
	return ch, nil
}

// State returns the lifecycle state.
func (c *Child) State() State { return c.state }

// SessionID returns the session id.
func (c *Child) SessionID() string { return c.sessionID }

// ParentOrigin returns the parent's origin.
func (c *Child) ParentOrigin() string { return c.parentOrigin }

// Version returns the protocol version the handshake settled on: 1 or 2,
// or 0 before the handshake.
func (c *Child) Version() int { return c.version }

// Stats returns the traffic counters.
func (c *Child) Stats() Stats { return c.stats }

// KeyID returns the id of the current session key, or "" when signing is
// off or the bridge is destroyed.
func (c *Child) KeyID() string { return c.ring.cur.id }

// Start moves created → connecting, starts the connection timer and sends
// bridge:ready to the parent: signed (v2) when signing is required, both
// a signed and an unsigned one (v2 first) when it is optional, so that an
// SDK parent finds the one it reads, and unsigned (v1) when it is off.
// Start does nothing in other states.
func (c *Child) Start() error {
	if c.state != StateCreated {
		return nil
	}
	c.set(StateConnecting)
	c.timer = c.rt.Clock.AfterFunc(c.connectMs, c.failConnection)
	if c.signing != SigningOff {
		env := c.base(Version2, TypeReady)
		b := append([]byte(`{"epoch":`), appendJSONString(nil, c.epoch)...)
		env.Body = string(append(b, '}'))
		if err := c.post(&env, nil); err != nil {
			return err
		}
	}
	if c.signing != SigningRequired {
		env := c.base(Version1, TypeReady)
		if err := c.post(&env, nil); err != nil {
			return err
		}
	}
	return nil
}

// HandleMessage runs an inbound window message through the inbound chain
// and, if it passes, handles it. Invalid messages are dropped and counted.
func (c *Child) HandleMessage(m Message) {
	c.receive(m, false)
}

func (c *Child) receive(m Message, viaPort bool) {
	c.stats.Received++
	var env Envelope
	r := c.check(&m, viaPort, &env)
	if r == dropNone {
		r = c.handle(&env, &m)
	}
	if r != dropNone {
		if c.state == StateConnecting {
			c.lastDrop = r
		}
		c.drop(r, &m)
	}
}

// handle dispatches a message that passed the checks.
func (c *Child) handle(env *Envelope, m *Message) DropReason {
	if env.Type == TypeConnected {
		return c.onConnected(env, m)
	}
	if c.state != StateConnected {
		return DropState
	}
	switch env.Type {
	case TypeEvent, TypeRequest, TypeResponse:
		return c.onContent(env)
	case TypeRekey:
		return c.onRekey(env)
	}
	return DropState
}

// onConnected completes the handshake. A v2 bridge:connected must carry
// the port and echo this page's epoch.
func (c *Child) onConnected(env *Envelope, m *Message) DropReason {
	if c.state != StateConnecting {
		return DropState
	}
	if env.Version == Version2 {
		if m.Port == nil {
			return DropTransport
		}
		epoch, ok := jsonStringMember(env.Body, "epoch")
		if !ok {
			return DropEnvelope
		}
		if epoch != c.epoch {
			return DropStale
		}
		if !c.fresh(env) {
			return DropReplay
		}
	}
	c.accept(env)
	c.version = env.Version
	if env.Version == Version2 {
		c.adopt(m.Port)
	}
	c.stopTimer()
	c.lastDrop = dropNone
	c.open = true
	c.stats.Handshakes++
	c.set(StateConnected)
	c.settleWaiters(nil)
	return dropNone
}

// onRekey rotates the key as the parent announced.
func (c *Child) onRekey(env *Envelope) DropReason {
	if !c.fresh(env) {
		return DropReplay
	}
	kid, ok := jsonStringMember(env.Body, "kid")
	if !ok || kid == "" || len(kid) > maxKIDLen || c.ring.lookup(kid) != nil {
		return DropEnvelope
	}
	c.accept(env)
	c.ring.rotate(kid, c.rt.Clock, c.graceMs)
	c.stats.Rekeys++
	if c.onKeyChange != nil {
		c.onKeyChange(kid, append([]byte(nil), c.ring.cur.key...))
	}
	return dropNone
}

// failConnection is the connection timer's callback.
func (c *Child) failConnection() {
	if c.state != StateConnecting {
		return
	}
	c.timer = nil
	err := c.handshakeTimeout("Child bridge connection timed out.", c.connectMs)
	c.terminal = err
	c.set(StateConnectionFailed)
	c.shutdown(err)
}

// Destroy ends the bridge: everything pending fails with BRIDGE_DESTROYED,
// every timer stops, the port closes, the keys are erased, and the state
// is destroyed. Later calls do nothing.
func (c *Child) Destroy() {
	if c.state == StateDestroyed {
		return
	}
	err := errDestroyed()
	c.terminal = err
	c.stopTimer()
	c.set(StateDestroyed)
	c.shutdown(err)
}

func (c *Child) shutdown(err *Error) {
	c.close(err)
	c.settleWaiters(err)
}

// unavailable is the error of an operation the state does not allow.
func (c *Child) unavailable() *Error {
	if c.terminal != nil {
		return c.terminal
	}
	return newError(CodeBridgeNotReady, "Child bridge is not connected.", nil)
}

// dead reports whether the bridge failed or was destroyed.
func (c *Child) dead() bool {
	return c.state == StateDestroyed || c.state == StateConnectionFailed
}

// WhenConnected calls done once the bridge is connected (at once if it
// is), or with the error that failed or destroyed it.
func (c *Child) WhenConnected(done func(*Error)) {
	switch {
	case c.state == StateConnected:
		done(nil)
	case c.dead():
		done(c.unavailable())
	default:
		c.waiters = append(c.waiters, done)
	}
}

// SendEvent sends an event to the parent and calls done once it is
// posted, or with an error. As in the SDK, the child has no pre-ready
// queue: before bridge:connected it fails with BRIDGE_NOT_READY.
func (c *Child) SendEvent(name string, payload Value, opts Options, done func(*Error)) {
	if err := checkName(name); err != nil {
		done(err)
		return
	}
	if opts.aborted() {
		done(errAborted(Details{"name": name}))
		return
	}
	if c.state != StateConnected {
		done(c.unavailable())
		return
	}
	env := c.base(c.version, TypeEvent)
	env.Name = name
	if err := c.setContent(&env, payload); err != nil {
		done(err)
		return
	}
	done(c.post(&env, nil))
}

// Request sends a request to the parent (v2 only) and calls done once
// with the response's payload or an error.
func (c *Child) Request(name string, payload Value, opts Options, done func(Value, *Error)) {
	if err := checkOperation(name, &opts); err != nil {
		done(nil, err)
		return
	}
	switch {
	case opts.aborted():
		done(nil, errAborted(nil))
	case c.state != StateConnected:
		done(nil, c.unavailable())
	case c.version != Version2:
		done(nil, newError(CodeRequestUnsupported, "Requests from the iframe need a signed (v2) session.", nil))
	default:
		c.request(name, payload, opts, done)
	}
}

// On registers f for the events name from the parent and returns the
// function that removes it. It fails once the bridge failed or was
// destroyed.
func (c *Child) On(name string, f func(payload Value)) (func(), error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if c.dead() {
		return nil, c.unavailable()
	}
	return c.events.on(name, f), nil
}

// HandleRequest registers h for the requests name from the parent and
// returns the function that removes it (and not a handler registered
// later for the same name).
func (c *Child) HandleRequest(name string, h RequestHandler) (func(), error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if c.dead() {
		return nil, c.unavailable()
	}
	return c.handlers.set(name, h), nil
}
