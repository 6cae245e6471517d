// Package chromium holds how the browser tests and bench/browser start
// headless Chromium, so that both drive the same browser the same way.
package chromium

import "github.com/chromedp/chromedp"

// DefaultPath is where Debian's chromium package installs the browser.
const DefaultPath = "/usr/bin/chromium"

// Options returns chromedp's default allocator options for the Chromium
// at path, headless, with the flags it needs to run as root on a machine
// without a GPU or a network beyond loopback: no sandbox, no GPU, no QUIC,
// no first-run, background-networking, component-update or sync traffic.
// chromedp gives each allocator a fresh profile.
func Options(path string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
}
