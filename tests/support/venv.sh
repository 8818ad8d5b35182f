#!/usr/bin/env bash
# Creates or updates the project's Python virtual environment, target/venv, from
# tests/requirements.txt (every package pinned), never touching the machine's own Python.
# It re-installs when requirements.txt changed since the last install. Prints the venv's
# python on stdout, and nothing else there (pip's output goes to stderr).
# Usage: python=$(tests/support/venv.sh)
set -euo pipefail
tests=$(cd "$(dirname "$0")/.." && pwd)
venv=$(cd "$tests/.." && pwd)/target/venv
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$tests/requirements.txt" "$venv/requirements.txt"; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$tests/requirements.txt" >&2
  cp "$tests/requirements.txt" "$venv/requirements.txt"
fi
echo "$venv/bin/python"
