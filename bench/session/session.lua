-- wrk script for bench/session/run.sh.
--
-- MODE=session (default): POST {"embed": EMBED} to the session endpoint as
-- a same-origin fetch from ORIGIN would; every request mints a token, so
-- the server does token minting, the session-key HKDF and JSON each time.
-- MODE=respond: the same POST (body and headers) to a plain `respond`
-- route, the baseline, so that both sides parse the same request.
--
-- done() prints one line that run.sh parses:
--   RESULT <requests/s> <requests> <non-2xx> <socket errors>
local mode = os.getenv("MODE") or "session"
local origin = os.getenv("ORIGIN") or "http://localhost:9280"
local embed = os.getenv("EMBED") or "http://127.0.0.1:9281"

do
	wrk.method = "POST"
	wrk.body = '{"embed":"' .. embed .. '"}'
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Origin"] = origin
	wrk.headers["Sec-Fetch-Site"] = "same-origin"
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %.1f %d %d %d\n",
		summary.requests / (summary.duration / 1e6),
		summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
