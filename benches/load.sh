#!/usr/bin/env bash
# Load benchmark: fundraiser against nginx serving the same bytes, on loopback.
#
# Builds the release binary, starts it on a fresh ledger with the abuse limits off, starts
# nginx (Debian's; sendfile, open_file_cache, gzip_static) on another loopback port with the
# same files fetched from the running binary, warms both up, then runs wrk in interleaved
# rounds (ours, nginx, ours, nginx, ...) and prints req/s, p50 and p99 and the ratio of the
# medians. Durable confirmations come last: group commit against one transaction per
# write, in the same run.
#
# Usage: benches/load.sh [SECONDS_PER_CASE] [ROUNDS]     default 5 s, 3 rounds
#        BIN=path/to/fundraiser benches/load.sh ...     a given binary instead of the release build
# Needs: wrk and nginx (apt-get install wrk nginx), python3. Bounded: about
# (cases × rounds × 2 × SECONDS) + build time. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
threads=1
conns=64

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "load.sh: installing wrk and nginx from Debian" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >&2
  fi
fi
for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "load.sh: $tool is missing (apt-get install wrk nginx)"; exit 1; }
done
if [ -n "${BIN:-}" ]; then
  bin=$(realpath "$BIN")
else
  [ -x target/release/fundraiser ] && [ -z "${REBUILD:-}" ] || cargo build --release --quiet
  bin=$(realpath target/release/fundraiser)
fi

. tests/support/server.sh
start_fundraiser "$bin" FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE=0 \
  FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP=0 FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE=0 \
  RUST_LOG=warn,fundraiser::server=info
ours=$addr

# nginx serves the very bytes the binary serves.
www="$work/www"; mkdir -p "$www/assets"
curl -sf "$ours/" -o "$www/index.html"
css=$(grep -o '/assets/site\.[0-9a-f]*\.css' "$www/index.html" | head -1)
curl -sf "$ours$css" -o "$www$css"
curl -sf "$ours/api/total" -o "$www/total.json"
gzip -9 -k -n "$www/index.html" "$www$css" "$www/total.json"
# ... with the same response headers, so both put the same bytes on the wire: our
# security headers, a request id, Vary and the cache lifetimes.
curl -s -D - -o /dev/null "$ours/" | tr -d '\r' \
  | grep -iE '^(content-security-policy|referrer-policy|x-content-type-options|permissions-policy|x-frame-options|cross-origin-opener-policy):' \
  | sed -E 's/^([^:]+): (.*)$/add_header \1 "\2" always;/' >"$work/headers.conf"
echo 'add_header X-Request-Id $request_id always;' >>"$work/headers.conf"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/nginx-error.log;
daemon on;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  open_file_cache max=1000 inactive=60s;
  gzip_static on; gzip_vary on;
  types { text/html html; text/css css; application/json json; }
  server {
    listen 127.0.0.1:$port;
    root $www;
    location / { include $work/headers.conf; add_header Cache-Control "public, max-age=5"; }
    location /assets/ { include $work/headers.conf; add_header Cache-Control "public, max-age=31536000, immutable"; }
    location = /api/total { default_type application/json; try_files /total.json =404; include $work/headers.conf; add_header Cache-Control "public, max-age=5"; }
  }
}
CONF
nginx -c "$work/nginx.conf"
trap 'nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; rm -rf "$work"' EXIT
theirs="http://127.0.0.1:$port"

