package protocol

// Error codes. The first group is the iframe-bridge SDK's
// (src/shared/errors.ts and documentation/docs/10-error-codes.md of
// furkankaynak/iframe-helper-sdk); the second is what signing and this
// runtime add (DESIGN §7).
const (
	CodeConfigInvalidContainer        = "CONFIG_INVALID_CONTAINER"
	CodeConfigInvalidSrc              = "CONFIG_INVALID_SRC"
	CodeConfigInvalidQueue            = "CONFIG_INVALID_QUEUE"
	CodeConfigInvalidSecurityProfile  = "CONFIG_INVALID_SECURITY_PROFILE"
	CodeConfigInvalidTimeout          = "CONFIG_INVALID_TIMEOUT"
	CodeConfigUnsafeOrigin            = "CONFIG_UNSAFE_ORIGIN"
	CodeConfigUnsafePermissionsPolicy = "CONFIG_UNSAFE_PERMISSIONS_POLICY"
	CodeConfigUnsafeSandbox           = "CONFIG_UNSAFE_SANDBOX"
	CodeHandshakeTimeout              = "HANDSHAKE_TIMEOUT"
	CodeHandshakeOriginMismatch       = "HANDSHAKE_ORIGIN_MISMATCH"
	CodeHandshakeSourceMismatch       = "HANDSHAKE_SOURCE_MISMATCH"
	CodeHandshakeSessionMismatch      = "HANDSHAKE_SESSION_MISMATCH"
	CodeHandshakeProtocolMismatch     = "HANDSHAKE_PROTOCOL_MISMATCH"
	CodeHandshakeVersionMismatch      = "HANDSHAKE_VERSION_MISMATCH"
	CodeBridgeNotReady                = "BRIDGE_NOT_READY"
	CodeBridgeDestroyed               = "BRIDGE_DESTROYED"
	CodeQueueLimitExceeded            = "QUEUE_LIMIT_EXCEEDED"
	CodeQueueClosed                   = "QUEUE_CLOSED"
	CodeOperationInvalidTimeout       = "OPERATION_INVALID_TIMEOUT"
	CodeOperationAborted              = "OPERATION_ABORTED"
	CodeRequestTimeout                = "REQUEST_TIMEOUT"
	CodeRequestRemoteError            = "REQUEST_REMOTE_ERROR"
	CodeEventWaitTimeout              = "EVENT_WAIT_TIMEOUT"
	CodeMessageInvalidEnvelope        = "MESSAGE_INVALID_ENVELOPE"
	CodeMessageTargetMismatch         = "MESSAGE_TARGET_MISMATCH"

	// CodeRequestHandlerNotFound and CodeRequestHandlerError are the
	// remote error codes that the SDK's child sends back in a
	// bridge:response (src/child/create-iframe-child-bridge.ts); the
	// requesting side sees them in the REQUEST_REMOTE_ERROR details.
	CodeRequestHandlerNotFound = "REQUEST_HANDLER_NOT_FOUND"
	CodeRequestHandlerError    = "REQUEST_HANDLER_ERROR"
)

// Codes that signing and this runtime add.
const (
	// CodeAuthFailed reports a message whose MAC does not verify, or an
	// unsigned (v1) message on a bridge that requires signing.
	CodeAuthFailed = "AUTH_FAILED"

	// CodeReplayRejected reports a signed message whose sequence number
	// is not above the last one accepted, or a stale handshake.
	CodeReplayRejected = "REPLAY_REJECTED"

	// CodeKeyUnavailable reports a missing session key, a message signed
	// with a key id that is not (or no longer) held, or a key operation
	// on a session that is not signed.
	CodeKeyUnavailable = "KEY_UNAVAILABLE"

	// CodeRequestUnsupported reports a request from the iframe on a v1
	// session: the v1 protocol has parent-to-iframe requests only.
	CodeRequestUnsupported = "REQUEST_UNSUPPORTED"

	// CodeMessageInvalidPayload reports a payload that the codec could
	// not serialize into a v2 body (a cycle or a BigInt, say).
	CodeMessageInvalidPayload = "MESSAGE_INVALID_PAYLOAD"

	// CodeMessageRateLimited and CodeMessageTooLarge name inbound drops
	// for diagnostics; no operation fails with them.
	CodeMessageRateLimited = "MESSAGE_RATE_LIMITED"
	CodeMessageTooLarge    = "MESSAGE_TOO_LARGE"

	// CodeMessageIgnored names inbound drops of well-formed messages
	// that the bridge cannot use in its state (a second bridge:ready, a
	// response nobody waits for) for diagnostics.
	CodeMessageIgnored = "MESSAGE_IGNORED"

	// CodeConfigInvalidEnvironment reports a configuration without the
	// clock, transport, codec or randomness the bridge needs.
	CodeConfigInvalidEnvironment = "CONFIG_INVALID_ENVIRONMENT"
)

// Error is the error of every bridge operation, the Go form of the SDK's
// IframeBridgeError: a machine-readable Code, a human-readable Message
// (the SDK's wording where the SDK has the case) and optional Details.
// Messages never contain a key, a token or a MAC.
type Error struct {
	// Code is one of the Code constants.
	Code string

	// Message describes the failure.
	Message string

	// Details holds extra context, as the SDK's details object, or is
	// nil. Values are string, int64, float64, bool, Value or
	// *RemoteError.
	Details Details
}

// Details is the details object of an Error. The WebAssembly layer turns
// it into a plain JavaScript object.
type Details map[string]any

// Error returns the code and the message.
func (e *Error) Error() string {
	return e.Code + ": " + e.Message
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &Error{Code: CodeRequestTimeout}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// AsError returns err as an *Error, or nil if err is nil or of another
// type. Every error that this package returns is an *Error.
func AsError(err error) *Error {
	e, _ := err.(*Error)
	return e
}

func newError(code, message string, details Details) *Error {
	return &Error{Code: code, Message: message, Details: details}
}

func errDestroyed() *Error {
	return newError(CodeBridgeDestroyed, "Bridge destroyed.", nil)
}

func errAborted(details Details) *Error {
	return newError(CodeOperationAborted, "Bridge operation aborted.", details)
}

func errInvalidTimeout(timeoutMs float64) *Error {
	return newError(CodeOperationInvalidTimeout, "Operation timeout must be a finite positive integer.",
		Details{"timeoutMs": timeoutMs})
}

func errRequestTimeout(requestID string, timeoutMs int64) *Error {
	return newError(CodeRequestTimeout, "Request timed out.",
		Details{"requestId": requestID, "timeoutMs": timeoutMs})
}

func errEventTimeout(name string, timeoutMs int64) *Error {
	return newError(CodeEventWaitTimeout, "Timed out waiting for bridge event.",
		Details{"name": name, "timeoutMs": timeoutMs})
}

func errRemote(requestID string, remote *RemoteError) *Error {
	return newError(CodeRequestRemoteError, remote.Message,
		Details{"requestId": requestID, "remoteError": remote})
}

func errQueueLimit(maxSize int) *Error {
	return newError(CodeQueueLimitExceeded, "Pre-ready queue limit exceeded.",
		Details{"maxSize": int64(maxSize)})
}

func errConfigTimeout(name string, timeoutMs int64) *Error {
	return newError(CodeConfigInvalidTimeout, "Timeout must be an integer greater than or equal to 1.",
		Details{"name": name, "timeoutMs": timeoutMs})
}
