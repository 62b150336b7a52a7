#!/usr/bin/env bash
# `make test`: ruff, the whole suite on SQLite, then the browser tests beside the database tests on a throwaway
# PostgreSQL: those that together run every SQL statement the SQLite pass ran, and every test that pass cannot
# vouch for (tests/statement_cover.py; OTKLIK_PG_ALL=1 runs them all). pytest-xdist spreads each pass over the
# cores (OTKLIK_TEST_WORKERS, default: one per core); each worker has its own SQLite templates and its own
# PostgreSQL database (tests/conftest.py).
# `make test-fast` (scripts/test.sh fast): ruff and the unit and integration tests on SQLite only.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full
case "${1:-}" in fast|full) mode="$1"; shift ;; esac  # the rest goes to every pytest run
# Bytecode is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE=1 is common in
# containers): every pytest worker, gunicorn test server and CLI subprocess imports the app with scipy,
# pandas and WeasyPrint, and compiling them from source costs about 8 s of CPU per process. The cache
# lives in the virtualenv, out of the work tree, and goes with it.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="$PWD/.venv/pycache"
scripts/system-deps.sh test
make --no-print-directory install-test translations
PY=.venv/bin/python
WORKERS="${OTKLIK_TEST_WORKERS:-auto}"
# worksteal: an idle worker takes queued tests from a busy one, so one long file does not end the pass alone.
XDIST=(-n "$WORKERS" --dist worksteal)

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

# mypy takes one core for about 40 s on a fresh clone (no cache yet): it checks beside the first pytest pass,
# which starts its workers meanwhile, and its verdict is read when that pass ends.
echo "== mypy (beside the SQLite pass)"
mypy_log="$(mktemp)"
.venv/bin/mypy >"$mypy_log" 2>&1 & mypy_pid=$!
mypy_verdict() {
  if wait "$mypy_pid"; then tail -1 "$mypy_log"; rm -f "$mypy_log"; else cat "$mypy_log"; rm -f "$mypy_log"; exit 1; fi
}

echo "== pytest on SQLite: unit and integration"
statements="$(mktemp -d /tmp/otklik-statements.XXXXXX)"
trap 'rm -rf "$statements"' EXIT
if [ "$mode" = full ]; then export OTKLIK_RECORD_STATEMENTS="$statements"; fi
$PY -m pytest -p no:cacheprovider "${XDIST[@]}" --ignore=tests/e2e "$@" || { mypy_verdict; exit 1; }
unset OTKLIK_RECORD_STATEMENTS
echo "== mypy"
mypy_verdict
[ "$mode" = fast ] && exit 0

# The browser tests leave the cores about half idle (the browser waits on pages, the test on the browser):
# they run beside the PostgreSQL pass, and their output follows it.
echo "== pytest: browser tests in Chromium (beside the PostgreSQL pass, output below)"
browser_log="$statements/browser.log"
browser_pid=""
pgdir="$(mktemp -d /tmp/otklik-pg.XXXXXX)"
cleanup() {
  if [ -n "$browser_pid" ]; then kill "$browser_pid" 2>/dev/null || true; fi
  scripts/pg-cluster.sh stop "$pgdir"
  rm -rf "$pgdir" "$statements"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # a background job ignores Ctrl-C: stop waiting for it, and cleanup stops it
$PY -m pytest -p no:cacheprovider "${XDIST[@]}" tests/e2e "$@" >"$browser_log" 2>&1 & browser_pid=$!

echo "== pytest on PostgreSQL"
if [ "${OTKLIK_PG_ALL:-}" != 1 ]; then
  $PY -m tests.statement_cover "$statements" >"$statements/left-out.txt"
  export OTKLIK_PG_LEAVE_OUT="$statements/left-out.txt"
fi
url="$(scripts/pg-cluster.sh start "$pgdir")"
pg_status=0
OTKLIK_TEST_DATABASE_URL="$url" $PY -m pytest -p no:cacheprovider "${XDIST[@]}" -m postgres "$@" || pg_status=$?

echo "== pytest: browser tests in Chromium"
browser_status=0
wait "$browser_pid" || browser_status=$?
browser_pid=""
if [ "$browser_status" = 0 ]; then tail -1 "$browser_log"; else cat "$browser_log"; exit 1; fi
exit "$pg_status"
