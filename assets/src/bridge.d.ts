// TypeScript declarations of caddy-bridge's bridge.js (DESIGN §7).
// This first version declares the loader; the JS API follows with the runtime.

/** Loads the WebAssembly runtime once. */
export declare function load(): Promise<{ version: string }>;

/** The URL of the WebAssembly runtime this module loads. */
export declare const runtimeURL: string;
