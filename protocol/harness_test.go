package protocol

import (
	"encoding/json"
	"errors"
	"sort"
	"testing"

	"github.com/caddybridge/caddy-bridge/bridgekey"
)

// This file is the in-memory browser of the tests: a fake clock, two
// windows, MessageChannels, and a task queue that delivers posted
// messages asynchronously, in order, as the browser's event loop does.

const (
	testParentOrigin = "https://shop.example"
	testChildOrigin  = "https://widget.example"
	testSession      = "AQAAAAAAAAAAtestsessiontokenxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	testStartMs      = 1_750_000_000_000
)

// testKey is the session key of the tests.
var testKey = func() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i*7 + 1)
	}
	return k
}()

var testKID = bridgekey.KeyID(testKey)

// fakeClock is a manual clock.
type fakeClock struct {
	now    int64
	seq    int
	timers []*fakeTimer
}

type fakeTimer struct {
	c   *fakeClock
	at  int64
	seq int
	f   func()
}

func (c *fakeClock) Now() int64 { return c.now }

func (c *fakeClock) AfterFunc(ms int64, f func()) Timer {
	c.seq++
	t := &fakeTimer{c: c, at: c.now + ms, seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() {
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return
		}
	}
}

// active returns the number of timers that have not fired or stopped.
func (c *fakeClock) active() int { return len(c.timers) }

// next returns the earliest timer due at or before until.
func (c *fakeClock) next(until int64) *fakeTimer {
	sort.SliceStable(c.timers, func(i, j int) bool {
		if c.timers[i].at != c.timers[j].at {
			return c.timers[i].at < c.timers[j].at
		}
		return c.timers[i].seq < c.timers[j].seq
	})
	if len(c.timers) == 0 || c.timers[0].at > until {
		return nil
	}
	return c.timers[0]
}

// window is a window handle.
type window struct{ name string }

// post is a message a transport posted, as recorded.
type post struct {
	from   string // "parent" or "child"
	onPort bool
	target string
	env    Envelope
	port   bool
}

// world is the browser: a parent page, an iframe, a clock and a task
// queue.
type world struct {
	t          testing.TB
	clock      *fakeClock
	tasks      []func()
	parentWin  *window // the parent page's window, window.parent to the child
	childWin   *window // the iframe's contentWindow
	parent     *Parent
	child      *Child
	toParent   func(Message)
	toChild    func(Message)
	posts      []post
	failWindow bool
	// cloneFails says which envelopes' v1 payloads the child's window
	// cannot clone (postMessage's DataCloneError), or nil.
	cloneFails func(env *Envelope) bool
	rand       *countReader
	record     bool
}

func newWorld(t testing.TB) *world {
	w := &world{
		t:         t,
		clock:     &fakeClock{now: testStartMs},
		parentWin: &window{"parent"},
		childWin:  &window{"iframe"},
		rand:      &countReader{},
		record:    true,
	}
	w.toParent = func(m Message) {
		if w.parent != nil {
			w.parent.HandleMessage(m)
		}
	}
	w.toChild = func(m Message) {
		if w.child != nil {
			w.child.HandleMessage(m)
		}
	}
	return w
}

// run drains the task queue.
func (w *world) run() {
	for n := 0; len(w.tasks) > 0; n++ {
		if n > 1_000_000 {
			w.t.Fatal("task queue does not drain")
		}
		task := w.tasks[0]
		w.tasks = w.tasks[1:]
		task()
	}
}

// advance moves the clock by ms, firing due timers in order and draining
// the task queue after each.
func (w *world) advance(ms int64) {
	w.run()
	until := w.clock.now + ms
	for {
		t := w.clock.next(until)
		if t == nil {
			break
		}
		t.Stop()
		w.clock.now = t.at
		t.f()
		w.run()
	}
	w.clock.now = until
	w.run()
}

// parentTransport is the parent page's transport.
type parentTransport struct{ w *world }

func (p parentTransport) PostWindow(env *Envelope, target string, transfer Port) error {
	w := p.w
	if w.failWindow {
		return errors.New("window gone")
	}
	if w.record {
		w.posts = append(w.posts, post{from: "parent", target: target, env: *env, port: transfer != nil})
	}
	data := envelopeValue(env)
	if target != testChildOrigin {
		return nil // the browser drops it silently
	}
	w.tasks = append(w.tasks, func() {
		w.toChild(Message{Origin: testParentOrigin, Source: w.parentWin, Data: data, Port: transfer})
	})
	return nil
}

