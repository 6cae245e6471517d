package htmlrewrite

import "bytes"

// Scanner states.
const (
	stData uint8 = iota
	stTag
	stBogusComment
	stComment
	stRawText // RAWTEXT or RCDATA; rawKind says which element closes it
	stScript
	stPlaintext
)

// edit is one insertion point.
type edit struct {
	pos      int
	shim     bool   // insert Config.Shim; otherwise the parameters
	prefix   byte   // 0, '?', '&' or '#': what goes before the parameters
	unquoted bool   // the attribute value is unquoted
	embed    uint16 // index into Config.Allowed
}

// iframeEvent reports one real iframe start tag to a test hook.
type iframeEvent struct {
	offset   int    // of the '<', in the whole input
	baseSeen bool   // a <base href>, or what may be one, came before
	hasSrc   bool   // an attribute named src with a value
	decoded  []byte // the decoded value; nil if decoding failed closed
	reason   SkipReason
	rewrite  bool
	oversize bool
}

// scanner is the tokenizer state machine shared by Rewriter and Scan. Its
// run method is fed consecutive buffers; each call reports how much of the
// buffer is decided, and the caller passes the rest again, extended, next
// time.
type scanner struct {
	c        *compiled
	state    uint8
	sc       uint8 // script sub-state
	rawKind  uint8
	tag      tagParser
	tagStart int
	cm       commentTail
	shimDone bool
	stats    Stats

	// baseSeen: a <base href> (or what may be one) came before this point,
	// so protocol-relative src values no longer resolve against the page.
	baseSeen bool
	// foreign: an svg or math start tag came before this point, so raw
	// text, RCDATA and script data may be markup to a browser.
	foreign bool
	edits   []edit

	base int // offset of the current buffer in the whole input (for hooks)

	// Scratch buffers for src analysis.
	dec   []byte
	refs  []ref
	clean []byte
	pdec  []byte
	op    originParser

	// Test hooks.
	onIframe  func(iframeEvent)
	divergeAt int // offset where x/net/html's script handling starts to differ, or -1
}

func (s *scanner) reset(c *compiled) {
	*s = scanner{
		c:         c,
		edits:     s.edits[:0],
		dec:       s.dec[:0],
		refs:      s.refs[:0],
		clean:     s.clean[:0],
		pdec:      s.pdec[:0],
		op:        originParser{hostBuf: s.op.hostBuf[:0]},
		onIframe:  s.onIframe,
		divergeAt: -1,
	}
}

// run scans buf and returns n: buf[:n] is decided (its edits are in
// s.edits) and buf[n:], an unfinished tag or a few bytes of lookahead that
// start with '<', must be passed again at the start of the next buffer.
// With final set, buf ends the input and n is len(buf).
func (s *scanner) run(buf []byte, final bool) int {
	i := 0
	if s.state == stTag {
		s.tagStart = 0
		if s.tag.noHold {
			s.tag.pos = 0
		}
	}
	for i < len(buf) {
		var pending bool
		switch s.state {
		case stData:
			i, pending = s.data(buf, i, final)
		case stTag:
			i, pending = s.inTag(buf, final)
		case stBogusComment:
			j := bytes.IndexByte(buf[i:], '>')
			if j < 0 {
				return len(buf)
			}
			i += j + 1
			s.state = stData
		case stComment:
			i = s.comment(buf, i)
		case stRawText:
			i, pending = s.rawText(buf, i, final)
		case stScript:
			i, pending = s.script(buf, i, final)
		case stPlaintext:
			return len(buf)
		}
		if pending {
			return i
		}
	}
	return len(buf)
}

// more is what a state returns at a '<' whose meaning depends on bytes
// beyond the buffer: hold it back, or at the end of input treat it as text.
func more(buf []byte, lt int, final bool) (int, bool) {
	if final {
		return len(buf), false
	}
	return lt, true
}

func (s *scanner) data(buf []byte, i int, final bool) (int, bool) {
	for {
		j := bytes.IndexByte(buf[i:], '<')
		if j < 0 {
			return len(buf), false
		}
		lt := i + j
		if lt+1 >= len(buf) {
			return more(buf, lt, final)
		}
		switch c := buf[lt+1]; {
		case isAlpha(c):
			// Parse the tag right here; most tags lead back to data.
			s.beginTag(lt, false)
			next, pending := s.inTag(buf, final)
			if pending || s.state != stData {
				return next, pending
			}
			i = next
			continue
		case c == '/':
			if lt+2 >= len(buf) {
				return more(buf, lt, final)
			}
			c2 := buf[lt+2]
			if isAlpha(c2) {
				s.beginTag(lt, true)
				next, pending := s.inTag(buf, final)
				if pending || s.state != stData {
					return next, pending
				}
				i = next
				continue
			}
			if c2 == '>' {
				i = lt + 3
				continue
			}
			s.state = stBogusComment
			return lt + 2, false
		case c == '!':
			if lt+2 >= len(buf) {
				return more(buf, lt, final)
			}
			if buf[lt+2] != '-' {
				s.state = stBogusComment
				return lt + 2, false
			}
			if lt+3 >= len(buf) {
				return more(buf, lt, final)
			}
			if buf[lt+3] != '-' {
				s.state = stBogusComment
				return lt + 2, false
			}
			s.state = stComment
			s.cm = commentTail{allDash: true}
			return lt + 4, false
		case c == '?':
			s.state = stBogusComment
			return lt + 1, false
		}
		i = lt + 1
	}
}

func (s *scanner) beginTag(lt int, end bool) {
	s.state = stTag
	s.tagStart = lt
	if end {
		s.tag.reset(true, 2)
		return
	}
	s.tag.reset(false, 1)
}

func (s *scanner) inTag(buf []byte, final bool) (int, bool) {
	b := buf[s.tagStart:]
	e := s.tag.parse(b)
	if e < 0 {
		if final || s.tag.noHold {
			// At the end of input an unfinished tag is no tag at all.
			return len(buf), false
		}
		if len(b) >= s.c.maxTag {
			s.tag.noHold = true
			return len(buf), false
		}
		return s.tagStart, true
	}
	end := s.tagStart + e
	s.finishTag(buf, s.tagStart, end)
	return end, false
}

// finishTag acts on the complete tag buf[start:end].
func (s *scanner) finishTag(buf []byte, start, end int) {
	t := &s.tag
	oversized := t.noHold || end-start > s.c.maxTag
	if oversized {
		s.stats.OversizedTags++
	}
	s.state = stData
	if t.end {
		return
	}
	switch t.kind {
	case kIframe:
		s.iframe(buf, start, oversized)
		s.state = stRawText
		s.rawKind = kIframe
	case kHead:
		if !s.shimDone && len(s.c.shim) > 0 {
			s.shimDone = true
			s.stats.Shim = true
			s.edits = append(s.edits, edit{pos: end, shim: true})
		}
	case kScript:
		s.state = stScript
		s.sc = scData
	case kPlaintext:
		s.state = stPlaintext
	case kBase:
		// Any href, even an empty one, and an oversized tag whose
		// attributes went by unrecorded.
		if t.sawSrc || oversized {
			s.baseSeen = true
		}
	case kForeign:
		s.foreign = true
	case kOther:
	default:
		s.state = stRawText
		s.rawKind = t.kind
	}
}
