#!/usr/bin/env bash
# Runs each cargo-fuzz target (tests/fuzz) for a short, bounded time.
# Usage: tests/fuzz.sh [SECONDS_PER_TARGET]   (default 15)
# cargo-fuzz needs unstable compiler flags; RUSTC_BOOTSTRAP=1 allows them on the stable
# toolchain, for this script only.
set -euo pipefail
cd "$(dirname "$0")/fuzz"
seconds=${1:-15}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install --locked --quiet cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
targets=(amount form signature accept_encoding)
cargo fuzz build --fuzz-dir . -O
passed=0
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds}s"
  cargo fuzz run --fuzz-dir . -O "$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 3
  passed=$((passed + 1))
done
echo "$passed passed, 0 failed"
