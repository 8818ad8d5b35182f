#!/usr/bin/env bash
# Runs every test of the project. Needs only a Rust toolchain, Node.js 20 and Python 3;
# it installs what else the suites need (README, "Tests", lists it all). Everything is
# compiled once, in the release profile, for the static musl target the Dockerfile ships:
# the integration tests, the browser suite, the API fuzzing and the load smoke all run
# that one binary. Where the musl target cannot be installed (no route to the Rust
# distribution server) it says so and tests the host build instead.
#
# Usage: tests/run.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

status=0
triple=$(deploy/build-static.sh --toolchain-only) || status=$?
if [ "$status" = 0 ]; then
  target=(--target "$triple")
  bin=target/$triple/release/fundraiser
elif [ "$status" = 3 ]; then
  echo "== static build: SKIPPED, the musl target cannot be installed here; testing the host build" >&2
  target=()
  bin=target/release/fundraiser
else
  exit "$status"
fi

echo "== a throwaway PostgreSQL for the ledger's second backend (Debian's postgresql)"
pg_dir=$(mktemp -u /tmp/fundraiser-test-pg.XXXXXX)
pg_status=0
pg_url=$(tests/support/postgres.sh start "$pg_dir") || pg_status=$?
if [ "$pg_status" = 0 ]; then
  export TEST_POSTGRES_URL="$pg_url"
  [ -f "$pg_dir/ca.crt" ] && export TEST_POSTGRES_CA="$pg_dir/ca.crt"
  trap 'tests/support/postgres.sh stop "$pg_dir"' EXIT
  echo "PostgreSQL on $pg_url"
elif [ "$pg_status" = 3 ]; then
  unset TEST_POSTGRES_URL TEST_POSTGRES_CA
  echo "== PostgreSQL: SKIPPED, Debian's postgresql cannot be installed here: the ledger's PostgreSQL tests say SKIPPED" >&2
else
  exit "$pg_status"
fi

echo "== Python tools (target/venv: schemathesis, aiosmtpd)"
TEST_SMTP_PYTHON=$(tests/support/venv.sh)
export TEST_SMTP_PYTHON

echo "== unit, integration and property tests (cargo, release profile; benches compile too)"
cargo test --release --locked --all-targets "${target[@]}"

if [ "$status" = 0 ]; then
  echo "== the Docker image's static binary: checked static, copied alone, probed"
  tests/static_binary.sh "$bin"
fi

echo "== browser journeys, accessibility, page weight (Playwright + Debian's Chromium)"
tests/e2e/run.sh "$bin"

echo "== API fuzzing against /openapi.json (schemathesis)"
tests/api_fuzz.sh "$bin"

echo "== soak: mixed traffic, zero 5xx"
python3 tests/soak.py "$bin" --seconds 15

echo "== slow clients: slow headers, bodies and reads (slowhttptest)"
tests/slow_clients.sh "$bin"

echo "== load benchmark, smoke run: 1 s per case against nginx, confirmations verified"
BIN="$bin" benches/load.sh 1 1

if [ "$pg_status" = 0 ]; then
  echo "== ledgers benchmark, smoke run: 1 s per case, SQLite and PostgreSQL with 1 and 3 servers, verified"
  BIN="$bin" benches/ledgers.sh 1 1
fi

echo "== fuzzing: each cargo-fuzz target for a bounded time"
tests/fuzz.sh 15

echo "== every suite passed in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
