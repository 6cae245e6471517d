package protocol

// ParentConfig configures the parent side of a bridge: the page that
// embeds the iframe.
type ParentConfig struct {
	// SessionID is the session id (the token), echoed in every
	// envelope. Required.
	SessionID string

	// Origin is the iframe's exact origin: inbound window messages must
	// come from it, and, unless TargetOrigin is set, posts target it.
	// Required; never "*".
	Origin string

	// TargetOrigin is the exact target origin of posts to the iframe,
	// when it differs from Origin. Optional; never "*".
	TargetOrigin string

	// Window is the handle of the iframe's contentWindow, compared with
	// == to each message's Source. Required.
	Window any

	// AllowInsecureLocalhost allows http:// origins on localhost,
	// 127.0.0.1 and [::1].
	AllowInsecureLocalhost bool

	// Signing is the deployment's signing mode. Default SigningRequired.
	Signing Signing

	// Key is the 32-byte session key from the session endpoint.
	// Required unless Signing is SigningOff. The bridge keeps its own
	// copy and erases it when it is destroyed.
	Key []byte

	// KeyID is the key's id (bridgekey.KeyID), from the session
	// endpoint. Required with Key.
	KeyID string

	// HandshakeTimeoutMs is how long to wait for bridge:ready. Default
	// DefaultHandshakeTimeoutMs.
	HandshakeTimeoutMs int64

	// OperationTimeoutMs is the default timeout of Request and
	// WaitForEvent. Default DefaultOperationTimeoutMs.
	OperationTimeoutMs int64

	// QueueMaxSize is how many operations wait for the handshake.
	// Default DefaultQueueMaxSize.
	QueueMaxSize int

	// QueueDisabled makes operations before the handshake fail with
	// BRIDGE_NOT_READY instead of waiting.
	QueueDisabled bool

	// RekeyGraceMs is how long the previous key verifies inbound
	// messages after Rekey. Default DefaultRekeyGraceMs.
	RekeyGraceMs int64

	// MaxClockSkewMs is how far a bridge:ready's timestamp may be from
	// this clock. Default DefaultMaxClockSkewMs.
	MaxClockSkewMs int64

	// Limits bounds inbound traffic.
	Limits Limits

	// Runtime is the browser.
	Runtime Runtime

	// OnStateChange, if set, is called after every state change.
	OnStateChange func(State)

	// OnDrop, if set, is called for every dropped inbound message.
	OnDrop func(DropReason)
}

// Parent is the parent side of a bridge, the lifecycle of the SDK's
// IframeBridgeLifecycleController (src/host/bridge-lifecycle-controller.ts)
// with v2 added. Its methods, its timers' callbacks and the handlers of
// its ports must all run on one thread, as in a browser.
type Parent struct {
	link
	lifecycle

	handshakeMs int64
	skewMs      int64
	queue       opQueue

	// epoch is the epoch of the accepted v2 handshake.
	epoch string

	// epochs are the epochs of the v2 handshakes accepted so far, the
	// current one last, at most maxEpochs; floorTS is the newest ready
	// timestamp among those forgotten to keep that bound.
	epochs  []pastEpoch
	floorTS int64
}

// pastEpoch is an accepted handshake's epoch and its ready's timestamp.
type pastEpoch struct {
	epoch string
	ts    int64
}

// maxEpochs bounds the accepted epochs a parent remembers: one per page
// load of the iframe, so only a session that outlives this many reloads
// forgets any.
const maxEpochs = 64

