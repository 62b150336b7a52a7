#!/usr/bin/env bash
# `make test`: ruff, the whole suite on SQLite, then the database tests on a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh test
make --no-print-directory install-test translations
PY=.venv/bin/python

echo "== ruff"
.venv/bin/ruff check .

echo "== mypy"
.venv/bin/mypy

echo "== pytest on SQLite: unit and integration"
$PY -m pytest -p no:cacheprovider --ignore=tests/e2e "$@"

echo "== pytest: browser tests in Chromium"
$PY -m pytest -p no:cacheprovider tests/e2e "$@"

echo "== pytest on PostgreSQL"
pgdir="$(mktemp -d /tmp/otklik-pg.XXXXXX)"
cleanup() { scripts/pg-cluster.sh stop "$pgdir"; rm -rf "$pgdir"; }
trap cleanup EXIT
url="$(scripts/pg-cluster.sh start "$pgdir")"
OTKLIK_TEST_DATABASE_URL="$url" $PY -m pytest -p no:cacheprovider -m postgres "$@"
