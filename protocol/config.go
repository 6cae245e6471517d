package protocol

import (
	"math"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// Defaults. The first four are the SDK's (src/host/config.ts,
// src/child/child-config.ts); the others are this package's.
const (
	// DefaultHandshakeTimeoutMs is how long a parent waits for
	// bridge:ready, and a child for bridge:connected: 10 s.
	DefaultHandshakeTimeoutMs = 10000

	// DefaultOperationTimeoutMs is the timeout of request and
	// waitForEvent: 5 s.
	DefaultOperationTimeoutMs = 5000

	// DefaultQueueMaxSize is how many operations a parent queues before
	// it is ready: 50.
	DefaultQueueMaxSize = 50

	// DefaultRekeyGraceMs is how long the previous key still verifies
	// inbound messages after a rotation, before it is erased: 60 s
	// (DESIGN §6).
	DefaultRekeyGraceMs = 60000

	// DefaultMaxClockSkewMs is how far a bridge:ready's timestamp may be
	// from the parent's clock: 2 minutes. Parent and iframe read the
	// same system clock, so this only has to absorb scheduling delay.
	DefaultMaxClockSkewMs = 120000

	// DefaultMaxMessageBytes is the largest inbound message, by
	// Value.Size: 1 MiB. The SDK has no limit; a megabyte is far above
	// what a UI bridge sends and bounds what a MAC check can cost.
	DefaultMaxMessageBytes = 1 << 20

	// DefaultRatePerSecond is the inbound token bucket's refill rate:
	// 10000 messages per second. A sequential round trip over a port
	// takes at least about 0.17 ms (some 6000 per second), so legitimate
	// traffic stays below it, while a flood is cut to what costs a few
	// percent of a core to verify.
	DefaultRatePerSecond = 10000

	// DefaultRateBurst is the token bucket's size: 10000 messages.
	DefaultRateBurst = 10000
)

// maxSafeInteger is Number.MAX_SAFE_INTEGER.
const maxSafeInteger = 1<<53 - 1

// Signing is a deployment's signing mode (DESIGN §6).
type Signing uint8

// The signing modes. The zero value is the default, SigningRequired.
const (
	// SigningRequired speaks v2 only: unsigned messages are dropped.
	SigningRequired Signing = iota

	// SigningOptional uses v2 when the peer runs this runtime and
	// accepts v1 otherwise. It is for interoperability with the SDK, not
	// a security setting.
	SigningOptional

	// SigningOff speaks v1 only and needs no key.
	SigningOff
)

var signingNames = [...]string{"required", "optional", "off"}

// String returns "required", "optional" or "off".
func (s Signing) String() string {
	if int(s) < len(signingNames) {
		return signingNames[s]
	}
	return "invalid"
}

// ParseSigning parses "required", "optional" or "off", the values of the
// session endpoint's signing member.
func ParseSigning(s string) (Signing, bool) {
	for i, name := range signingNames {
		if s == name {
			return Signing(i), true
		}
	}
	return 0, false
}

// Limits bounds inbound traffic. Zero fields take the defaults; a
// negative MaxMessageBytes or RatePerSecond turns that limit off.
type Limits struct {
	// MaxMessageBytes is the largest inbound message, as Value.Size
	// measures it. Default DefaultMaxMessageBytes.
	MaxMessageBytes int

	// RatePerSecond is the inbound token bucket's refill rate. Default
	// DefaultRatePerSecond.
	RatePerSecond float64

	// RateBurst is the bucket's size. Default DefaultRateBurst.
	RateBurst int
}

// Options are the options of one operation (request, sendEvent,
// waitForEvent), as the SDK's OperationOptions.
type Options struct {
	// TimeoutMs is the operation's timeout in milliseconds when
	// HasTimeout is set; it must then be an integer of at least 1, or
	// the operation fails with OPERATION_INVALID_TIMEOUT. Without
	// HasTimeout the bridge's operation timeout applies.
	TimeoutMs float64

	// HasTimeout says that TimeoutMs was given.
	HasTimeout bool

	// Signal aborts the operation, or is nil.
	Signal Signal
}

// aborted reports whether the options' signal is already aborted.
func (o *Options) aborted() bool {
	return o.Signal != nil && o.Signal.Aborted()
}

// timeout returns the operation's timeout.
func (o *Options) timeout(def int64) (int64, *Error) {
	if !o.HasTimeout {
		return def, nil
	}
	t := o.TimeoutMs
	if t != math.Trunc(t) || t < 1 || t > maxSafeInteger {
		return 0, errInvalidTimeout(t)
	}
	return int64(t), nil
}

// checkName refuses an event or request name that no peer would accept
// (DESIGN §6: a non-blank string), before anything is sent or queued.
func checkName(name string) *Error {
	if blankJS(name) {
		return newError(CodeMessageInvalidEnvelope, "Bridge message name must be a non-empty string.", Details{"fieldName": "name"})
	}
	return nil
}

// checkOperation refuses an operation whose name or timeout is invalid
// at once, so that it neither waits in the pre-ready queue nor takes a
// place there.
func checkOperation(name string, o *Options) *Error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := o.timeout(0)
	return err
}

