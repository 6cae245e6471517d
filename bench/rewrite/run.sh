#!/usr/bin/env bash
# Page-rewriting throughput: `bridge { embed ... }` + file_server against a
# plain file_server of the same page, over HTTP and over HTTPS (issue 4,
# part 6b; goal: bridge >= 0.95x plain over both).
#
# What it does:
#   1. installs wrk from Debian if missing (apt-get install -y wrk, with an
#      apt-get update first only if that fails);
#   2. builds ./cmd/caddy into a temp dir;
#   3. generates a ~40 KB HTML page (gen_page.py in this folder): head with
#      meta/link/style/scripts, nav, articles, comments, an inline script
#      with "<iframe" text in strings, and 6 iframes: 4 pointing at the
#      listed embed origin https://widget.example.com (query, fragment,
#      unquoted upper-case host with :443, upper-case tag with a fragment
#      route), 2 elsewhere;
#   4. starts one Caddy (admin localhost:2399, local_certs, a temp storage)
#      with four sites bound to 127.0.0.1, on the same root:
#        http://127.0.0.1:9301   file_server                  (plain, HTTP)
#        http://127.0.0.1:9302   bridge + file_server         (bridge, HTTP)
#        https://localhost:9443  tls internal, file_server    (plain, HTTPS)
#        https://localhost:9444  tls internal, bridge + f_s   (bridge, HTTPS)
#      and checks with curl that the plain answer is the page byte for byte
#      and the bridge answer carries __iframeBridgeSessionId exactly 4 times
#      (fails loudly otherwise);
#   5. runs ROUNDS rounds; a round is, for HTTP then HTTPS, one wrk run
#      against plain and one against bridge, the order alternating each
#      round to cancel drift. Requests look like a browser navigation
#      (Accept: text/html..., Sec-Fetch-Dest: document, see page.lua) and
#      send Accept-Encoding: identity to both sites. Prints per-round
#      req/s, Caddy CPU per request, the median req/s of each site and the
#      bridge/plain ratio (median of per-round ratios, and ratio of
#      medians).
#   6. with PROFILE=1, then profiles Caddy (admin /debug/pprof: CPU for
#      PROFILE_SECS, and allocations) while wrk loads the HTTPS plain site,
#      then the HTTPS bridge site, and prints per request: CPU µs in the
#      main subtrees plain -> bridge, the largest flat differences, the
#      caddy-bridge functions and what the main ones call, and the bytes
#      and objects the bridge path allocates.
# Caddy is stopped on exit. About 2-2.5 minutes with the defaults (with a
# cached build and up to QUIET_WAIT of waiting), under a minute more with
# PROFILE=1.
#
# Pinning (PIN=1, the default on 2+ CPUs): Caddy runs on CPU 0 and wrk on
# CPU 1 (taskset). Caddy then has GOMAXPROCS=1 and its CPU is the
# bottleneck (wrk uses 30-60% of its own CPU), so the req/s ratio is the
# ratio of Caddy's CPU cost per request, as on a server whose clients are
# elsewhere; the GC and the handler pay on the same CPU as the serving.
# With PIN=0 the scheduler shares both CPUs between Caddy and wrk: req/s is
# higher (Caddy gets ~1.3 CPUs), but wrk's CPU per request, the same for
# both sites, dilutes the difference, and the ratio comes out several
# points more flattering (on this machine, HTTPS 0.74-0.80 unpinned against
# 0.69-0.73 pinned; both modes were about as stable on an idle machine).
# Pinned rounds suffer more from other work on the machine (it lands on
# Caddy's only CPU), hence the idle wait and the NOISY flag; the CPU-cost
# ratio (Caddy CPU µs per request, from /proc) is the least sensitive
# figure.
#
# Usage: bash bench/rewrite/run.sh   (from the repo root, or anywhere)
# Tunables: ROUNDS (5), DURATION (5s), WARMUP (2s), THREADS (2),
#   CONNS (32), PIN (1), PROFILE (0), PROFILE_SECS (10), PROFILE_OUT (a directory to keep the
#   raw profiles and the Caddy binary in; default: not kept), PAGE_BYTES
#   (40000), QUIET_WAIT (60: how many seconds in all to wait at most for
#   the machine to be idle before the warm-up and before each pair).
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
PIN=${PIN:-1}
PROFILE=${PROFILE:-0}
PROFILE_SECS=${PROFILE_SECS:-10}
PROFILE_OUT=${PROFILE_OUT:-}
PAGE_BYTES=${PAGE_BYTES:-40000}
QUIET_WAIT=${QUIET_WAIT:-60}
HTTP_PLAIN=9301 HTTP_BRIDGE=9302 HTTPS_PLAIN=9443 HTTPS_BRIDGE=9444 ADMIN=2399
EMBED=https://widget.example.com
PARAM=__iframeBridgeSessionId
WANT_TOKENS=4

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# 1. wrk from Debian.
if ! command -v wrk >/dev/null; then
	sudo=
	[[ $(id -u) == 0 ]] || sudo=sudo
	echo "installing wrk" >&2
	$sudo apt-get install -y wrk >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y wrk >&2; }