func (p parentTransport) NewChannel() (Port, Port, error) {
	a, b := newPortPair(p.w, "parent", "child")
	return a, b, nil
}

// childTransport is the iframe's transport.
type childTransport struct{ w *world }

func (c childTransport) PostWindow(env *Envelope, target string, transfer Port) error {
	w := c.w
	if w.failWindow {
		return errors.New("window gone")
	}
	if w.cloneFails != nil && env.Payload != nil && w.cloneFails(env) {
		return &Error{Code: CodeMessageInvalidPayload, Message: "Bridge payload cannot be cloned."}
	}
	if w.record {
		w.posts = append(w.posts, post{from: "child", target: target, env: *env, port: transfer != nil})
	}
	data := envelopeValue(env)
	if target != testParentOrigin {
		return nil
	}
	w.tasks = append(w.tasks, func() {
		w.toParent(Message{Origin: testChildOrigin, Source: w.childWin, Data: data, Port: transfer})
	})
	return nil
}

func (c childTransport) NewChannel() (Port, Port, error) {
	return nil, nil, errors.New("the child creates no channels")
}

// memPort is one end of an in-memory MessageChannel.
type memPort struct {
	w       *world
	owner   string
	peer    *memPort
	handler func(Value)
	closed  bool
	fail    bool
}

func newPortPair(w *world, a, b string) (*memPort, *memPort) {
	pa := &memPort{w: w, owner: a}
	pb := &memPort{w: w, owner: b}
	pa.peer, pb.peer = pb, pa
	return pa, pb
}

func (p *memPort) Post(env *Envelope) error {
	if p.closed || p.fail {
		return errors.New("port closed")
	}
	w := p.w
	if w.record {
		w.posts = append(w.posts, post{from: p.owner, onPort: true, env: *env})
	}
	data := envelopeValue(env)
	peer := p.peer
	w.tasks = append(w.tasks, func() {
		if !peer.closed && peer.handler != nil {
			peer.handler(data)
		}
	})
	return nil
}

func (p *memPort) SetHandler(h func(Value)) { p.handler = h }

func (p *memPort) Close() { p.closed = true }

// envelopeValue is what the WebAssembly layer builds from an Envelope, and
// the structured clone delivers: a plain object.
func envelopeValue(env *Envelope) Value {
	m := map[string]any{
		"protocol":  env.Protocol,
		"version":   float64(env.Version),
		"sessionId": env.SessionID,
		"type":      env.Type,
	}
	if env.Name != "" {
		m["name"] = env.Name
	}
	if env.RequestID != "" {
		m["requestId"] = env.RequestID
	}
	if env.Version == Version1 {
		if env.Payload != nil {
			m["payload"] = env.Payload
		}
		if env.Error != nil {
			e := map[string]any{"code": env.Error.Code, "message": env.Error.Message}
			if env.Error.Data != nil {
				e["data"] = env.Error.Data
			}
			m["error"] = e
		}
		return GoValue(m)
	}
	m["body"] = env.Body
	m["auth"] = map[string]any{
		"kid": env.Auth.KID,
		"seq": float64(env.Auth.Seq),
		"ts":  float64(env.Auth.TS),
		"mac": env.Auth.MAC,
	}
	return GoValue(m)
}

// jsonCodec is the tests' JSON.stringify and JSON.parse.
type jsonCodec struct{}

func (jsonCodec) Encode(v Value) (string, error) {
	if kindOf(v) == KindUndefined {
		return "", nil
	}
	b, err := json.Marshal(toGo(v))
	return string(b), err
}

func (jsonCodec) Decode(text string) (Value, error) {
	if text == "" {
		return Undefined, nil
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, err
	}
	return GoValue(v), nil
}

// toGo unwraps Values nested in Go data.
func toGo(v any) any {
	switch x := v.(type) {
	case goValue:
		return toGo(x.v)
	case Value:
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, m := range x {
			if _, undef := m.(undefinedMarker); undef {
				continue
			}
			out[k] = toGo(m)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = toGo(m)
		}
		return out
	}
	return v
}

// countReader is deterministic randomness.
type countReader struct{ n byte }

func (r *countReader) Read(b []byte) (int, error) {
	for i := range b {
		r.n++
		b[i] = r.n
	}
	return len(b), nil
}

// failReader fails.
type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func (w *world) runtime(parent bool) Runtime {
	rt := Runtime{Clock: w.clock, Codec: jsonCodec{}, Rand: w.rand}
	if parent {
		rt.Transport = parentTransport{w}
	} else {
		rt.Transport = childTransport{w}
	}
	return rt
}

