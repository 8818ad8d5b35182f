#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test run, on a loopback port.
#
#   tests/support/postgres.sh start DIR   installs Debian's postgresql when missing, creates
#                                         a cluster in DIR, starts it and prints its URL;
#                                         it also speaks TLS, with a certificate for
#                                         localhost signed by a CA made here, DIR/ca.crt
#   tests/support/postgres.sh down DIR    stops the server, keeping the cluster (a fault)
#   tests/support/postgres.sh up DIR      starts it again, on the same port
#   tests/support/postgres.sh stop DIR    stops it and removes DIR
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user
# the Debian package creates. `start` exits 3 when PostgreSQL cannot be installed (the
# caller says SKIPPED); any other failure is an error.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?a folder for the cluster}

bindir() {
  local pg_ctl
  pg_ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$pg_ctl" ] && dirname "$pg_ctl"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
start)
  if [ -z "$(bindir)" ]; then
    echo "installing Debian's postgresql" >&2
    if ! { command -v apt-get >/dev/null &&
      { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; } &&
      ${SUDO:-$([ "$(id -u)" = 0 ] || echo sudo)} apt-get update -qq >&2 &&
      DEBIAN_FRONTEND=noninteractive ${SUDO:-$([ "$(id -u)" = 0 ] || echo sudo)} \
        apt-get install -y -qq --no-install-recommends postgresql >&2; }; then
      exit 3
    fi
  fi
  bin=$(bindir) || exit 3
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # A free loopback port, chosen by the kernel.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # TLS, as managed databases require: a throwaway CA and a certificate for localhost
  # (openssl comes with the postgresql package, through ssl-cert).
  tls=off
  if command -v openssl >/dev/null; then
    (
      cd "$dir"
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=fundraiser-test-ca \
        -keyout ca.key -out ca.crt
      openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out data/server.crt
      mv server.key data/server.key
      chmod 600 data/server.key
      chmod 644 ca.crt
      [ "$(id -u)" = 0 ] && chown postgres: data/server.crt data/server.key
      rm -f ca.key ca.srl server.csr server.ext
    ) >"$dir/tls.log" 2>&1 && tls=on
  fi
  cat >>"$dir/data/postgresql.conf" <<CONF
ssl = $tls
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 400
shared_buffers = 64MB
CONF
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  ;;
down)
  as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2
  ;;
up)
  as_owner "$(bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2
  ;;
stop)
  bin=$(bindir) || exit 0
  if [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
