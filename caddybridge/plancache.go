package caddybridge

import (
	"bytes"
	"hash/maphash"
	"sync"

	"github.com/caddybridge/caddy-bridge/htmlrewrite"
)

// planCache remembers the edit points of pages already scanned, so that
// a page served again costs a comparison, a copy and fresh tokens instead
// of a scan. A cached plan is used only for a page byte-for-byte equal to
// the one it was made from (kept beside it); the key is the length and a
// keyed hash of a few pieces of the page, so finding the candidate stays
// cheap. A
// plan holds no tokens. One cache belongs to one rewrite config (one
// deployment set of one config load), and so to one own origin: a plan's
// decisions depend on it (protocol-relative iframe URLs take its scheme),
// and the same page served under another origin is planned again in that
// origin's cache.
type planCache struct {
	mu      sync.RWMutex
	entries map[planKey]*planEntry
	bytes   int
}

type planKey struct {
	size int
	sum  uint64
}

type planEntry struct {
	page []byte
	plan htmlrewrite.Plan
}

// Bounds of the cache; when either is reached it starts over.
const (
	maxCachedPlans     = 512
	maxCachedPlanBytes = 32 << 20
	planSamples        = 8  // pieces of a page hashed for its key
	planSampleSize     = 64 // bytes in each piece
)

var planSeed = maphash.MakeSeed()

// planKeyOf returns the key of page: its length and a keyed hash of
// planSamples pieces spread evenly over it, the first at its start and the
// last at its end (of the whole page if it is short). The pieces cost
// one small hash, and those from the middle tell apart pages that differ
// only there, such as pages of one template.
func planKeyOf(page []byte) planKey {
	if len(page) <= planSamples*planSampleSize {
		return planKey{size: len(page), sum: maphash.Bytes(planSeed, page)}
	}
	var sample [planSamples * planSampleSize]byte
	span := len(page) - planSampleSize
	for i := range planSamples {
		at := i * span / (planSamples - 1) // 0, ..., len(page)-planSampleSize
		copy(sample[i*planSampleSize:(i+1)*planSampleSize], page[at:])
	}
	return planKey{size: len(page), sum: maphash.Bytes(planSeed, sample[:])}
}

// plan returns the plan of page, scanning it if it is not cached.
func (c *planCache) plan(page []byte, cfg *htmlrewrite.Config) *htmlrewrite.Plan {
	k := planKeyOf(page)
	c.mu.RLock()
	e := c.entries[k]
	c.mu.RUnlock()
	if e != nil && bytes.Equal(e.page, page) {
		return &e.plan
	}
	e = &planEntry{page: bytes.Clone(page), plan: htmlrewrite.Scan(page, cfg)}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedPlans || c.bytes+len(page) > maxCachedPlanBytes {
		c.entries = make(map[planKey]*planEntry)
		c.bytes = 0
	}
	if old := c.entries[k]; old != nil {
		c.bytes -= len(old.page)
	}
	c.entries[k] = e
	c.bytes += len(page)
	c.mu.Unlock()
	return &e.plan
}
