package htmlrewrite

import "bytes"

// commentTail remembers what the comment-end rule needs about the comment
// text seen so far.
type commentTail struct {
	n       int     // bytes of comment text seen
	last    [3]byte // its last bytes, most recent last
	allDash bool    // every byte so far was '-'
}

func (t *commentTail) feed(b []byte) {
	if t.allDash {
		for _, c := range b {
			if c != '-' {
				t.allDash = false
				break
			}
		}
	}
	t.n += len(b)
	if len(b) >= 3 {
		copy(t.last[:], b[len(b)-3:])
		return
	}
	for _, c := range b {
		t.last = [3]byte{t.last[1], t.last[2], c}
	}
}

// endsAt reports whether a '>' right after the text b (which follows the
// text already fed) closes the comment: "<!-->", "<!--->", "-->" or "--!>".
func (t *commentTail) endsAt(b []byte) bool {
	if t.allDash && len(bytes.Trim(b, "-")) == 0 {
		return true
	}
	n := t.n + len(b)
	at := func(k int) byte { // k-th byte before the '>', k >= 1
		if k <= len(b) {
			return b[len(b)-k]
		}
		return t.last[3-(k-len(b))]
	}
	if n >= 2 && at(1) == '-' && at(2) == '-' {
		return true
	}
	return n >= 3 && at(1) == '!' && at(2) == '-' && at(3) == '-'
}

func (s *scanner) comment(buf []byte, i int) int {
	for {
		j := bytes.IndexByte(buf[i:], '>')
		if j < 0 {
			s.cm.feed(buf[i:])
			return len(buf)
		}
		gt := i + j
		if s.cm.endsAt(buf[i:gt]) {
			s.state = stData
			return gt + 1
		}
		s.cm.feed(buf[i : gt+1])
		i = gt + 1
	}
}
