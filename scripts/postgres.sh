# Starts and stops a throwaway PostgreSQL cluster for tests and benchmarks. Source it, then call
# pg_start_throwaway_cluster; it sets PG_PORT, PG_DIR and PG_ADMIN_CONNECTION (an Npgsql connection string).
# initdb refuses to run as root, so as root the cluster belongs to the 'postgres' user (created if missing).

pg_bin_dir() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  done
  echo "PostgreSQL server binaries (initdb, pg_ctl) were not found; install postgresql-15" >&2
  return 1
}

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_as_owner() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u "$PG_OWNER" -- "$@"
  else
    "$@"
  fi
}

pg_start_throwaway_cluster() {
  local bin
  bin="$(pg_bin_dir)"
  PG_OWNER="$(id -un)"
  if [ "$(id -u)" = "0" ]; then
    PG_OWNER=postgres
    id -u "$PG_OWNER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OWNER"
  fi
  PG_DIR="$(mktemp -d /tmp/obol-pg.XXXXXX)"
  chmod 755 "$PG_DIR"
  if [ "$(id -u)" = "0" ]; then chown "$PG_OWNER" "$PG_DIR"; fi
  PG_PORT="${PG_PORT:-$(pg_free_port)}"
  pg_as_owner "$bin/initdb" --pgdata="$PG_DIR/data" --username=postgres --auth=trust --encoding=UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  pg_as_owner "$bin/pg_ctl" --pgdata="$PG_DIR/data" --log="$PG_DIR/server.log" --wait --timeout=60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=256MB ${PG_EXTRA_OPTIONS:-}" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_BIN="$bin"
  PG_ADMIN_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50"
  export PG_PORT PG_DIR PG_BIN PG_ADMIN_CONNECTION
}

pg_server_version() {
  "$PG_BIN/postgres" --version | awk '{print $3}'
}

pg_stop_throwaway_cluster() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    pg_as_owner "$PG_BIN/pg_ctl" --pgdata="$PG_DIR/data" --mode=immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
