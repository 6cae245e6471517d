package htmlrewrite

import (
	"html"
	"strings"
)

// legacyEntities lists the named character references that the HTML
// standard also recognizes without a trailing semicolon.
const legacyEntities = "AElig AMP Aacute Acirc Agrave Aring Atilde Auml COPY Ccedil ETH " +
	"Eacute Ecirc Egrave Euml GT Iacute Icirc Igrave Iuml LT Ntilde Oacute Ocirc Ograve " +
	"Oslash Otilde Ouml QUOT REG THORN Uacute Ucirc Ugrave Uuml Yacute aacute acirc acute " +
	"aelig agrave amp aring atilde auml brvbar ccedil cedil cent copy curren deg divide " +
	"eacute ecirc egrave eth euml frac12 frac14 frac34 gt iacute icirc iexcl igrave iquest " +
	"iuml laquo lt macr micro middot nbsp not ntilde oacute ocirc ograve ordf ordm oslash " +
	"otilde ouml para plusmn pound quot raquo reg sect shy sup1 sup2 sup3 szlig thorn " +
	"times uacute ucirc ugrave uml uuml yacute yen yuml"

// commonEntities are other references worth decoding without a fallback.
const commonEntities = "apos num quest sol colon period commat percnt equals excl lpar rpar " +
	"plus comma semi Tab NewLine lsqb rsqb bsol hyphen lowbar dollar ast"

var (
	// legacy maps a legacy name (no semicolon) to its expansion.
	legacy = map[string]string{}
	// named maps "name;" to its expansion, for the names above.
	named = map[string]string{}
)

func init() {
	for _, n := range strings.Fields(legacyEntities) {
		v := html.UnescapeString("&" + n + ";")
		legacy[n] = v
		named[n+";"] = v
	}
	for _, n := range strings.Fields(commonEntities) {
		named[n+";"] = html.UnescapeString("&" + n + ";")
	}
}

// lookupNamed expands "name;" (name followed by a semicolon), reporting
// false when it is not a character reference. Names outside the tables
// above go through the standard library at the cost of an allocation.
func lookupNamed(nameSemi []byte) (string, bool) {
	if v, ok := named[string(nameSemi)]; ok {
		return v, true
	}
	in := "&" + string(nameSemi)
	out := html.UnescapeString(in)
	// The standard library decodes in text mode: when the whole name is
	// unknown it may expand a legacy prefix and keep the rest, which then
	// ends with "name-tail;". A whole match is one or two code points.
	if out == in || (len(out) >= 2 && out[len(out)-1] == ';') {
		return "", false
	}
	return out, true
}
