# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_DEV  := $(VENV)/.installed-dev
STAMP_PYC  := $(VENV)/.compiled
# The locked install: exactly these versions (with their hashes), made from pyproject's ranges by
# `make lock`; requirements.lock for running, requirements-dev.lock for the tests and the server extra.
LOCK_RUN   := requirements.lock
LOCK_DEV   := requirements-dev.lock
UV         := uv==0.13.*
SOURCES    := $(shell find krise_pipeline -name '*.py')

.PHONY: run test test-fast browser libreoffice postgres lint typecheck pytest bench dev sample clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml $(LOCK_RUN) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK_RUN)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(STAMP_DEV): pyproject.toml $(LOCK_DEV) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK_DEV)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(STAMP_RUN)

## lock: resolve pyproject's ranges again (newest versions inside them) into the two lock files
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(UV)'
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --generate-hashes --quiet -o $(LOCK_DEV)
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--generate-hashes --quiet -c $(LOCK_DEV) -o $(LOCK_RUN)

# The package's bytecode, as pip writes it for an installed package (an editable install has none,
# and where PYTHONDONTWRITEBYTECODE is set every command would compile the package again).
$(STAMP_PYC): $(SOURCES) | $(STAMP_RUN)
	$(BIN)/python -m compileall -q krise_pipeline
	touch $@

## run: set up and run the whole pipeline on the shipped sample
run: $(STAMP_RUN) $(STAMP_PYC)
	$(BIN)/krise-pipeline run

## test: set up (with dev extras, the browser, LibreOffice and PostgreSQL) and run ruff, mypy and pytest
test: $(STAMP_DEV) browser libreoffice postgres lint typecheck pytest

## browser: Debian's Chromium for the browser tests, installed with apt-get (as root or via sudo) when missing
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1; then \
			SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
			echo "installing Debian's chromium for the browser tests"; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
			|| echo "could not install chromium: the two browser tests will fail and say why"; \
		else echo "no apt-get: install Chromium at /usr/bin/chromium, or the two browser tests will fail"; fi; }

## libreoffice: Debian's LibreOffice Calc without GUI, which opens every Excel download in the tests; installed like chromium
libreoffice:
	@command -v soffice >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1; then \
			SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
			echo "installing Debian's libreoffice-calc-nogui for the tests that open the downloads"; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libreoffice-calc-nogui >/dev/null \
			|| echo "could not install libreoffice-calc-nogui: the LibreOffice tests will fail and say why"; \
		else echo "no apt-get: install LibreOffice (soffice on PATH), or the LibreOffice tests will fail"; fi; }

## postgres: Debian's PostgreSQL server binaries for the server tests (a throw-away cluster per test session)
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1; then \
			SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
			echo "installing Debian's postgresql for the server tests"; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null \
			|| echo "could not install postgresql: the server tests will fail and say why"; \
		else echo "no apt-get: install PostgreSQL (initdb, pg_ctl), or the server tests will fail"; fi; }

## test-fast: lint, types and the tiers without subprocesses or browsers (unit, sql, assets, wiring)
test-fast: $(STAMP_DEV) lint typecheck
	$(BIN)/python -m pytest -n auto -m "unit or sql or assets or wiring"

lint: $(STAMP_DEV)
	$(BIN)/ruff check krise_pipeline krise_sample krise_pipeline_tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP_DEV)
	$(BIN)/mypy krise_pipeline krise_sample

pytest: $(STAMP_DEV) $(STAMP_PYC)
	$(BIN)/python -m pytest -n auto

## dev: the Dagster UI on http://localhost:3000, on the project's instance (.dagster_home/ or $DAGSTER_HOME)
dev: $(STAMP_RUN) $(STAMP_PYC)
	$(BIN)/krise-pipeline dev

## bench: timings per stage (see bench/README section in README.md)
bench: $(STAMP_DEV) $(STAMP_PYC)
	$(BIN)/python bench/run.py

## sample: the deterministic sample deliveries (development tooling: krise_sample; never over other files)
sample: $(STAMP_DEV)
	$(BIN)/python -m krise_sample --out data

clean:
	rm -rf warehouse/*.duckdb warehouse/*.wal warehouse/exports