fi
for tool in curl python3 go; do
	command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done
if [[ $PIN != 0 ]] && { ! command -v taskset >/dev/null || (($(nproc) < 2)); }; then
	echo "PIN=1 needs taskset and 2 CPUs; running unpinned" >&2
	PIN=0
fi
caddy_cpu=() wrk_cpu=()
if [[ $PIN != 0 ]]; then
	caddy_cpu=(taskset -c 0) wrk_cpu=(taskset -c 1)
fi

work=$(mktemp -d)
caddy_pid=
load_pid=
cleanup() {
	if [[ -n $load_pid ]] && kill -0 "$load_pid" 2>/dev/null; then
		kill -TERM "$load_pid" 2>/dev/null || true
	fi
	if [[ -n $caddy_pid ]] && kill -0 "$caddy_pid" 2>/dev/null; then
		kill -TERM "$caddy_pid"
		for _ in $(seq 100); do kill -0 "$caddy_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$caddy_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

for port in $HTTP_PLAIN $HTTP_BRIDGE $HTTPS_PLAIN $HTTPS_BRIDGE $ADMIN; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "port $port is already in use" >&2
		exit 1
	fi
done

# 2. Caddy with the module.
echo "building ./cmd/caddy" >&2
(cd "$root" && go build -o "$work/caddy" ./cmd/caddy)

# 3. The page.
mkdir -p "$work/site"
python3 "$here/gen_page.py" "$PAGE_BYTES" >"$work/site/index.html"
page_size=$(wc -c <"$work/site/index.html")

# 4. The four sites.
cat >"$work/Caddyfile" <<CADDYFILE
{
	admin localhost:$ADMIN
	persist_config off
	local_certs
	skip_install_trust
	auto_https disable_redirects
	default_bind 127.0.0.1
	storage file_system $work/storage
}
http://127.0.0.1:$HTTP_PLAIN {
	root * $work/site
	file_server
}
http://127.0.0.1:$HTTP_BRIDGE {
	root * $work/site
	bridge {
		embed $EMBED
	}
	file_server
}
https://localhost:$HTTPS_PLAIN {
	tls internal
	root * $work/site
	file_server
}
https://localhost:$HTTPS_BRIDGE {
	tls internal
	root * $work/site
	bridge {
		embed $EMBED
	}
	file_server
}
CADDYFILE

HOME=$work XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data \
	"${caddy_cpu[@]}" "$work/caddy" run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
caddy_pid=$!

urls=(
	"http://127.0.0.1:$HTTP_PLAIN/" "http://127.0.0.1:$HTTP_BRIDGE/"
	"https://localhost:$HTTPS_PLAIN/" "https://localhost:$HTTPS_BRIDGE/"
)
# Ready when all four sites answer (bounded: 30 s; the first HTTPS
# certificate is issued at start).
ready=
for _ in $(seq 300); do
	ready=1
	for u in "${urls[@]}"; do
		curl -skf -o /dev/null --max-time 1 "$u" || { ready=; break; }
	done
	[[ -n $ready ]] && break
	kill -0 "$caddy_pid" 2>/dev/null || { cat "$work/caddy.log" >&2; echo "caddy exited" >&2; exit 1; }
	sleep 0.1
