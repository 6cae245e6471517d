package caddybridge

import (
	"sync"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// redemptions remembers which tokens have been redeemed, per role, until
// they expire, so that each token is redeemable once per role. It lives
// for the whole process, so config reloads neither forget redemptions
// nor lose issued tokens. Memory is bounded: expired entries are swept
// as shards are used, and a full store refuses new redemptions rather
// than forget live ones.
type redemptions struct {
	shards [redemptionShards]redemptionShard
}

const (
	redemptionShards   = 64
	maxRedemptions     = 1 << 20 // about 60 MB at most
	perShardMax        = maxRedemptions / redemptionShards
	redemptionSweepGap = 10_000 // milliseconds between sweeps of a shard
)

type redemptionShard struct {
	mu        sync.Mutex
	m         map[redemptionKey]int64 // key -> expiry, unix ms
	nextSweep int64
}

type redemptionKey struct {
	role   byte // 'p' or 'e'
	id     bridgekey.DeploymentID
	random [16]byte
}

// globalRedemptions is shared by every bridge handler in the process.
var globalRedemptions = new(redemptions)

// claimResult is the outcome of a claim.
type claimResult int

const (
	claimed claimResult = iota
	alreadyClaimed
	storeFull
)

// claim records k as redeemed until expires (unix ms). now is the
// current time in unix ms.
func (r *redemptions) claim(k redemptionKey, expires, now int64) claimResult {
	s := &r.shards[int(k.random[0])%redemptionShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[redemptionKey]int64)
	}
	if exp, ok := s.m[k]; ok && exp >= now {
		return alreadyClaimed
	}
	if now >= s.nextSweep || len(s.m) >= perShardMax {
		for key, exp := range s.m {
			if exp < now {
				delete(s.m, key)
			}
		}
		s.nextSweep = now + redemptionSweepGap
	}
	if len(s.m) >= perShardMax {
		return storeFull
	}
	s.m[k] = expires
	return claimed
}

// size returns the number of entries held, expired or not.
func (r *redemptions) size() int {
	n := 0
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
