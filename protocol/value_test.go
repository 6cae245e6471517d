package protocol

import (
	"encoding/json"
	"math"
	"testing"
)

func TestGoValue(t *testing.T) {
	tests := []struct {
		in   any
		kind Kind
	}{
		{Undefined, KindUndefined},
		{nil, KindNull},
		{true, KindBool},
		{1.5, KindNumber},
		{float32(1), KindNumber},
		{int(1), KindNumber},
		{int8(1), KindNumber},
		{int16(1), KindNumber},
		{int32(1), KindNumber},
		{int64(1), KindNumber},
		{uint(1), KindNumber},
		{uint8(1), KindNumber},
		{uint16(1), KindNumber},
		{uint32(1), KindNumber},
		{uint64(1), KindNumber},
		{"s", KindString},
		{map[string]any{}, KindObject},
		{[]any{}, KindArray},
		{func() {}, KindOther},
	}
	for _, tt := range tests {
		v := GoValue(tt.in)
		if v.Kind() != tt.kind {
			t.Errorf("GoValue(%T).Kind() = %v, want %v", tt.in, v.Kind(), tt.kind)
		}
		if tt.kind == KindNumber && v.Float() != 1 && v.Float() != 1.5 {
			t.Errorf("GoValue(%T).Float() = %v", tt.in, v.Float())
		}
	}
	if GoValue("s").Float() != 0 || GoValue(1.0).String() != "" || GoValue("x").Bool() || !GoValue(true).Bool() {
		t.Fatal("accessors of the wrong kind")
	}
	if GoValue("s").Get("x").Kind() != KindUndefined || GoValue("s").Has("x") {
		t.Fatal("members of a non-object")
	}
	o := GoValue(map[string]any{"a": Undefined, "b": nil})
	if !o.Has("a") || o.Get("a").Kind() != KindUndefined || o.Has("c") || o.Get("b").Kind() != KindNull {
		t.Fatal("Has and Get")
	}
	for k, want := range map[Kind]string{KindUndefined: "undefined", KindObject: "object", KindArray: "array", KindOther: "other", Kind(99): "other"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q", k, k.String())
		}
	}
	if kindOf(nil) != KindUndefined {
		t.Fatal("nil Value")
	}
}

// TestGoValueSize checks Size against the JSON text's length.
func TestGoValueSize(t *testing.T) {
	values := []any{
		nil, true, false, 12.5, "héllo", map[string]any{"a": 1.0, "bb": []any{"x", nil, true}},
		[]any{map[string]any{}, []any{}}, map[string]any{"u": Undefined},
	}
	for _, v := range values {
		got := GoValue(v).Size(1 << 20)
		b, _ := json.Marshal(toGo(GoValue(v)))
		if diff := got - len(b); diff < -2 || diff > 2 {
			t.Errorf("Size(%v) = %d, JSON is %d bytes", v, got, len(b))
		}
	}
	if GoValue(math.Inf(1)).Size(100) != 4 || GoValue(func() {}).Size(100) != 8 {
		t.Fatal("odd numbers and other kinds")
	}
	big := map[string]any{"a": make([]any, 1000), "b": map[string]any{"c": "x"}}
	for i := range 1000 {
		big["a"].([]any)[i] = "0123456789"
	}
	if n := GoValue(big).Size(100); n <= 100 || n > 200 {
		t.Fatalf("Size stops early: %d", n)
	}
	if n := GoValue([]any{"0123456789", "0123456789"}).Size(5); n <= 5 || n > 20 {
		t.Fatalf("array stop: %d", n)
	}
	nested := map[string]any{"v": &opaque{GoValue("abc")}, "w": GoValue(map[string]any{"x": 1.0})}
	if n := GoValue(nested).Size(1000); n < 20 {
		t.Fatalf("nested Values: %d", n)
	}
}

func TestStatsNames(t *testing.T) {
	seen := map[string]bool{}
	for r := DropReason(1); r < numDropReasons; r++ {
		if r.String() == "" || seen[r.String()] || r.Code() == "" {
			t.Errorf("reason %d: %q %q", r, r.String(), r.Code())
		}
		seen[r.String()] = true
	}
	if DropReason(200).String() != "unknown" || DropReason(200).Code() != CodeMessageIgnored {
		t.Fatal("out of range")
	}
	if DropMAC.Code() != CodeAuthFailed || DropReplay.Code() != CodeReplayRejected || DropKID.Code() != CodeKeyUnavailable {
		t.Fatal("signing codes")
	}
	s := Stats{}
	s.Dropped[DropMAC] = 2
	s.Dropped[DropRate] = 3
	if s.DroppedTotal() != 5 {
		t.Fatal("total")
	}
}

func TestAbortController(t *testing.T) {
	ac := NewAbortController()
	var calls []int
	remove1 := ac.Signal().OnAbort(func() { calls = append(calls, 1) })
	ac.Signal().OnAbort(func() { calls = append(calls, 2) })
	remove1()
	remove1()
	ac.Abort()
	ac.Abort()
	if len(calls) != 1 || calls[0] != 2 || !ac.Aborted() {
		t.Fatalf("calls %v", calls)
	}
	ac.OnAbort(func() { t.Fatal("registered after abort") })()
}

func TestBucket(t *testing.T) {
	b := newBucket(1000, 2, 0)
	if !b.take(0) || !b.take(0) || b.take(0) {
		t.Fatal("burst")
	}
	if !b.take(1) || b.take(1) {
		t.Fatal("refill of one per millisecond")
	}
	if !b.take(100) || !b.take(100) || b.take(100) {
		t.Fatal("refill capped at the burst")
	}
	// A clock set back restarts the count from the new time; one set
	// forward refills no more than the burst.
	for _, tt := range []struct {
		step   int64
		tokens int // what the empty bucket has at once after the step
	}{
		{-1, 0},
		{-5000, 0},
		{-3_600_000, 0},
		{3_600_000, 2},
	} {
		b := newBucket(1000, 2, 1000)
		b.take(1000)
		b.take(1000)
		now := 1000 + tt.step
		n := 0
		for b.take(now) {
			n++
		}
		if n != tt.tokens {
			t.Fatalf("step %d: %d tokens at once, want %d", tt.step, n, tt.tokens)
		}
		if !b.take(now+1) || b.take(now+1) || !b.take(now+2) || b.take(now+2) {
			t.Fatalf("step %d: no refill of one per millisecond after the step", tt.step)
		}
	}
	off := newBucket(-1, 0, 0)
	for range 100 {
		if !off.take(0) {
			t.Fatal("a disabled bucket refused")
		}
	}
}

func TestErrorBasics(t *testing.T) {
	e := newError(CodeRequestTimeout, "Request timed out.", nil)
	if e.Error() != "REQUEST_TIMEOUT: Request timed out." || e.Is(errorString("x")) || AsError(nil) != nil {
		t.Fatal(e)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
