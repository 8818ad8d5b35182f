#!/usr/bin/env bash
# Runs each cargo-fuzz target (tests/fuzz) for a short, bounded time.
# Usage: tests/fuzz.sh [SECONDS_PER_TARGET]   (default 15)
# cargo-fuzz is installed into target/tools (never the machine's ~/.cargo) and builds into
# target/fuzz. It needs unstable compiler flags; RUSTC_BOOTSTRAP=1 allows them on the
# stable toolchain, for this script only. No AddressSanitizer: the project forbids unsafe
# code, and without it the build is shorter and each second runs more inputs; libFuzzer's
# coverage guidance, debug assertions and overflow checks stay on.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/tests/fuzz"
seconds=${1:-15}
fuzz="$root/target/tools/bin/cargo-fuzz"
if [ ! -x "$fuzz" ]; then
  cargo install --locked --quiet --root "$root/target/tools" cargo-fuzz --version 0.13.2
fi
# The fuzz workspace's lock file is committed; a build that had to rewrite it would leave
# the tree dirty and fuzz other versions than the ones the project ships.
if ! cargo metadata --locked --format-version 1 >/dev/null 2>&1; then
  echo "fuzz: tests/fuzz/Cargo.lock is out of date with Cargo.toml or the main Cargo.lock;" >&2
  echo "      update it (cd tests/fuzz && cargo update --workspace) and commit it" >&2
  exit 1
fi
export RUSTC_BOOTSTRAP=1
targets=(amount form signature accept_encoding)
# The dev profile, as tests/fuzz/Cargo.toml tunes it.
opts=(--fuzz-dir . --dev --sanitizer none --target-dir "$root/target/fuzz")
"$fuzz" build "${opts[@]}"
passed=0
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds}s"
  "$fuzz" run "${opts[@]}" "$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 3
  passed=$((passed + 1))
done
echo "$passed passed, 0 failed"
