package htmlrewrite

import "bytes"

// Tag-parser states, named after the WHATWG tokenizer states.
const (
	tsName uint8 = iota
	tsBeforeAttrName
	tsAttrName
	tsAfterAttrName
	tsBeforeValue
	tsValueDouble
	tsValueSingle
	tsValueUnquoted
	tsAfterValueQuoted
	tsSelfClosing
)

// Element kinds the scanner cares about.
const (
	kOther uint8 = iota
	kIframe
	kHead
	kScript
	kPlaintext
	kBase    // base: its href changes what relative URLs resolve against
	kForeign // svg or math: foreign content, where raw-text tags are not raw
	// The RAWTEXT and RCDATA elements; their names are in rawNames.
	kStyle
	kTextarea
	kTitle
	kXmp
	kNoembed
	kNoframes
	kNoscript
)

// rawNames holds the end-tag name that closes each raw-text kind.
var rawNames = [...]string{
	kIframe:   "iframe",
	kScript:   "script",
	kStyle:    "style",
	kTextarea: "textarea",
	kTitle:    "title",
	kXmp:      "xmp",
	kNoembed:  "noembed",
	kNoframes: "noframes",
	kNoscript: "noscript",
}

// tagParser parses one start or end tag, resumably: it can be fed the tag
// in pieces. Positions are relative to the buffer given to parse, which
// begins at the tag's '<' unless the tag is oversized (noHold), in which
// case each buffer continues the tag and positions are meaningless.
type tagParser struct {
	state  uint8
	end    bool // an end tag
	noHold bool // oversized: parsed in passing, not held back
	kind   uint8
	track  bool   // record the attribute named want (iframe and base start tags)
	want   string // "src" for iframes, "href" for base
	pos    int    // next byte to look at

	name    [9]byte // first bytes of the tag name, lower case
	nameLen int

	attrName    [4]byte // first bytes of the current attribute's name, lower case
	attrNameLen int
	curIsSrc    bool // the current attribute is the first one named want
	valueStart  int

	sawSrc   bool // an attribute named want was seen (the first one wins)
	hasValue bool // that attribute had a value
	srcStart int
	srcEnd   int
	srcQuote byte // 0 for unquoted
}

// reset prepares the parser for a tag whose name starts at pos.
func (t *tagParser) reset(end bool, pos int) {
	t.state, t.end, t.noHold, t.kind, t.track, t.pos = tsName, end, false, kOther, false, pos
	t.nameLen, t.attrNameLen, t.curIsSrc, t.sawSrc, t.hasValue = 0, 0, false, false, false
}

// Byte classes for the tag parser.
const (
	cSpace    = 1 << iota // HTML whitespace, with CR
	cNameEnd              // ends a tag name: whitespace, '/', '>'
	cAttrEnd              // ends an attribute name: whitespace, '/', '>', '='
	cUnquoted             // ends an unquoted value: whitespace, '>'
)

var class = func() (t [256]uint8) {
	for _, c := range []byte(" \t\n\f\r") {
		t[c] = cSpace | cNameEnd | cAttrEnd | cUnquoted
	}
	t['/'] = cNameEnd | cAttrEnd
	t['>'] = cNameEnd | cAttrEnd | cUnquoted
	t['='] = cAttrEnd
	return t
}()

