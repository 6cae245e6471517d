package protocol

// Kind is the type of a JavaScript value, in the detail that envelope
// validation needs.
type Kind uint8

// The kinds of JavaScript values.
const (
	// KindUndefined is undefined, and what Get returns for a missing
	// property.
	KindUndefined Kind = iota

	// KindNull is null.
	KindNull

	// KindBool is a boolean.
	KindBool

	// KindNumber is a number.
	KindNumber

	// KindString is a string.
	KindString

	// KindObject is any object that is neither null nor an array
	// (typeof "object": plain objects, Date, Map and the like).
	KindObject

	// KindArray is an array.
	KindArray

	// KindOther is everything else: functions, symbols, bigints.
	KindOther
)

var kindNames = [...]string{"undefined", "null", "boolean", "number", "string", "object", "array", "other"}

// String returns the kind's name, such as "undefined" or "object".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "other"
}

// Value is a read-only view of a JavaScript value: an inbound message's
// data, or an application payload that the core passes through without
// looking inside. The WebAssembly layer implements it over js.Value; GoValue
// implements it over plain Go values for tests.
//
// The core reads only what envelope validation needs, and only after the
// origin and source checks have passed.
type Value interface {
	// Kind returns the value's kind.
	Kind() Kind

	// Bool returns a boolean's value; other kinds return false.
	Bool() bool

	// Float returns a number's value; other kinds return 0.
	Float() float64

	// String returns a string's value; other kinds return "".
	String() string

	// Get returns the property name of an object, or a value of kind
	// KindUndefined if there is none or the value is not an object. It
	// never returns nil.
	Get(name string) Value

	// Has reports whether an object has an own property name, even one
	// whose value is undefined (Object.hasOwn).
	Has(name string) bool

	// Size returns the approximate size of the value in bytes, as its
	// JSON text would have. An implementation may stop counting, and
	// return any number above limit, once the count passes limit.
	Size(limit int) int
}

// Message is an inbound message event from window.postMessage, as the
// WebAssembly layer hands it to Parent.HandleMessage or
// Child.HandleMessage.
type Message struct {
	// Origin is the event's origin.
	Origin string

	// Source is the event's source window, as an opaque handle. The core
	// compares it with == to the Window of the bridge's config, so the
	// handle's dynamic type must be comparable (a pointer or a small
	// integer id, not a js.Value).
	Source any

	// Data is the event's data.
	Data Value

	// Port is the first port transferred with the message, or nil. A
	// bridge adopts it only from a valid signed bridge:connected; any other
	// message's port is closed.
	Port Port
}

// kindOf returns v's kind, treating a nil Value as undefined.
func kindOf(v Value) Kind {
	if v == nil {
		return KindUndefined
	}
	return v.Kind()
}
