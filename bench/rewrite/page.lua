-- wrk script for bench/rewrite/run.sh.
--
-- Every request looks like a browser navigation to the page (so the bridge
-- treats it as a candidate for rewriting) and asks for no compression
-- (Accept-Encoding: identity), for both the plain and the bridge site, so
-- that compression does not enter the comparison.
--
-- done() prints one line that run.sh parses:
--   RESULT <requests/s> <requests> <non-2xx> <socket errors> <bytes read>
wrk.method = "GET"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Encoding"] = "identity"
wrk.headers["Accept-Language"] = "en-US,en;q=0.9"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench-rewrite/1"
wrk.headers["Sec-Fetch-Dest"] = "document"
wrk.headers["Sec-Fetch-Mode"] = "navigate"
wrk.headers["Sec-Fetch-Site"] = "none"
wrk.headers["Upgrade-Insecure-Requests"] = "1"

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %.1f %d %d %d %d\n",
		summary.requests / (summary.duration / 1e6),
		summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
		summary.bytes))
end
