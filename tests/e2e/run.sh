#!/usr/bin/env bash
# Browser end-to-end tests: starts the server in a fresh folder and drives Debian's
# Chromium, headless, through the donor's journeys, accessibility checks and page weights.
#
# Usage: tests/e2e/run.sh [SERVER_BINARY] [TEST_FILE...]
#   SERVER_BINARY  default: target/release/fundraiser of this repository (cargo build --release)
#   TEST_FILE      default: every *.test.mjs here
# Environment: SCREENSHOT_DIR (default /tmp/fundraiser-e2e-screenshots), CHROMIUM
# (default /usr/bin/chromium).
# Installs what is missing: the npm packages (npm ci) and, as root, Chromium (apt-get).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:-$here/../../target/release/fundraiser}"
shift || true

if [[ ! -x "$bin" ]]; then
  echo "e2e: server binary $bin not found or not executable; build it with: cargo build --release" >&2
  exit 1
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ "$CHROMIUM" == /usr/bin/chromium && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "e2e: installing Debian's Chromium (apt-get install chromium)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  fi
  if [[ ! -x "$CHROMIUM" ]]; then
    echo "e2e: $CHROMIUM is missing. Install Debian's Chromium first (as root: apt-get update &&" >&2
    echo "     apt-get install -y chromium), or set CHROMIUM to a Chromium binary." >&2
    exit 1
  fi
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "e2e: Node.js 20 or newer with npm is needed (node and npm are not on PATH)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  echo "e2e: Node.js 20 or newer is needed (found $(node --version))" >&2
  exit 1
fi

cd "$here"
# npm ci when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "e2e: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

tmp="$(mktemp -d -t fundraiser-e2e.XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The suite plays dozens of donors from one address: the per-address limits on donation
# attempts and on open donations are switched off (0) for it. The server's public address
# is the one the browser uses, so the pages' absolute links (canonical, share) lead back
# to it: a free loopback port is chosen first.
# Two funds, one of them Zakat, with gold at 300 and silver at 4 a gram: the fund choice
# and the Zakat calculator (zakat.test.mjs) are served; Zakat's goal gives it a bar on the
# home page (funds.test.mjs).
cat >"$tmp/config.toml" <<'TOML'
[[funds]]
id = "general"
label = { en = "Where most needed", ar = "حيث الحاجة أكبر" }
description = { en = "Wherever the campaign needs it most.", ar = "حيث تحتاج الحملة أكثر." }
[[funds]]
id = "zakat"
goal = 500000
label = { en = "Zakat", ar = "زكاة" }
description = { en = "Only for those eligible to receive Zakat.", ar = "للمستحقين وحدهم." }

[zakat]
gold_price_per_gram = 300
silver_price_per_gram = 4
prices_date = "2026-12-01"
TOML
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
(
  cd "$tmp"
  FUNDRAISER_SANDBOX__SECRET=e2e-secret RUST_LOG=warn,fundraiser=info \
    FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE=0 FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP=0 \
    FUNDRAISER_SERVER__PUBLIC_URL="http://127.0.0.1:$port" \
    exec "$bin" serve --bind "127.0.0.1:$port" >"$tmp/server.out" 2>"$tmp/server.log"
) &
server_pid=$!

addr=""
for _ in $(seq 1 100); do
  addr="$(sed 's/\x1b\[[0-9;]*m//g' "$tmp/server.log" | grep -o 'listening on http://[^ ]*' | head -n1 | sed 's|listening on http://||')" || true
  [[ -n "$addr" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "e2e: the server exited before listening:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$addr" ]]; then
  echo "e2e: the server did not say where it listens within 10 s:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
export BASE_URL="http://$addr"
# The waiting-page tests start a server of their own, with a line at its gate.
export SERVER_BIN="$bin"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-/tmp/fundraiser-e2e-screenshots}"
echo "e2e: server $bin at $BASE_URL (folder $tmp)"
echo "e2e: screenshots and the page-weight table go to $SCREENSHOT_DIR"

if (( $# > 0 )); then
  files=("$@")
else
  files=(journeys.test.mjs share.test.mjs a11y.test.mjs weight.test.mjs wait.test.mjs zakat.test.mjs funds.test.mjs ngenius.test.mjs lighthouse.test.mjs)
fi

# The spec reporter for people, TAP into a file to count the results.
set +e
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tmp/results.tap" \
  "${files[@]}"
status=$?
set -e

count() { sed -n "s/^# $1 \([0-9][0-9]*\)$/\1/p" "$tmp/results.tap" | tail -n1; }
passed="$(count pass)"
failed="$(count fail)"
cancelled="$(count cancelled)"
skipped="$(count skipped)"
if [[ -z "$passed" ]]; then
  echo "e2e: the test runner gave no summary (exit status $status)" >&2
  passed=0
  failed=${failed:-1}
fi
failed=$(( ${failed:-0} + ${cancelled:-0} ))
if (( status != 0 )); then
  echo "e2e: last lines of the server's log:"
  grep -v ' request ' "$tmp/server.log" | tail -n 20 || true
fi
if (( status != 0 && failed == 0 )); then failed=1; fi
if (( ${skipped:-0} > 0 )); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
