#!/usr/bin/env bash
# Session-endpoint throughput against a plain `respond` route in the same
# Caddy, same run (issue 3, goal: session >= 0.8x respond).
#
# Builds ./cmd/caddy, starts one Caddy with
#   - a parent site (bridge, embed listed) whose POST /_bridge/session
#     {"embed"} mints a token and derives its session key per request;
#   - a site without the bridge that only does `respond "p"`, the baseline;
# then runs ROUNDS alternated wrk rounds (respond, session, respond, ...)
# and prints the median req/s of each and their ratio. Then, unless
# REDEEM=0, runs the Go benchmark of the redeem path (BenchmarkSession in
# this folder), which needs a fresh token per request.
#
# Every mint also records the parent's redemption in the process-wide
# redemption store (2,097,152 live entries at most; a full store answers
# 503 BUSY), and an entry lives as long as its token (token_ttl, 2m by
# default). At tens of thousands of mints per second the default would
# fill the store within a run, so the parent site sets token_ttl to
# TOKEN_TTL (10s). A run that still fills it fails with the count of
# non-2xx answers.
#
# Usage: bench/session/run.sh   (from anywhere; wrk from Debian's package)
# Tunables: ROUNDS (5), DURATION (5s), THREADS (2), CONNS (32),
# TOKEN_TTL (10s), REDEEM (1).
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
REDEEM=${REDEEM:-1}
TOKEN_TTL=${TOKEN_TTL:-10s}
PARENT_PORT=9280 EMBED_PORT=9281 PLAIN_PORT=9282
ORIGIN=http://localhost:$PARENT_PORT
EMBED=http://127.0.0.1:$EMBED_PORT

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing: apt-get install -y curl" >&2; exit 1; }

work=$(mktemp -d)
caddy_pid=
stop_caddy() {
	if [[ -n $caddy_pid ]] && kill -0 "$caddy_pid" 2>/dev/null; then
		kill -TERM "$caddy_pid"
		for _ in $(seq 100); do kill -0 "$caddy_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$caddy_pid" 2>/dev/null || true
	fi
	caddy_pid=
}
cleanup() {
	stop_caddy
	rm -rf "$work"
}
trap cleanup EXIT

for port in $PARENT_PORT $EMBED_PORT $PLAIN_PORT; do
	if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
		echo "port $port is already in use" >&2
		exit 1
	fi
done

echo "building ./cmd/caddy" >&2
(cd "$root" && go build -o "$work/caddy" ./cmd/caddy)

cat >"$work/Caddyfile" <<CADDYFILE
{
	admin off
	persist_config off
	auto_https off
	skip_install_trust
	default_bind 127.0.0.1
	storage file_system $work/storage
}
http://localhost:$PARENT_PORT {
	bridge {
		embed $EMBED
		token_ttl $TOKEN_TTL
		allow_insecure_localhost
	}
	respond "p"
}
http://127.0.0.1:$EMBED_PORT {
	bridge {
		parent $ORIGIN
		allow_insecure_localhost
	}
	respond "e"
}
http://localhost:$PLAIN_PORT {
	respond "p"
}
CADDYFILE

HOME=$work XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data \
	"$work/caddy" run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
caddy_pid=$!

# Ready when both sites answer (bounded: 20 s).
ready=
for _ in $(seq 200); do
	if curl -sf -o /dev/null --max-time 1 "http://localhost:$PLAIN_PORT/" &&
		[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -X POST -H "Origin: $ORIGIN" \
			-H 'Content-Type: application/json' -d "{\"embed\":\"$EMBED\"}" "$ORIGIN/_bridge/session") == 200 ]]; then
		ready=1
		break
	fi
	kill -0 "$caddy_pid" 2>/dev/null || { cat "$work/caddy.log" >&2; echo "caddy exited" >&2; exit 1; }
	sleep 0.1
done
[[ -n $ready ]] || { cat "$work/caddy.log" >&2; echo "caddy not ready within 20 s" >&2; exit 1; }

# round MODE URL: runs wrk once, checks that every answer was a 2xx, and
# prints the req/s.
round() {
	local out line
	out=$(MODE=$1 ORIGIN=$ORIGIN EMBED=$EMBED wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s "$here/session.lua" "$2")
	line=$(grep '^RESULT ' <<<"$out") || { echo "$out" >&2; echo "wrk printed no result" >&2; exit 1; }
	read -r _ rps n bad errs <<<"$line"
	if ((n == 0 || bad != 0 || errs != 0)); then
		echo "$out" >&2
		echo "$1: $bad non-2xx answers and $errs socket errors in $n requests" >&2
		exit 1
	fi
	echo "$rps"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

echo "$ROUNDS alternated rounds of $DURATION, wrk -t$THREADS -c$CONNS, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
respond=() session=()
for i in $(seq "$ROUNDS"); do
	r=$(round respond "http://localhost:$PLAIN_PORT/")
	s=$(round session "$ORIGIN/_bridge/session")
	respond+=("$r") session+=("$s")
	printf 'round %d: respond %10.1f req/s   session (mint) %10.1f req/s\n' "$i" "$r" "$s"
done
mr=$(printf '%s\n' "${respond[@]}" | median)
ms=$(printf '%s\n' "${session[@]}" | median)
printf 'median: respond %.1f req/s, session (mint) %.1f req/s, ratio %.3f (goal >= 0.8)\n' \
	"$mr" "$ms" "$(awk -v s="$ms" -v r="$mr" 'BEGIN {print s / r}')"

if [[ $REDEEM != 0 ]]; then
	stop_caddy
	echo "redeem path (Go benchmark BenchmarkSession, its own Caddy, $ROUNDS alternated rounds of 2s):" >&2
	out=$(cd "$root" && CADDY_BIN=$work/caddy BENCH_ROUNDS=$ROUNDS go test -run '^$' -bench . -benchtime 2s ./bench/session) || { echo "$out" >&2; exit 1; }
	grep -E '^Benchmark' <<<"$out" >&2
	rr=$(awk '/^BenchmarkSession\/respond\// {for (i = 1; i < NF; i++) if ($(i+1) == "req/s") print $i}' <<<"$out" | median)
	rd=$(awk '/^BenchmarkSession\/redeem\// {for (i = 1; i < NF; i++) if ($(i+1) == "req/s") print $i}' <<<"$out" | median)
	printf 'median: respond %.1f req/s, session (redeem) %.1f req/s, ratio %.3f (goal >= 0.8)\n' \
		"$rr" "$rd" "$(awk -v s="$rd" -v r="$rr" 'BEGIN {print s / r}')"
fi
