package caddybridge

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TestPanicMidPageStopsDecoder: when the handler chain panics while a
// compressed page is being decoded, the panic goes on up (to Caddy's
// recovery) and the decoder goroutine ends; it used to wait on its pipe
// for ever.
func TestPanicMidPageStopsDecoder(t *testing.T) {
	h := provisionTest(t, &Handler{
		Embed: []Peers{{Origins: []string{"https://widget.example.com"}, Secret: testSecretB64}},
	})
	var half bytes.Buffer
	zw := gzip.NewWriter(&half)
	zw.Write([]byte("<!doctype html><html><head></head><body><iframe src=\"https://widget.example.com/\"></iframe>"))
	zw.Flush()
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		func() {
			defer func() {
				if v := recover(); v != "upstream blew up" {
					t.Errorf("recovered %v, want the handler's panic", v)
				}
			}()
			req := httptest.NewRequest("GET", "http://shop.example.com/", nil)
			req.Header.Set("Sec-Fetch-Dest", "document")
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(half.Bytes())
				panic("upstream blew up")
			})
			h.ServeHTTP(httptest.NewRecorder(), req, next)
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after 5 panics mid-page, %d before", runtime.NumGoroutine(), before)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond) // polling interval, bounded by the deadline
	}
}
