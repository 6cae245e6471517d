package protocol

import (
	"math"
	"strconv"
)

// Undefined is JavaScript's undefined as a Value. As a member of a
// map[string]any given to GoValue it is a property that exists and holds
// undefined, which Has reports and Get returns as KindUndefined.
var Undefined Value = goValue{v: undefinedMarker{}}

// undefinedMarker is the Go stand-in for undefined.
type undefinedMarker struct{}

// goValue implements Value over plain Go values.
type goValue struct {
	v any
}

// GoValue returns v as a Value. It understands the types that
// encoding/json decodes into (nil as null, bool, float64, string,
// map[string]any, []any), the other Go integer and float types as
// numbers, Undefined, and Values nested anywhere inside, which it returns
// as they are; any other type is KindOther. It is meant for tests and for
// hosts without JavaScript.
func GoValue(v any) Value {
	if val, ok := v.(Value); ok {
		return val
	}
	return goValue{v: v}
}

// Kind implements Value.
func (g goValue) Kind() Kind {
	switch g.v.(type) {
	case undefinedMarker:
		return KindUndefined
	case nil:
		return KindNull
	case bool:
		return KindBool
	case float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return KindNumber
	case string:
		return KindString
	case map[string]any:
		return KindObject
	case []any:
		return KindArray
	}
	return KindOther
}

// Bool implements Value.
func (g goValue) Bool() bool {
	b, _ := g.v.(bool)
	return b
}

// Float implements Value.
func (g goValue) Float() float64 {
	switch n := g.v.(type) {
	case float64:
		return n
	case float32:
		return float64(n)
	case int:
		return float64(n)
	case int8:
		return float64(n)
	case int16:
		return float64(n)
	case int32:
		return float64(n)
	case int64:
		return float64(n)
	case uint:
		return float64(n)
	case uint8:
		return float64(n)
	case uint16:
		return float64(n)
	case uint32:
		return float64(n)
	case uint64:
		return float64(n)
	}
	return 0
}

// String implements Value.
func (g goValue) String() string {
	s, _ := g.v.(string)
	return s
}

// Get implements Value.
func (g goValue) Get(name string) Value {
	m, ok := g.v.(map[string]any)
	if !ok {
		return Undefined
	}
	member, ok := m[name]
	if !ok {
		return Undefined
	}
	return GoValue(member)
}

// Has implements Value.
func (g goValue) Has(name string) bool {
	m, ok := g.v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[name]
	return ok
}

// Size implements Value: the length of the value's JSON text, counting
// each string byte once, and stopping once the count passes limit.
func (g goValue) Size(limit int) int {
	return sizeOf(g.v, limit, 0)
}

// sizeOf adds the approximate JSON size of v to n, stopping once n passes
// limit.
func sizeOf(v any, limit, n int) int {
	if n > limit {
		return n
	}
	switch x := v.(type) {
	case Value:
		if gv, ok := x.(goValue); ok {
			return sizeOf(gv.v, limit, n)
		}
		return n + x.Size(limit-n)
	case undefinedMarker:
		return n
	case nil:
		return n + 4
	case bool:
		if x {
			return n + 4
		}
		return n + 5
	case string:
		return n + len(x) + 2
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return n + 4
		}
		var buf [32]byte
		return n + len(strconv.AppendFloat(buf[:0], x, 'g', -1, 64))
	case map[string]any:
		n += 2
		for k, member := range x {
			n = sizeOf(member, limit, n+len(k)+4)
			if n > limit {
				return n
			}
		}
		return n
	case []any:
		n += 2
		for _, member := range x {
			n = sizeOf(member, limit, n+1)
			if n > limit {
				return n
			}
		}
		return n
	}
	return n + 8
}
