#!/usr/bin/env bash
# `make run`: migrate, seed demo data on first run, serve on http://127.0.0.1:5000.
# Rate limits must hold across processes: with redis-server installed (and no storage configured) it starts
# a private Redis on a Unix socket in instance/ and serves with WORKERS (default 2) processes; without it,
# one process with threads (limits in its memory, exact as configured).
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=wsgi
FLASK=.venv/bin/flask
$FLASK db upgrade
if $FLASK demo is-empty; then
  echo "Первый запуск: загружаю демонстрационные данные (обычно до полуминуты)…"
  $FLASK demo seed
fi
host="${HOST:-127.0.0.1}"; port="${PORT:-5000}"
# Links printed here and on posters (the kiosk's enrolment link, QR codes) point where this server listens.
export OTKLIK_PUBLIC_BASE_URL="${OTKLIK_PUBLIC_BASE_URL:-http://$host:$port}"
workers="${WORKERS:-2}"; threads=4
redis_pid=""
cleanup() { if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
if [ -n "${OTKLIK_RATELIMIT_STORAGE_URI:-}" ]; then
  limits="лимиты запросов: $OTKLIK_RATELIMIT_STORAGE_URI"
elif command -v redis-server >/dev/null 2>&1; then
  mkdir -p instance && chmod 700 instance
  sock="$PWD/instance/redis.sock"
  rm -f "$sock"
  redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save '' --appendonly no \
    --dir "$PWD/instance" --loglevel warning --logfile "$PWD/instance/redis.log" &
  redis_pid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
  [ -S "$sock" ] || { echo "redis-server не запустился" >&2; exit 1; }
  export OTKLIK_RATELIMIT_STORAGE_URI="redis+unix://$sock"
  limits="лимиты запросов: общий Redis для $workers процессов"
else
  if [ "$workers" != 1 ]; then
    echo "  redis-server не установлен: один процесс с потоками, чтобы лимиты запросов не умножались."
  fi
  workers=1; threads=8
  limits="лимиты запросов: один процесс, $threads потоков"
fi
cat <<MSG

  Отклик запущен: http://$host:$port/
    вход сотрудников:     http://$host:$port/login
    статус обращения:     http://$host:$port/reviews/status
    $limits
MSG
$FLASK demo logins
echo "  Остановить: Ctrl+C"
.venv/bin/gunicorn --bind "$host:$port" --workers "$workers" --threads "$threads" \
  --access-logfile - --graceful-timeout 10 --preload wsgi:app &
gunicorn_pid=$!
trap 'kill -TERM "$gunicorn_pid" 2>/dev/null || true' INT TERM
status=0
wait "$gunicorn_pid" || status=$?
if kill -0 "$gunicorn_pid" 2>/dev/null; then wait "$gunicorn_pid" || status=$?; fi  # a signal ended the first wait
exit "$status"
