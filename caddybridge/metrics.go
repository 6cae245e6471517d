package caddybridge

import (
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/caddybridge/caddy-bridge/htmlrewrite"
)

// metrics are created once per process and registered with the metrics
// registry of every config load, so they keep counting across reloads.
// Labels never carry a token, a key, a secret or an origin.
var metrics = struct {
	tokensMinted *prometheus.CounterVec
	sessions     *prometheus.CounterVec
	pages        *prometheus.CounterVec
	iframes      *prometheus.CounterVec
}{
	tokensMinted: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "bridge",
		Name:      "tokens_minted_total",
		Help:      "Session tokens minted, by where: page (injected into an iframe) or endpoint (POST session {embed}).",
	}, []string{"via"}),
	sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "bridge",
		Name:      "session_requests_total",
		Help:      "Session endpoint requests, by this site's role and outcome: ok, or the error code returned.",
	}, []string{"role", "outcome"}),
	pages: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "bridge",
		Name:      "pages_total",
		Help:      "HTML pages seen in the parent role, by outcome: rewritten_whole (fit the rewrite window), rewritten_streamed, unchanged, undecodable (unknown Content-Encoding, passed through).",
	}, []string{"outcome"}),
	iframes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "bridge",
		Name:      "iframes_total",
		Help:      "Iframes seen in rewritten pages, by result: rewritten, or why they were left alone (no_src, relative, unlisted, ambiguous, has_param, oversized).",
	}, []string{"result"}),
}

// registerMetrics adds the collectors to reg, ignoring those already
// registered (the same registry across handlers, or a reload).
func registerMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{metrics.tokensMinted, metrics.sessions, metrics.pages, metrics.iframes} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return err
			}
		}
	}
	return nil
}

// Counters looked up once: WithLabelValues costs a map look-up and a hash
// per call, on the page path once per token.
var (
	mintedByPage     = metrics.tokensMinted.WithLabelValues("page")
	mintedByEndpoint = metrics.tokensMinted.WithLabelValues("endpoint")
)

// lazyCounter is one labelled counter of a vector, looked up on first use
// (so that, as with WithLabelValues at each use, a series appears only once
// it counts something) and then kept.
type lazyCounter struct {
	vec   *prometheus.CounterVec
	label string
	c     atomic.Pointer[prometheus.Counter]
}

func (l *lazyCounter) get() prometheus.Counter {
	if c := l.c.Load(); c != nil {
		return *c
	}
	c := l.vec.WithLabelValues(l.label)
	l.c.Store(&c)
	return c
}

// The page path's counters.
var (
	pagesWhole       = lazyCounter{vec: metrics.pages, label: "rewritten_whole"}
	pagesStreamed    = lazyCounter{vec: metrics.pages, label: "rewritten_streamed"}
	pagesUnchanged   = lazyCounter{vec: metrics.pages, label: "unchanged"}
	iframesRewritten = lazyCounter{vec: metrics.iframes, label: "rewritten"}
	iframesSkipped   = func() (c [htmlrewrite.NumSkipReasons]*lazyCounter) {
		for r := range c {
			c[r] = &lazyCounter{vec: metrics.iframes, label: htmlrewrite.SkipReason(r).String()}
		}
		return c
	}()
)
