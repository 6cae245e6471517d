//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/caddybridge/caddy-bridge/protocol"
)

// jsValue implements protocol.Value over a js.Value.
type jsValue struct {
	v js.Value
}

// undefinedValue is undefined as a protocol.Value, boxed once: a jsValue
// in an interface is an allocation.
var undefinedValue protocol.Value = jsValue{js.Undefined()}

// wrap returns v as a protocol.Value.
func wrap(v js.Value) protocol.Value { return jsValue{v} }

// payloadOf returns a payload given by JavaScript, or nil for undefined
// (no payload member is sent).
func payloadOf(v js.Value) protocol.Value {
	if v.IsUndefined() {
		return nil
	}
	return jsValue{v}
}

func (j jsValue) Kind() protocol.Kind {
	switch typeOf(j.v) {
	case js.TypeUndefined:
		return protocol.KindUndefined
	case js.TypeNull:
		return protocol.KindNull
	case js.TypeBoolean:
		return protocol.KindBool
	case js.TypeNumber:
		return protocol.KindNumber
	case js.TypeString:
		return protocol.KindString
	case js.TypeObject:
		if jsIsArray.Invoke(j.v).Bool() {
			return protocol.KindArray
		}
		return protocol.KindObject
	}
	return protocol.KindOther
}

func (j jsValue) Bool() bool {
	if typeOf(j.v) != js.TypeBoolean {
		return false
	}
	return j.v.Bool()
}

func (j jsValue) Float() float64 {
	if typeOf(j.v) != js.TypeNumber {
		return 0
	}
	return j.v.Float()
}

func (j jsValue) String() string {
	if typeOf(j.v) != js.TypeString {
		return ""
	}
	return j.v.String()
}

func (j jsValue) Get(name string) protocol.Value {
	if typeOf(j.v) != js.TypeObject {
		return undefinedValue
	}
	return jsValue{j.v.Get(name)}
}

func (j jsValue) Has(name string) bool {
	if typeOf(j.v) != js.TypeObject {
		return false
	}
	return jsHasOwn.Invoke(j.v, name).Bool()
}

func (j jsValue) Size(limit int) int {
	switch typeOf(j.v) {
	case js.TypeString:
		return j.v.Length() + 2
	case js.TypeObject:
		return hostSize.Invoke(j.v, limit).Int()
	}
	return 8
}

// toJS returns the JavaScript value of a protocol.Value: the wrapped
// js.Value, or for other implementations their scalar value.
func toJS(v protocol.Value) js.Value {
	switch x := v.(type) {
	case nil:
		return js.Undefined()
	case jsValue:
		return x.v
	case heldValue:
		return x.js()
	}
	switch v.Kind() {
	case protocol.KindNull:
		return js.Null()
	case protocol.KindBool:
		return js.ValueOf(v.Bool())
	case protocol.KindNumber:
		return js.ValueOf(v.Float())
	case protocol.KindString:
		return js.ValueOf(v.String())
	}
	return js.Undefined()
}
