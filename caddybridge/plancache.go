package caddybridge

import (
	"hash/maphash"
	"sync"

	"github.com/caddybridge/caddy-bridge/htmlrewrite"
)

// planCache remembers the edit points of pages already scanned, so that
// a page served again costs a hash, a copy and fresh tokens instead of a
// scan. Pages are identified by their length and a keyed hash whose seed
// is random per process, so no one can make two pages collide on
// purpose; a plan holds no tokens. One cache belongs to one rewrite
// config (one deployment set of one config load).
type planCache struct {
	mu    sync.RWMutex
	plans map[planKey]*htmlrewrite.Plan
}

type planKey struct {
	size int
	sum  uint64
}

// maxCachedPlans bounds the cache; when full it starts over.
const maxCachedPlans = 512

var planSeed = maphash.MakeSeed()

// plan returns the plan of page, scanning it if it is not cached.
func (c *planCache) plan(page []byte, cfg *htmlrewrite.Config) *htmlrewrite.Plan {
	k := planKey{size: len(page), sum: maphash.Bytes(planSeed, page)}
	c.mu.RLock()
	p := c.plans[k]
	c.mu.RUnlock()
	if p != nil {
		return p
	}
	scanned := htmlrewrite.Scan(page, cfg)
	p = &scanned
	c.mu.Lock()
	if c.plans == nil || len(c.plans) >= maxCachedPlans {
		c.plans = make(map[planKey]*htmlrewrite.Plan)
	}
	c.plans[k] = p
	c.mu.Unlock()
	return p
}
