// Command build builds the bridge runtime into assets/dist: the
// WebAssembly runtime (GOOS=js GOARCH=wasm, -trimpath), its br and gzip
// variants, bridge.js (Go's wasm_exec.js from the same toolchain plus the
// loader) and bridge.d.ts. Run it with `go generate ./assets` from the
// module root, or `go run ./assets/build -out DIR` to build elsewhere.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/andybalholm/brotli"
)

func main() {
	out := flag.String("out", "", "output folder (default: assets/dist of this module)")
	flag.Parse()
	root, err := moduleRoot()
	if err != nil {
		log.Fatal(err)
	}
	if *out == "" {
		*out = filepath.Join(root, "assets", "dist")
	}
	if err := build(root, *out); err != nil {
		log.Fatal(err)
	}
}

func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(b))), nil
}

func build(root, out string) error {
	tmp, err := os.MkdirTemp("", "caddy-bridge-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wasmPath := filepath.Join(tmp, "bridge.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasmPath, "./assets/runtime")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the runtime: %w", err)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(wasm)
	name := "bridge." + hex.EncodeToString(sum[:6]) + ".wasm"

	goroot := runtime.GOROOT()
	if b, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		goroot = strings.TrimSpace(string(b))
	}
	wasmExec, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("reading wasm_exec.js of this Go release: %w", err)
	}
	loader, err := os.ReadFile(filepath.Join(root, "assets", "src", "loader.js"))
	if err != nil {
		return err
	}
	dts, err := os.ReadFile(filepath.Join(root, "assets", "src", "bridge.d.ts"))
	if err != nil {
		return err
	}
	js := append(append(bytes.Clone(wasmExec), '\n'), bytes.ReplaceAll(loader, []byte("__WASM_NAME__"), []byte(name))...)

	br, gz, err := compress(wasm)
	if err != nil {
		return err
	}
	jsBr, jsGz, err := compress(js)
	if err != nil {
		return err
	}

	goVersion, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(out, "bridge.*.wasm*"))
	for _, f := range old {
		os.Remove(f)
	}
	files := map[string][]byte{
		name:           wasm,
		name + ".br":   br,
		name + ".gz":   gz,
		"bridge.js":    js,
		"bridge.js.br": jsBr,
		"bridge.js.gz": jsGz,
		"bridge.d.ts":  dts,
		"BUILD":        []byte("go " + strings.TrimSpace(string(goVersion)) + "\nwasm " + name + " sha256 " + hex.EncodeToString(sum[:]) + "\n"),
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(out, n), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d bytes, br %d, gzip %d; bridge.js %d bytes, br %d, gzip %d; wasm + bridge.js br %d\n",
		name, len(wasm), len(br), len(gz), len(js), len(jsBr), len(jsGz), len(br)+len(jsBr))
	return nil
}

// compress returns b compressed with brotli and gzip at their best
// levels, once at build time.
func compress(b []byte) (br, gz []byte, err error) {
	var bb, gb bytes.Buffer
	bw := brotli.NewWriterLevel(&bb, brotli.BestCompression)
	bw.Write(b)
	if err := bw.Close(); err != nil {
		return nil, nil, err
	}
	gw, _ := gzip.NewWriterLevel(&gb, gzip.BestCompression)
	gw.Write(b)
	if err := gw.Close(); err != nil {
		return nil, nil, err
	}
	return bb.Bytes(), gb.Bytes(), nil
}
