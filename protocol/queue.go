package protocol

// queuedOp is an operation waiting for the handshake.
type queuedOp struct {
	run         func()
	fail        func(*Error)
	removeAbort func()
}

// opQueue is the parent's pre-ready queue, as the SDK's PreReadyQueue
// (src/messaging/pre-ready-queue.ts): at most max operations wait; one
// more fails with QUEUE_LIMIT_EXCEEDED; flush runs them in order once;
// close fails them with the bridge's terminal error.
type opQueue struct {
	max     int
	items   []*queuedOp
	flushed bool
	closed  bool
}

// enqueue queues run, or fails it with QUEUE_LIMIT_EXCEEDED when the
// queue is full. The parent calls it only before the handshake and with
// a signal that has not aborted; once the queue is flushed or closed the
// parent runs or fails operations itself.
func (q *opQueue) enqueue(sig Signal, run func(), fail func(*Error)) {
	if len(q.items) >= q.max {
		fail(errQueueLimit(q.max))
		return
	}
	op := &queuedOp{run: run, fail: fail}
	if sig != nil {
		op.removeAbort = sig.OnAbort(func() {
			if q.remove(op) {
				fail(errAborted(nil))
			}
		})
	}
	q.items = append(q.items, op)
}

// remove takes op out of the queue, reporting whether it was there.
func (q *opQueue) remove(op *queuedOp) bool {
	for i, x := range q.items {
		if x == op {
			q.items = append(q.items[:i], q.items[i+1:]...)
			return true
		}
	}
	return false
}

// flush runs the queued operations in order, once.
func (q *opQueue) flush() {
	if q.closed || q.flushed {
		return
	}
	q.flushed = true
	items := q.items
	q.items = nil
	for _, op := range items {
		if op.removeAbort != nil {
			op.removeAbort()
		}
		op.run()
	}
}

// close fails the queued operations with err, once.
func (q *opQueue) close(err *Error) {
	if q.closed {
		return
	}
	q.closed = true
	items := q.items
	q.items = nil
	for _, op := range items {
		if op.removeAbort != nil {
			op.removeAbort()
		}
		op.fail(err)
	}
}

// size returns the number of queued operations.
func (q *opQueue) size() int {
	return len(q.items)
}
