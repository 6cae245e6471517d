package protocol

// State is a bridge's lifecycle state, named as in the SDK
// (LifecycleState in src/types/index.ts and the child's
// ChildLifecycleState).
type State string

// Parent states: created → mounting → waiting_for_handshake → ready |
// handshake_failed, and destroyed from any of them.
const (
	StateCreated             State = "created"
	StateMounting            State = "mounting"
	StateWaitingForHandshake State = "waiting_for_handshake"
	StateReady               State = "ready"
	StateHandshakeFailed     State = "handshake_failed"
	StateDestroyed           State = "destroyed"
)

// Child states: created → connecting → connected | connection_failed, and
// destroyed from any of them. StateCreated and StateDestroyed are shared.
const (
	StateConnecting       State = "connecting"
	StateConnected        State = "connected"
	StateConnectionFailed State = "connection_failed"
)

// lifecycle is the state that both roles keep.
type lifecycle struct {
	state    State
	terminal *Error
	timer    Timer
	onState  func(State)
	waiters  []func(*Error)

	// lastDrop is the last drop reason during the handshake, reported in
	// HANDSHAKE_TIMEOUT's details.
	lastDrop DropReason
}

// set moves to state s and tells the observer.
func (lc *lifecycle) set(s State) {
	lc.state = s
	if lc.onState != nil {
		lc.onState(s)
	}
}

// stopTimer stops the handshake timer.
func (lc *lifecycle) stopTimer() {
	if lc.timer != nil {
		lc.timer.Stop()
		lc.timer = nil
	}
}

// settleWaiters resolves (err == nil) or rejects the whenReady or
// whenConnected waiters.
func (lc *lifecycle) settleWaiters(err *Error) {
	waiters := lc.waiters
	lc.waiters = nil
	for _, w := range waiters {
		w(err)
	}
}

// handshakeTimeout is the terminal error of a handshake that did not
// complete in timeoutMs.
func (lc *lifecycle) handshakeTimeout(message string, timeoutMs int64) *Error {
	d := Details{"timeoutMs": timeoutMs}
	if lc.lastDrop != dropNone {
		d["lastRejection"] = lc.lastDrop.Code()
	}
	return newError(CodeHandshakeTimeout, message, d)
}
