# Quick start: `make demo` runs the main job, `make test` runs the tests.
# Both create .venv; `demo` installs only what the package needs, `test` (and
# `install`) add the optional extras and the test tools (the `test` dependency
# group of pyproject.toml). `make test` leaves out the tests marked slow;
# `make test-slow` runs only those, `make test-all` everything.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime-stamp
DEV := $(VENV)/.dev-stamp

.PHONY: install test test-slow test-all lint format demo figures notebook decisions calibration bench wheel clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# the package and its required dependencies only (what `pip install .` gives)
$(RUNTIME): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

# plus every optional extra, and the test tools: `pip install --group` where pip has it
# (25.1 or newer), else the group's requirements read from pyproject.toml
$(DEV): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e ".[all]"
	$(PY) -c "$$TEST_GROUP"
	touch $@ $(RUNTIME)

define TEST_GROUP
import subprocess, sys, tomllib
import pip
pip_cmd = [sys.executable, '-m', 'pip', 'install', '--quiet']
if tuple(int(p) for p in pip.__version__.split('.')[:2]) >= (25, 1):
    sys.exit(subprocess.call([*pip_cmd, '--group', 'test']))
with open('pyproject.toml', 'rb') as f:
    group = tomllib.load(f)['dependency-groups']['test']
sys.exit(subprocess.call([*pip_cmd, *group]))
endef
export TEST_GROUP

install: $(DEV)

lint: $(DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# the fast set (about 12 minutes on a 2-core machine); the 25 slowest tests are listed
test: $(DEV) lint
	$(PY) -m pytest -q -m "not slow" --durations=25

# only the tests marked slow (CI runs them after `make test`)
test-slow: $(DEV)
	$(PY) -m pytest -q -m slow --durations=25

# every test
test-all: $(DEV) lint
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
