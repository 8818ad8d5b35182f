#!/usr/bin/env bash
# Slow clients (slowhttptest, Debian package): slow headers, slow bodies and slow reads
# from hundreds of connections, while a probe checks the site keeps answering others.
# Bounded in time; loopback only. Usage: tests/slow_clients.sh BINARY
set -euo pipefail
bin=$(realpath "${1:?path to the fundraiser binary}")
if ! command -v slowhttptest >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slowhttptest >/dev/null
  else
    echo "slow clients: skipped, slowhttptest is not installed (apt-get install slowhttptest)"; exit 0
  fi
fi
. "$(dirname "$0")/support/server.sh"
start_fundraiser "$bin" FUNDRAISER_LIMITS__HEADER_TIMEOUT=3s FUNDRAISER_LIMITS__BODY_TIMEOUT=3s

failures=0
probes=0
run() {
  local name=$1; shift
  slowhttptest "$@" -l 12 -o "$work/$name" >"$work/$name.out" 2>&1 &
  local attack=$!
  sleep 2
  local end=$((SECONDS + 9))
  while [ $SECONDS -lt $end ]; do
    probes=$((probes + 1))
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$addr/" || true)
    if [ "$code" != 200 ]; then
      failures=$((failures + 1)); echo "  $name: probe answered '$code'"
    fi
    sleep 0.3
  done
  wait "$attack" || true
  # slowhttptest's last status: how many slow connections it held, and its own probe.
  sed 's/\x1b\[[0-9;]*m//g' "$work/$name.out" | grep -E 'pending|connected|closed|service available' | tail -4 | tr -s ' ' | sed "s/^/  $name: /"
}
echo "slow headers (slowloris)"
run headers -H -c 800 -r 200 -i 2 -u "$addr/" -t GET
echo "slow bodies (R-U-Dead-Yet)"
run bodies -B -c 800 -r 200 -i 2 -s 4000 -u "$addr/donate" -t POST
echo "slow reads"
run reads -X -c 400 -r 200 -w 1 -y 4 -n 2 -z 8 -k 4 -u "$addr/" -t GET
echo "slow clients: $probes probes of the home page, $failures failed"
echo "$((probes - failures)) passed, $failures failed"
[ "$failures" = 0 ]
