package protocol

import (
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the little JSON the core writes and reads itself: the
// bodies of control messages ({"epoch": …}, {"kid": …}) and of v2 error
// responses ({"code", "message", "data"}). Application payloads go
// through the Codec instead.

// maxJSONDepth bounds the nesting that skipValue follows.
const maxJSONDepth = 64

// appendJSONString appends s as a JSON string, escaping as
// JSON.stringify does; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// jsonScanner reads JSON text.
type jsonScanner struct {
	s string
	i int
}

func (sc *jsonScanner) skipSpace() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// consume skips spaces and then c, reporting whether c was there.
func (sc *jsonScanner) consume(c byte) bool {
	sc.skipSpace()
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// readString reads a JSON string at the current position and returns
// its value.
func (sc *jsonScanner) readString() (string, bool) {
	sc.skipSpace()
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return "", false
	}
	sc.i++
	start := sc.i
	// Fast path: no escapes.
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		if c == '"' {
			v := sc.s[start:sc.i]
			sc.i++
			return v, true
		}
		if c == '\\' || c < 0x20 {
			break
		}
		sc.i++
	}
	buf := []byte(sc.s[start:sc.i])
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			sc.i++
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			sc.i++
			continue
		}
		if sc.i+1 >= len(sc.s) {
			return "", false
		}
		esc := sc.s[sc.i+1]
		sc.i += 2
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := sc.readHex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				r = sc.readLowSurrogate(r)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", false
		}
	}
	return "", false
}

// readHex4 reads the four hex digits of a \u escape.
func (sc *jsonScanner) readHex4() (rune, bool) {
	if sc.i+4 > len(sc.s) {
		return 0, false
	}
	var v rune
	for _, c := range []byte(sc.s[sc.i : sc.i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	sc.i += 4
	return v, true
}

// readLowSurrogate completes the high surrogate hi with a following
// \uDC00-\uDFFF escape, or returns U+FFFD for a lone surrogate, as the
// conversion of a JavaScript string to UTF-8 does.
func (sc *jsonScanner) readLowSurrogate(hi rune) rune {
	if sc.i+6 > len(sc.s) || sc.s[sc.i] != '\\' || sc.s[sc.i+1] != 'u' {
		return utf8.RuneError
	}
	save := sc.i
	sc.i += 2
	lo, ok := sc.readHex4()
	if !ok {
		sc.i = save
		return utf8.RuneError
	}
	r := utf16.DecodeRune(hi, lo)
	if r == utf8.RuneError {
		sc.i = save
	}
	return r
}

// skipValue skips one JSON value, checking its syntax.
func (sc *jsonScanner) skipValue(depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	sc.skipSpace()
	if sc.i >= len(sc.s) {
		return false
	}
	switch c := sc.s[sc.i]; {
	case c == '"':
		_, ok := sc.readString()
		return ok
	case c == '{':
		sc.i++
		if sc.consume('}') {
			return true
		}
		for {
			if _, ok := sc.readString(); !ok || !sc.consume(':') || !sc.skipValue(depth+1) {
				return false
			}
			if sc.consume('}') {
				return true
			}
			if !sc.consume(',') {
				return false
			}
		}
	case c == '[':
		sc.i++
		if sc.consume(']') {
			return true
		}
		for {
			if !sc.skipValue(depth + 1) {
				return false
			}
			if sc.consume(']') {
				return true
			}
			if !sc.consume(',') {
				return false
			}
		}
	case c == 't':
		return sc.literal("true")
	case c == 'f':
		return sc.literal("false")
	case c == 'n':
		return sc.literal("null")
	}
	return sc.number()
}

func (sc *jsonScanner) literal(word string) bool {
	if len(sc.s)-sc.i < len(word) || sc.s[sc.i:sc.i+len(word)] != word {
		return false
	}
	sc.i += len(word)
	return true
}

// number skips a JSON number.
func (sc *jsonScanner) number() bool {
	digits := func() int {
		n := 0
		for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
			sc.i++
			n++
		}
		return n
	}
	if sc.i < len(sc.s) && sc.s[sc.i] == '-' {
		sc.i++
	}
	if sc.i < len(sc.s) && sc.s[sc.i] == '0' {
		sc.i++
	} else if digits() == 0 {
		return false
	}
	if sc.i < len(sc.s) && sc.s[sc.i] == '.' {
		sc.i++
		if digits() == 0 {
			return false
		}
	}
	if sc.i < len(sc.s) && (sc.s[sc.i] == 'e' || sc.s[sc.i] == 'E') {
		sc.i++
		if sc.i < len(sc.s) && (sc.s[sc.i] == '+' || sc.s[sc.i] == '-') {
			sc.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// jsonMember is one member of a JSON object: its key and the raw text of
// its value.
type jsonMember struct {
	key string
	raw string
}

// readJSONObject parses s, which must be exactly one JSON object, and
// calls f for each member in order. Later duplicate keys are passed too,
// so that callers can take the last one, as JSON.parse does.
func readJSONObject(s string, f func(m jsonMember)) bool {
	sc := jsonScanner{s: s}
	if !sc.consume('{') {
		return false
	}
	if !sc.consume('}') {
		for {
			key, ok := sc.readString()
			if !ok || !sc.consume(':') {
				return false
			}
			sc.skipSpace()
			start := sc.i
			if !sc.skipValue(1) {
				return false
			}
			f(jsonMember{key: key, raw: s[start:sc.i]})
			if sc.consume('}') {
				break
			}
			if !sc.consume(',') {
				return false
			}
		}
	}
	sc.skipSpace()
	return sc.i == len(s)
}

// unquoteJSON returns the value of raw if it is a JSON string.
func unquoteJSON(raw string) (string, bool) {
	sc := jsonScanner{s: raw}
	v, ok := sc.readString()
	if !ok || sc.i != len(raw) {
		return "", false
	}
	return v, true
}

// jsonStringMember returns the string member key of the JSON object
// body; ok is false if body is not an object or the member is missing or
// not a string.
func jsonStringMember(body, key string) (value string, ok bool) {
	found := false
	valid := readJSONObject(body, func(m jsonMember) {
		if m.key == key {
			value, found = unquoteJSON(m.raw)
		}
	})
	return value, valid && found
}

// isJSSpace reports whether r is white space or a line terminator to
// String.prototype.trim.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// blankJS reports whether s.trim() === "" in JavaScript.
func blankJS(s string) bool {
	for _, r := range s {
		if !isJSSpace(r) {
			return false
		}
	}
	return true
}

// trimJS returns s.trim() as JavaScript computes it.
func trimJS(s string) string {
	start := 0
	for start < len(s) {
		r, size := utf8.DecodeRuneInString(s[start:])
		if !isJSSpace(r) {
			break
		}
		start += size
	}
	end := len(s)
	for end > start {
		r, size := utf8.DecodeLastRuneInString(s[start:end])
		if !isJSSpace(r) {
			break
		}
		end -= size
	}
	return s[start:end]
}
