#!/usr/bin/env bash
# Installs the Debian packages Otklik's tests and PDF reports need, only when missing.
# Usage: scripts/system-deps.sh [run|test|bench]
set -euo pipefail
mode="${1:-test}"
need=()
have() { command -v "$1" >/dev/null 2>&1; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

pkg_installed libpango-1.0-0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
pkg_installed fonts-dejavu-core || need+=(fonts-dejavu-core)
if [ "$mode" = "run" ] && ! have redis-server; then
  # Optional: with it `make run` serves two processes sharing their rate limits, without it one process.
  if [ "$(id -u)" -eq 0 ]; then need+=(redis-server); else
    echo "Совет: установите redis-server (apt-get install redis-server), чтобы make run запускал два процесса." >&2
  fi
fi
if [ "$mode" = "test" ]; then
  have chromium || need+=(chromium)
  have pdftotext || need+=(poppler-utils)
  have redis-server || need+=(redis-server)
  if ! have initdb && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need+=(postgresql)
  fi
fi
if [ "$mode" = "bench" ]; then
  have wrk || need+=(wrk)
  if ! have initdb && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need+=(postgresql)
  fi
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Нужны системные пакеты: ${need[*]}. Установите их (sudo apt-get install ${need[*]}) и повторите." >&2
  exit 1
fi
echo "Устанавливаю системные пакеты: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