// common is the configuration that parents and children share.
type common struct {
	sessionID  string
	peerOrigin string
	target     string
	window     any
	signing    Signing
	key        []byte
	kid        string
	opTimeout  int64
	graceMs    int64
	maxBytes   int
	rate       float64
	burst      int
	rt         Runtime
	onDrop     func(DropReason)
}

// checkCommon validates what parents and children share.
func checkCommon(c *common, key []byte, limits Limits) *Error {
	if c.sessionID == "" || blankJS(c.sessionID) {
		return newError(CodeConfigInvalidSrc, "Bridge session id is required.", Details{"fieldName": "session"})
	}
	if c.window == nil {
		return newError(CodeConfigInvalidEnvironment, "Bridge peer window is required.", nil)
	}
	if c.signing > SigningOff {
		return newError(CodeConfigInvalidSecurityProfile, "Signing must be required, optional or off.",
			Details{"signing": int64(c.signing)})
	}
	if c.rt.Clock == nil || c.rt.Transport == nil {
		return newError(CodeConfigInvalidEnvironment, "Bridge runtime needs a clock and a transport.", nil)
	}
	if c.signing != SigningOff {
		if len(key) != bridgekey.SecretSize || c.kid == "" {
			return newError(CodeKeyUnavailable, "Signing is enabled but no session key is available.", nil)
		}
		if c.rt.Codec == nil || c.rt.Rand == nil {
			return newError(CodeConfigInvalidEnvironment, "Signed bridges need a codec and randomness.", nil)
		}
		c.key = append([]byte(nil), key...)
	}
	var err *Error
	if c.opTimeout, err = timeoutOrDefault("operationTimeoutMs", c.opTimeout, DefaultOperationTimeoutMs); err != nil {
		return err
	}
	if c.graceMs, err = timeoutOrDefault("rekeyGraceMs", c.graceMs, DefaultRekeyGraceMs); err != nil {
		return err
	}
	c.maxBytes = limits.MaxMessageBytes
	if c.maxBytes == 0 {
		c.maxBytes = DefaultMaxMessageBytes
	}
	c.rate, c.burst = limits.RatePerSecond, limits.RateBurst
	if c.rate == 0 {
		c.rate = DefaultRatePerSecond
	}
	if c.burst == 0 {
		c.burst = DefaultRateBurst
	}
	return nil
}

// timeoutOrDefault returns v, or def when v is 0, failing for negative
// values.
func timeoutOrDefault(name string, v, def int64) (int64, *Error) {
	if v == 0 {
		return def, nil
	}
	if v < 1 || v > maxSafeInteger {
		return 0, errConfigTimeout(name, v)
	}
	return v, nil
}