done
[[ -n $ready ]] || { cat "$work/caddy.log" >&2; echo "caddy not ready within 30 s" >&2; exit 1; }

# The same request headers as page.lua.
browser=(
	-H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
	-H 'Accept-Encoding: identity'
	-H 'Sec-Fetch-Dest: document' -H 'Sec-Fetch-Mode: navigate' -H 'Sec-Fetch-Site: none'
)
fail() { echo "CHECK FAILED: $*" >&2; exit 1; }
# count STRING FILE: how many times STRING occurs in FILE.
count() { { grep -o -- "$1" "$2" || true; } | wc -l; }
# check NAME URL WANT: fetches URL as a browser would and checks it.
check() {
	local name=$1 url=$2 want=$3 body=$work/check.body hdr=$work/check.hdr code n
	code=$(curl -sk "${browser[@]}" -D "$hdr" -o "$body" -w '%{http_code}' "$url")
	[[ $code == 200 ]] || fail "$name $url answered $code"
	n=$(count "$PARAM" "$body")
	[[ $n == "$want" ]] || fail "$name $url: $PARAM appears $n times, want $want"
	if ((want == 0)); then
		cmp -s "$body" "$work/site/index.html" || fail "$name $url: the page is not served byte for byte"
	else
		[[ $(count 'data-caddy-bridge-shim' "$body") == 1 ]] || fail "$name $url: no early-message shim"
		grep -qi '^content-security-policy:.*frame-src[^;]*widget\.example\.com' "$hdr" ||
			fail "$name $url: no frame-src with the embed origin in the CSP"
	fi
	printf '  %-12s %-30s 200, %d bytes, %s x%d, %s\n' "$name" "$url" "$(wc -c <"$body")" "$PARAM" "$n" \
		"$(grep -i '^content-length:' "$hdr" | tr -d '\r' || echo 'no Content-Length')" >&2
}
echo "page: $page_size bytes, 6 iframes (4 to $EMBED); checking the four sites:" >&2
check "HTTP plain" "${urls[0]}" 0
check "HTTP bridge" "${urls[1]}" $WANT_TOKENS
check "HTTPS plain" "${urls[2]}" 0
check "HTTPS bridge" "${urls[3]}" $WANT_TOKENS
# Two bridge answers must carry different tokens.
for k in 1 2; do
	curl -sk "${browser[@]}" -o "$work/fresh$k" "${urls[3]}" || fail "fetching ${urls[3]}"
done
# (An unquoted attribute gets "=" as "&#61;".)
tokens=$(cat "$work/fresh1" "$work/fresh2" | { grep -oE "$PARAM(=|&#61;)[A-Za-z0-9_-]+" || true; } | sort -u | wc -l)
[[ $tokens == $((2 * WANT_TOKENS)) ]] || fail "$tokens distinct tokens in two answers, want $((2 * WANT_TOKENS)) (one fresh token per iframe per response)"

clk=$(getconf CLK_TCK)
caddy_ticks() { awk '{print $14 + $15}' "/proc/$caddy_pid/stat"; }
# busy_ticks: CPU ticks spent by the whole machine (all CPUs) so far.
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
# children_secs: user+sys CPU seconds of this shell's finished children.
# (`times` runs in this shell, not in a $(...) subshell, which would have
# no children of its own yet.)
children_secs() {
	times >"$work/times"
	awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times"
}

