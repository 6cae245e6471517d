// TypeScript declarations of caddy-bridge's bridge.js (DESIGN §7).

/**
 * Error codes of the iframe-bridge SDK, those signing adds, and the session endpoint's.
 * A handler's failure reaches the caller as REQUEST_REMOTE_ERROR, with the remote code
 * (REQUEST_HANDLER_ERROR, or the one the handler's peer sent) in details.remoteError.code.
 */
export type IframeBridgeErrorCode =
  | "CONFIG_INVALID_CONTAINER" | "CONFIG_INVALID_SRC" | "CONFIG_INVALID_QUEUE" | "CONFIG_INVALID_SECURITY_PROFILE"
  | "CONFIG_INVALID_TIMEOUT" | "CONFIG_UNSAFE_ORIGIN" | "CONFIG_INVALID_ENVIRONMENT"
  | "HANDSHAKE_TIMEOUT" | "HANDSHAKE_ORIGIN_MISMATCH" | "HANDSHAKE_SOURCE_MISMATCH" | "HANDSHAKE_SESSION_MISMATCH"
  | "HANDSHAKE_PROTOCOL_MISMATCH" | "HANDSHAKE_VERSION_MISMATCH"
  | "BRIDGE_NOT_READY" | "BRIDGE_DESTROYED" | "QUEUE_LIMIT_EXCEEDED" | "QUEUE_CLOSED"
  | "OPERATION_INVALID_TIMEOUT" | "OPERATION_ABORTED" | "REQUEST_TIMEOUT" | "REQUEST_REMOTE_ERROR"
  | "REQUEST_UNSUPPORTED" | "EVENT_WAIT_TIMEOUT" | "MESSAGE_INVALID_ENVELOPE" | "MESSAGE_INVALID_PAYLOAD"
  | "MESSAGE_TARGET_MISMATCH" | "AUTH_FAILED" | "REPLAY_REJECTED" | "KEY_UNAVAILABLE"
  | "SESSION_UNAVAILABLE" | "SESSION_REFUSED"
  | "TOKEN_MALFORMED" | "TOKEN_FORGED" | "TOKEN_EXPIRED" | "TOKEN_ALREADY_REDEEMED"
  | "DEPLOYMENT_UNKNOWN" | "ORIGIN_REFUSED" | "BODY_INVALID" | "BUSY" | "INTERNAL";

/** The error of every bridge operation. */
export declare class IframeBridgeError extends Error {
  readonly name: "IframeBridgeError";
  readonly code: IframeBridgeErrorCode | string;
  readonly details: Record<string, unknown>;
}

export type ParentState = "created" | "mounting" | "waiting_for_handshake" | "ready" | "handshake_failed" | "destroyed";
export type ChildState = "created" | "connecting" | "connected" | "connection_failed" | "destroyed";

export interface OperationOptions {
  /** Milliseconds; an integer from 1 to 2^53-1 (OPERATION_INVALID_TIMEOUT otherwise). Default 5000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface BridgeStats {
  state: string;
  /** 1 or 2 once the handshake settled, else 0. */
  version: number;
  received: number;
  accepted: number;
  sent: number;
  postErrors: number;
  handshakes: number;
  rekeys: number;
  /** Dropped inbound messages in total. */
  dropped: number;
  /** Dropped inbound messages by reason: origin, source, envelope, session, mac, replay, … */
  droppedBy: Record<string, number>;
}

interface BridgeBase<S extends string> {
  readonly state: S;
  /** The session id (the token), once known. */
  readonly sessionId: string | null;
  whenReady(): Promise<void>;
  whenConnected(): Promise<void>;
  /**
   * Names are non-blank strings (MESSAGE_INVALID_ENVELOPE otherwise). A message past 1 MiB is
   * refused with MESSAGE_INVALID_PAYLOAD, details {cause: "too large", maxMessageBytes}.
   */
  request<T = unknown>(method: string, payload?: unknown, options?: OperationOptions): Promise<T>;
  sendEvent(name: string, payload?: unknown, options?: OperationOptions): Promise<void>;
  /** Throws MESSAGE_INVALID_ENVELOPE for a blank or non-string name. */
  on(name: string, handler: (payload: unknown) => void): () => void;
  /**
   * Answers requests (v2 for requests from the iframe); a throw answers REQUEST_HANDLER_ERROR.
   * Replaces the handler registered before it for the same name.
   */
  handleRequest(name: string, handler: (payload: unknown) => unknown | Promise<unknown>): () => void;
  destroy(): void;
  /** Traffic counters; after destroy(), the last ones with state "destroyed". */
  stats(): BridgeStats;
}

export interface IframeBridge extends BridgeBase<ParentState> {
  /** The iframe (null until createIframeBridge has created it). */
  readonly iframe: HTMLIFrameElement | null;
  waitForEvent<T = unknown>(name: string, options?: OperationOptions): Promise<T>;
  /** Rotates the session key (v2 only); resolves to the new key id. */
  rekey(): Promise<string>;
  /**
   * Starts over with a new session: pending operations fail with BRIDGE_DESTROYED, a fresh
   * token is minted at this page's origin, and the iframe is replaced by a copy of itself
   * whose URL carries it (`iframe` then names the copy). Listeners and request handlers
   * carry over. Resolves once the new session is ready.
   */
  remount(): Promise<void>;
}

export interface IframeChildBridge extends BridgeBase<ChildState> {
  readonly parentOrigin: string | null;
}

export interface ParentOptions {
  handshakeTimeoutMs?: number;
  operationTimeoutMs?: number;
  queueMaxSize?: number;
  onStateChange?: (state: ParentState) => void;
  /** Called for every dropped inbound message with the reason and its error code. */
  onDrop?: (reason: string, code: string) => void;
}

export interface CreateIframeBridgeConfig extends ParentOptions {
  container: Element | string;
  src: string;
  title?: string;
  iframeAttributes?: Record<string, string>;
}

export interface ChildConfig {
  connectionTimeoutMs?: number;
  operationTimeoutMs?: number;
  onStateChange?: (state: ChildState) => void;
  onDrop?: (reason: string, code: string) => void;
}

/** Attaches a bridge to an iframe the server rewrote (its URL carries the session token). */
export declare function attach(iframeOrSelector: HTMLIFrameElement | string, options?: ParentOptions): IframeBridge;

/** Creates an iframe with a session minted at this page's origin, and a bridge to it. */
export declare function createIframeBridge(config: CreateIframeBridgeConfig): IframeBridge;

/** The bridge of the page inside the iframe. */
export declare function createIframeChildBridge(config?: ChildConfig): IframeChildBridge;

/** Loads the WebAssembly runtime once. */
export declare function load(): Promise<{ version: string }>;

/** The URL of the WebAssembly runtime this module loads. */
export declare const runtimeURL: string;
