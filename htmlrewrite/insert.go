package htmlrewrite

// appendInsertion appends what edit e inserts, with token as the session
// parameter's value: the parameters written so that they are valid inside
// the attribute value, with '&' as "&amp;" and, in unquoted values, '=' as
// "&#61;".
func (c *compiled) appendInsertion(dst []byte, e edit, token string) []byte {
	if e.shim {
		return append(dst, c.shim...)
	}
	switch e.prefix {
	case '?':
		dst = append(dst, '?')
	case '#':
		dst = append(dst, '#')
	case '&':
		dst = append(dst, "&amp;"...)
	}
	eq := "="
	if e.unquoted {
		eq = "&#61;"
	}
	dst = append(dst, c.sessionParam...)
	dst = append(dst, eq...)
	dst = appendQueryEscape(dst, token)
	dst = append(dst, "&amp;"...)
	dst = append(dst, c.parentParam...)
	dst = append(dst, eq...)
	return append(dst, c.parentEsc...)
}
