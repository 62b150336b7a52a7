#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `pg-cluster.sh start DIR` prints the database URL,
# `pg-cluster.sh stop DIR` stops it. Runs as the unprivileged 'postgres' user when started as root.
set -euo pipefail
action="$1"; dir="$2"
initdb_path="$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)"
[ -n "$initdb_path" ] || initdb_path="$(readlink -f "$(command -v initdb)")"
bindir="$(dirname "$initdb_path")"
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    as_pg "$bindir/initdb" -D "$dir/data" -A trust -U otklik -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    # No flushes to disk: the cluster is thrown away after the run, and no test crashes the machine or the
    # PostgreSQL server (the durability tests kill gunicorn, whose commits PostgreSQL already holds). Waiting
    # for fsync on every commit, CREATE DATABASE and TRUNCATE took about 40 % of the pass's wall time.
    # A statement that waits over two minutes for a lock is a test that deadlocked against its own open
    # transaction: fail it (lock_timeout) instead of hanging the whole pass.
    settings="-c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c lock_timeout=120s"
    # A free port is only free until someone binds it: when another process took it first, try another.
    for attempt in 1 2 3 4 5; do
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
      as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-h 127.0.0.1 -p $port -k $dir $settings" start >/dev/null && break
      [ "$attempt" -lt 5 ] || { cat "$dir/server.log" >&2; exit 1; }
    done
    as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U otklik otklik_test
    echo "postgresql+psycopg://otklik@127.0.0.1:$port/otklik_test"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
esac
