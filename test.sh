#!/usr/bin/env bash
# Runs every test of caddy-bridge. The browser tests drive Debian's
# Chromium, and the runtime's packages compiled to WebAssembly run under
# Node.js; on a machine without them, this installs them first (needs root
# and Debian's package sources), since no test skips for want of them.
set -euo pipefail
cd "$(dirname "$0")"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if ((${#missing[@]})); then
	echo "installing ${missing[*]} (Debian packages) for the tests" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
exec go test ./... "$@"
