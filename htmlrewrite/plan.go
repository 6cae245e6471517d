package htmlrewrite

import (
	"errors"
	"slices"
)

// Plan holds the edit points of one page: where the parameters and the
// shim go, and for which embed origin. It holds no tokens, so it can be
// cached for as long as the page and the Config stay the same. Its
// decisions depend on the whole Config, ParentOrigin included (protocol-
// relative URLs take its scheme): Apply refuses any other Config.
type Plan struct {
	c     *compiled
	size  int
	edits []edit
	stats Stats
}

// Scan finds the edit points of a whole page. The result applied with
// Apply gives the same bytes as streaming the page through a Rewriter.
func Scan(page []byte, cfg *Config) Plan {
	c := cfg.compile()
	p := Plan{c: c, size: len(page)}
	if c.err != nil {
		return p
	}
	var s scanner
	s.reset(c)
	s.run(page, true)
	p.edits = slices.Clip(s.edits)
	p.stats = s.stats
	return p
}

// Stats returns what the scan saw. Rewritten counts the iframes that Apply
// gives parameters.
func (p *Plan) Stats() Stats {
	return p.stats
}

// Unchanged reports whether Apply would return the page as it is.
func (p *Plan) Unchanged() bool {
	return len(p.edits) == 0
}

// Apply appends the page to dst with the edits made, calling tok once per
// rewritten iframe, in document order. Apart from the tokens it does not
// allocate if dst has room. page and cfg must be the ones given to Scan.
func (p *Plan) Apply(dst, page []byte, cfg *Config, tok TokenFunc) ([]byte, error) {
	c, err := p.check(page, cfg)
	if err != nil {
		return dst, err
	}
	prev := 0
	for _, e := range p.edits {
		dst = append(dst, page[prev:e.pos]...)
		prev = e.pos
		var token string
		if !e.shim {
			token, err = tok(c.allowed[e.embed].origin)
			if err != nil {
				return dst, err
			}
		}
		dst = c.appendInsertion(dst, e, token)
	}
	return append(dst, page[prev:]...), nil
}

// check returns cfg compiled, or an error if page and cfg are not the
// ones the plan was made from.
func (p *Plan) check(page []byte, cfg *Config) (*compiled, error) {
	if len(page) != p.size {
		return nil, errors.New("applying plan: page length differs from the scanned page")
	}
	c := cfg.compile()
	if c != p.c {
		return nil, errors.New("applying plan: config differs from the scanned one")
	}
	return c, nil
}

// ApplyAppend is Apply with tokens appended by tok straight into the
// output: the result is the same as Apply's with a TokenFunc that returns
// the same tokens. Apart from what tok does, it does not allocate if dst
// has room.
func (p *Plan) ApplyAppend(dst, page []byte, cfg *Config, tok AppendTokenFunc) ([]byte, error) {
	c, err := p.check(page, cfg)
	if err != nil {
		return dst, err
	}
	prev := 0
	for _, e := range p.edits {
		dst = append(dst, page[prev:e.pos]...)
		prev = e.pos
		if e.shim {
			dst = append(dst, c.shim...)
			continue
		}
		dst = c.appendInsertionHead(dst, e)
		start := len(dst)
		if dst, err = tok(dst, c.allowed[e.embed].origin); err != nil {
			return dst, err
		}
		dst = escapeFrom(dst, start)
		dst = c.appendInsertionTail(dst, e)
	}
	return append(dst, page[prev:]...), nil
}
