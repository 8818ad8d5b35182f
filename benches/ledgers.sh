#!/usr/bin/env bash
# Durable confirmations per second on each ledger: SQLite (one server, the default),
# PostgreSQL with one server, and PostgreSQL shared by three servers, in the same run.
#
# Each round starts fresh servers on a fresh ledger (a new SQLite folder, or a new
# database on a throwaway PostgreSQL cluster this script starts), creates pending
# donations and lets wrk confirm them with signed sandbox webhooks (benches/webhooks.py),
# each answered only after its commit. With three servers, three wrk processes share the
# same 64 connections between them, each confirming the donations of its server. Every
# round is verified in the database afterwards (benches/webhooks.py verify). Cases are
# interleaved round by round; medians are printed with the ratio to SQLite.
#
# Usage: benches/ledgers.sh [SECONDS_PER_CASE] [ROUNDS]     default 5 s, 3 rounds
#        BIN=path/to/fundraiser benches/ledgers.sh ...
# Needs: wrk (Debian's; installed when missing and run as root), Debian's postgresql
# (tests/support/postgres.sh installs it), python3. Loopback only; bounded: about
# 3 × ROUNDS × (SECONDS + start-up) seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
conns=64
pending=${PENDING:-1500}

if ! command -v wrk >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi
command -v wrk >/dev/null || { echo "ledgers.sh: wrk is missing (apt-get install wrk)"; exit 1; }
if [ -n "${BIN:-}" ]; then
  bin=$(realpath "$BIN")
else
  [ -x target/release/fundraiser ] || cargo build --release --quiet
  bin=$(realpath target/release/fundraiser)
fi

base=$(mktemp -d)
pg_dir=$(mktemp -u /tmp/fundraiser-bench-pg.XXXXXX)
pids=()
stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_servers; tests/support/postgres.sh stop "$pg_dir"; rm -rf "$base"' EXIT
server=$(tests/support/postgres.sh start "$pg_dir")
command -v psql >/dev/null || PATH="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/psql | tail -n 1)"):$PATH"

# start DIR [NAME=VALUE ...]: sets addr to the server's http://IP:PORT
start() {
  local dir=$1; shift
  mkdir -p "$dir"
  (cd "$dir" && exec env FUNDRAISER_SANDBOX__SECRET=script-secret FUNDRAISER_SANDBOX__WEBHOOKS=false \
    FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE=0 FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP=0 \
    FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE=0 RUST_LOG=warn,fundraiser::server=info "$@" \
    "$bin" serve --bind 127.0.0.1:0 >/dev/null 2>"$dir/server.log") &
  pids+=($!)
  addr=""
  for _ in $(seq 100); do
    addr=$(grep -o 'listening on http://[0-9.:]*' "$dir/server.log" 2>/dev/null | head -1 | sed 's/listening on //') || true
    [ -n "$addr" ] && return 0
    sleep 0.1
  done
  cat "$dir/server.log" >&2
  return 1
}

fresh_database() {
  local name="bench_$$_$RANDOM$RANDOM"
  psql "$server" -X -q -c "CREATE DATABASE $name" >&2
  echo "${server%/*}/$name?sslmode=disable"
}

parse() { # wrk output -> "rps p50_ms p99_ms answered"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } /requests in/ { n = $1 }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, n }'
}

# round SERVERS LEDGER -> "rps p50 p99": LEDGER "sqlite" or a postgres:// URL
round() {
  local count=$1 ledger=$2 dir="$base/r$RANDOM$RANDOM" addrs=() scripts=() outs=()
  local env=()
  [ "$ledger" != sqlite ] && env=(FUNDRAISER_LEDGER__URL="$ledger")
  for i in $(seq "$count"); do
    start "$dir/$i" "${env[@]}"
    addrs+=("$addr")
  done
  for i in $(seq "$count"); do
    python3 benches/webhooks.py prepare "${addrs[$((i - 1))]}" $((pending / count)) "$dir/c$i.lua"
    scripts+=("$dir/c$i.lua")
  done
  for i in $(seq "$count"); do
    wrk -t1 -c$((conns / count)) -d"${secs}s" --latency -s "$dir/c$i.lua" \
      "${addrs[$((i - 1))]}/payment/webhook/sandbox" >"$dir/wrk$i.out" &
    outs+=($!)
  done
  wait "${outs[@]}"
  if grep -q "Non-2xx" "$dir"/wrk*.out; then grep "Non-2xx" "$dir"/wrk*.out >&2; exit 1; fi
  local answered=0 rps=0 p50=0 p99=0
  for i in $(seq "$count"); do
    read -r r a b c < <(parse <"$dir/wrk$i.out")
    rps=$((rps + r)); answered=$((answered + c))
    p50=$(awk -v x="$p50" -v y="$a" 'BEGIN { print (y > x ? y : x) }')
    p99=$(awk -v x="$p99" -v y="$b" 'BEGIN { print (y > x ? y : x) }')
  done
  local where=$ledger
  [ "$ledger" = sqlite ] && where="$dir/1/data/ledger.db"
  # Each server's total has caught up with the others' commits within a second.
  sleep 1
  for a in "${addrs[@]}"; do
    python3 benches/webhooks.py verify "$a" "$where" "$(IFS=,; echo "${scripts[*]}")" "$answered" >&2
  done
  stop_servers
  echo "$rps $p50 $p99"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$base/sqlite"; : >"$base/pg1"; : >"$base/pg3"
for _ in $(seq "$rounds"); do
  round 1 sqlite >>"$base/sqlite"
  db=$(fresh_database); round 1 "$db" >>"$base/pg1"
  db=$(fresh_database); round 3 "$db" >>"$base/pg3"
done

printf '# durable confirmations by ledger — %s — %s cores, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '# command: benches/ledgers.sh %s %s; wrk, %s connections in all, %ss, %s rounds, medians;\n' \
  "$secs" "$rounds" "$conns" "$secs" "$rounds"
printf '# servers, PostgreSQL and wrk share the same cores; p50/p99: the slowest server'"'"'s\n'
printf '%-30s %10s %9s %9s %11s\n' case rps p50_ms p99_ms vs_sqlite
s_rps=$(cut -d' ' -f1 "$base/sqlite" | median)
for c in "sqlite|SQLite, 1 server" "pg1|PostgreSQL, 1 server" "pg3|PostgreSQL, 3 servers"; do
  IFS='|' read -r file name <<<"$c"
  r=$(cut -d' ' -f1 "$base/$file" | median)
  a=$(cut -d' ' -f2 "$base/$file" | median)
  b=$(cut -d' ' -f3 "$base/$file" | median)
  ratio=$(awk -v a="$r" -v b="$s_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf '%-30s %10s %9s %9s %10sx\n' "$name" "$r" "$a" "$b" "$ratio"
done
