#!/usr/bin/env bash
# Runs schemathesis (PyPI) against the live server and its /openapi.json: no 5xx, no
# answer that breaks the documented schema. Usage: tests/api_fuzz.sh BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:?path to the fundraiser binary}")
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi
work=$(mktemp -d)
log="$work/server.log"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
(cd "$work" && exec env FUNDRAISER_SANDBOX__SECRET=api-fuzz \
  FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE=0 FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP=0 \
  FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE=0 RUST_LOG=warn,fundraiser=info \
  "$bin" serve --bind 127.0.0.1:0 2>"$log") &
pid=$!
for _ in $(seq 100); do
  addr=$(grep -o 'listening on http://[0-9.:]*' "$log" 2>/dev/null | head -1 | sed 's/listening on //') || true
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$log"; echo "server did not start"; exit 1; }
cd "$here"
schemathesis --config-file "$here/schemathesis.toml" run "$addr/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance --max-examples 60 --seed 1 --no-color
if grep -q ' status=5[0-9][0-9]' "$log"; then
  echo "the server answered 5xx:"; grep ' status=5' "$log"; exit 1
fi
