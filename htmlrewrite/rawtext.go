package htmlrewrite

import "bytes"

// Script data sub-states.
const (
	scData uint8 = iota
	scEscaped
	scEscapedDash
	scEscapedDashDash
	scDouble
	scDoubleDash
	scDoubleDashDash
)

// endTagAt reports whether buf[lt:] starts with "</"+name (any case) and a
// byte that ends a tag name; more means buf ends before that is known.
func endTagAt(buf []byte, lt int, name string) (ok, more bool) {
	return wordAt(buf, lt+2, name)
}

// wordAt reports whether buf[k:] starts with name (any case) followed by
// whitespace, '/' or '>'.
func wordAt(buf []byte, k int, name string) (ok, more bool) {
	for i := 0; i < len(name); i++ {
		if k+i >= len(buf) {
			return false, true
		}
		if lower(buf[k+i]) != name[i] {
			return false, false
		}
	}
	k += len(name)
	if k >= len(buf) {
		return false, true
	}
	c := buf[k]
	return isSpace(c) || c == '/' || c == '>', false
}

// watchBase reports whether the raw text being scanned may hold a <base>
// start tag that a browser acts on: in foreign content (svg, math) these
// elements hold markup, and noscript does where scripting is disabled.
func (s *scanner) watchBase() bool {
	return !s.baseSeen && (s.foreign || s.rawKind == kNoscript)
}

// hiddenBase notes a "<base" at buf[lt] (followed by whitespace, '/' or
// '>', in any case) that the scanner sees as text but a browser may see
// as a tag: from then on protocol-relative src values are skipped. It
// reports true when buf ends before that is known.
func (s *scanner) hiddenBase(buf []byte, lt int, final bool) (pending bool) {
	ok, m := wordAt(buf, lt+1, "base")
	if m && !final {
		return true
	}
	if ok {
		s.baseSeen = true
	}
	return false
}

func (s *scanner) rawText(buf []byte, i int, final bool) (int, bool) {
	name := rawNames[s.rawKind]
	watch := s.watchBase()
	for {
		j := bytes.IndexByte(buf[i:], '<')
		if j < 0 {
			return len(buf), false
		}
		lt := i + j
		if lt+1 >= len(buf) {
			return more(buf, lt, final)
		}
		if buf[lt+1] == '/' {
			ok, m := endTagAt(buf, lt, name)
			if m && !final {
				return lt, true
			}
			if ok {
				s.beginTag(lt, true)
				return lt, false
			}
		} else if watch && s.hiddenBase(buf, lt, final) {
			return lt, true
		}
		i = lt + 1
	}
}

// script follows the script data states of the HTML standard.
func (s *scanner) script(buf []byte, i int, final bool) (int, bool) {
	for i < len(buf) {
		switch s.sc {
		case scData:
			j := bytes.IndexByte(buf[i:], '<')
			if j < 0 {
				return len(buf), false
			}
			lt := i + j
			if lt+1 >= len(buf) {
				return more(buf, lt, final)
			}
			switch buf[lt+1] {
			case '/':
				ok, m := endTagAt(buf, lt, "script")
				if m && !final {
					return lt, true
				}
				if ok {
					s.beginTag(lt, true)
					return lt, false
				}
				i = lt + 2
			case '!':
				if lt+3 >= len(buf) && !final {
					return lt, true
				}
				switch {
				case lt+2 >= len(buf) || buf[lt+2] != '-':
					i = lt + 2
				case lt+3 >= len(buf) || buf[lt+3] != '-':
					i = lt + 3
				default:
					s.sc = scEscapedDashDash
					i = lt + 4
				}
			default:
				if s.foreign && !s.baseSeen && s.hiddenBase(buf, lt, final) {
					return lt, true
				}
				i = lt + 1
			}

		case scEscaped, scEscapedDash, scEscapedDashDash:
			switch c := buf[i]; c {
			case '-':
				if s.sc == scEscaped {
					s.sc = scEscapedDash
				} else {
					s.sc = scEscapedDashDash
				}
				i++
			case '<':
				lt := i
				if lt+1 >= len(buf) {
					return more(buf, lt, final)
				}
				c1 := buf[lt+1]
				switch {
				case c1 == '/':
					ok, m := endTagAt(buf, lt, "script")
					if m && !final {
						return lt, true
					}
					if ok {
						s.beginTag(lt, true)
						return lt, false
					}
					s.sc = scEscaped
					i = lt + 2
				case isAlpha(c1):
					if s.foreign && !s.baseSeen && s.hiddenBase(buf, lt, final) {
						return lt, true
					}
					ok, m := wordAt(buf, lt+1, "script")
					if m && !final {
						return lt, true
					}
					if ok {
						s.sc = scDouble
						i = lt + len("<script") + 1
					} else {
						s.sc = scEscaped
						i = lt + 1
					}
				default:
					// The standard stays in the escaped state here;
					// x/net/html goes back to script data.
					if s.divergeAt < 0 {
						s.divergeAt = s.base + lt
					}
					s.sc = scEscaped
					i = lt + 1
				}
			case '>':
				if s.sc == scEscapedDashDash {
					s.sc = scData
				} else {
					s.sc = scEscaped
				}
				i++
			default:
				s.sc = scEscaped
				i++
			}

		default: // double-escaped states
			switch c := buf[i]; c {
			case '-':
				if s.sc == scDouble {
					s.sc = scDoubleDash
				} else {
					s.sc = scDoubleDashDash
				}
				i++
			case '<':
				lt := i
				if lt+1 >= len(buf) {
					return more(buf, lt, final)
				}
				if buf[lt+1] != '/' {
					if s.foreign && !s.baseSeen && s.hiddenBase(buf, lt, final) {
						return lt, true
					}
					s.sc = scDouble
					i = lt + 1
					break
				}
				ok, m := endTagAt(buf, lt, "script")
				if m && !final {
					return lt, true
				}
				if ok {
					s.sc = scEscaped
					i = lt + len("</script") + 1
				} else {
					s.sc = scDouble
					i = lt + 2
				}
			case '>':
				if s.sc == scDoubleDashDash {
					s.sc = scData
				} else {
					s.sc = scDouble
				}
				i++
			default:
				s.sc = scDouble
				i++
			}
		}
	}
	return len(buf), false
}
