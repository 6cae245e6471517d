package htmlrewrite

import (
	"bytes"
	"unicode/utf8"
)

// ref records one character reference in an attribute value: raw bytes
// [raw, rawEnd) decode to bytes [dec, decEnd).
type ref struct {
	raw, rawEnd, dec, decEnd int
}

// windows1252 maps numeric references 0x80-0x9F, as the HTML standard does.
var windows1252 = [32]rune{
	'\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
	'\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
	'\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
	'\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
}

// decodeAttr appends raw, an attribute value, to dst with its character
// references decoded by the rules for attribute values, and appends one
// ref per reference to refs. It reports false, meaning "leave this value
// alone", when raw contains a NUL byte or a reference decodes to a byte
// that delimits or trims a URL ('#', '?', a C0 control or a space).
func decodeAttr(dst []byte, refs []ref, raw []byte) ([]byte, []ref, bool) {
	if bytes.IndexByte(raw, 0) >= 0 {
		return dst, refs, false
	}
	base := len(dst)
	i := 0
	for {
		amp := bytes.IndexByte(raw[i:], '&')
		if amp < 0 {
			return append(dst, raw[i:]...), refs, true
		}
		dst = append(dst, raw[i:i+amp]...)
		i += amp
		n, out, r := charRef(raw[i:])
		if n == 0 {
			dst = append(dst, '&')
			i++
			continue
		}
		start := len(dst)
		if out != "" {
			dst = append(dst, out...)
		} else {
			dst = utf8.AppendRune(dst, r)
		}
		for _, c := range dst[start:] {
			if c <= ' ' || c == '#' || c == '?' {
				return dst, refs, false
			}
		}
		refs = append(refs, ref{raw: i, rawEnd: i + n, dec: start - base, decEnd: len(dst) - base})
		i += n
	}
}

// charRef decodes the character reference at the start of s (s[0] is
// '&'), returning its length in bytes (0 if there is none) and its value,
// either as a string or as a rune.
func charRef(s []byte) (n int, out string, r rune) {
	if len(s) < 2 {
		return 0, "", 0
	}
	if s[1] == '#' {
		return numericRef(s)
	}
	k := 1
	for k < len(s) && isAlnum(s[k]) {
		k++
	}
	if k == 1 {
		return 0, "", 0
	}
	if k < len(s) && s[k] == ';' {
		v, ok := lookupNamed(s[1 : k+1])
		if !ok {
			return 0, "", 0
		}
		return k + 1, v, 0
	}
	// Without a semicolon only the legacy names count, and in an
	// attribute value not when followed by '=' or an alphanumeric (the
	// latter is implied: the alphanumeric run ended at k).
	if k < len(s) && s[k] == '=' {
		return 0, "", 0
	}
	v, ok := legacy[string(s[1:k])]
	if !ok {
		return 0, "", 0
	}
	return k, v, 0
}

// numericRef decodes "&#123;" or "&#x7B;", with or without the semicolon.
func numericRef(s []byte) (int, string, rune) {
	k := 2
	hex := false
	if k < len(s) && (s[k] == 'x' || s[k] == 'X') {
		hex = true
		k++
	}
	start := k
	x := rune(0)
	for k < len(s) {
		c := s[k]
		var d rune
		switch {
		case isDigit(c):
			d = rune(c - '0')
		case hex && isHex(c):
			d = rune(unhex(c))
		default:
			goto done
		}
		if x <= 0x10FFFF {
			if hex {
				x = x*16 + d
			} else {
				x = x*10 + d
			}
		}
		k++
	}
done:
	if k == start {
		return 0, "", 0
	}
	if k < len(s) && s[k] == ';' {
		k++
	}
	switch {
	case 0x80 <= x && x <= 0x9F:
		x = windows1252[x-0x80]
	case x == 0 || (0xD800 <= x && x <= 0xDFFF) || x > 0x10FFFF:
		x = utf8.RuneError
	}
	return k, "", x
}
