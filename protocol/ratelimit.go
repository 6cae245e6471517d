package protocol

// bucket is a token bucket over the bridge's clock: it holds up to burst
// tokens, refills at rate tokens per millisecond, and each inbound
// message takes one. The clock is the wall clock (Clock.Now, Date.now in
// a browser), which the system may set back or forward: a step back
// only restarts the count from the new time, and a step forward refills
// at most up to the burst.
type bucket struct {
	off    bool
	rate   float64
	burst  float64
	tokens float64
	last   int64
}

func newBucket(perSecond float64, burst int, now int64) bucket {
	if perSecond < 0 || burst < 0 {
		return bucket{off: true}
	}
	return bucket{rate: perSecond / 1000, burst: float64(burst), tokens: float64(burst), last: now}
}

// take takes a token at time now, reporting whether there was one.
func (b *bucket) take(now int64) bool {
	if b.off {
		return true
	}
	switch {
	case now > b.last:
		b.tokens += float64(now-b.last) * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	case now < b.last:
		// The clock was set back. Waiting for it to catch up with last
		// would stop the refill for as long as the step (an hour, say)
		// and drop everything after the burst; counting from now loses
		// at most the refill since the last message.
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
