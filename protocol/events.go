package protocol

// listener is a function registered with On.
type listener struct {
	id uint64
	f  func(Value)
}

// eventWaiter is a pending WaitForEvent.
type eventWaiter struct {
	name        string
	timer       Timer
	removeAbort func()
	done        func(Value, *Error)
}

// eventRegistry holds event listeners and waiters, as the SDK's
// BridgeEventRegistry (src/host/bridge-events.ts): listeners run in the
// order they were added, then every waiter for the name resolves.
type eventRegistry struct {
	listeners map[string][]listener
	waiters   []*eventWaiter
	next      uint64

	// removals counts listener removals (each remove, each
	// clearListeners), so that a dispatch can tell that its snapshot may
	// hold a listener that is gone.
	removals uint64
}

// on adds f as a listener of name and returns the function that removes
// it.
func (r *eventRegistry) on(name string, f func(Value)) func() {
	if r.listeners == nil {
		r.listeners = make(map[string][]listener)
	}
	r.next++
	id := r.next
	r.listeners[name] = append(r.listeners[name], listener{id: id, f: f})
	return func() {
		ls := r.listeners[name]
		for i, l := range ls {
			if l.id != id {
				continue
			}
			// Copy, so that a dispatch in progress keeps its snapshot
			// (and skips l through removals).
			r.removals++
			rest := make([]listener, 0, len(ls)-1)
			rest = append(append(rest, ls[:i]...), ls[i+1:]...)
			if len(rest) == 0 {
				delete(r.listeners, name)
			} else {
				r.listeners[name] = rest
			}
			return
		}
	}
}

// has reports whether the listener id of name is still registered.
func (r *eventRegistry) has(name string, id uint64) bool {
	for _, l := range r.listeners[name] {
		if l.id == id {
			return true
		}
	}
	return false
}

// wait calls done with the payload of the next event name, or fails it
// with EVENT_WAIT_TIMEOUT after timeoutMs or OPERATION_ABORTED when sig
// aborts.
func (r *eventRegistry) wait(name string, timeoutMs int64, sig Signal, clock Clock, done func(Value, *Error)) {
	w := &eventWaiter{name: name, done: done}
	w.timer = clock.AfterFunc(timeoutMs, func() {
		if r.remove(w) {
			done(nil, errEventTimeout(name, timeoutMs))
		}
	})
	if sig != nil {
		w.removeAbort = sig.OnAbort(func() {
			if r.remove(w) {
				done(nil, errAborted(Details{"name": name}))
			}
		})
	}
	r.waiters = append(r.waiters, w)
}

// remove takes w out of the waiters, stopping its timer and abort
// listener, and reports whether it was there.
func (r *eventRegistry) remove(w *eventWaiter) bool {
	for i, x := range r.waiters {
		if x != w {
			continue
		}
		r.waiters = append(r.waiters[:i], r.waiters[i+1:]...)
		w.timer.Stop()
		if w.removeAbort != nil {
			w.removeAbort()
		}
		return true
	}
	return false
}

// dispatch delivers an event to the listeners of name, then resolves the
// waiters for it. As with a DOM EventTarget, the listeners are those
// registered when the event arrives: one that a listener adds waits for
// the next event, and one that a listener removes (or that goes because a
// listener destroyed the bridge, which removes them all) does not run.
func (r *eventRegistry) dispatch(name string, payload Value) {
	removals := r.removals
	for _, l := range r.listeners[name] {
		if r.removals != removals && !r.has(name, l.id) {
			continue
		}
		l.f(payload)
	}
	if len(r.waiters) == 0 {
		return
	}
	var matched []*eventWaiter
	for _, w := range r.waiters {
		if w.name == name {
			matched = append(matched, w)
		}
	}
	for _, w := range matched {
		if r.remove(w) {
			w.done(payload, nil)
		}
	}
}

// rejectWaiters fails every waiter with err.
func (r *eventRegistry) rejectWaiters(err *Error) {
	waiters := r.waiters
	r.waiters = nil
	for _, w := range waiters {
		w.timer.Stop()
		if w.removeAbort != nil {
			w.removeAbort()
		}
		w.done(nil, err)
	}
}

// clearListeners removes every listener.
func (r *eventRegistry) clearListeners() {
	r.listeners = nil
	r.removals++
}
