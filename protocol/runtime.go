package protocol

import "io"

// Clock is the browser's clock and timers. Timer callbacks must run on
// the same thread (event loop) as every other call into a bridge.
type Clock interface {
	// Now returns the current time in milliseconds since the Unix
	// epoch, as Date.now().
	Now() int64

	// AfterFunc calls f once, after ms milliseconds, unless the returned
	// Timer is stopped first (setTimeout).
	AfterFunc(ms int64, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call if it has not run yet (clearTimeout).
	Stop()
}

// Transport posts messages for a bridge. The core never passes "*" as a
// target origin.
type Transport interface {
	// PostWindow posts env on the peer window (the iframe's
	// contentWindow for a parent, window.parent for a child) with
	// targetOrigin as the exact target origin. When transfer is not nil
	// it is transferred with the message, as the first of the event's
	// ports. The transport must not keep env after it returns.
	PostWindow(env *Envelope, targetOrigin string, transfer Port) error

	// NewChannel creates a MessageChannel and returns its two ends: the
	// bridge keeps local and transfers remote to the peer.
	NewChannel() (local, remote Port, err error)
}

// Port is one end of a MessageChannel.
type Port interface {
	// Post posts env on the port. The port must not keep env after it
	// returns.
	Post(env *Envelope) error

	// SetHandler makes h receive the data of every message that arrives
	// on the port from now on (and starts the port); nil removes the
	// handler.
	SetHandler(h func(data Value))

	// Close closes the port.
	Close()
}

// Codec turns v2 payloads into body text and back: the WebAssembly layer
// implements it with the browser's JSON.stringify and JSON.parse.
type Codec interface {
	// Encode returns the JSON text of v, or "" for undefined.
	Encode(v Value) (string, error)

	// Decode returns the value of the JSON text, or undefined for "".
	Decode(text string) (Value, error)
}

// Signal is an abort signal (AbortSignal).
type Signal interface {
	// Aborted reports whether the signal has been aborted.
	Aborted() bool

	// OnAbort calls f once when the signal is aborted, and returns a
	// function that removes f again.
	OnAbort(f func()) (remove func())
}

// Runtime is what a bridge needs from its host: the browser, or a test.
type Runtime struct {
	// Clock provides time and timers. Required.
	Clock Clock

	// Transport posts messages. Required.
	Transport Transport

	// Codec serializes v2 payloads. Required unless signing is off.
	Codec Codec

	// Rand provides the randomness of handshake epochs and rotated key
	// ids (crypto.getRandomValues in a browser). Required unless signing
	// is off.
	Rand io.Reader
}