etag() { curl -sI "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag" {print $2}'; }
ours_etag=$(etag "$ours/"); theirs_etag=$(etag "$theirs/")

# name | our path | nginx path | extra header for ours | extra header for nginx
cases=(
  "home identity|/|/|Accept-Encoding: identity|Accept-Encoding: identity"
  "home gzip|/|/|Accept-Encoding: gzip|Accept-Encoding: gzip"
  "home br (nginx: gzip)|/|/|Accept-Encoding: br|Accept-Encoding: gzip"
  "asset css gzip|$css|$css|Accept-Encoding: gzip|Accept-Encoding: gzip"
  "home 304|/|/|If-None-Match: $ours_etag|If-None-Match: $theirs_etag"
  "api total|/api/total|/api/total|Accept-Encoding: identity|Accept-Encoding: identity"
)

bench() { # url header -> "rps p50_ms p99_ms"
  wrk -t$threads -c$conns -d"${secs}s" --latency -H "$2" "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for target in "$ours/" "$theirs/"; do wrk -t1 -c16 -d1s "$target" >/dev/null; done  # warm-up

printf '# load benchmark — %s — %s cores, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '# command: benches/load.sh %s %s\n' "$secs" "$rounds"
printf '# wrk -t%s -c%s -d%ss, %s interleaved rounds, medians; both servers on the same cores as wrk\n' "$threads" "$conns" "$secs" "$rounds"
printf '%-22s %12s %12s %9s %9s %9s %9s %7s\n' case ours_rps nginx_rps ours_p50 ngx_p50 ours_p99 ngx_p99 ratio
for c in "${cases[@]}"; do
  IFS='|' read -r name path_ours path_theirs h_ours h_theirs <<<"$c"
  : > "$work/o"; : > "$work/t"
  for _ in $(seq "$rounds"); do
    bench "$ours$path_ours" "$h_ours" >>"$work/o"
    bench "$theirs$path_theirs" "$h_theirs" >>"$work/t"
  done
  o_rps=$(cut -d' ' -f1 "$work/o" | median); t_rps=$(cut -d' ' -f1 "$work/t" | median)
  o50=$(cut -d' ' -f2 "$work/o" | median); t50=$(cut -d' ' -f2 "$work/t" | median)
  o99=$(cut -d' ' -f3 "$work/o" | median); t99=$(cut -d' ' -f3 "$work/t" | median)
  ratio=$(awk -v a="$o_rps" -v b="$t_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf '%-22s %12s %12s %9s %9s %9s %9s %6sx\n' "$name" "$o_rps" "$t_rps" "$o50" "$t50" "$o99" "$t99" "$ratio"
done
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
printf '# fundraiser RSS after the run: %s KiB\n' "$rss"

# Durable confirmations: signed sandbox webhooks from wrk (benches/webhooks.py writes the
# script), each answered only after its commit (synchronous=FULL). Group commit (the
# default ledger.batch_max) against one transaction per write (batch_max = 1), each
# round on a fresh server and ledger, interleaved; every answer is then verified in the
# ledger file.
pending=${PENDING:-2000}
confirm_round() ( # batch_max -> "rps p50_ms p99_ms"
  start_fundraiser "$bin" FUNDRAISER_LEDGER__BATCH_MAX="$1" FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE=0 \
    FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP=0 FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE=0 \
    RUST_LOG=warn,fundraiser::server=info
  python3 benches/webhooks.py prepare "$addr" "$pending" "$work/confirm.lua"
  out=$(wrk -t$threads -c$conns -d"${secs}s" --latency -s "$work/confirm.lua" "$addr/payment/webhook/sandbox")
  if grep -q "Non-2xx" <<<"$out"; then echo "confirmations: $(grep Non-2xx <<<"$out")" >&2; exit 1; fi
  answered=$(awk '/requests in/ {print $1}' <<<"$out")
  python3 benches/webhooks.py verify "$addr" "$work/data/ledger.db" "$work/confirm.lua" "$answered" >&2
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' <<<"$out"
)
: > "$work/g"; : > "$work/s"
for _ in $(seq "$rounds"); do
  confirm_round 1024 >>"$work/g"
  confirm_round 1 >>"$work/s"
done
printf '# durable confirmations: wrk -t%s -c%s -d%ss, %s pending donations per round, %s rounds, medians\n' \
  "$threads" "$conns" "$secs" "$pending" "$rounds"
printf '%-22s %12s %12s %9s %9s %9s %9s %7s\n' case group_rps single_rps grp_p50 sgl_p50 grp_p99 sgl_p99 ratio
g_rps=$(cut -d' ' -f1 "$work/g" | median); s_rps=$(cut -d' ' -f1 "$work/s" | median)
g50=$(cut -d' ' -f2 "$work/g" | median); s50=$(cut -d' ' -f2 "$work/s" | median)
g99=$(cut -d' ' -f3 "$work/g" | median); s99=$(cut -d' ' -f3 "$work/s" | median)
ratio=$(awk -v a="$g_rps" -v b="$s_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
printf '%-22s %12s %12s %9s %9s %9s %9s %6sx\n' "confirmations" "$g_rps" "$s_rps" "$g50" "$s50" "$g99" "$s99" "$ratio"
