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
work=$(mktemp -d)
log="$work/server.log"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
(cd "$work" && exec env FUNDRAISER_SANDBOX__SECRET=slow RUST_LOG=warn \
  FUNDRAISER_LIMITS__HEADER_TIMEOUT=3s FUNDRAISER_LIMITS__BODY_TIMEOUT=3s \
  "$bin" serve --bind 127.0.0.1:0 2>"$log") &
pid=$!
addr=""
for _ in $(seq 100); do
  addr=$(grep -o 'listening on http://[0-9.:]*' "$log" 2>/dev/null | head -1 | sed 's/listening on //') || true
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$log"; echo "server did not start"; exit 1; }

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
  echo "  $name: $(grep -E 'service available' "$work/$name.out" | tail -1 | tr -s ' ')"
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