func (w *world) parentConfig(s Signing) ParentConfig {
	return ParentConfig{
		SessionID: testSession,
		Origin:    testChildOrigin,
		Window:    w.childWin,
		Signing:   s,
		Key:       testKey,
		KeyID:     testKID,
		Runtime:   w.runtime(true),
	}
}

func (w *world) childConfig(s Signing) ChildConfig {
	return ChildConfig{
		SessionID:    testSession,
		ParentOrigin: testParentOrigin,
		Window:       w.parentWin,
		Signing:      s,
		Key:          testKey,
		KeyID:        testKID,
		Runtime:      w.runtime(false),
	}
}

// newParent creates and mounts a parent.
func (w *world) newParent(cfg ParentConfig) *Parent {
	w.t.Helper()
	p, err := NewParent(cfg)
	if err != nil {
		w.t.Fatalf("NewParent: %v", err)
	}
	w.parent = p
	p.Mount()
	return p
}

// newChild creates and starts a child.
func (w *world) newChild(cfg ChildConfig) *Child {
	w.t.Helper()
	c, err := NewChild(cfg)
	if err != nil {
		w.t.Fatalf("NewChild: %v", err)
	}
	w.child = c
	if err := c.Start(); err != nil {
		w.t.Fatalf("Start: %v", err)
	}
	return c
}

// connect runs a handshake between a new parent and a new child.
func connect(t testing.TB, parentSigning, childSigning Signing) *world {
	t.Helper()
	w := newWorld(t)
	w.newParent(w.parentConfig(parentSigning))
	w.newChild(w.childConfig(childSigning))
	w.run()
	if w.parent.State() != StateReady || w.child.State() != StateConnected {
		t.Fatalf("handshake: parent %s, child %s", w.parent.State(), w.child.State())
	}
	return w
}

// postsOf returns the recorded posts of a type.
func (w *world) postsOf(typ string) []post {
	var out []post
	for _, p := range w.posts {
		if p.env.Type == typ {
			out = append(out, p)
		}
	}
	return out
}

// result records a callback's outcome.
type result struct {
	called int
	value  Value
	err    *Error
}

func (r *result) done(v Value, err *Error) {
	r.called++
	r.value, r.err = v, err
}

func (r *result) doneErr(err *Error) {
	r.called++
	r.err = err
}

// wantErr checks that the callback ran once with an error of code.
func (r *result) wantErr(t testing.TB, code string) *Error {
	t.Helper()
	if r.called != 1 {
		t.Fatalf("callback ran %d times, want 1", r.called)
	}
	if r.err == nil || r.err.Code != code {
		t.Fatalf("error = %v, want %s", r.err, code)
	}
	return r.err
}

// wantOK checks that the callback ran once without an error.
func (r *result) wantOK(t testing.TB) Value {
	t.Helper()
	if r.called != 1 || r.err != nil {
		t.Fatalf("callback ran %d times, error %v; want once without error", r.called, r.err)
	}
	return r.value
}

// pending checks that the callback has not run.
func (r *result) pending(t testing.TB) {
	t.Helper()
	if r.called != 0 {
		t.Fatalf("callback ran %d times (error %v), want 0", r.called, r.err)
	}
}

// obj is shorthand for a GoValue object.
func obj(m map[string]any) Value { return GoValue(m) }

// v1msg builds a raw v1 envelope as a plain object.
func v1msg(typ string, extra map[string]any) Value {
	m := map[string]any{"protocol": ProtocolName, "version": 1.0, "sessionId": testSession, "type": typ}
	for k, v := range extra {
		m[k] = v
	}
	return GoValue(m)
}

// signer signs v2 envelopes as a peer would, for forged and crafted
// messages.
type signer struct {
	key []byte
	kid string
	dir string
	seq uint64
	now int64
}

func (s *signer) env(typ, name, requestID, body string) *Envelope {
	s.seq++
	env := &Envelope{Protocol: ProtocolName, Version: Version2, SessionID: testSession, Type: typ,
		Name: name, RequestID: requestID, Body: body}
	env.Auth = Auth{KID: s.kid, Seq: s.seq, TS: s.now}
	in := macInput(env, s.dir)
	env.Auth.MAC = bridgekey.MACString(s.key, &in)
	return env
}

// opaque is a payload with identity, to check that v1 passes payloads
// through untouched.
type opaque struct{ Value }
