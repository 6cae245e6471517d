package caddybridge

import (
	"encoding/binary"
	"testing"
)

func key(role byte, n uint64) redemptionKey {
	k := redemptionKey{role: role}
	binary.BigEndian.PutUint64(k.random[:], n)
	return k
}

func TestRedemptions(t *testing.T) {
	r := &redemptions{perShard: 2}
	const now = 1_000_000
	if got := r.claim(key('e', 1), now+100, now); got != claimed {
		t.Fatalf("first claim: %v", got)
	}
	if got := r.claim(key('e', 1), now+100, now+50); got != alreadyClaimed {
		t.Errorf("second claim: %v", got)
	}
	if got := r.claim(key('p', 1), now+100, now+50); got != claimed {
		t.Errorf("the other role: %v", got)
	}
	// After expiry the entry is forgotten (the token itself is refused as
	// expired before it gets here).
	if got := r.claim(key('e', 1), now+300, now+101); got != claimed {
		t.Errorf("claim after expiry: %v", got)
	}

	// A full shard refuses rather than forget a live entry, and takes new
	// ones again once a sweep has removed expired entries.
	var shard uint64
	var same []redemptionKey
	for n := uint64(100); len(same) < 3; n++ {
		k := key('e', n)
		fp := k.fingerprint() % redemptionShards
		if len(same) == 0 {
			shard = fp
		}
		if fp == shard {
			same = append(same, k)
		}
	}
	r = &redemptions{perShard: 2}
	r.claim(same[0], now+100, now)
	r.claim(same[1], now+5000, now)
	if got := r.claim(same[2], now+5000, now+10); got != storeFull {
		t.Errorf("claim in a full shard: %v", got)
	}
	if got := r.claim(same[0], now+100, now+20); got != alreadyClaimed {
		t.Errorf("a live entry of a full shard: %v", got)
	}
	if got := r.claim(same[2], now+5000, now+fullSweepGap+200); got != claimed {
		t.Errorf("claim after the expired entry was swept: %v", got)
	}
}
