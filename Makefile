# Otklik: `make run` serves the demo, `make test` runs every check (`make test-fast`: SQLite only).
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test test-fast install translations bench lint clean

run: install translations
	@scripts/system-deps.sh run
	@scripts/run.sh

test:
	@scripts/test.sh full

# Daily work: ruff and the unit and integration tests on SQLite (no browser, no PostgreSQL).
test-fast:
	@scripts/test.sh fast

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[test]'
	@touch $@

translations: install
	@$(VENV)/bin/pybabel compile -d app/translations -f >/dev/null

lint: install
	@$(VENV)/bin/ruff check .

bench: install translations
	@scripts/system-deps.sh bench
	@$(PY) -m bench.load_bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
