package htmlrewrite

import (
	"fmt"
	"strings"
)

// benchConfig is the configuration the benchmarks and the memory test use,
// with the real parameter names.
func benchConfig() *Config {
	return &Config{
		Allowed:      []string{"https://widget.example", "https://pay.example"},
		SessionParam: "__iframeBridgeSessionId",
		ParentParam:  "__iframeBridgeParentOrigin",
		ParentOrigin: "https://shop.example",
		Shim:         []byte(`<script>(()=>{const q=[];addEventListener("message",e=>q.push(e));window.__bridgeEarly=q})()</script>`),
	}
}

// constToken is a 43-byte base64url token, about what the key package mints.
func constToken(string) (string, error) {
	return "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5", nil
}

// realisticPage builds a page of about 40 KB that looks like a shop's
// checkout: a head with metadata, styles and scripts, a body of nested
// markup with text, links and images, comments, and 6 iframes of which 4
// point at listed origins.
func realisticPage() []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Checkout &ndash; Example Shop</title>\n")
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "<link rel=\"stylesheet\" href=\"/assets/css/bundle-%d.3f9a1c.css\" integrity=\"sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC\" crossorigin=\"anonymous\">\n", i)
	}
	b.WriteString("<style>\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, ".card-%d > .title { font: 600 14px/1.4 system-ui, sans-serif; margin: 0 0 %dpx; color: #333; }\n", i, i%8)
	}
	b.WriteString("</style>\n<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"WebPage\",\"name\":\"Checkout\",\"url\":\"https://shop.example/checkout\"}</script>\n")
	b.WriteString("<script>\nwindow.dataLayer = window.dataLayer || [];\nfunction gtag(){dataLayer.push(arguments);}\nfor (let i = 0; i < 3 && i < 10; i++) { if (i < 2) { console.debug('<b>' + i + '</b>'); } }\n</script>\n")
	b.WriteString("</head>\n<body class=\"checkout page-template\">\n<!-- header -->\n<header class=\"site-header\"><nav aria-label=\"Main\"><ul class=\"menu\">\n")
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&b, "<li class=\"menu-item menu-item-%d\"><a href=\"/category/%d?ref=nav&amp;utm_source=header\" data-track=\"nav-%d\">Category %d</a></li>\n", i, i, i, i)
	}
	b.WriteString("</ul></nav></header>\n<main id=\"content\">\n")
	iframes := []string{
		`<iframe src="https://widget.example/cart?locale=en-US&amp;theme=light" title="Cart" width="100%" height="420" loading="lazy" allow="payment"></iframe>`,
		`<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="Video" width="560" height="315" allowfullscreen></iframe>`,
		`<iframe src="https://pay.example/checkout#/step/1" title="Payment" width="100%" height="600" allow="payment"></iframe>`,
		`<iframe src="https://maps.example.org/embed?pb=!1m18!1m12" width="600" height="450" style="border:0;" loading="lazy"></iframe>`,
		`<iframe src=https://widget.example/reviews?product=1234 title=Reviews></iframe>`,
		`<iframe src="https://widget.example/recommendations" title="Recommended" width="100%" height="300"></iframe>`,
	}
	for s := 0; s < 6; s++ {
		fmt.Fprintf(&b, "<section class=\"card card-%d\" id=\"section-%d\">\n<h2 class=\"title\">Section %d</h2>\n", s, s, s)
		for p := 0; p < 11; p++ {
			fmt.Fprintf(&b, "<div class=\"row\"><div class=\"col col-md-6\"><p>Lorem ipsum dolor sit amet, <em>consectetur</em> adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud <a href=\"/help/%d-%d\">exercitation</a> ullamco laboris.</p></div>\n", s, p)
			fmt.Fprintf(&b, "<div class=\"col col-md-6\"><img src=\"/img/product-%d-%d.webp\" alt=\"Product %d\" width=\"320\" height=\"240\" loading=\"lazy\" decoding=\"async\"></div></div>\n", s, p, p)
		}
		b.WriteString("<!-- embed -->\n" + iframes[s] + "\n</section>\n")
	}
	b.WriteString("<form action=\"/checkout\" method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"a1b2c3d4e5f6\"><label>Email <input type=\"email\" name=\"email\" required></label><button type=\"submit\" class=\"btn btn-primary\">Pay now</button></form>\n")
	b.WriteString("</main>\n<footer class=\"site-footer\"><p>&copy; 2025 Example Shop &middot; <a href=\"/privacy\">Privacy</a></p></footer>\n")
	b.WriteString("<script src=\"/assets/js/app.7c1e2.js\" defer></script>\n<script>document.documentElement.classList.add('js');</script>\n</body>\n</html>\n")
	return []byte(b.String())
}
