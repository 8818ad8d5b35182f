# Sourced by the shell test scripts: starts fundraiser in a fresh temporary folder on a
# loopback ephemeral port. Usage: start_fundraiser BINARY [NAME=VALUE ...]
# Sets: work (the folder, removed on exit), log (its stderr), pid, addr (http://IP:PORT).
start_fundraiser() {
  local bin=$1; shift
  work=$(mktemp -d)
  log="$work/server.log"
  trap 'if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; rm -rf "$work"' EXIT
  (cd "$work" && exec env FUNDRAISER_SANDBOX__SECRET=script-secret \
    RUST_LOG=warn,fundraiser::server=info,fundraiser::middleware=warn "$@" \
    "$bin" serve --bind 127.0.0.1:0 2>"$log") &
  pid=$!
  addr=""
  for _ in $(seq 100); do
    addr=$(grep -o 'listening on http://[0-9.:]*' "$log" 2>/dev/null | head -1 | sed 's/listening on //') || true
    [ -n "$addr" ] && return 0
    sleep 0.1
  done
  cat "$log" >&2
  echo "fundraiser did not start" >&2
  return 1
}
