#!/usr/bin/env bash
# Install (if missing) and start a private PostgreSQL cluster for the tests; print its DSN.
# Idempotent: a running cluster is reused. Root runs the server as the "postgres" user.
set -euo pipefail
DIR=${OTKLIK_PG_DIR:-/tmp/otklik-pg}
PORT=${OTKLIK_PG_PORT:-54329}
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN=$(find_bin)
if [ -z "$PGBIN" ]; then
  echo "installing PostgreSQL from Debian packages..." >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
  PGBIN=$(find_bin)
fi
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if ! as_pg "$PGBIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
  as_pg "$PGBIN/initdb" -D "$DIR" -A trust -U postgres >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w start \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
fi
echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
