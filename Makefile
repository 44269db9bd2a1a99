# Quick start: `make demo` runs the main job, `make test` runs the tests.
# Both create .venv and install the package with what it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint format demo figures decisions bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: $(STAMP) lint
	$(PY) -m pytest -q

demo: $(STAMP)
	$(VENV)/bin/regionsoft compare scenarios/*.toml --out out

figures: $(STAMP)
	$(PY) docs/make_figures.py

decisions: $(STAMP)
	$(PY) docs/make_decisions.py

bench: $(STAMP)
	$(PY) benchmarks/bench_engines.py

clean:
	rm -rf $(VENV) .cache out .pytest_cache