// parse continues the tag through b and returns the index just past its
// '>', or -1 if b ends first.
func (t *tagParser) parse(b []byte) int {
	i := t.pos
	st := t.state
	for i < len(b) {
		switch st {
		case tsName:
			for i < len(b) && class[b[i]]&cNameEnd == 0 {
				if t.nameLen < len(t.name) {
					t.name[t.nameLen] = lower(b[i])
				}
				t.nameLen++
				i++
			}
			if i == len(b) {
				break
			}
			t.classify()
			switch b[i] {
			case '>':
				t.state = st
				return i + 1
			case '/':
				st = tsSelfClosing
			default:
				st = tsBeforeAttrName
			}
			i++

		case tsBeforeAttrName:
			for i < len(b) && class[b[i]]&cSpace != 0 {
				i++
			}
			if i == len(b) {
				break
			}
			switch c := b[i]; c {
			case '/':
				st = tsSelfClosing
				i++
			case '>':
				t.state = st
				return i + 1
			default:
				// A leading '=' is part of the name.
				t.startAttr()
				if t.track {
					t.addAttrName(c)
				}
				st = tsAttrName
				i++
			}

		case tsAttrName:
			if t.track {
				for i < len(b) && class[b[i]]&cAttrEnd == 0 {
					t.addAttrName(b[i])
					i++
				}
			} else {
				for i < len(b) && class[b[i]]&cAttrEnd == 0 {
					i++
				}
			}
			if i == len(b) {
				break
			}
			t.endAttrName()
			switch b[i] {
			case '=':
				st = tsBeforeValue
			case '>':
				t.state = st
				return i + 1
			case '/':
				st = tsSelfClosing
			default:
				st = tsAfterAttrName
			}
			i++

		case tsAfterAttrName:
			for i < len(b) && class[b[i]]&cSpace != 0 {
				i++
			}
			if i == len(b) {
				break
			}
			switch b[i] {
			case '/':
				st = tsSelfClosing
				i++
			case '=':
				st = tsBeforeValue
				i++
			case '>':
				t.state = st
				return i + 1
			default:
				t.startAttr()
				st = tsAttrName
			}

		case tsBeforeValue:
			for i < len(b) && class[b[i]]&cSpace != 0 {
				i++
			}
			if i == len(b) {
				break
			}
			switch b[i] {
			case '"':
				st = tsValueDouble
				i++
				t.valueStart = i
			case '\'':
				st = tsValueSingle
				i++
				t.valueStart = i
			case '>':
				t.state = st
				return i + 1
			default:
				st = tsValueUnquoted
				t.valueStart = i
			}

		case tsValueDouble, tsValueSingle:
			q := byte('"')
			if st == tsValueSingle {
				q = '\''
			}
			j := bytes.IndexByte(b[i:], q)
			if j < 0 {
				i = len(b)
				break
			}
			i += j
			if t.curIsSrc {
				t.hasValue, t.srcStart, t.srcEnd, t.srcQuote = true, t.valueStart, i, q
			}
			st = tsAfterValueQuoted
			i++

		case tsValueUnquoted:
			for i < len(b) && class[b[i]]&cUnquoted == 0 {
				i++
			}
			if i == len(b) {
				break
			}
			if t.curIsSrc {
				t.hasValue, t.srcStart, t.srcEnd, t.srcQuote = true, t.valueStart, i, 0
			}
			if b[i] == '>' {
				t.state = st
				return i + 1
			}
			st = tsBeforeAttrName
			i++

		case tsAfterValueQuoted:
			switch c := b[i]; {
			case class[c]&cSpace != 0:
				st = tsBeforeAttrName
				i++
			case c == '/':
				st = tsSelfClosing
				i++
			case c == '>':
				t.state = st
				return i + 1
			default:
				st = tsBeforeAttrName
			}

		case tsSelfClosing:
			if b[i] == '>' {
				t.state = st
				return i + 1
			}
			st = tsBeforeAttrName
		}
	}
	t.state = st
	t.pos = i
	return -1
}

func (t *tagParser) startAttr() {
	t.attrNameLen = 0
	t.curIsSrc = false
}

func (t *tagParser) addAttrName(c byte) {
	if t.attrNameLen < len(t.attrName) {
		t.attrName[t.attrNameLen] = lower(c)
	}
	t.attrNameLen++
}

// endAttrName decides whether the attribute just named is the first one
// named t.want.
func (t *tagParser) endAttrName() {
	if !t.track || t.sawSrc || t.attrNameLen != len(t.want) || string(t.attrName[:len(t.want)]) != t.want {
		return
	}
	t.sawSrc = true
	t.curIsSrc = true
}

// classify sets kind from the tag name.
func (t *tagParser) classify() {
	t.kind = kOther
	if t.end || t.nameLen > len(t.name) || t.nameLen < 3 {
		return
	}
	switch t.name[0] {
	case 'i', 'h', 's', 'p', 't', 'x', 'n', 'b', 'm':
	default:
		return
	}
	switch string(t.name[:t.nameLen]) {
	case "iframe":
		t.kind = kIframe
		t.track, t.want = true, "src"
	case "base":
		t.kind = kBase
		t.track, t.want = true, "href"
	case "svg", "math":
		t.kind = kForeign
	case "head":
		t.kind = kHead
	case "script":
		t.kind = kScript
	case "plaintext":
		t.kind = kPlaintext
	case "style":
		t.kind = kStyle
	case "textarea":
		t.kind = kTextarea
	case "title":
		t.kind = kTitle
	case "xmp":
		t.kind = kXmp
	case "noembed":
		t.kind = kNoembed
	case "noframes":
		t.kind = kNoframes
	case "noscript":
		t.kind = kNoscript
	}
}

// isSpace reports HTML whitespace; CR counts because the input stream
// preprocessor turns it into LF.
func isSpace(c byte) bool {
	return class[c]&cSpace != 0
}
