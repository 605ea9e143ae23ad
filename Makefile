# Two commands do everything on a fresh machine with Python 3.11 and pip:
#   make run   - set up .venv with the core dependencies, run the default market, write outputs/ (tables, summary, figure)
#   make test  - set up .venv with every extra as well, then the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORE := $(VENV)/.core
EXTRAS := $(VENV)/.extras
ALL_EXTRAS := dev,studies,ray,classroom,calibration
# compat: the checkout goes on sys.path, so Hydra's plugin scan finds hydra_plugins/sim_sweeper
INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock --config-settings editable_mode=compat

.PHONY: run test bench dashboard screenshot lint clean

# What running the model needs, and nothing more: a researcher's first run does not wait for Ray, pymc or Jupyter
$(CORE): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(INSTALL) -e .
	touch $(CORE)

# Every optional extra (pyproject.toml): the test suite, the dial search, Ray, the classroom, the BG/NBD benchmark
$(EXTRAS): $(CORE)
	$(INSTALL) -e ".[$(ALL_EXTRAS)]"
	touch $(EXTRAS)

run: $(CORE)
	$(BIN)/market-sim $(ARGS)

test: $(EXTRAS)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist loadfile $(ARGS)

bench: $(EXTRAS)
	$(BIN)/python -m sim.apps.benchmark $(ARGS)

dashboard: $(EXTRAS)
	$(BIN)/market-sim-dashboard $(ARGS)

# the README's picture of the dashboard (needs Chromium: apt-get install chromium)
screenshot: $(EXTRAS)
	$(BIN)/python -m sim.apps.browser docs/dashboard.png $(ARGS)

lint: $(EXTRAS)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache .ruff_cache
