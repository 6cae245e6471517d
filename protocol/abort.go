package protocol

// AbortController is a Go implementation of Signal for hosts without
// AbortController, and for tests. Like the rest of the package it is not
// safe for concurrent use.
type AbortController struct {
	aborted  bool
	next     uint64
	handlers []abortHandler
}

type abortHandler struct {
	id uint64
	f  func()
}

// NewAbortController returns a controller whose signal is not aborted.
func NewAbortController() *AbortController {
	return new(AbortController)
}

// Signal returns the controller's signal.
func (c *AbortController) Signal() Signal {
	return c
}

// Abort aborts the signal and calls the registered functions, in order,
// once. Later calls do nothing.
func (c *AbortController) Abort() {
	if c.aborted {
		return
	}
	c.aborted = true
	handlers := c.handlers
	c.handlers = nil
	for _, h := range handlers {
		h.f()
	}
}

// Aborted implements Signal.
func (c *AbortController) Aborted() bool {
	return c.aborted
}

// OnAbort implements Signal.
func (c *AbortController) OnAbort(f func()) func() {
	if c.aborted {
		return func() {}
	}
	c.next++
	id := c.next
	c.handlers = append(c.handlers, abortHandler{id: id, f: f})
	return func() {
		for i, h := range c.handlers {
			if h.id == id {
				c.handlers = append(c.handlers[:i], c.handlers[i+1:]...)
				return
			}
		}
	}
}

// Listeners returns how many functions wait for the signal: a test can
// check that a settled operation removed its own.
func (c *AbortController) Listeners() int {
	return len(c.handlers)
}
