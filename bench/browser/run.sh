#!/usr/bin/env bash
# Browser benchmarks of the WebAssembly bridge runtime: round trips and
# ready times of caddy-bridge (v2 signed, v1 unsigned) beside a raw
# window.postMessage echo, a raw MessageChannel echo and penpal 7, in
# headless Chromium against a Caddy built from this checkout. See
# README.md beside this file; main.go's doc comment lists the tunables
# (ROUNDS, N, WARMUP, LOADS, DIAG, DIAG_ROUNDS, ISOLATE, CHROMIUM, LIMIT).
#
# Usage: bash bench/browser/run.sh   (from anywhere)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v npm >/dev/null || { echo "npm is missing: apt-get install -y npm" >&2; exit 1; }
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || { echo "Chromium is missing: apt-get install -y chromium" >&2; exit 1; }

# penpal and noble-hashes from the lock file (npm ci), unless node_modules
# already has those versions.
stale=
for pkg in penpal @noble/hashes; do
	want=$(node -p 'require(process.argv[1]).packages["node_modules/" + process.argv[2]].version' "$here/package-lock.json" "$pkg")
	have=$(node -p 'require(process.argv[1]).version' "$here/node_modules/$pkg/package.json" 2>/dev/null || true)
	[[ $want == "$have" ]] || stale=1
done
if [[ -n $stale ]]; then
	echo "npm ci in bench/browser" >&2
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building ./cmd/caddy" >&2
(cd "$root" && go build -o "$work/caddy" ./cmd/caddy)
cd "$root"
CADDY="$work/caddy" go run ./bench/browser
