#!/usr/bin/env bash
# `make run`: migrate, seed demo data on first run, serve on http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=wsgi
FLASK=.venv/bin/flask
$FLASK db upgrade
if $FLASK demo is-empty; then
  echo "Первый запуск: загружаю демонстрационные данные (около минуты)…"
  $FLASK demo seed
fi
host="${HOST:-127.0.0.1}"; port="${PORT:-5000}"
cat <<MSG

  Отклик запущен: http://$host:$port/
    вход сотрудников:     http://$host:$port/login
    статус обращения:     http://$host:$port/reviews/status
MSG
$FLASK demo logins
echo "  Остановить: Ctrl+C"
exec .venv/bin/gunicorn --bind "$host:$port" --workers "${WORKERS:-2}" --threads 4 \
  --access-logfile - --graceful-timeout 10 --preload wsgi:app
