#!/usr/bin/env bash
# Browser tests of the dashboard against a real traded binary.
# Usage: tests/browser/run.sh <path-to-traded>
# Needs: `npm ci --prefix dashboard` (installs playwright-core) and Debian's chromium at
# /usr/bin/chromium (override with CHROMIUM=...). Screenshots go to tests/browser/screenshots/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ $# -ne 1 || ! -x "$1" ]]; then
  echo "usage: $0 <path-to-traded-binary>" >&2
  exit 2
fi
if [[ ! -d "$root/dashboard/node_modules/playwright-core" ]]; then
  echo "dashboard/node_modules is missing: run \`npm ci --prefix dashboard\` first" >&2
  exit 2
fi
if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
  echo "chromium not found at ${CHROMIUM:-/usr/bin/chromium}: apt-get install chromium" >&2
  exit 2
fi
# The embedded chart library must be the version pinned in package-lock.json.
node "$root/dashboard/scripts/vendor.mjs" --check
export TRADED_BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
cd "$here"
exec node --test --test-concurrency=1 --test-timeout=120000 dashboard.test.mjs
