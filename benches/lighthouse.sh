#!/usr/bin/env bash
# Lighthouse's performance score of the campaign's pages (home, donate, about, thank-you,
# both languages), with the machine's load average beside each page's score: a benchmark,
# since the score follows the CPU (the test suite asserts only what does not). Starts the
# binary on loopback through tests/e2e/run.sh (which installs Chromium and the npm packages
# when missing) and prints the table; the report is also written to $REPORT.
#
# Usage: benches/lighthouse.sh [BINARY]   (default target/release/fundraiser)
# Environment: REPORT (default /tmp/fundraiser-lighthouse.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/fundraiser}
export LIGHTHOUSE_REPORT=${REPORT:-/tmp/fundraiser-lighthouse.txt}
tests/e2e/run.sh "$bin" lighthouse.bench.mjs >/dev/null
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(uname -m)"
cat "$LIGHTHOUSE_REPORT"
