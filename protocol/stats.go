package protocol

// DropReason says why an inbound message was dropped. Drops are silent
// (DESIGN §8): they are counted in Stats and, when the config asks for
// it, reported to OnDrop, and nothing else happens.
type DropReason uint8

// The reasons. Apart from DropState, they follow the order of the inbound
// chain.
const (
	dropNone DropReason = iota

	// DropState means that the bridge cannot use the message in its
	// state (created, failed or destroyed; a second bridge:ready; a type
	// the bridge does not take from its peer).
	DropState

	// DropOrigin means that the event's origin is not the peer's exact
	// origin.
	DropOrigin

	// DropSource means that the event's source is not the peer window.
	DropSource

	// DropRate means that the inbound token bucket was empty.
	DropRate

	// DropSize means that the message is larger than the configured
	// maximum.
	DropSize

	// DropEnvelope means that the message is not a valid envelope of the
	// protocol, or that a v2 body is not what its type needs.
	DropEnvelope

	// DropVersion means that the message has a version this bridge does
	// not speak: v2 with signing off or on a session that settled on v1,
	// or an unknown version.
	DropVersion

	// DropDowngrade means that an unsigned v1 message reached a bridge
	// that requires signing, or a session that settled on v2.
	DropDowngrade

	// DropTransport means that a v2 message came on the wrong path:
	// anything but the handshake on the window, or the handshake on the
	// port.
	DropTransport

	// DropSession means that the session id is not this bridge's.
	DropSession

	// DropKID means that the message is signed with a key id this bridge
	// does not hold: never had, or erased after the rotation grace
	// period.
	DropKID

	// DropMAC means that the MAC does not verify.
	DropMAC

	// DropReplay means that the sequence number is not above the last
	// accepted one in its direction.
	DropReplay

	// DropClock means that a bridge:ready's timestamp is outside the
	// allowed clock skew.
	DropClock

	// DropStale means that the message belongs to an earlier handshake
	// epoch: it came on an old port, answers a request sent before the
	// iframe reloaded, is a bridge:connected for another epoch, or is a
	// bridge:ready of an epoch accepted before (a replay).
	DropStale

	// DropUnmatched means that a response matches no pending request: it
	// is late, or a second response to the same requestId.
	DropUnmatched

	numDropReasons
)

// NumDropReasons is the length of Stats.Dropped.
const NumDropReasons = int(numDropReasons)

var dropNames = [...]string{
	dropNone:      "none",
	DropState:     "state",
	DropOrigin:    "origin",
	DropSource:    "source",
	DropRate:      "rate",
	DropSize:      "size",
	DropEnvelope:  "envelope",
	DropVersion:   "version",
	DropDowngrade: "downgrade",
	DropTransport: "transport",
	DropSession:   "session",
	DropKID:       "kid",
	DropMAC:       "mac",
	DropReplay:    "replay",
	DropClock:     "clock",
	DropStale:     "stale",
	DropUnmatched: "unmatched",
}

var dropCodes = [...]string{
	dropNone:      "",
	DropState:     CodeMessageIgnored,
	DropOrigin:    CodeHandshakeOriginMismatch,
	DropSource:    CodeHandshakeSourceMismatch,
	DropRate:      CodeMessageRateLimited,
	DropSize:      CodeMessageTooLarge,
	DropEnvelope:  CodeMessageInvalidEnvelope,
	DropVersion:   CodeHandshakeVersionMismatch,
	DropDowngrade: CodeAuthFailed,
	DropTransport: CodeMessageIgnored,
	DropSession:   CodeHandshakeSessionMismatch,
	DropKID:       CodeKeyUnavailable,
	DropMAC:       CodeAuthFailed,
	DropReplay:    CodeReplayRejected,
	DropClock:     CodeReplayRejected,
	DropStale:     CodeReplayRejected,
	DropUnmatched: CodeMessageIgnored,
}

// String returns the reason's name as stats() reports it, such as "mac".
func (r DropReason) String() string {
	if int(r) < len(dropNames) {
		return dropNames[r]
	}
	return "unknown"
}

// Code returns the error code that diagnostics report for the reason,
// such as AUTH_FAILED for DropMAC.
func (r DropReason) Code() string {
	if int(r) < len(dropCodes) {
		return dropCodes[r]
	}
	return CodeMessageIgnored
}

// Stats counts a bridge's traffic, for stats().
type Stats struct {
	// Received counts inbound messages, on the window and on the port.
	Received uint64

	// Accepted counts inbound messages that passed every check.
	Accepted uint64

	// Sent counts messages posted.
	Sent uint64

	// PostErrors counts posts that the transport refused.
	PostErrors uint64

	// Handshakes counts accepted handshakes: 1, plus one per re-handshake
	// after the iframe reloaded.
	Handshakes uint64

	// Rekeys counts key rotations.
	Rekeys uint64

	// Dropped counts dropped inbound messages, indexed by DropReason.
	Dropped [NumDropReasons]uint64
}

// DroppedTotal returns the number of dropped messages.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, d := range s.Dropped {
		n += d
	}
	return n
}
