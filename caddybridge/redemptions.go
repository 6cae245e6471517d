package caddybridge

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// redemptions remembers which tokens have been redeemed, per role, until
// they expire, so that each token is redeemable once per role. It lives
// for the whole process, so config reloads neither forget redemptions
// nor lose issued tokens. An entry is kept until its token's issue time
// plus the longest token_ttl of any handler provisioned in the process
// (horizon, which only grows): a reload to a longer token_ttl, or another
// handler with a longer one, cannot make a redeemed token redeemable
// again. Memory is bounded: expired entries are swept
// as shards are used, and a full store refuses new redemptions rather
// than forget live ones.
//
// Entries are 64-bit fingerprints of (role, deployment, token random)
// under a per-process random seed: two tokens share one only by a chance
// of 2^-64 per pair, and then the second is refused, never accepted.
type redemptions struct {
	perShard int          // live entries a shard may hold
	horizon  atomic.Int64 // ms: the longest token_ttl seen; only grows
	shards   [redemptionShards]redemptionShard
}

// noteTTL raises the horizon to ttl (ms) if it is longer.
func (r *redemptions) noteTTL(ttl int64) {
	for {
		cur := r.horizon.Load()
		if ttl <= cur || r.horizon.CompareAndSwap(cur, ttl) {
			return
		}
	}
}

const (
	redemptionShards = 64
	// maxRedemptions bounds the live entries: about 40 bytes each, so
	// about 80 MB when full.
	maxRedemptions     = 1 << 21
	perShardMax        = maxRedemptions / redemptionShards
	redemptionSweepGap = 10_000 // ms between routine sweeps of a shard
	fullSweepGap       = 1_000  // ms between sweeps of a full shard
)

type redemptionShard struct {
	mu        sync.Mutex
	m         map[uint64]int64 // fingerprint -> token issue time, unix ms
	lastSweep int64
}

type redemptionKey struct {
	role   byte // 'p' or 'e'
	id     bridgekey.DeploymentID
	random [16]byte
}

var redemptionSeed = maphash.MakeSeed()

func (k *redemptionKey) fingerprint() uint64 {
	var b [1 + 8 + 16]byte
	b[0] = k.role
	copy(b[1:], k.id[:])
	copy(b[9:], k.random[:])
	return maphash.Bytes(redemptionSeed, b[:])
}

// globalRedemptions is shared by every bridge handler in the process.
var globalRedemptions = &redemptions{perShard: perShardMax}

// claimResult is the outcome of a claim.
type claimResult int

const (
	claimed claimResult = iota
	alreadyClaimed
	storeFull
)

// claim records k, of a token issued at issued (unix ms), as redeemed.
// now is the current time in unix ms.
func (r *redemptions) claim(k redemptionKey, issued, now int64) claimResult {
	horizon := r.horizon.Load()
	fp := k.fingerprint()
	s := &r.shards[fp%redemptionShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[uint64]int64)
		s.lastSweep = now
	}
	if iss, ok := s.m[fp]; ok && iss+horizon >= now {
		return alreadyClaimed
	}
	full := len(s.m) >= r.perShard
	if now-s.lastSweep >= redemptionSweepGap || full && now-s.lastSweep >= fullSweepGap {
		for key, iss := range s.m {
			if iss+horizon < now {
				delete(s.m, key)
			}
		}
		s.lastSweep = now
		full = len(s.m) >= r.perShard
	}
	if full {
		return storeFull
	}
	s.m[fp] = issued
	return claimed
}
