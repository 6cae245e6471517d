// ---- caddy-bridge loader -------------------------------------------------
// bridge.js = Go's wasm_exec.js (above, unmodified) + this loader. It loads
// the WebAssembly runtime from the same directory as this module (so any
// runtime_path works) and exports the JS API.

const wasmURL = new URL("__WASM_NAME__", import.meta.url);
let runtime;

/** Loads the WebAssembly runtime once and resolves to its exports. */
export function load() {
  if (!runtime) {
    runtime = (async () => {
      const go = new globalThis.Go();
      const { instance } = await WebAssembly.instantiateStreaming(fetch(wasmURL), go.importObject);
      go.run(instance);
      const rt = globalThis.__caddyBridgeRuntime;
      if (!rt) throw new Error("caddy-bridge: the runtime did not start");
      return rt;
    })();
  }
  return runtime;
}

/** The URL of the WebAssembly runtime this module loads. */
export const runtimeURL = wasmURL.href;
