#!/usr/bin/env bash
# The release build that the Dockerfile ships, and that CI runs outside Docker: one static
# binary (musl libc linked in), so it runs on any Linux of its architecture, even `FROM
# scratch`. Installs the musl target and musl-gcc (for the bundled SQLite and ring) when
# missing. Prints the binary's path. Exit code 3 when the target cannot be installed.
# With --toolchain-only it installs what the build needs and prints the target's name
# (tests/run.sh then builds and tests that very target in one go).
#
# Usage: deploy/build-static.sh [--toolchain-only]   (from anywhere; TARGET=aarch64-unknown-linux-musl to choose)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${TARGET:-$(uname -m)-unknown-linux-musl}

if ! rustup target list --installed | grep -qx "$target"; then
  # Exit code 3: the target's standard library could not be fetched (no route to the
  # Rust distribution server), as distinct from a build that fails.
  rustup target add "$target" >&2 || { echo "cannot install the $target target" >&2; exit 3; }
fi
if ! command -v musl-gcc >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing musl-tools (musl-gcc) from Debian" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >&2
  else
    echo "musl-gcc is missing: install musl-tools (Debian, Ubuntu) or musl-dev (Alpine)" >&2
    exit 1
  fi
fi

if [ "${1:-}" = --toolchain-only ]; then
  echo "$target"
  exit 0
fi
cargo build --release --locked --target "$target" --bin fundraiser >&2
echo "target/$target/release/fundraiser"