// NewParent validates cfg and returns a parent in state created.
func NewParent(cfg ParentConfig) (*Parent, error) {
	origin, err := checkOrigin(cfg.Origin, cfg.AllowInsecureLocalhost)
	if err != nil {
		return nil, err
	}
	target := origin
	if cfg.TargetOrigin != "" {
		if target, err = checkOrigin(cfg.TargetOrigin, cfg.AllowInsecureLocalhost); err != nil {
			return nil, err
		}
	}
	c := common{
		sessionID:  cfg.SessionID,
		peerOrigin: origin,
		target:     target,
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
	p := &Parent{}
	if p.handshakeMs, err = timeoutOrDefault("handshakeTimeoutMs", cfg.HandshakeTimeoutMs, DefaultHandshakeTimeoutMs); err != nil {
		return nil, err
	}
	if p.skewMs, err = timeoutOrDefault("maxClockSkewMs", cfg.MaxClockSkewMs, DefaultMaxClockSkewMs); err != nil {
		return nil, err
	}
	p.queue.max = cfg.QueueMaxSize
	if p.queue.max == 0 {
		p.queue.max = DefaultQueueMaxSize
	}
	if p.queue.max < 1 {
		return nil, newError(CodeConfigInvalidQueue, "Queue maxSize must be an integer greater than or equal to 1.",
			Details{"maxSize": int64(cfg.QueueMaxSize)})
	}
	if cfg.QueueDisabled {
		p.queue.max = 0
	}
	p.link.init(c, true, p.receive)
	p.lifecycle = lifecycle{state: StateCreated, onState: cfg.OnStateChange}
	return p, nil
}

// State returns the lifecycle state.
func (p *Parent) State() State { return p.state }

// SessionID returns the session id.
func (p *Parent) SessionID() string { return p.sessionID }

// Version returns the protocol version the handshake settled on: 1 or 2,
// or 0 before the handshake.
func (p *Parent) Version() int { return p.version }

// Stats returns the traffic counters.
func (p *Parent) Stats() Stats { return p.stats }

// KeyID returns the id of the current session key, or "" when signing is
// off or the bridge is destroyed.
func (p *Parent) KeyID() string { return p.ring.cur.id }

// Mount starts the bridge: created → mounting → waiting_for_handshake,
// with the handshake timer running. The WebAssembly layer installs its
// message listener and inserts the iframe around this call, and drains the
// early-message shim after it. Mount does nothing in other states.
func (p *Parent) Mount() {
	if p.state != StateCreated {
		return
	}
	p.set(StateMounting)
	p.set(StateWaitingForHandshake)
	p.timer = p.rt.Clock.AfterFunc(p.handshakeMs, p.failHandshake)
}

// HandleMessage runs an inbound window message through the inbound chain
// and, if it passes, handles it. Invalid messages are dropped and counted.
func (p *Parent) HandleMessage(m Message) {
	p.receive(m, false)
}

func (p *Parent) receive(m Message, viaPort bool) {
	p.stats.Received++
	var env Envelope
	r := p.check(&m, viaPort, &env)
	if r == dropNone {
		r = p.handle(&env)
	}
	if r != dropNone {
		if p.state == StateWaitingForHandshake {
			p.lastDrop = r
		}
		p.drop(r, &m)
	}
}

// handle dispatches a message that passed the checks.
func (p *Parent) handle(env *Envelope) DropReason {
	switch env.Type {
	case TypeReady:
		return p.onReady(env)
	case TypeEvent, TypeResponse:
		if p.state != StateReady {
			return DropState
		}
		return p.onContent(env)
	case TypeRequest:
		// The SDK's parent ignores requests from the iframe; v2 serves
		// them.
		if p.state != StateReady || env.Version == Version1 {
			return DropState
		}
		return p.onContent(env)
	}
	return DropState
}

// onReady accepts the first valid bridge:ready, and in a v2 session a
// bridge:ready of a new epoch (the iframe reloaded).
//
// A reload is not told apart by its timestamp: parent and iframe read the
// same wall clock, which the system may set back, and a reload after that
// must still connect. Replay of an earlier ready stays impossible without
// it. check has verified the ready's MAC, so it was made by a page that
// holds the session key, and it names the epoch that page drew at random
// (16 bytes); a verbatim replay repeats that epoch, and every accepted
// epoch is remembered (epochs), so a replay of the current ready is a
// duplicate (DropState) and of an earlier one stale (DropStale), however
// the clocks moved. The epochs forgotten to bound the list leave their
// newest timestamp as a floor (floorTS) under which no unknown epoch is
// accepted. The skew window bounds the timestamps further. A ready the
// parent never accepted is not remembered, but its bytes only ever
// reached the parent page, and replaying it needs script that both reads
// that page's messages and posts from the iframe's document: script that
// can already fetch the key at either origin.
func (p *Parent) onReady(env *Envelope) DropReason {
	if p.state == StateWaitingForHandshake && env.Version == Version1 {
		p.version = Version1
		p.accept(env)
		p.acceptReady(nil, nil)
		return dropNone
	}
	if p.state != StateWaitingForHandshake && (p.state != StateReady || p.version != Version2) {
		return DropState
	}
	epoch, ok := jsonStringMember(env.Body, "epoch")
	if !ok || epoch == "" {
		return DropEnvelope
	}
	if p.state == StateReady && epoch == p.epoch {
		return DropState
	}
	if p.knownEpoch(epoch) || env.Auth.TS <= p.floorTS {
		return DropStale
	}
	if d := env.Auth.TS - p.rt.Clock.Now(); d > p.skewMs || -d > p.skewMs {
		return DropClock
	}
	local, remote, err := p.rt.Transport.NewChannel()
	if err != nil || local == nil || remote == nil {
		return DropTransport
	}
	// A new epoch restarts the iframe's sequence numbers.
	p.inSeq = 0
	p.accept(env)
	p.epoch = epoch
	p.rememberEpoch(epoch, env.Auth.TS)
	if p.state == StateReady {
		p.stats.Handshakes++
		p.adopt(local)
		// check verified the ready with the key its kid names: the
		// current one, or the previous one in its grace period when the
		// page that reloaded had not handled the last bridge:rekey
		// (sessionStorage kept the key before it).
		p.postConnected(remote, p.ring.lookup(env.Auth.KID))
		return dropNone
	}
	p.version = Version2
	p.acceptReady(local, remote)
	return dropNone
}

// knownEpoch reports whether epoch is that of a handshake accepted
// before.
func (p *Parent) knownEpoch(epoch string) bool {
	for _, e := range p.epochs {
		if e.epoch == epoch {
			return true
		}
	}
	return false
}

// rememberEpoch adds an accepted handshake's epoch, forgetting the oldest
// one beyond maxEpochs and raising floorTS to its timestamp.
func (p *Parent) rememberEpoch(epoch string, ts int64) {
	if len(p.epochs) == maxEpochs {
		p.floorTS = max(p.floorTS, p.epochs[0].ts)
		p.epochs = append(p.epochs[:0], p.epochs[1:]...)
	}
	p.epochs = append(p.epochs, pastEpoch{epoch, ts})
}

// acceptReady completes the handshake, as the SDK's #acceptReady: ready,
// bridge:connected once, then the queue, then the whenReady waiters. The
// state observer hears of it once bridge:connected is on its way.
func (p *Parent) acceptReady(local, remote Port) {
	p.stopTimer()
	p.lastDrop = dropNone
	p.open = true
	p.stats.Handshakes++
	if p.version == Version2 {
		p.adopt(local)
	}
	p.state = StateReady
	p.postConnected(remote, &p.ring.cur)
	p.set(StateReady)
	p.queue.flush()
	p.settleWaiters(nil)
}

// postConnected sends bridge:connected; in v2 it echoes the epoch and
// transfers the iframe's end of the channel, signed with key, the key
// that verified the iframe's ready.
//
// When that is the previous key (the iframe reloaded before it handled
// the last bridge:rekey), the iframe holds nothing else: bridge:connected
// is signed with the previous key, and bridge:rekey with the current key
// id follows at once on the new port, signed with it too. The keyring
// made the current key RotateKey(previous, current id), so the iframe
// derives the current key from it, and both sides end on the same key.
// Nothing is accepted under a key the ring no longer holds: a ready
// signed with an erased key fails check as DropKID before it gets here.
func (p *Parent) postConnected(remote Port, key *sessionKey) {
	env := p.base(p.version, TypeConnected)
	if p.version == Version2 {
		b := append([]byte(`{"epoch":`), appendJSONString(nil, p.epoch)...)
		env.Body = string(append(b, '}'))
	}
	p.postWith(&env, remote, key)
	if p.version != Version2 || key == &p.ring.cur {
		return
	}
	env = p.base(Version2, TypeRekey)
	env.Body = string(append(appendJSONString([]byte(`{"kid":`), p.ring.cur.id), '}'))
	p.postWith(&env, nil, key)
}

// failHandshake is the handshake timer's callback.
func (p *Parent) failHandshake() {
	if p.state != StateWaitingForHandshake {
		return
	}
	p.timer = nil
	err := p.handshakeTimeout("Bridge handshake timed out.", p.handshakeMs)
	p.terminal = err
	p.set(StateHandshakeFailed)
	p.shutdown(err)
}

// Destroy ends the bridge: everything pending fails with BRIDGE_DESTROYED,
// every timer stops, the port closes, the keys are erased, and the state
// is destroyed. Later calls do nothing.
func (p *Parent) Destroy() {
	if p.state == StateDestroyed {
		return
	}
	err := errDestroyed()
	p.terminal = err
	p.stopTimer()
	p.set(StateDestroyed)
	p.shutdown(err)
}

// shutdown fails everything pending with err, in the SDK's order.
func (p *Parent) shutdown(err *Error) {
	p.queue.close(err)
	p.close(err)
	p.settleWaiters(err)
}

// Remount destroys this bridge and mounts a new one with cfg, which
// normally carries a new session id and key, as the SDK's remount.
func (p *Parent) Remount(cfg ParentConfig) (*Parent, error) {
	p.Destroy()
	np, err := NewParent(cfg)
	if err != nil {
		return nil, err
	}
	np.Mount()
	return np, nil
}

// unavailable is the error of an operation the state does not allow.
func (p *Parent) unavailable() *Error {
	if p.terminal != nil {
		return p.terminal
	}
	return newError(CodeBridgeNotReady, "Bridge is not ready.", nil)
}

// dead reports whether the bridge failed or was destroyed.
func (p *Parent) dead() bool {
	return p.state == StateDestroyed || p.state == StateHandshakeFailed
}

// runWhenReady runs op now if the bridge is ready, queues it before
// that, and fails it afterwards, as the SDK's #runWhenReady. An aborted
// signal fails it first; a queued operation whose signal aborts leaves the
// queue, so run never sees an aborted signal.
func (p *Parent) runWhenReady(sig Signal, run func(), fail func(*Error)) {
	switch {
	case sig != nil && sig.Aborted():
		fail(errAborted(nil))
	case p.state == StateReady:
		run()
	case p.dead():
		fail(p.unavailable())
	case p.queue.max == 0:
		fail(newError(CodeBridgeNotReady, "Bridge is not ready.", nil))
	default:
		p.queue.enqueue(sig, run, fail)
	}
}

// WhenReady calls done once the bridge is ready (at once if it is), or
// with the error that failed or destroyed it.
func (p *Parent) WhenReady(done func(*Error)) {
	switch {
	case p.state == StateReady:
		done(nil)
	case p.dead():
		done(p.unavailable())
	default:
		p.waiters = append(p.waiters, done)
	}
}

// Request sends a request to the iframe and calls done once with the
// response's payload or an error. Before the handshake it waits in the
// pre-ready queue; its timeout starts when it is sent.
func (p *Parent) Request(name string, payload Value, opts Options, done func(Value, *Error)) {
	if err := checkOperation(name, &opts); err != nil {
		done(nil, err)
		return
	}
	if p.state == StateReady {
		p.request(name, payload, opts, done)
		return
	}
	p.runWhenReady(opts.Signal, func() {
		p.request(name, payload, opts, done)
	}, func(err *Error) {
		done(nil, err)
	})
}

// SendEvent sends an event to the iframe and calls done once it is
// posted, or with an error.
func (p *Parent) SendEvent(name string, payload Value, opts Options, done func(*Error)) {
	if err := checkOperation(name, &opts); err != nil {
		done(err)
		return
	}
	p.runWhenReady(opts.Signal, func() {
		env := p.base(p.version, TypeEvent)
		env.Name = name
		if err := p.setContent(&env, payload); err != nil {
			done(err)
			return
		}
		done(p.post(&env, nil))
	}, done)
}

// WaitForEvent calls done with the payload of the next event name from
// the iframe, or an error: EVENT_WAIT_TIMEOUT, OPERATION_ABORTED, or the
// bridge's terminal error.
func (p *Parent) WaitForEvent(name string, opts Options, done func(Value, *Error)) {
	if err := checkOperation(name, &opts); err != nil {
		done(nil, err)
		return
	}
	p.runWhenReady(opts.Signal, func() {
		timeoutMs, err := opts.timeout(p.opTimeout)
		if err != nil {
			done(nil, err)
			return
		}
		p.events.wait(name, timeoutMs, opts.Signal, p.rt.Clock, done)
	}, func(err *Error) {
		done(nil, err)
	})
}

// On registers f for the events name from the iframe and returns the
// function that removes it. It fails once the bridge failed or was
// destroyed.
func (p *Parent) On(name string, f func(payload Value)) (func(), error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if p.dead() {
		return nil, p.unavailable()
	}
	return p.events.on(name, f), nil
}

// HandleRequest registers h for the requests name from the iframe (v2
// only: the v1 protocol has no requests from the iframe) and returns the
// function that removes it.
func (p *Parent) HandleRequest(name string, h RequestHandler) (func(), error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if p.dead() {
		return nil, p.unavailable()
	}
	return p.handlers.set(name, h), nil
}

// Rekey rotates the session key (DESIGN §6): it sends bridge:rekey {kid}
// signed with the current key, then signs with RotateKey(current, kid),
// accepting the previous key from the iframe for the grace period. It
// returns the new key id.
func (p *Parent) Rekey() (string, error) {
	if p.state != StateReady {
		return "", p.unavailable()
	}
	if p.version != Version2 {
		return "", newError(CodeKeyUnavailable, "Key rotation needs a signed session.", nil)
	}
	kid, err := newKID(p.rt.Rand)
	if err != nil {
		return "", newError(CodeKeyUnavailable, "No randomness for a new key id.", nil)
	}
	env := p.base(Version2, TypeRekey)
	env.Body = string(append(appendJSONString([]byte(`{"kid":`), kid), '}'))
	if err := p.post(&env, nil); err != nil {
		return "", err
	}
	p.ring.rotate(kid, p.rt.Clock, p.graceMs)
	p.stats.Rekeys++
	return kid, nil
}
