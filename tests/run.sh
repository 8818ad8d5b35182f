#!/usr/bin/env bash
# Runs every test of the project. Needs only a Rust toolchain (plus, for the browser and
# API suites, Node.js 20 and Python 3, which it uses as found; as root it installs Debian's
# Chromium when missing). Everything builds once, in the release profile: the integration
# tests, the browser suite and the API fuzzing all run the same optimised binary.
#
# Usage: tests/run.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/fundraiser

echo "== unit, integration and property tests (cargo, release profile; benches compile too)"
cargo test --release --locked --all-targets

echo "== the Docker image's static binary, built and probed outside Docker"
tests/static_binary.sh

echo "== browser journeys, accessibility, page weight (Playwright + Debian's Chromium)"
tests/e2e/run.sh "$bin"

echo "== API fuzzing against /openapi.json (schemathesis)"
tests/api_fuzz.sh "$bin"

echo "== soak: mixed traffic, zero 5xx"
python3 tests/soak.py "$bin" --seconds 15

echo "== slow clients: slow headers, bodies and reads (slowhttptest)"
tests/slow_clients.sh "$bin"

echo "== load benchmark, smoke run: 1 s per case against nginx, confirmations verified"
benches/load.sh 1 1

echo "== fuzzing: each cargo-fuzz target for a bounded time"
tests/fuzz.sh 15
