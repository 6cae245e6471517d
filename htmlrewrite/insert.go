package htmlrewrite

// appendInsertion appends what edit e inserts, with token as the session
// parameter's value: the parameters written so that they are valid inside
// the attribute value, with '&' as "&amp;" and, in unquoted values, '=' as
// "&#61;".
func (c *compiled) appendInsertion(dst []byte, e edit, token string) []byte {
	if e.shim {
		return append(dst, c.shim...)
	}
	dst = c.appendInsertionHead(dst, e)
	dst = appendQueryEscape(dst, token)
	return c.appendInsertionTail(dst, e)
}

// appendInsertionHead appends what a parameter insertion puts before the
// token: the separator and the session parameter's name with its '='.
func (c *compiled) appendInsertionHead(dst []byte, e edit) []byte {
	switch e.prefix {
	case '?':
		dst = append(dst, '?')
	case '#':
		dst = append(dst, '#')
	case '&':
		dst = append(dst, "&amp;"...)
	}
	dst = append(dst, c.sessionParam...)
	return append(dst, c.eq(e)...)
}

// appendInsertionTail appends what a parameter insertion puts after the
// token: the parent parameter and its value.
func (c *compiled) appendInsertionTail(dst []byte, e edit) []byte {
	dst = append(dst, "&amp;"...)
	dst = append(dst, c.parentParam...)
	dst = append(dst, c.eq(e)...)
	return append(dst, c.parentEsc...)
}

// eq returns how '=' is written in the attribute value of e.
func (*compiled) eq(e edit) string {
	if e.unquoted {
		return "&#61;"
	}
	return "="
}

// escapeFrom percent-encodes dst[start:] in place, as appendQueryEscape
// would have appended it. Tokens are base64url, which needs no escaping, so
// this normally only checks.
func escapeFrom(dst []byte, start int) []byte {
	tail := dst[start:]
	ok := byte(1)
	i := 0
	for ; i+8 <= len(tail) && ok != 0; i += 8 {
		t := tail[i : i+8 : i+8]
		ok = unreserved8[t[0]] & unreserved8[t[1]] & unreserved8[t[2]] & unreserved8[t[3]] &
			unreserved8[t[4]] & unreserved8[t[5]] & unreserved8[t[6]] & unreserved8[t[7]]
	}
	for ; i < len(tail) && ok != 0; i++ {
		ok = unreserved8[tail[i]]
	}
	if ok == 0 {
		return appendQueryEscape(dst[:start], string(tail))
	}
	return dst
}

// unreserved8 is the unreserved table as 1 and 0.
var unreserved8 = func() (t [256]byte) {
	for c, u := range unreserved {
		if u {
			t[c] = 1
		}
	}
	return t
}()
