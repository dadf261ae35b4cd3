# The two commands of the quick start: `make run` and `make test`. Both create the
# virtual environment and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ENVIRONMENT ?= development
CATALOG ?= examples/catalog.yaml
# The Python SDK (its own distribution) and the generator of its typed client, which
# lives in a virtual environment of its own: ariadne-codegen pins graphql-core and ruff
# to other versions than the service's.
SDK     := sdk/python
CODEGEN := $(VENV)/codegen
# Test processes (pytest-xdist); each has a database and a Redis database of its own.
TEST_PROCESSES ?= 4
# Exact versions with hashes: the service's (the Dockerfile installs it) and the service's
# with the dev extra (make installs it). pyproject.toml keeps the compatible ranges.
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock
# `make lock UPGRADE=--upgrade` moves every pin to the newest version the ranges allow.
UPGRADE  ?=
LOCK_OPTIONS := --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock" $(UPGRADE)

.PHONY: install lock run test lint typecheck unit durations bench bench-tools clean sdk-client

$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK) $(SDK)/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip install --quiet --no-deps -e $(SDK)
	touch $(STAMP)

install: $(STAMP)

# The service's lock is resolved within the dev lock, so both pin the same versions.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_OPTIONS) -o $(DEV_LOCK)
	$(BIN)/uv pip compile pyproject.toml -c $(DEV_LOCK) $(LOCK_OPTIONS) -o $(LOCK)

run: install
	$(BIN)/billing-sync migrate
	$(BIN)/billing-sync environments create $(ENVIRONMENT)
	$(BIN)/billing-sync catalog apply $(CATALOG) --environment $(ENVIRONMENT)
	@echo
	@echo "GraphQL: http://$${HOST:-127.0.0.1}:$${PORT:-8000}/graphql"
	@echo "Get an API key (shown once, on the last line):"
	@echo "  $(BIN)/billing-sync keys create --environment $(ENVIRONMENT)"
	@echo
	$(BIN)/billing-sync serve

$(CODEGEN)/.installed-stamp: $(SDK)/codegen/requirements.lock
	test -x $(CODEGEN)/bin/python || $(PYTHON) -m venv $(CODEGEN)
	$(CODEGEN)/bin/python -m pip install --quiet --require-hashes -r $<
	touch $@

# Regenerates the SDK's typed client from the service's schema and sdk/python/operations
# (tests/sdk/test_generated_client.py fails while it is out of date).
sdk-client: install $(CODEGEN)/.installed-stamp
	$(BIN)/python $(SDK)/codegen/generate.py $(abspath $(CODEGEN))/bin/ariadne-codegen

# Lint and type checks run at a lower priority: beside `make test`'s workers they take
# the cores' idle moments instead of slowing the tests.
lint: install
	nice -n 10 $(BIN)/ruff check app workers webhooks tests bench sdk
	nice -n 10 $(BIN)/ruff format --check app workers webhooks tests bench sdk

# mypy's cache is kept per user rather than per checkout: it tells what changed by the
# files' contents, so a fresh clone starts from what any checkout here has checked (about
# 1 s of CPU instead of 16). `make test MYPY_CACHE_DIR=.mypy_cache` keeps it in the checkout.
MYPY_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/billing-sync/mypy

typecheck: install
	nice -n 10 $(BIN)/mypy --cache-dir "$(MYPY_CACHE_DIR)"

# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE):
# each parallel worker imports every test module, and pytest rewrites and compiles a
# module whose bytecode is not on disk, about 8 s of CPU per worker on every run.
unit: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(TEST_PROCESSES) --dist worksteal

# Records how long the long tests take in tests/durations.json, which deals them to the
# parallel workers of a fresh clone (a checkout keeps its own record in .pytest_cache).
durations: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(TEST_PROCESSES) --dist worksteal --write-durations

test: install
	@started=$$(date +%s); status=0; \
	$(MAKE) --no-print-directory -j3 lint typecheck unit || status=$$?; \
	elapsed=$$(( $$(date +%s) - started )); \
	echo "make test: $$( [ $$status -eq 0 ] && echo passed || echo FAILED ) in $$(( elapsed / 60 ))m$$(( elapsed % 60 ))s wall time"; \
	exit $$status

BENCHMARKS := bench/graphql_customers.py bench/provisioning.py bench/estimates.py \
	bench/stripe_provisioning.py bench/events.py bench/entitlements.py bench/reads.py \
	bench/webhooks.py bench/reconciled.py bench/import.py bench/checkout.py bench/sdk.py

# wrk (Debian's package) drives the load when present: a Python load generator shares
# the two cores with the server it measures. Installed here when running as root.
bench-tools:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get install -y -qq wrk >/dev/null 2>&1 || \
		  { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }; } || \
		echo "wrk not found: the benchmarks use their Python load generator"

bench: install bench-tools
	@for b in $(BENCHMARKS); do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@echo "== bench/import.py --stripe"; $(BIN)/python bench/import.py --stripe

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
