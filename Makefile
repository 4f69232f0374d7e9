# VUR's front door: `make run` starts everything, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint format install install-dev browser clean bench

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "VUR needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): requirements/base.txt requirements/prod.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/prod.txt
	touch $@

$(DEV_STAMP): requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/dev.txt
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

## run: set up and start web (HTTP + WebSocket), worker and beat; Ctrl-C stops them
run: $(RUN_STAMP)
	$(BIN)/python -m vur.run

## browser: make sure headless Chromium and its driver are there for the browser tests
browser:
	@command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null); \
	  else echo "Install Chromium and chromedriver (Debian: apt-get install chromium chromium-driver) for the browser tests."; exit 1; fi; }

## test: set up and run the whole test suite (DATABASE_URL / REDIS_URL when set, embedded otherwise)
## in TEST_WORKERS processes (pytest-xdist; each keeps a test file's tests together)
TEST_WORKERS ?= 2
test: $(DEV_STAMP) browser
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest \
	  -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# makemigrations and mypy's Django plugin import the settings, which would start the embedded
# Redis when REDIS_URL is unset; neither connects to Redis, so they get an address that is never used.
LINT_REDIS := $(or $(REDIS_URL),redis://lint.invalid:6379/0)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	REDIS_URL=$(LINT_REDIS) $(BIN)/python manage.py makemigrations --check --dry-run
	REDIS_URL=$(LINT_REDIS) $(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: the README's benchmark figures (about two hours; results in bench/results/);
## AUTOGLUON_PYTHON=/path/to/venv/bin/python adds AutoGluon to the tabular bench
bench: $(DEV_STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/forecast_bench.py --budget 20
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/automl_bench.py --budget 60 \
	  $(if $(AUTOGLUON_PYTHON),--autogluon-python $(AUTOGLUON_PYTHON))
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/batch_bench.py --rows 1000000
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/budget_bench.py --budgets 20 60

## clean: stop the embedded Redis and remove test leftovers (keeps the dev database and media)
clean:
	-$(BIN)/python -c 'from pathlib import Path; from vur.embedded import stop_embedded_redis; stop_embedded_redis(Path("var/redis"))'
	rm -rf var/test-media var/test.sqlite3
