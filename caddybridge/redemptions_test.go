package caddybridge

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func key(role byte, n uint64) redemptionKey {
	k := redemptionKey{role: role}
	binary.BigEndian.PutUint64(k.random[:], n)
	return k
}

func TestRedemptions(t *testing.T) {
	r := &redemptions{perShard: 2}
	r.noteTTL(100)
	const now = 1_000_000
	if got := r.claim(key('e', 1), now, now); got != claimed {
		t.Fatalf("first claim: %v", got)
	}
	if got := r.claim(key('e', 1), now, now+50); got != alreadyClaimed {
		t.Errorf("second claim: %v", got)
	}
	if got := r.claim(key('p', 1), now, now+50); got != claimed {
		t.Errorf("the other role: %v", got)
	}
	// After expiry the entry is forgotten (the token itself is refused as
	// expired before it gets here).
	if got := r.claim(key('e', 1), now, now+101); got != claimed {
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
	r.noteTTL(5000)
	r.claim(same[0], now-4900, now) // expires at now+100
	r.claim(same[1], now, now)
	if got := r.claim(same[2], now, now+10); got != storeFull {
		t.Errorf("claim in a full shard: %v", got)
	}
	if got := r.claim(same[0], now-4900, now+20); got != alreadyClaimed {
		t.Errorf("a live entry of a full shard: %v", got)
	}
	if got := r.claim(same[2], now, now+fullSweepGap+200); got != claimed {
		t.Errorf("claim after the expired entry was swept: %v", got)
	}
}

// TestRedemptionsLongerTTLLater: a handler with a longer token_ttl,
// provisioned after a token was redeemed (a reload, or another route),
// does not make it redeemable again: the memory keeps every entry for the
// longest token_ttl seen, which never shrinks.
func TestRedemptionsLongerTTLLater(t *testing.T) {
	r := &redemptions{perShard: 100}
	r.noteTTL(3_000)
	const issued = 1_000_000
	if got := r.claim(key('e', 7), issued, issued+10); got != claimed {
		t.Fatalf("first claim: %v", got)
	}
	r.noteTTL(60_000) // the reload
	r.noteTTL(1_000)  // a shorter one never lowers it
	if got := r.claim(key('e', 7), issued, issued+4_000); got != alreadyClaimed {
		t.Errorf("after a reload to a longer token_ttl, past the old one: %v, want alreadyClaimed", got)
	}
	if got := r.claim(key('e', 7), issued, issued+60_001); got != claimed {
		t.Errorf("past the longest token_ttl: %v", got)
	}
}

// TestProvisionRaisesRedemptionHorizon: provisioning a handler makes the
// process's redemption memory keep entries at least its token_ttl.
func TestProvisionRaisesRedemptionHorizon(t *testing.T) {
	provisionTest(t, &Handler{
		Embed:    []Peers{{Origins: []string{"https://widget.example.com"}, Secret: testSecretB64}},
		TokenTTL: caddy.Duration(37 * time.Minute),
	})
	if got := time.Duration(globalRedemptions.horizon.Load()) * time.Millisecond; got < 37*time.Minute {
		t.Errorf("redemption horizon %v after provisioning a 37m token_ttl", got)
	}
}
