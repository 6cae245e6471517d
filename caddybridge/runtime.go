package caddybridge

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddybridge/caddy-bridge/assets"
)

// asset is one runtime file, served from memory: embed.FS files have no
// modification time, so file_server would send no validators.
type asset struct {
	ctype        string
	cacheControl string
	variants     []variant // identity first, then by preference
}

// variant is one encoding of an asset, with its own strong ETag.
type variant struct {
	encoding string // "" for identity
	data     []byte
	etag     string
}

var (
	runtimeOnce   sync.Once
	runtimeFiles  map[string]*asset
	runtimeErr    error
	runtimeWasm   string // the hashed wasm name bridge.js imports
	immutableLife = "public, max-age=31536000, immutable"
)

// loadRuntime indexes the embedded runtime files once per process.
func loadRuntime() (map[string]*asset, error) {
	runtimeOnce.Do(func() {
		runtimeFiles, runtimeErr = indexRuntime(assets.Dist)
	})
	return runtimeFiles, runtimeErr
}

func indexRuntime(dist fs.FS) (map[string]*asset, error) {
	read := func(name string) ([]byte, error) {
		b, err := fs.ReadFile(dist, name)
		if err != nil {
			return nil, fmt.Errorf("loading the embedded runtime: %w", err)
		}
		return b, nil
	}
	files := make(map[string]*asset)
	for _, f := range []struct {
		name, ctype string
		encodings   []string // precompressed variants beside name
	}{
		{"bridge.js", "text/javascript; charset=utf-8", []string{"br", "gzip"}},
		{"bridge.d.ts", "text/plain; charset=utf-8", nil},
	} {
		a := &asset{ctype: f.ctype, cacheControl: "no-cache"}
		for _, enc := range append([]string{""}, f.encodings...) {
			b, err := read(f.name + suffixOf[enc])
			if err != nil {
				return nil, err
			}
			a.variants = append(a.variants, variant{encoding: enc, data: b, etag: strongETag(b, enc)})
		}
		files[f.name] = a
	}
	wasms, err := fs.Glob(dist, "bridge.*.wasm")
	if err != nil || len(wasms) != 1 {
		return nil, fmt.Errorf("loading the embedded runtime: want one bridge.*.wasm, found %d", len(wasms))
	}
	name := wasms[0]
	a := &asset{ctype: "application/wasm", cacheControl: immutableLife}
	for _, enc := range []string{"", "br", "gzip"} {
		b, err := read(name + suffixOf[enc])
		if err != nil {
			return nil, err
		}
		a.variants = append(a.variants, variant{encoding: enc, data: b, etag: strongETag(b, enc)})
	}
	files[name] = a
	if !bytes.Contains(files["bridge.js"].variants[0].data, []byte(`"`+name+`"`)) {
		return nil, fmt.Errorf("loading the embedded runtime: bridge.js does not load %s; run go generate ./assets", name)
	}
	if bytes.Count(files["bridge.js"].variants[0].data, defaultLoaderConfig) != 1 {
		return nil, fmt.Errorf("loading the embedded runtime: bridge.js has no configuration line; run go generate ./assets")
	}
	runtimeWasm = name
	return files, nil
}

// defaultLoaderConfig is the line of the built bridge.js that names the
// bootstrap parameters and says where a parent puts them
// (assets/src/loader.js), with the defaults.
var defaultLoaderConfig = loaderConfigLine(DefaultSessionParam, DefaultParentParam, SessionInQuery)

// loaderConfigLine is bridge.js's configuration line for these values.
func loaderConfigLine(sessionParam, parentParam, sessionIn string) []byte {
	b, err := json.Marshal(struct {
		SessionParam string `json:"sessionParam"`
		ParentParam  string `json:"parentParam"`
		SessionIn    string `json:"sessionIn"`
	}{sessionParam, parentParam, sessionIn})
	if err != nil {
		panic(err) // strings always marshal
	}
	return append(append([]byte("const CONFIG = "), b...), ";\n"...)
}

var (
	configuredMu sync.Mutex
	configured   = map[string]*asset{} // bridge.js by configuration line
)

// runtimeFor returns the runtime files a handler serves: files, with
// bridge.js configured for the handler's bootstrap parameters when they
// are not the defaults. Such a copy is made once per process and
// configuration, with identity and gzip variants (br is compressed at
// build time, for the defaults only).
func runtimeFor(files map[string]*asset, sessionParam, parentParam, sessionIn string) map[string]*asset {
	line := loaderConfigLine(sessionParam, parentParam, sessionIn)
	if bytes.Equal(line, defaultLoaderConfig) {
		return files
	}
	configuredMu.Lock()
	defer configuredMu.Unlock()
	a := configured[string(line)]
	if a == nil {
		base := files["bridge.js"]
		js := bytes.Replace(base.variants[0].data, defaultLoaderConfig, line, 1)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(js)
		zw.Close()
		a = &asset{ctype: base.ctype, cacheControl: base.cacheControl, variants: []variant{
			{encoding: "", data: js, etag: strongETag(js, "")},
			{encoding: "gzip", data: gz.Bytes(), etag: strongETag(gz.Bytes(), "gzip")},
		}}
		configured[string(line)] = a
	}
	out := maps.Clone(files)
	out["bridge.js"] = a
	return out
}

// suffixOf names the file of each precompressed variant.
var suffixOf = map[string]string{"": "", "br": ".br", "gzip": ".gz"}

func strongETag(b []byte, encoding string) string {
	sum := sha256.Sum256(b)
	tag := base64.RawURLEncoding.EncodeToString(sum[:12])
	if encoding != "" {
		// Not "-gzip": Caddy's encode strips a "-<encoding>" suffix from
		// If-None-Match (its own mark), which would turn a match on a
		// precompressed variant into a miss.
		tag += "." + encoding
	}
	return `"` + tag + `"`
}

// serveAsset answers GET and HEAD for a runtime file.
func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return nil
	}
	hdr := w.Header()
	v := a.variants[0]
	if len(a.variants) > 1 {
		hdr.Add("Vary", "Accept-Encoding")
		v = pickVariant(a.variants, r.Header.Get("Accept-Encoding"))
	}
	hdr.Set("Content-Type", a.ctype)
	hdr.Set("Cache-Control", a.cacheControl)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Etag", v.etag)
	if v.encoding != "" {
		hdr.Set("Content-Encoding", v.encoding)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(v.data))
	return nil
}

// pickVariant chooses the first variant after identity whose encoding the
// client accepts (q > 0), else identity.
func pickVariant(vs []variant, acceptEncoding string) variant {
	for _, v := range vs[1:] {
		if acceptsEncoding(acceptEncoding, v.encoding) {
			return v
		}
	}
	return vs[0]
}

// acceptsEncoding reports whether an Accept-Encoding value allows enc,
// named or through "*", with a non-zero quality.
func acceptsEncoding(header, enc string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if k, val, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(strings.ToLower(k)) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
				q = f
			}
		}
		switch name {
		case enc:
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}
