# The two commands of the contract: `make demo` and `make test`. Both start from nothing.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
DEMO_DIR ?= var/demo
DEMO_PERSONS ?= 200

# $(call debian,COMMAND,PACKAGE): install Debian's PACKAGE unless COMMAND is already there.
debian = command -v $(1) >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null)

.PHONY: setup browser java services lint typecheck test test-fast demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

NPM_STAMP := node_modules/.installed-$(shell sha1sum package-lock.json | cut -c1-12)

$(NPM_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	bash scripts/vendor.sh
	rm -f node_modules/.installed-* && touch $(NPM_STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
browser:
	$(call debian,chromium,chromium)

# Debian's Java runtime for the Spark engine's test (pyspark starts a JVM).
java:
	$(call debian,java,default-jre-headless)

setup: $(STAMP) $(NPM_STAMP)

services:
	bash scripts/ensure-services.sh

lint: setup
	$(BIN)/ruff check src tests bench

typecheck: setup
	$(BIN)/mypy --strict src

# Every test, on SQLite and PostgreSQL, plus ruff and mypy --strict.
test: setup browser java services lint typecheck
	$(BIN)/pytest

# The unit tests without the slow integration ones, for quick local loops.
test-fast: setup
	$(BIN)/pytest -m "not slow" -x -q

# Generate a demo world, load every agency's view into this node, start the server.
demo: setup
	bash scripts/demo.sh "$(DEMO_DIR)" "$(DEMO_PERSONS)"

bench: setup services
	$(BIN)/python bench/store.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