# run URL DURATION: one wrk run; sets rps, reqs, caddy_us (Caddy CPU µs
# per request), wrk_pct (wrk's CPU, % of one CPU) and others_pct (CPU
# used by everything else on the machine meanwhile, % of one CPU: other
# work sharing the machine makes the figures noisy). Checks that every
# answer was a 2xx with a whole page and that no socket failed.
run() {
	local out line bad errs bytes t0 t1 w0 w1 m0 m1 secs
	children_secs >"$work/w0"
	t0=$(caddy_ticks) m0=$(busy_ticks)
	"${wrk_cpu[@]}" wrk -t"$THREADS" -c"$CONNS" -d"$2" -s "$here/page.lua" "$1" >"$work/wrk.out"
	t1=$(caddy_ticks) m1=$(busy_ticks)
	children_secs >"$work/w1"
	w0=$(<"$work/w0") w1=$(<"$work/w1")
	out=$(<"$work/wrk.out")
	line=$(grep '^RESULT ' <<<"$out") || { echo "$out" >&2; echo "wrk printed no result" >&2; exit 1; }
	read -r _ rps reqs bad errs bytes <<<"$line"
	if ((reqs == 0 || bad != 0 || errs != 0)); then
		echo "$out" >&2
		echo "--- the end of Caddy's log:" >&2
		tail -n 20 "$work/caddy.log" >&2
		echo "$1: $bad non-2xx answers and $errs socket errors in $reqs requests (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
		exit 1
	fi
	# Every answer must have been a whole page (wrk counts header bytes too).
	if ((bytes < reqs * page_size)); then
		echo "$1: $bytes bytes read for $reqs requests of a $page_size-byte page: short answers" >&2
		exit 1
	fi
	secs=$(awk -v r="$reqs" -v q="$rps" 'BEGIN {print r / q}')
	caddy_us=$(awk -v t=$((t1 - t0)) -v c="$clk" -v n="$reqs" 'BEGIN {printf "%.1f", t / c / n * 1e6}')
	wrk_pct=$(awk -v a="$w0" -v b="$w1" -v d="$secs" 'BEGIN {printf "%.0f", (b - a) / d * 100}')
	others_pct=$(awk -v m=$((m1 - m0)) -v t=$((t1 - t0)) -v w="$(awk -v a="$w0" -v b="$w1" 'BEGIN {print b - a}')" \
		-v c="$clk" -v d="$secs" 'BEGIN {o = (m - t) / c - w; if (o < 0) o = 0; printf "%.0f", o / d * 100}')
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# Other work on the machine skews the figures. wait_quiet waits until the
# machine is idle (< 15% of one CPU busy over 0.5 s), within a budget of
# QUIET_WAIT seconds for the whole run; it is called before the warm-up
# and before each plain/bridge pair.
quiet_left=$((QUIET_WAIT * 10)) # tenths of a second
waited=0
wait_quiet() {
	local m0 busy
	while :; do
		m0=$(busy_ticks)
		sleep 0.5
		busy=$((($(busy_ticks) - m0) * 200 / clk))
		((busy < 15 || quiet_left <= 0)) && return 0
		quiet_left=$((quiet_left - 5)) waited=$((waited + 5))
	done
}
wait_quiet
echo "warm-up ($WARMUP each)" >&2
for u in "${urls[@]}"; do run "$u" "$WARMUP"; done

echo "$ROUNDS alternated rounds of $DURATION per site, wrk -t$THREADS -c$CONNS, $(nproc) CPUs," \
	"$([[ $PIN != 0 ]] && echo 'Caddy pinned to CPU 0 and wrk to CPU 1' || echo 'unpinned')," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A rps_of cpu_of wrk_of oth_of
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
for i in $(seq "$ROUNDS"); do
	for t in HTTP HTTPS; do
		if [[ $t == HTTP ]]; then plain=${urls[0]} bridge=${urls[1]}; else plain=${urls[2]} bridge=${urls[3]}; fi
		if ((i % 2)); then order=(plain bridge); else order=(bridge plain); fi
		wait_quiet
		for site in "${order[@]}"; do
			if [[ $site == plain ]]; then run "$plain" "$DURATION"; else run "$bridge" "$DURATION"; fi
			rps_of[$t.$site.$i]=$rps cpu_of[$t.$site.$i]=$caddy_us
			wrk_of[$t.$site.$i]=$wrk_pct oth_of[$t.$site.$i]=$others_pct
		done
		noisy=
		((oth_of[$t.plain.$i] > 25 || oth_of[$t.bridge.$i] > 25)) && noisy='  NOISY'
		printf '%-5s round %d (%-6s first): plain %7.1f req/s, bridge %7.1f req/s, ratio %s | Caddy CPU/req: plain %5.1f us, bridge %5.1f us | wrk CPU %s%%/%s%%, others %s%%/%s%%%s\n' \
			"$t" "$i" "${order[0]}" "${rps_of[$t.plain.$i]}" "${rps_of[$t.bridge.$i]}" \
			"$(div "${rps_of[$t.bridge.$i]}" "${rps_of[$t.plain.$i]}")" \
			"${cpu_of[$t.plain.$i]}" "${cpu_of[$t.bridge.$i]}" \
			"${wrk_of[$t.plain.$i]}" "${wrk_of[$t.bridge.$i]}" "${oth_of[$t.plain.$i]}" "${oth_of[$t.bridge.$i]}" "$noisy"
	done
done
echo "(CPU in % of one CPU, plain/bridge; \"others\" is what the rest of the machine used meanwhile;" \
	"NOISY: others > 25%; waited $((waited / 10)) s in all for an idle machine)"

echo
for t in HTTP HTTPS; do
	p=() b=() r=() c=() pc=() bc=() clean=()
	for i in $(seq "$ROUNDS"); do
		p+=("${rps_of[$t.plain.$i]}") b+=("${rps_of[$t.bridge.$i]}")
		pc+=("${cpu_of[$t.plain.$i]}") bc+=("${cpu_of[$t.bridge.$i]}")
		r+=("$(div "${rps_of[$t.bridge.$i]}" "${rps_of[$t.plain.$i]}")")
		c+=("$(div "${cpu_of[$t.plain.$i]}" "${cpu_of[$t.bridge.$i]}")")
		((oth_of[$t.plain.$i] > 25 || oth_of[$t.bridge.$i] > 25)) || clean+=("${r[-1]}")
	done
	mp=$(printf '%s\n' "${p[@]}" | median) mb=$(printf '%s\n' "${b[@]}" | median)
	mr=$(printf '%s\n' "${r[@]}" | median) mc=$(printf '%s\n' "${c[@]}" | median)
	mpc=$(printf '%s\n' "${pc[@]}" | median) mbc=$(printf '%s\n' "${bc[@]}" | median)
	ok=$(awk -v r="$mr" 'BEGIN {print (r >= 0.95 ? "meets" : "BELOW")}')
	printf '%-5s median req/s: plain %.1f, bridge %.1f | bridge/plain: median of round ratios %.3f, ratio of medians %s (%s the 0.95 goal)\n' \
		"$t" "$mp" "$mb" "$mr" "$(div "$mb" "$mp")" "$ok"
	printf '%-5s median Caddy CPU per request: plain %.1f us, bridge %.1f us (+%.1f us); CPU-cost ratio plain/bridge %.3f' \
		"" "$mpc" "$mbc" "$(awk -v a="$mbc" -v b="$mpc" 'BEGIN {print a - b}')" "$mc"
	if ((${#clean[@]} < ROUNDS)); then
		printf '; %d of %d rounds NOISY' $((ROUNDS - ${#clean[@]})) "$ROUNDS"
		((${#clean[@]} == 0)) || printf ', median ratio of the clean ones %.3f' "$(printf '%s\n' "${clean[@]}" | median)"
	fi
	echo
done

# 6. Optional profiles of the HTTPS sites under load, per request: CPU
# (admin /debug/pprof/profile) and allocations (two /debug/pprof/allocs
# snapshots around it), plain and bridge.
# profile NAME URL: profiles Caddy for PROFILE_SECS while wrk loads URL;
# writes $work/NAME.pprof, NAME.a0 and NAME.a1 and sets prof_reqs (the
# requests served in the window).
profile() {
	local line
	wait_quiet
	"${wrk_cpu[@]}" wrk -t"$THREADS" -c"$CONNS" -d$((PROFILE_SECS + 4))s -s "$here/page.lua" "$2" >"$work/prof-wrk.out" &
	load_pid=$!
	sleep 2
	if ! { curl -sf -o "$work/$1.a0" "http://localhost:$ADMIN/debug/pprof/allocs" &&
		curl -sf -o "$work/$1.pprof" "http://localhost:$ADMIN/debug/pprof/profile?seconds=$PROFILE_SECS" &&
		curl -sf -o "$work/$1.a1" "http://localhost:$ADMIN/debug/pprof/allocs"; }; then
		fail "could not fetch the profiles from the admin endpoint"
	fi
	wait "$load_pid" || true
	load_pid=
	line=$(grep '^RESULT ' "$work/prof-wrk.out") || fail "wrk printed no result while profiling"
	prof_reqs=$(awk -v s="$PROFILE_SECS" '{printf "%d", $2 * s}' <<<"$line")
}
# pp REQS SCALE UNIT PPROF-ARGS...: `go tool pprof -top PPROF-ARGS` with the
# flat and cum columns per request (values without their UNIT suffix, times
# SCALE, divided by REQS).
pp() {
	local n=$1 scale=$2 unit=$3
	shift 3
	go tool pprof -top -nodefraction=0 "$@" 2>/dev/null | awk -v n="$n" -v k="$scale" -v u="$unit" '
		f && NF >= 6 {
			a = $1; c = $4; sub(u "$", "", a); sub(u "$", "", c)
			name = $6; for (i = 7; i <= NF; i++) name = name " " $i
			printf "%10.2f %10.2f  %s\n", a * k / n, c * k / n, name
		}
		/ flat%/ { f = 1; printf "%10s %10s  %s\n", "flat", "cum", "function" }'
}
# table REQS SCALE UNIT PPROF-ARGS...: "<name>\t<flat>\t<cum>" per request
# for every function, sorted by name.
table() {
	pp "$@" -nodecount=100000 | awk 'NR > 1 {
		name = $3; for (i = 4; i <= NF; i++) name = name " " $i
		print name "\t" $1 "\t" $2 }' | sort -t $'\t' -k1,1
}
# per_req REQS: rewrites every "<n>ms" in pprof's output (-unit=ms) as
# µs per request.
per_req() {
	awk -v n="$1" '{
		out = ""
		while (match($0, /[0-9.]+ms/)) {
			v = substr($0, RSTART, RLENGTH - 2) * 1000 / n
			out = out substr($0, 1, RSTART - 1) sprintf("%.2fus", v)
			$0 = substr($0, RSTART + RLENGTH)
		}
		print out $0
	}'
}
if [[ $PROFILE != 0 ]]; then
	echo
	echo "profiling Caddy ($PROFILE_SECS s each, admin /debug/pprof) under load on ${urls[2]} and ${urls[3]}" >&2
	profile plain "${urls[2]}"
	np=$prof_reqs
	profile bridge "${urls[3]}"
	nb=$prof_reqs
	cpu=(-unit=ms "$work/caddy")
	for site in plain bridge; do
		n=np
		[[ $site == bridge ]] && n=nb
		printf 'HTTPS %-6s: %d requests in %d s; per request: CPU %.1f us (sampled), allocated %.0f bytes in %.0f objects\n' \
			"$site" "${!n}" "$PROFILE_SECS" \
			"$(table "${!n}" 1000 ms "${cpu[@]}" "$work/$site.pprof" | awk -F '\t' '{t += $2} END {print t}')" \
			"$(table "${!n}" 1 B -sample_index=alloc_space -unit=B -base "$work/$site.a0" "$work/caddy" "$work/$site.a1" | awk -F '\t' '{t += $2} END {print t}')" \
			"$(table "${!n}" 1 '' -sample_index=alloc_objects -base "$work/$site.a0" "$work/caddy" "$work/$site.a1" | awk -F '\t' '{t += $2} END {print t}')"
	done
	echo
	echo "== CPU us per request in the main subtrees (cumulative), plain -> bridge =="
	join -t $'\t' -a 1 -a 2 -e 0 -o 0,1.3,2.3 \
		<(table "$np" 1000 ms -cum "${cpu[@]}" "$work/plain.pprof") <(table "$nb" 1000 ms -cum "${cpu[@]}" "$work/bridge.pprof") |
		grep -E '^(net/http\.\(\*conn\)\.serve|runtime\.gcBgMarkWorker|runtime\.bgsweep|runtime\.mallocgc|runtime\.memclrNoHeapPointers|runtime\.memmove|crypto/tls\.\(\*Conn\)\.(Write|Read)|syscall\.(read|write|Open)|net/http\.\(\*conn\)\.readRequest|github\.com/caddyserver/caddy/v2/modules/caddyhttp/fileserver\.\(\*FileServer\)\.ServeHTTP|io\.copyBuffer|github\.com/caddybridge/caddy-bridge/caddybridge\.\(\*Handler\)\.ServeHTTP)'$'\t' |
		awk -F '\t' '{printf "%+8.2f  (%7.2f -> %7.2f)  %s\n", $3 - $2, $2, $3, $1}' | sort -g -r
	echo
	echo "== CPU: flat us per request, bridge minus plain, top 15 =="
	join -t $'\t' -a 1 -a 2 -e 0 -o 0,1.2,2.2 \
		<(table "$np" 1000 ms "${cpu[@]}" "$work/plain.pprof") <(table "$nb" 1000 ms "${cpu[@]}" "$work/bridge.pprof") |
		awk -F '\t' '{printf "%+8.2f  (%7.2f -> %7.2f)  %s\n", $3 - $2, $2, $3, $1}' | sort -g -r | awk 'NR <= 15'
	echo
	echo "== CPU us per request in the bridge path (caddy-bridge functions; flat = own + hidden callees) =="
	pp "$nb" 1000 ms -cum -show='caddy-bridge' -nodecount=25 "${cpu[@]}" "$work/bridge.pprof"
	echo
	echo "== what the main bridge functions call, us per request =="
	go tool pprof -nodefraction=0 -peek 'caddy-bridge/caddybridge\.\(\*(pageRewrite|responseWriter|planCache)\)\.(close|readFrom|ReadFrom|writeHeader|sendHeader|plan)$|caddy-bridge/htmlrewrite\.\(\*Plan\)\.(Apply|ApplyAppend)$|caddy-bridge/bridgekey\.(MintToken|MintTokenFor|AppendTokenFor|\(\*TokenMinter\)\.AppendToken)$' \
		"${cpu[@]}" "$work/bridge.pprof" 2>/dev/null | sed -n '/calls%/,$p' | per_req "$nb"
	echo
	echo "== allocations per request in the bridge path (bytes, then objects; caddy-bridge functions) =="
	pp "$nb" 1 B -sample_index=alloc_space -unit=B -show='caddy-bridge' -nodecount=12 -base "$work/bridge.a0" "$work/caddy" "$work/bridge.a1"
	pp "$nb" 1 '' -sample_index=alloc_objects -show='caddy-bridge' -nodecount=15 -base "$work/bridge.a0" "$work/caddy" "$work/bridge.a1"
	echo
	echo "== allocations per request, bytes, bridge minus plain, top 10 (flat) =="
	join -t $'\t' -a 1 -a 2 -e 0 -o 0,1.2,2.2 \
		<(table "$np" 1 B -sample_index=alloc_space -unit=B -base "$work/plain.a0" "$work/caddy" "$work/plain.a1") \
		<(table "$nb" 1 B -sample_index=alloc_space -unit=B -base "$work/bridge.a0" "$work/caddy" "$work/bridge.a1") |
		awk -F '\t' '{printf "%+9.0f  (%7.0f -> %7.0f)  %s\n", $3 - $2, $2, $3, $1}' | sort -g -r | awk 'NR <= 10'
	if [[ -n $PROFILE_OUT ]]; then
		mkdir -p "$PROFILE_OUT"
		cp "$work"/{plain,bridge}.{pprof,a0,a1} "$work/caddy" "$PROFILE_OUT/"
		echo "raw profiles and the Caddy binary: $PROFILE_OUT (go tool pprof $PROFILE_OUT/caddy $PROFILE_OUT/bridge.pprof)"
	fi
fi
