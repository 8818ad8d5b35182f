#!/usr/bin/env bash
# Runs every test of the project: unit and integration tests against the real binary.
# Usage: tests/run.sh   (from anywhere; needs only a Rust toolchain)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets
