# Otklik: `make run` serves the demo, `make test` runs every check (`make test-fast`: SQLite only).
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
# $(call pip_install,ARGS): install ARGS at the versions of constraints.txt, with uv when it is at hand.
pip_install = { test -x $(UV) || $(PY) -m pip install -q 'uv==$(UV_VERSION)'; } && \
	$(UV) pip install -q --python $(PY) -c constraints.txt $(1) || \
	$(PY) -m pip install -q -c constraints.txt $(1)

.PHONY: run test test-fast install install-test translations messages bench lint typecheck lock clean

run: install translations
	@scripts/system-deps.sh run
	@scripts/run.sh

test:
	@scripts/test.sh full

# Daily work: ruff and the unit and integration tests on SQLite (no browser, no PostgreSQL).
test-fast:
	@scripts/test.sh fast

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The app's own packages at the versions of constraints.txt; again whenever either file changes.
# uv installs them about ten times faster than pip on a fresh machine (docs/benchmarks.md); pip is
# the fallback when uv cannot be fetched or fails.
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(call pip_install,-e .)
	@touch $@

# The test and lint tools on top (make test, make lint): `make run` does not wait for them.
$(VENV)/.installed-test: $(VENV)/.installed
	@$(call pip_install,-e '.[test]')
	@touch $@

# Re-resolve every dependency (runtime and test) to the newest versions pyproject.toml allows.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --dry-run --ignore-installed --report $(VENV)/lock-report.json '.[test]'
	@$(PY) scripts/lock.py $(VENV)/lock-report.json > constraints.txt
	@echo "constraints.txt: $$(grep -c '==' constraints.txt) pinned packages"

translations: install
	@$(VENV)/bin/pybabel compile -d app/translations -f >/dev/null

# Every msgid in the code (keywords in babel.cfg) into messages.pot; new ones go into both .po files by hand
# (tests/integration/test_i18n.py names the missing ones).
messages: install
	@$(VENV)/bin/pybabel extract -F babel.cfg --sort-by-file -o app/translations/messages.pot . >/dev/null 2>&1

lint: install-test
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(MAKE) --no-print-directory typecheck

typecheck: install-test
	@$(VENV)/bin/mypy

bench: install-test translations
	@scripts/system-deps.sh bench
	@$(PY) -m bench.load_bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
