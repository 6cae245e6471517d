package htmlrewrite

import "bytes"

// iframe decides what to do with the complete iframe start tag at
// buf[start:], whose attributes s.tag recorded.
func (s *scanner) iframe(buf []byte, start int, oversized bool) {
	t := &s.tag
	s.stats.Iframes++
	ev := iframeEvent{offset: s.base + start, oversize: oversized, baseSeen: s.baseSeen}
	var e edit
	var reason SkipReason
	ok := false
	switch {
	case oversized:
		reason = SkipOversized
	case !t.hasValue:
		reason = SkipNoSrc
	default:
		raw := buf[start+t.srcStart : start+t.srcEnd]
		ev.hasSrc = true
		e, reason, ok = s.analyze(raw, &ev)
	}
	if s.onIframe != nil {
		ev.reason, ev.rewrite = reason, ok
		s.onIframe(ev)
	}
	if !ok {
		s.stats.Skipped[reason]++
		return
	}
	if !s.shimDone && len(s.c.shim) > 0 {
		s.shimDone = true
		s.stats.Shim = true
		s.edits = append(s.edits, edit{pos: start, shim: true})
	}
	e.pos += start + t.srcStart
	e.unquoted = t.srcQuote == 0
	s.edits = append(s.edits, e)
	s.stats.Rewritten++
}

// analyze decides whether the raw src value gets the parameters, and if so
// where (e.pos, relative to raw) and with which prefix.
func (s *scanner) analyze(raw []byte, ev *iframeEvent) (e edit, reason SkipReason, ok bool) {
	dec := raw
	var refs []ref
	if bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, 0) >= 0 {
		var good bool
		s.dec, s.refs, good = decodeAttr(s.dec[:0], s.refs[:0], raw)
		if !good {
			return e, SkipAmbiguous, false
		}
		dec, refs = s.dec, s.refs
	}
	ev.decoded = dec

	// Leading and trailing C0 controls and spaces are not part of the URL.
	t0, t1 := 0, len(dec)
	for t0 < t1 && dec[t0] <= ' ' {
		t0++
	}
	for t1 > t0 && dec[t1-1] <= ' ' {
		t1--
	}
	if t0 == t1 {
		return e, SkipNoSrc, false
	}
	u := dec[t0:t1]

	// Tabs and newlines anywhere are removed by the URL parser.
	w := u
	if bytes.IndexByte(u, '\t') >= 0 || bytes.IndexByte(u, '\n') >= 0 || bytes.IndexByte(u, '\r') >= 0 {
		s.clean = s.clean[:0]
		for _, c := range u {
			if c != '\t' && c != '\n' && c != '\r' {
				s.clean = append(s.clean, c)
			}
		}
		w = s.clean
	}
	// Until a <base href>, the page's own URL is the base: a browser
	// resolves the src when it inserts the iframe, and a later <base>
	// does not change URLs already resolved.
	page := s.c.page
	if s.baseSeen {
		page = pageUnknown
	}
	v := s.op.parse(w, page)
	if !v.ok {
		return e, v.reason, false
	}
	idx := s.c.match(&v)
	if idx < 0 {
		return e, SkipUnlisted, false
	}
	if v.userinfo {
		return e, SkipAmbiguous, false
	}
	if s.hasParam(w[v.restStart:]) {
		return e, SkipHasParam, false
	}

	// Where to insert, in decoded coordinates.
	frag := bytes.IndexByte(u, '#')
	var p int
	if !s.c.inHash {
		qEnd := len(u)
		if frag >= 0 {
			qEnd = frag
		}
		p = qEnd
		switch q := bytes.IndexByte(u[:qEnd], '?'); {
		case q < 0:
			e.prefix = '?'
		case onlyTabs(u[q+1 : qEnd]):
		default:
			e.prefix = '&'
		}
	} else {
		p = len(u)
		switch {
		case frag < 0:
			e.prefix = '#'
		case onlyTabs(u[frag+1:]):
		default:
			f := u[frag+1:]
			switch q := bytes.IndexByte(f, '?'); {
			case q < 0:
				e.prefix = '?'
			case onlyTabs(f[q+1:]):
			default:
				e.prefix = '&'
			}
		}
	}
	rp, good := rawPos(refs, t0+p)
	if !good {
		return e, SkipAmbiguous, false
	}
	// A raw "&" or "&#" right before "#name" or "name" could turn the
	// boundary into a character reference ("&#x1…", "&#1…").
	if (e.prefix == '#' || e.prefix == 0) && (bytes.HasSuffix(raw[:rp], []byte("&")) || bytes.HasSuffix(raw[:rp], []byte("&#"))) {
		return e, SkipAmbiguous, false
	}
	e.pos = rp
	e.embed = uint16(idx)
	return e, 0, true
}

// hasParam reports whether the URL after its authority mentions the
// session parameter, literally or percent-encoded.
func (s *scanner) hasParam(rest []byte) bool {
	name := s.c.sessionParam
	if bytes.Contains(rest, name) {
		return true
	}
	if bytes.IndexByte(rest, '%') < 0 {
		return false
	}
	s.pdec = percentDecode(s.pdec[:0], rest)
	return bytes.Contains(s.pdec, name)
}

// rawPos maps an offset in the decoded value to the raw value. It fails if
// the offset falls inside a character reference.
func rawPos(refs []ref, p int) (int, bool) {
	off := 0
	for _, r := range refs {
		if r.decEnd <= p {
			off += (r.rawEnd - r.raw) - (r.decEnd - r.dec)
			continue
		}
		if r.dec < p {
			return 0, false
		}
		break
	}
	return p + off, true
}

// onlyTabs reports whether b holds nothing but tabs and newlines, which the
// URL parser removes.
func onlyTabs(b []byte) bool {
	for _, c := range b {
		if c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
