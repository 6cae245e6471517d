#!/usr/bin/env bash
# Runs every test of caddy-bridge. The browser tests drive Debian's
# Chromium; on a machine without it, this installs it first (needs root
# and Debian's package sources), since no test skips for want of it.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
	echo "installing Chromium (Debian package) for the browser tests" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
exec go test ./... "$@"
