package caddybridge

import (
	"hash/maphash"
	"sync"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// redemptions remembers which tokens have been redeemed, per role, until
// they expire, so that each token is redeemable once per role. It lives
// for the whole process, so config reloads neither forget redemptions
// nor lose issued tokens. Memory is bounded: expired entries are swept
// as shards are used, and a full store refuses new redemptions rather
// than forget live ones.
//
// Entries are 64-bit fingerprints of (role, deployment, token random)
// under a per-process random seed: two tokens share one only by a chance
// of 2^-64 per pair, and then the second is refused, never accepted.
type redemptions struct {
	perShard int // live entries a shard may hold
	shards   [redemptionShards]redemptionShard
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
	m         map[uint64]int64 // fingerprint -> expiry, unix ms
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

// claim records k as redeemed until expires (unix ms). now is the
// current time in unix ms.
func (r *redemptions) claim(k redemptionKey, expires, now int64) claimResult {
	fp := k.fingerprint()
	s := &r.shards[fp%redemptionShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[uint64]int64)
		s.lastSweep = now
	}
	if exp, ok := s.m[fp]; ok && exp >= now {
		return alreadyClaimed
	}
	full := len(s.m) >= r.perShard
	if now-s.lastSweep >= redemptionSweepGap || full && now-s.lastSweep >= fullSweepGap {
		for key, exp := range s.m {
			if exp < now {
				delete(s.m, key)
			}
		}
		s.lastSweep = now
		full = len(s.m) >= r.perShard
	}
	if full {
		return storeFull
	}
	s.m[fp] = expires
	return claimed
}
