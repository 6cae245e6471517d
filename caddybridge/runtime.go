package caddybridge

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
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
		// ServeContent leaves Content-Length out of a whole response
		// when Content-Encoding is set (it guards against writers that
		// compress on the fly); this variant is compressed already.
		w = &wholeLength{ResponseWriter: w, n: len(v.data)}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(v.data))
	return nil
}

// wholeLength gives a 200 answer of ServeContent, which is always the
// whole content, a Content-Length of n when it has none. Other answers
// (206 with its own length, 304, 412, 416) are left as ServeContent makes
// them.
type wholeLength struct {
	http.ResponseWriter
	n int
}

// WriteHeader adds the Content-Length of a 200 answer.
func (w *wholeLength) WriteHeader(status int) {
	if status == http.StatusOK {
		if _, ok := w.Header()["Content-Length"]; !ok {
			w.Header()["Content-Length"] = []string{strconv.Itoa(w.n)}
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

// ReadFrom keeps the underlying writer's ReadFrom, if any, in use.
func (w *wholeLength) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(w.ResponseWriter, r)
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *wholeLength) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pickVariant chooses the variant the client prefers by the quality
// values of its Accept-Encoding (RFC 9110, section 12.5.3). Ties go to the
// server's order of preference: the precompressed variants in the order
// of vs (br, then gzip), then identity. Identity is acceptable unless it is
// refused (identity;q=0, or *;q=0 without identity listed); when it is not
// listed it ranks below every listed coding. Without the header, or when
// nothing is acceptable, identity is sent.
func pickVariant(vs []variant, acceptEncoding string) variant {
	if acceptEncoding == "" {
		return vs[0]
	}
	ae := parseAcceptEncoding(acceptEncoding)
	best, bestQ := vs[0], ae.identityQ()
	for _, v := range vs[1:] {
		if q := ae.q(v.encoding); q > bestQ || q == bestQ && q > 0 && best.encoding == "" {
			best, bestQ = v, q
		}
	}
	if bestQ <= 0 {
		return vs[0] // nothing acceptable: ignore the header (RFC 9110 allows it)
	}
	return best
}

// acceptEncoding is a parsed Accept-Encoding field value: the quality of
// each listed coding (lower case) in thousandths, and of "*" if listed.
type acceptEncoding struct {
	codings map[string]int
	star    int // -1 when "*" is not listed
}

// parseAcceptEncoding parses an Accept-Encoding field value. Each element
// is a coding with optional parameters; only q is meaningful, and it may
// follow other parameters. An element whose q is not a valid qvalue is
// ignored; when a coding is listed twice, the first element counts.
func parseAcceptEncoding(header string) acceptEncoding {
	ae := acceptEncoding{codings: make(map[string]int, 4), star: -1}
	for _, elem := range strings.Split(header, ",") {
		params := strings.Split(elem, ";")
		name := strings.ToLower(strings.TrimSpace(params[0]))
		if name == "" {
			continue
		}
		q, ok := 1000, true
		for _, p := range params[1:] {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				q, ok = parseQValue(strings.TrimSpace(v))
				break
			}
		}
		if !ok {
			continue
		}
		if name == "x-gzip" {
			name = "gzip" // RFC 9110, section 8.4.1.3
		}
		if name == "*" {
			if ae.star < 0 {
				ae.star = q
			}
			continue
		}
		if _, dup := ae.codings[name]; !dup {
			ae.codings[name] = q
		}
	}
	return ae
}

// q returns the quality of a content coding: its own, else that of "*",
// else 0 (not acceptable).
func (ae acceptEncoding) q(coding string) int {
	if q, ok := ae.codings[coding]; ok {
		return q
	}
	return max(ae.star, 0)
}

// identityQ returns the quality of identity: its own, else that of "*",
// else 1 thousandth, so that identity stays acceptable but ranks below
// every coding the client lists.
func (ae acceptEncoding) identityQ() int {
	if q, ok := ae.codings["identity"]; ok {
		return q
	}
	if ae.star >= 0 {
		return ae.star
	}
	return 1
}

// parseQValue parses a qvalue ("0" to "1" with at most three decimals)
// into thousandths.
func parseQValue(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}
