#!/usr/bin/env bash
# Runs schemathesis (PyPI) against the live server and its /openapi.json: no 5xx, no
# answer that breaks the documented schema. Usage: tests/api_fuzz.sh BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:?path to the fundraiser binary}")
# schemathesis lives in a virtual environment of the project's (target/venv, pinned by
# tests/requirements.txt), never in the machine's own Python.
python=$("$here/support/venv.sh")
st="$(dirname "$python")/schemathesis"
. "$(dirname "$0")/support/server.sh"
token=api-fuzz-admin-token-0001
start_fundraiser "$bin" FUNDRAISER_ADMIN__TOKEN=$token FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE=0 FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP=0 FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE=0 RUST_LOG=warn,fundraiser=info
cd "$here"
"$st" --config-file "$here/schemathesis.toml" run "$addr/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all --exclude-checks positive_data_acceptance --max-examples 60 --seed 1 --no-color
if grep -q ' status=5[0-9][0-9]' "$log"; then
  echo "the server answered 5xx:"; grep ' status=5' "$log"; exit 1
fi
