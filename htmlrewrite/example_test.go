package htmlrewrite_test

import (
	"fmt"
	"os"

	"github.com/caddybridge/caddy-bridge/htmlrewrite"
)

func ExampleRewriter() {
	cfg := &htmlrewrite.Config{
		Allowed:      []string{"https://widget.example"},
		SessionParam: "__iframeBridgeSessionId",
		ParentParam:  "__iframeBridgeParentOrigin",
		ParentOrigin: "https://shop.example",
		Shim:         []byte("<script>/*shim*/</script>"),
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	tok := func(embedOrigin string) (string, error) { return "TOKEN", nil }

	r := htmlrewrite.NewRewriter(os.Stdout, cfg, tok)
	r.Write([]byte(`<html><head><title>Shop</title></head><body><iframe src="https://widget.exa`))
	r.Write([]byte(`mple/cart?x=1#top"></iframe><iframe src="https://other.example/"></iframe>`))
	r.Close()
	fmt.Printf("\n%+v\n", r.Stats())
	// Output:
	// <html><head><script>/*shim*/</script><title>Shop</title></head><body><iframe src="https://widget.example/cart?x=1&amp;__iframeBridgeSessionId=TOKEN&amp;__iframeBridgeParentOrigin=https%3A%2F%2Fshop.example#top"></iframe><iframe src="https://other.example/"></iframe>
	// {Iframes:2 Rewritten:1 Skipped:[0 0 1 0 0 0] OversizedTags:0 Shim:true}
}

func ExampleScan() {
	cfg := &htmlrewrite.Config{
		Allowed:      []string{"https://widget.example"},
		SessionParam: "sid",
		ParentParam:  "parent",
		InHash:       true,
		ParentOrigin: "https://shop.example",
	}
	page := []byte(`<iframe src=https://widget.example/#/route></iframe>`)
	plan := htmlrewrite.Scan(page, cfg) // cacheable per page version
	out, err := plan.Apply(nil, page, cfg, func(string) (string, error) { return "TOKEN", nil })
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output:
	// <iframe src=https://widget.example/#/route?sid&#61;TOKEN&amp;parent&#61;https%3A%2F%2Fshop.example></iframe>
}
