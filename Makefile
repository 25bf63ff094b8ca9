# Two entry points for a fresh machine: `make demo` and `make test`.
# Each sets itself up on first use (.venv with the project and its dependencies,
# PostgreSQL started if it is down) and is quick to re-run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-spark lint postgres bench fuzz clean

$(STAMP): pyproject.toml
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  { command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2; } || \
	  echo "warning: PostgreSQL is not running on 127.0.0.1:5432; its tests will fail"

demo: $(STAMP)
	$(VENV)/bin/firebreak demo

# every test, the Spark engine's included (its file runs on one xdist worker: one local[2] session)
test: $(STAMP) postgres lint
	$(PY) -m pytest -q -n 2 --dist loadfile

# only the Spark engine's same-results tests
test-spark: $(STAMP)
	$(PY) -m pytest -q -m spark

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m mypy

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

fuzz: $(STAMP)
	nice $(PY) benchmarks/fuzz_parsers.py --long

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build src/*.egg-info
