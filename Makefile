# Quick start: `make demo` runs the main job, `make test` runs the tests.
# Both create .venv; `demo` installs only what the package needs, `test` (and
# `install`) add the optional extras and the test tools.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime-stamp
DEV := $(VENV)/.dev-stamp

.PHONY: install test lint format demo figures notebook decisions calibration bench wheel clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# the package and its required dependencies only (what `pip install .` gives)
$(RUNTIME): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

# plus every optional extra used by the tests, and the test tools
$(DEV): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@ $(RUNTIME)

install: $(DEV)

lint: $(DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: $(DEV) lint
	$(PY) -m pytest -q --durations=25

demo: $(RUNTIME)
	$(VENV)/bin/regionsoft compare scenarios/*.toml --out out --html
	@echo "open out/report.html in a browser for the report"

figures: $(DEV)
	$(PY) docs/make_figures.py

decisions: $(DEV)
	$(PY) docs/make_decisions.py

# calibrate all 31 provinces; rewrite docs/calibration.md and scenarios/regions/ (about 15 min)
calibration: $(DEV)
	$(PY) docs/make_calibration.py

# re-execute the tutorial in place (its outputs are what readers see on the page)
notebook: $(DEV)
	cd docs && $(abspath $(PY)) -c "import nbclient, nbformat; \
	nb = nbformat.read('tutorial.ipynb', as_version=4); \
	nbclient.NotebookClient(nb, timeout=600, kernel_name='python3').execute(); \
	nbformat.write(nb, 'tutorial.ipynb')"

bench: $(DEV)
	$(PY) benchmarks/bench_engines.py

wheel: $(DEV)
	$(PY) -m pip wheel --no-deps --wheel-dir dist .

clean:
	rm -rf $(VENV) .cache out .pytest_cache build dist
