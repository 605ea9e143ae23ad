# Two commands do everything on a fresh machine with Python 3.11 and pip:
#   make run   - set up .venv, run the default market, write outputs/ (tables, summary, figure)
#   make test  - set up .venv, run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench dashboard screenshot lint clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	# compat: the checkout goes on sys.path, so Hydra's plugin scan finds hydra_plugins/sim_sweeper
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev,studies,ray,classroom,calibration]" --config-settings editable_mode=compat
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/market-sim $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m sim.apps.benchmark $(ARGS)

dashboard: $(STAMP)
	$(BIN)/market-sim-dashboard $(ARGS)

# the README's picture of the dashboard (needs Chromium: apt-get install chromium)
screenshot: $(STAMP)
	$(BIN)/python -m sim.apps.browser docs/dashboard.png $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache .ruff_cache
