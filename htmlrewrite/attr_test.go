package htmlrewrite

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// xnetAttr decodes an attribute value with x/net/html.
func xnetAttr(t *testing.T, v string) string {
	z := html.NewTokenizer(strings.NewReader(`<a x="` + v + `">`))
	if z.Next() != html.StartTagToken {
		t.Fatalf("no tag for %q", v)
	}
	_, val, _ := z.TagAttr()
	return string(val)
}

func TestDecodeAttrMatchesXNet(t *testing.T) {
	names := strings.Fields(legacyEntities)
	names = append(names, strings.Fields(commonEntities)...)
	names = append(names, "rightarrow", "NotEqualTilde", "nvlt", "bogus", "ampx", "notin", "Amp", "AmP", "ThickSpace", "fjlig", "x", "")
	suffixes := []string{";", "", "=", "x", "1", "#", " ", ";x", "&amp;", "&"}
	prefixes := []string{"", "a", "&"}
	var refs []ref
	var dst []byte
	for _, n := range names {
		for _, s := range suffixes {
			for _, p := range prefixes {
				v := p + "&" + n + s
				var ok bool
				dst, refs, ok = decodeAttr(dst[:0], refs[:0], []byte(v))
				if !ok {
					continue
				}
				if want := xnetAttr(t, v); string(dst) != want {
					t.Errorf("decode %q: got %q, x/net %q", v, dst, want)
				}
			}
		}
	}
	numeric := []string{"&#", "&#;", "&#x", "&#x;", "&#X41", "&#65", "&#65;", "&#0;", "&#128;", "&#x9F", "&#xD800;", "&#x110000;", "&#99999999999;", "&#x41g", "&#1a", "&#x2e;&#46"}
	for _, v := range numeric {
		var ok bool
		dst, refs, ok = decodeAttr(dst[:0], refs[:0], []byte(v))
		if !ok {
			continue
		}
		if want := xnetAttr(t, v); string(dst) != want {
			t.Errorf("decode %q: got %q, x/net %q", v, dst, want)
		}
	}
}

func TestDecodeAttrRefs(t *testing.T) {
	raw := []byte("a&amp;b&#x41;c&lt")
	dec, refs, ok := decodeAttr(nil, nil, raw)
	if !ok || string(dec) != "a&bAc<" {
		t.Fatalf("got %q %v", dec, ok)
	}
	want := []ref{{1, 6, 1, 2}, {7, 13, 3, 4}, {14, 17, 5, 6}}
	if len(refs) != len(want) {
		t.Fatalf("refs %v", refs)
	}
	for i := range want {
		if refs[i] != want[i] {
			t.Fatalf("ref %d: %v, want %v", i, refs[i], want[i])
		}
	}
	for _, c := range []struct{ dec, raw int }{{0, 0}, {1, 1}, {2, 6}, {3, 7}, {4, 13}, {6, 17}} {
		if got, ok := rawPos(refs, c.dec); !ok || got != c.raw {
			t.Errorf("rawPos(%d) = %d %v, want %d", c.dec, got, ok, c.raw)
		}
	}
	if _, ok := rawPos([]ref{{0, 10, 0, 4}}, 2); ok {
		t.Error("rawPos inside a multi-byte reference should fail")
	}
	for _, v := range []string{"a\x00", "&#35;", "&num;", "&#63;", "&quest;", "&#9;", "&Tab;", "&#32;", "&#x20", "&NewLine;"} {
		if _, _, ok := decodeAttr(nil, nil, []byte(v)); ok {
			t.Errorf("decode %q should fail closed", v)
		}
	}
}

func TestHostHelpers(t *testing.T) {
	for s, want := range map[string]bool{
		"1.2.3.4": true, "255.255.255.255": true, "0.0.0.0": true, "256.1.1.1": false, "01.2.3.4": false,
		"1.2.3": false, "1.2.3.4.": false, "1.2.3.4.5": false, "1..3.4": false, "a.b.c.d": false, "1234.1.1.1": false, "": false,
	} {
		if got := canonicalIPv4([]byte(s)); got != want {
			t.Errorf("canonicalIPv4(%q) = %v", s, got)
		}
	}
	for s, want := range map[string]bool{
		"1.2.3.4": true, "example.com": false, "a.1": true, "a.0x": true, "a.0x1F": true, "a.0x1g": false,
		"1.": true, ".": false, "": false, "a.b.": false, "x.09": true, "a.1a": false,
	} {
		if got := endsInNumber([]byte(s)); got != want {
			t.Errorf("endsInNumber(%q) = %v", s, got)
		}
	}
	if got := string(percentDecode(nil, []byte("a%2Eb%zz%4"))); got != "a.b%zz%4" {
		t.Errorf("percentDecode: %q", got)
	}
	if got := string(appendQueryEscape(nil, "https://p.example:8443/ x~")); got != "https%3A%2F%2Fp.example%3A8443%2F+x~" {
		t.Errorf("appendQueryEscape: %q", got)
	}
	if !bytes.Equal(lowerASCII(nil, []byte("AbC-1")), []byte("abc-1")) {
		t.Error("lowerASCII")
	}
}
